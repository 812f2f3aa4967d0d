"""``read_output`` on its own: the state a file encodes, checked against pyelftools' reading of the same bytes,
and the files it must refuse (other mode, other class, interrupted commit, truncation, foreign bytes)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from compiler.link import OutputMode
from compiler.link.elf.format import E_TYPE_OFFSET, ELF32_I386, ElfType, layout_for_target
from compiler.link.elf.layout import GOT, TEXT
from compiler.link.elf.reopen import NotOurOutput, read_output
from tests.compiler.link.test_link_reopen_dwarf import build

ELF64 = layout_for_target("x86_64-linux")


def _output(tmp_path: Path) -> bytes:
    path = tmp_path / "prog"
    build(str(path), {1: 7, 2: 11, 3: 13}, exit_with=2).close()
    return path.read_bytes()


def test_reader_finds_every_live_symbol_where_pyelftools_does(tmp_path: Path) -> None:
    data = _output(tmp_path)
    reopened = read_output(data, ELF64, OutputMode.EXE)

    elf = ELFFile(io.BytesIO(data))
    symtab = elf.get_section_by_name(".symtab")
    assert isinstance(symtab, SymbolTableSection)
    locals_by_name = {
        sym.name: sym for sym in symtab.iter_symbols() if sym["st_info"]["bind"] == "STB_LOCAL" and sym.name
    }
    assert set(locals_by_name) == {"start", "f1", "f2", "f3"}
    assert set(reopened.adoptable) == set(locals_by_name)
    got_section = elf.get_section_by_name(".got")
    assert got_section is not None
    got = got_section.data()
    for name, sym in locals_by_name.items():
        state = reopened.adoptable[name]
        assert (state.block.vaddr, state.block.size) == (sym["st_value"], sym["st_size"])
        slot = got[8 * state.got_index : 8 * state.got_index + 8]
        assert int.from_bytes(slot, "little") == sym["st_value"]
    # the global _start is offered for reuse by name
    assert set(reopened.reopened_globals) == {b"_start"}
    # the section table is the file's
    assert reopened.shdr_table_offset == elf.header["e_shoff"]
    assert reopened.phdr_table_offset == elf.header["e_phoff"]
    for index in (TEXT, GOT):
        section = elf.get_section(index)
        assert (reopened.shdrs[index].sh_offset, reopened.shdrs[index].sh_size) == (
            section["sh_offset"],
            section["sh_size"],
        )
    # the blocks are linked in address order
    block = reopened.text.first_text_block
    addresses = []
    while block is not None:
        addresses.append(block.vaddr)
        block = block.next
    assert addresses == sorted(sym["st_value"] for sym in locals_by_name.values())
    assert reopened.cleared_got_slots == [] and reopened.cleared_locals == []


def test_reader_changes_nothing(tmp_path: Path) -> None:
    data = _output(tmp_path)
    copy = bytes(data)
    read_output(data, ELF64, OutputMode.EXE)
    assert data == copy


def test_reader_refuses_another_mode_or_class(tmp_path: Path) -> None:
    data = _output(tmp_path)
    with pytest.raises(NotOurOutput, match="other type"):
        read_output(data, ELF64, OutputMode.OBJ)
    with pytest.raises(NotOurOutput, match="other class"):
        read_output(data, ELF32_I386, OutputMode.EXE)


def test_reader_refuses_an_interrupted_commit(tmp_path: Path) -> None:
    data = bytearray(_output(tmp_path))
    data[E_TYPE_OFFSET : E_TYPE_OFFSET + 2] = bytes([ElfType.ET_NONE, 0])
    with pytest.raises(NotOurOutput, match="interrupted"):
        read_output(bytes(data), ELF64, OutputMode.EXE)


@pytest.mark.parametrize("keep", [0, 10, 64, 200, 4096])
def test_reader_refuses_a_truncated_file(tmp_path: Path, keep: int) -> None:
    data = _output(tmp_path)
    with pytest.raises(NotOurOutput):
        read_output(data[:keep], ELF64, OutputMode.EXE)


def test_reader_refuses_foreign_bytes() -> None:
    with pytest.raises(NotOurOutput, match="not ELF"):
        read_output(b"#!/bin/sh\necho hello\n" + bytes(100), ELF64, OutputMode.EXE)
