"""The linker side of hot swapping (docs/design/elf-linker.md §17): reserved room in ``p_memsz``, no in-place
rewrite of a function while the program runs, quarantine, held GOT slots; and the frame pointers the
process side's stack walk relies on."""

from __future__ import annotations

from pathlib import Path

import capstone
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.link.elf.hot import GOT_ROOM_MIN, TEXT_ROOM_MIN
from compiler.link.elf.linker import ElfLinker
from tests.hot.programs import function, print_decl, print_text, program

STEP = print_decl("m", "msg") + print_text("n", "\n")


def _compile(tmp: Path, source: str, *, hot: bool) -> tuple[Compilation, Path]:
    src = tmp / "p.zir"
    src.write_text(source)
    out = tmp / "p"
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE, hot=hot))
    report = comp.update()
    assert report.ok and report.committed, [e.message for e in comp.all_errors()]
    return comp, out


def _loads(path: Path) -> list[tuple[int, int, int]]:
    with path.open("rb") as f:
        return [(s["p_vaddr"], s["p_filesz"], s["p_memsz"]) for s in ELFFile(f).iter_segments()]


def test_hot_build_reserves_room_and_normal_build_does_not(tmp_path: Path) -> None:
    """The text room is in the file (p_filesz == p_memsz: no anonymous tail, which the kernel would map
    writable and executable); the GOT's room is p_memsz past p_filesz (anonymous, read-write, not executable)."""
    source = program(STEP, '@msg = str("x")\n')
    comp, out = _compile(tmp_path, source, hot=True)
    comp.close()
    got, text = sorted(_loads(out))
    with out.open("rb") as f:
        text_section = ELFFile(f).get_section_by_name(".text")
        assert text_section is not None
        used = text_section["sh_size"]
    assert text[1] == text[2] >= used + max(TEXT_ROOM_MIN, used) // 2
    assert out.stat().st_size >= text[1]
    assert got[2] == got[1] + max(GOT_ROOM_MIN, got[1])
    plain = tmp_path / "plain"
    plain.mkdir()
    comp, out = _compile(plain, source, hot=False)
    comp.close()
    assert all(filesz == memsz for _, filesz, memsz in _loads(out))


def _linker(comp: Compilation) -> ElfLinker:
    linker = comp.linker
    assert isinstance(linker, ElfLinker) and linker.hot is not None
    return linker


def test_running_function_is_never_rewritten_in_place(tmp_path: Path) -> None:
    """While running: an edited function gets a fresh block, its old block stays (a ghost) and is not reused
    until released; a deleted decl's GOT slot is held, not handed out again."""
    helper = function("helper", print_text("h", "one "))
    step = "  %hc = call(@helper, [])\n" + STEP
    comp, _ = _compile(tmp_path, program(step, '@msg = str("x")\n' + helper), hot=True)
    linker = _linker(comp)
    try:
        state = linker.hot
        assert state is not None
        state.program_started()
        old = comp.decl_address("helper")
        old_size = comp.decl_size("helper")
        assert old is not None and old_size is not None
        # Same size, different bytes: a normal build would rewrite it in place.
        src = tmp_path / "p.zir"
        src.write_text(program(step, '@msg = str("x")\n' + function("helper", print_text("h", "two "))))
        assert comp.update().committed
        new = comp.decl_address("helper")
        assert new is not None and new != old
        patch = linker.hot_patch()
        assert (old, old_size, "helper", True, True) in patch.ghosts
        assert all(not (old <= w.vaddr < old + old_size) for w in patch.code), "the old block was written"
        assert patch.code and patch.got
        assert all(len(w.data) == 8 and w.vaddr % 8 == 0 for w in patch.got)
        # A new decl is never placed over the ghost.
        extra = function("extra", print_text("e", "E" * 40))
        src.write_text(
            program(
                "  %ec = call(@extra, [])\n" + step,
                '@msg = str("x")\n' + extra + function("helper", print_text("h", "two ")),
            )
        )
        assert comp.update().committed
        extra_at = comp.decl_address("extra")
        assert extra_at is not None and not (old <= extra_at < old + old_size)
        # Deleting @extra holds its slot: the next new decl gets a different one.
        slot = comp.got_address("extra")
        src.write_text(program(step, '@msg = str("x")\n' + function("helper", print_text("h", "two "))))
        assert comp.update().committed
        src.write_text(
            program(
                "  %fc = call(@fresh, [])\n" + step,
                '@msg = str("x")\n'
                + function("fresh", print_text("f", "F "))
                + function("helper", print_text("h", "two ")),
            )
        )
        assert comp.update().committed
        assert comp.got_address("fresh") != slot
        # Released ghosts are free again.
        state.release({old})
        assert all(g.block.vaddr != old for g in state.ghosts)
    finally:
        comp.close()


NO_FRAME = {"__zirlive_panic"}
"""The synthetic panic routine (codegen/x86_64/safety.py) never returns: no frame above it is resumed."""


def test_every_non_naked_function_keeps_a_frame_pointer(tmp_path: Path) -> None:
    """The stack walk follows rbp: every non-Naked function starts with ``push rbp; mov rbp, rsp``."""
    helper = function("helper", print_text("h", "one "))
    source = program("  %hc = call(@helper, [])\n" + STEP, '@msg = str("x")\n' + helper)
    comp, out = _compile(tmp_path, source, hot=False)
    naked = set()
    for decl in comp.decls():
        ty = decl.typed_value.ty if decl.typed_value is not None else None
        if decl.fn is not None and ty is not None and ty.fn_calling_convention() == "Naked":
            naked.add(decl.name)
    comp.close()
    assert naked == {"start"}
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    checked = 0
    with out.open("rb") as f:
        elf = ELFFile(f)
        text = elf.get_section_by_name(".text")
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection) and text is not None
        data = text.data()
        for sym in symtab.iter_symbols():
            if sym["st_info"]["type"] != "STT_FUNC" or sym["st_info"]["bind"] != "STB_LOCAL":
                continue
            if sym.name in naked or sym.name in NO_FRAME:
                continue
            start = sym["st_value"] - text["sh_addr"]
            insns = list(md.disasm(data[start : start + sym["st_size"]], sym["st_value"]))
            assert [(i.mnemonic, i.op_str) for i in insns[:2]] == [("push", "rbp"), ("mov", "rbp, rsp")], sym.name
            checked += 1
    assert checked >= 6
