"""Helpers for the linker tests: assemble snippets with GNU as, check produced files with readelf and pyelftools."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass

from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from compiler.link import DeclIndex, GeneratedSymbol, SymbolType


def assemble(source: str) -> bytes:
    """Machine code of an Intel-syntax snippet, assembled by GNU ``as`` (no relocations allowed)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "a.s")
        obj = os.path.join(tmp, "a.o")
        with open(src, "w") as file:
            file.write(".intel_syntax noprefix\n.text\n" + source + "\n")
        subprocess.run(["as", "--64", "-o", obj, src], check=True, capture_output=True)
        with open(obj, "rb") as file:
            elf = ELFFile(file)
            text = elf.get_section_by_name(".text")
            assert text is not None
            rela = elf.get_section_by_name(".rela.text")
            assert rela is None or (isinstance(rela, RelocationSection) and rela.num_relocations() == 0)
            return bytes(text.data())


def exit_code(status: int) -> bytes:
    """``mov eax, 60; mov edi, status; syscall``."""
    return assemble(f"mov eax, 60\nmov edi, {status}\nsyscall")


def func(code: bytes, align: int = 1) -> GeneratedSymbol:
    return GeneratedSymbol(code=code, alignment=align, symbol_type=SymbolType.FUNC)


def data(code: bytes, align: int = 1) -> GeneratedSymbol:
    return GeneratedSymbol(code=code, alignment=align, symbol_type=SymbolType.OBJECT)


def d(index: int) -> DeclIndex:
    return DeclIndex(index)


@dataclass
class Checked:
    """What ``check_elf`` read from the file."""

    e_type: str
    entry: int
    local_names: list[str]
    global_names: list[str]
    symbols: dict[str, tuple[int, int]]


def check_elf(path: str) -> Checked:
    """Check the validity rules of elf-linker.md §9.3 with readelf and pyelftools; return what was read."""
    result = subprocess.run(["readelf", "-a", "-W", path], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    combined = result.stdout + result.stderr
    assert "Warning" not in combined and "Error" not in combined, combined
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        elf = ELFFile(file)
        for section in elf.iter_sections():
            if section["sh_type"] != "SHT_NULL":
                assert section["sh_offset"] + section["sh_size"] <= size, section.name
                section.data()
        segments = list(elf.iter_segments())
        assert len(segments) == 2
        text = elf.get_section_by_name(".text")
        got = elf.get_section_by_name(".got")
        assert text is not None and got is not None
        for segment, section in zip(segments, (text, got), strict=True):
            assert segment["p_type"] == "PT_LOAD"
            assert segment["p_offset"] % 0x1000 == segment["p_vaddr"] % 0x1000
            assert segment["p_filesz"] == segment["p_memsz"]
            assert segment["p_offset"] + segment["p_filesz"] <= size
            assert section["sh_offset"] == segment["p_offset"]
            assert section["sh_addr"] == segment["p_vaddr"]
            assert section["sh_size"] == segment["p_filesz"]
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        assert symtab["sh_link"] == 1
        local_names: list[str] = []
        global_names: list[str] = []
        symbols: dict[str, tuple[int, int]] = {}
        seen_global = False
        for index, sym in enumerate(symtab.iter_symbols()):
            bind = sym["st_info"]["bind"]
            if bind == "STB_LOCAL":
                assert not seen_global, "a local symbol after a global"
                if sym.name:
                    local_names.append(sym.name)
            else:
                if not seen_global:
                    assert index == symtab["sh_info"]
                seen_global = True
                global_names.append(sym.name)
            if sym.name:
                symbols[sym.name] = (sym["st_value"], sym["st_size"])
                if sym["st_shndx"] == 2:
                    start = sym["st_value"]
                    assert text["sh_addr"] <= start
                    assert start + sym["st_size"] <= text["sh_addr"] + text["sh_size"]
        return Checked(elf.header["e_type"], elf.header["e_entry"], local_names, global_names, symbols)


def run(path: str) -> int:
    """Execute the output and return its exit status."""
    return subprocess.run([path], timeout=10).returncode
