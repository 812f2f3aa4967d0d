"""ELF32 (elf-linker.md §11): the same algorithms with 32-bit records, run as real i386 programs."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from compiler.link import (
    BaseTypeEncoding,
    DebugInfo,
    DebugParam,
    DebugType,
    ExportRequest,
    GeneratedSymbol,
    LineRow,
    RowKind,
    SymbolType,
)
from compiler.link.elf.dwarf import PRODUCER
from compiler.link.elf.format import ELF32_I386, FieldRangeError, UnsupportedTarget
from compiler.link.elf.layout import DEBUG_LINE, GOT, SYMTAB
from compiler.link.elf.linker import ElfLinker
from tests.compiler.link.elfcheck import check_elf, d, run


def assemble32(source: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, obj = os.path.join(tmp, "a.s"), os.path.join(tmp, "a.o")
        with open(src, "w") as file:
            file.write(".intel_syntax noprefix\n.text\n" + source + "\n")
        subprocess.run(["as", "--32", "-o", obj, src], check=True, capture_output=True)
        with open(obj, "rb") as file:
            text = ELFFile(file).get_section_by_name(".text")
            assert text is not None
            return bytes(text.data())


def fn32(code: bytes, line: int) -> GeneratedSymbol:
    info = DebugInfo(
        line=line,
        rows=(LineRow(len(code) - 1, line + 1, RowKind.STMT),),
        params=(DebugParam("n", 0, DebugType("u32", BaseTypeEncoding.UNSIGNED, 4)),),
        return_type=DebugType("u32", BaseTypeEncoding.UNSIGNED, 4),
    )
    return GeneratedSymbol(code, 1, SymbolType.FUNC, debug_info=info)


def build32(path: str, value: int) -> ElfLinker:
    linker = ElfLinker(path, target="i386-linux", root_src_path="p.zir", comp_dir="/src")
    linker.allocate_decl(d(0), "start")
    linker.allocate_decl(d(1), "f")
    slot = linker.got_address(d(1))
    start = assemble32(f"call dword ptr [{slot:#x}]\nmov ebx, eax\nmov eax, 1\nint 0x80")
    linker.update_decl(d(0), "start", fn32(start, 0))
    linker.update_decl_exports(d(0), [ExportRequest(1, b"_start")])
    linker.update_decl(d(1), "f", fn32(assemble32(f"mov eax, {value}\nret"), 5))
    linker.flush()
    assert linker.commit().error is None
    return linker


def test_elf32_fresh_layout() -> None:
    linker = ElfLinker("/nonexistent-dir/out", target="i386-linux")
    offsets = [(s.sh_offset, s.sh_size) for s in linker.shdrs]
    assert offsets[1:5] == [(52, 11), (0x1000, 0x40000), (0x57000, 128), (68, 512)]
    assert [o for o, _ in offsets[6:]] == [750, 1016, 1200, 1413]
    assert (linker.sections.shdr_table_offset, linker.sections.phdr_table_offset) == (1748, 2284)
    linker.allocate_decl(d(0), "x")
    linker.allocate_decl(d(1), "y")
    assert (linker.got_address(d(0)), linker.got_address(d(1))) == (0x4000000, 0x4000004)


def test_elf32_program_runs_updates_in_place_and_reopens(tmp_path: Path) -> None:
    path = str(tmp_path / "out32")
    linker = build32(path, 7)
    assert run(path) == 7
    checked = check_elf(path)
    assert checked.local_names == ["start", "f"] and checked.global_names == ["_start"]
    with open(path, "rb") as file:
        elf = ELFFile(file)
        assert elf.elfclass == 32 and elf.header["e_machine"] == "EM_386"
        assert elf.get_section(SYMTAB)["sh_entsize"] == 16
        assert elf.get_section(GOT)["sh_size"] == 8
        dwarf = elf.get_dwarf_info()
        (cu,) = list(dwarf.iter_CUs())
        assert cu["address_size"] == 4 and cu.dwarf_format() == 32
        assert cu.get_top_DIE().attributes["DW_AT_producer"].value == PRODUCER
    dump = subprocess.run(["readelf", "-W", "--debug-dump=info,line,aranges", path], capture_output=True, text=True)
    assert "Warning" not in dump.stdout + dump.stderr
    linker.update_decl(d(1), "f", fn32(assemble32("mov eax, 9\nret"), 5))
    linker.flush()
    assert not linker.commit().full_rewrite
    assert run(path) == 9
    before = len(linker.fileio.counters.writes)
    linker.update_decl_line_number(d(1), 8)
    linker.flush()
    linker.commit()
    piece = linker.decls[d(1)].debug.line.offset
    assert (linker.shdrs[DEBUG_LINE].sh_offset + piece + 8, 4) in linker.fileio.counters.writes[before:]
    again = build32(path, 9)  # a restart with the same program continues the file in place
    assert again.fileio.counters.rename_calls == 0
    assert run(path) == 9


def test_elf32_values_are_range_checked() -> None:
    with pytest.raises(FieldRangeError, match="value does not fit in ELF32 field"):
        ELF32_I386.pack_address(2**32)


def test_big_endian_targets_are_rejected() -> None:
    with pytest.raises(UnsupportedTarget, match="unsupported target endianness"):
        ElfLinker("/nonexistent-dir/out", target="powerpc-linux")
