"""NullLinker hands out the ELF linker's addresses; both report export failures and the entry-point rule alike."""

from __future__ import annotations

import random
from pathlib import Path

from compiler.link import ExportRequest, Linkage, Linker, OutputMode
from compiler.link.elf.linker import ElfLinker
from compiler.link.null import NullLinker
from tests.compiler.link.elfcheck import check_elf, d, data, func


def drive(linker: Linker, seed: int) -> list[tuple[int, int | None]]:
    """A random sequence of allocations, updates (growing, shrinking) and frees; the addresses seen."""
    rng = random.Random(seed)
    live: list[int] = []
    seen: list[tuple[int, int | None]] = []
    next_index = 0
    for _ in range(400):
        action = rng.random()
        if action < 0.35 or not live:
            next_index += 1
            linker.allocate_decl(d(next_index), f"f{next_index}")
            live.append(next_index)
            seen.append((linker.got_address(d(next_index)), None))
        elif action < 0.8:
            index = rng.choice(live)
            size = rng.choice([1, 6, 30, 64, 200, 500])
            linker.update_decl(d(index), f"f{index}", func(b"\xc3" * size, rng.choice([1, 1, 8, 16])))
            seen.append((linker.got_address(d(index)), linker.decl_address(d(index))))
        else:
            index = live.pop(rng.randrange(len(live)))
            linker.free_decl(d(index))
    return seen


def test_null_linker_gives_the_same_addresses(tmp_path: Path) -> None:
    for seed in range(6):
        elf = ElfLinker(str(tmp_path / f"out{seed}"), mode=OutputMode.OBJ)
        assert drive(NullLinker(OutputMode.OBJ), seed) == drive(elf, seed)
        elf.flush()
        assert elf.commit().error is None
        check_elf(str(tmp_path / f"out{seed}"))


def test_export_failures_and_entry_point_agree() -> None:
    exports = [
        ExportRequest(1, b"a", Linkage.LINK_ONCE),
        ExportRequest(2, b"b", Linkage.STRONG, b".data"),
        ExportRequest(3, b"_start", Linkage.STRONG, b".text"),
    ]
    results = []
    for linker in (NullLinker(), ElfLinker("/nonexistent-dir/never-written")):
        linker.allocate_decl(d(1), "start")
        assert linker.update_decl_exports(d(2), exports) == []  # no symbol: nothing to do
        placeholder = linker.update_decl_exports(d(1), exports)
        linker.flush()
        assert linker.error_flags().no_entry_point_found  # _start not placed yet
        linker.update_decl(d(1), "start", data(b"\x0f\x0b"))
        linker.flush()
        assert not linker.error_flags().no_entry_point_found
        results.append([(f.export_id, f.error.byte_offset, f.error.msg) for f in placeholder])
    assert (
        results[0]
        == results[1]
        == [
            (1, 0, "Unimplemented: GlobalLinkage.LinkOnce"),
            (2, 0, "Unimplemented: ExportOptions.section"),
        ]
    )
