"""Reopening an output after a restart (verify, adopt, rewrite on mismatch) and the incremental DWARF."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile

from compiler.link import (
    BaseTypeEncoding,
    DebugInfo,
    DebugParam,
    DebugType,
    ExportRequest,
    GeneratedSymbol,
    LineRow,
    OutputMode,
    RowKind,
    SymbolType,
)
from compiler.link.elf.dwarf import LINE_OPERAND, PRODUCER, line_padding
from compiler.link.elf.layout import DEBUG_LINE
from compiler.link.elf.linker import ElfLinker
from tests.compiler.link.elfcheck import check_elf, d, run

USIZE = DebugType("usize", BaseTypeEncoding.UNSIGNED, 8)
BOOL = DebugType("bool", BaseTypeEncoding.BOOLEAN, 1)


def ret_const(value: int) -> bytes:
    return b"\xb8" + value.to_bytes(4, "little") + b"\xc3"


def call_exit(slot: int) -> bytes:
    return b"\xff\x14\x25" + slot.to_bytes(4, "little") + b"\x89\xc7\xb8\x3c\x00\x00\x00\x0f\x05"


def fn(
    code: bytes, line: int, *, params: tuple[DebugParam, ...] = (), ret: DebugType | None = USIZE
) -> GeneratedSymbol:
    rows = (LineRow(1, line + 1, RowKind.PROLOGUE_END), LineRow(len(code) - 1, line + 2, RowKind.EPILOGUE_BEGIN))
    info = DebugInfo(line=line, rows=rows, params=params, return_type=ret)
    return GeneratedSymbol(code, 1, SymbolType.FUNC, debug_info=info)


def build(path: str, values: dict[int, int], *, exit_with: int, mode: OutputMode = OutputMode.EXE) -> ElfLinker:
    """``start`` (decl 0) exits with ``f{exit_with}``; decl ``i`` is ``f{i}`` returning ``values[i]``."""
    linker = ElfLinker(path, mode=mode, root_src_path="prog.zir", comp_dir="/src")
    linker.allocate_decl(d(0), "start")
    for i in values:
        linker.allocate_decl(d(i), f"f{i}")
    linker.update_decl(d(0), "start", fn(call_exit(linker.got_address(d(exit_with))), 1, ret=None))
    linker.update_decl_exports(d(0), [ExportRequest(1, b"_start")])
    for i, value in values.items():
        param = DebugParam("x", 5, BOOL)
        linker.update_decl(d(i), f"f{i}", fn(ret_const(value), 10 * i, params=(param,)))
    linker.flush()
    report = linker.commit()
    assert report.error is None
    return linker


def dwarf_check(path: str) -> tuple[list[str], dict[int, int]]:
    """readelf's DWARF dumps are clean; return subprogram names and (address → 1-based line) rows."""
    result = subprocess.run(
        ["readelf", "-W", "--debug-dump=info,abbrev,aranges,line,str", path], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    names: list[str] = []
    rows: dict[int, int] = {}
    with open(path, "rb") as file:
        info = ELFFile(file).get_dwarf_info()
        for cu in info.iter_CUs():
            top = cu.get_top_DIE()
            assert top.attributes["DW_AT_producer"].value == PRODUCER
            for die in top.iter_children():
                if die.tag == "DW_TAG_subprogram":
                    names.append(die.attributes["DW_AT_name"].value.decode())
            program = info.line_program_for_CU(cu)
            assert program is not None
            for entry in program.get_entries():
                if entry.state is not None and not entry.state.end_sequence:
                    rows[entry.state.address] = entry.state.line
    return names, rows


def test_debug_info_is_readable_and_follows_updates(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build(path, {1: 3, 2: 4}, exit_with=2)
    assert run(path) == 4
    check_elf(path)
    names, rows = dwarf_check(path)
    assert names == ["start", "f1", "f2"]
    f2 = linker.decl_address(d(2)) or 0
    assert rows[f2] == 21  # 0-based line 20 → 1-based 21
    # f2 grows past its capacity and moves: its entry follows
    linker.update_decl(d(2), "f2", fn(b"\x90" * 30 + ret_const(9), 20))
    linker.flush()
    linker.commit()
    assert run(path) == 9
    names, rows = dwarf_check(path)
    assert rows[linker.decl_address(d(2)) or 0] == 21
    # freeing a function pads its entry away
    linker.free_decl(d(1))
    linker.flush()
    linker.commit()
    names, rows = dwarf_check(path)
    assert names == ["start", "f2"]
    check_elf(path)


def test_line_only_edit_writes_exactly_four_bytes(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build(path, {1: 3, 2: 4}, exit_with=1)
    before = len(linker.fileio.counters.writes)
    linker.update_decl_line_number(d(2), 22)
    linker.flush()
    report = linker.commit()
    writes = linker.fileio.counters.writes[before:]
    piece = linker.decls[d(2)].debug.line
    operand = linker.shdrs[DEBUG_LINE].sh_offset + piece.offset + LINE_OPERAND
    assert writes == [(16, 2), (operand, 4), (0, 64)]  # marker, the line field, the header
    assert report.bytes_written == 70
    _, rows = dwarf_check(path)
    assert rows[linker.decl_address(d(2)) or 0] == 23


def test_line_padding_never_has_one_byte() -> None:
    assert line_padding(2) == b"\x06\x06"
    assert line_padding(5) == b"\x02\x80\x00\x06\x06"


def test_reopen_adopts_a_matching_output_and_writes_only_differences(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    build(path, {1: 3, 2: 4, 3: 5}, exit_with=2)
    with open(path, "rb") as file:
        original = file.read()
    # a restart: a new linker, the same program
    linker = build(path, {1: 3, 2: 4, 3: 5}, exit_with=2)
    assert linker.fileio.counters.rename_calls == 0  # continued in place
    with open(path, "rb") as file:
        assert file.read() == original
    # a restart with one body changed and one function gone
    linker = ElfLinker(path, root_src_path="prog.zir", comp_dir="/src")
    assert sorted(linker.adoptable) == ["f1", "f2", "f3", "start"]
    linker.allocate_decl(d(0), "start")
    linker.allocate_decl(d(1), "f1")
    linker.allocate_decl(d(2), "f2")
    linker.update_decl(d(0), "start", fn(call_exit(linker.got_address(d(2))), 1, ret=None))
    linker.update_decl_exports(d(0), [ExportRequest(1, b"_start")])
    linker.update_decl(d(1), "f1", fn(ret_const(3), 10, params=(DebugParam("x", 5, BOOL),)))
    linker.update_decl(d(2), "f2", fn(ret_const(44), 20, params=(DebugParam("x", 5, BOOL),)))
    linker.flush()
    report = linker.commit()
    assert not report.full_rewrite and report.bytes_written < 1024
    assert run(path) == 44
    checked = check_elf(path)
    assert checked.local_names == ["start", "f1", "f2"] and checked.global_names == ["_start"]
    dwarf_check(path)


def test_mismatching_output_is_rebuilt_only_at_commit(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    shutil.copy("/bin/true", path)
    with open(path, "rb") as file:
        foreign = file.read()
    linker = ElfLinker(path)
    assert linker.committer.needs_full_write and not linker.adoptable
    linker.allocate_decl(d(0), "start")
    linker.update_decl(
        d(0), "start", GeneratedSymbol(b"\xb8\x3c\x00\x00\x00\xbf\x07\x00\x00\x00\x0f\x05", 1, SymbolType.FUNC)
    )
    linker.update_decl_exports(d(0), [ExportRequest(1, b"_start")])
    linker.flush()
    with open(path, "rb") as file:
        assert file.read() == foreign  # untouched until the commit
    report = linker.commit()
    assert report.full_rewrite
    assert run(path) == 7
    # an object file is not continued as an executable
    build(str(tmp_path / "obj"), {1: 1}, exit_with=1, mode=OutputMode.OBJ)
    relinked = ElfLinker(str(tmp_path / "obj"))
    assert relinked.committer.needs_full_write and not relinked.adoptable
