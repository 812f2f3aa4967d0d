"""Random update sequences against real executables: every commit is valid and runs the latest program."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from compiler.link import ExportRequest
from compiler.link.elf.linker import ElfLinker
from tests.compiler.link.elfcheck import check_elf, d, func, run


def ret_const(value: int, padding: int) -> bytes:
    return b"\x90" * padding + b"\xb8" + value.to_bytes(4, "little") + b"\xc3"


def call_exit(slot: int) -> bytes:
    return b"\xff\x14\x25" + slot.to_bytes(4, "little") + b"\x89\xc7\xb8\x3c\x00\x00\x00\x0f\x05"


@pytest.mark.parametrize("seed", range(4))
def test_random_updates_commit_valid_running_programs(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = str(tmp_path / "out")
    hint = rng.choice([64, 4096, 256 * 1024])
    linker = ElfLinker(path, program_code_size_hint=hint, symbol_count_hint=rng.choice([2, 32]))
    functions: dict[int, tuple[int, int]] = {}  # decl → (value, padding)
    next_decl = 1
    target = 0

    def place_start() -> None:
        linker.update_decl(d(0), "start", func(call_exit(linker.got_address(d(target)))))
        linker.update_decl_exports(d(0), [ExportRequest(1, b"_start")])

    def add() -> int:
        nonlocal next_decl
        decl = next_decl
        next_decl += 1
        linker.allocate_decl(d(decl), f"f{decl}")
        functions[decl] = (rng.randrange(256), rng.choice([0, 3, 40, 300]))
        linker.update_decl(d(decl), f"f{decl}", func(ret_const(*functions[decl])))
        return decl

    linker.allocate_decl(d(0), "start")
    target = add()
    place_start()
    for step in range(60):
        action = rng.random()
        if action < 0.3:
            add()
        elif action < 0.65:
            decl = rng.choice(list(functions))
            functions[decl] = (rng.randrange(256), rng.choice([0, 3, 40, 300, 1000]))
            linker.update_decl(d(decl), f"f{decl}", func(ret_const(*functions[decl])))
        elif action < 0.8 and len(functions) > 1:
            decl = rng.choice([f for f in functions if f != target])
            del functions[decl]
            linker.free_decl(d(decl))
        elif action < 0.9:
            target = rng.choice(list(functions))
            place_start()
        else:  # a restart: a new process re-creates every decl, adopting the file's blocks
            linker = ElfLinker(path)
            linker.allocate_decl(d(0), "start")
            for decl, code in functions.items():
                linker.allocate_decl(d(decl), f"f{decl}")
                linker.update_decl(d(decl), f"f{decl}", func(ret_const(*code)))
            place_start()
        linker.flush()
        assert not linker.error_flags().no_entry_point_found
        if rng.random() < 0.2:
            continue  # an update with compile errors: nothing committed
        report = linker.commit()
        assert report.error is None, step
        check_elf(path)
        assert run(path) == functions[target][0], step
