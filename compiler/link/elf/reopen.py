"""Reopening an existing output across restarts: verify it, rebuild the linker's state from it (§13.2).

A file that does not match what this linker would have written (another producer, another layout, an
interrupted commit marked ``ET_NONE``, inconsistent symbols) is not touched here: the caller describes a fresh
file, which the first commit writes to a temporary file and renames over the output.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from compiler.link import GOT_VADDR, TEXT_VADDR, OutputMode
from compiler.link.elf import dwarf
from compiler.link.elf.format import (
    ELF_MAGIC,
    ElfData,
    ElfType,
    SectionType,
    SegmentFlags,
    SegmentType,
    Symbol,
)
from compiler.link.elf.got import GotTable
from compiler.link.elf.symbols import StringTable, SymbolTable
from compiler.link.elf.text_blocks import TextBlock, TextBlockList

if TYPE_CHECKING:
    from compiler.link.elf.linker import ElfLinker

EXPECTED_TYPES = (
    SectionType.SHT_NULL,
    SectionType.SHT_STRTAB,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_SYMTAB,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
)
"""``sh_type`` of sections 0–9 in the fixed layout."""


class Mismatch(Exception):
    """The existing file is not one this linker can continue."""


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise Mismatch(what)


def _slice(data: bytes, offset: int, size: int, what: str) -> bytes:
    _check(offset >= 0 and offset + size <= len(data), f"{what} beyond end of file")
    return data[offset : offset + size]


def reopen(linker: ElfLinker) -> bool:
    """Adopt the file at ``linker.path`` if it matches (state reconstructed into ``linker``); False means
    the caller must describe a fresh file. Never modifies the file."""
    if linker.fileio.stat(linker.path) is None:
        return False
    try:
        data = linker.fileio.read_all(linker.path)
    except OSError:
        return False
    try:
        _reconstruct(linker, data)
    except (Mismatch, struct.error, ValueError):
        return False
    stat = linker.fileio.stat(linker.path)
    if stat is None:
        return False
    linker.identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    return True


def _reconstruct(linker: ElfLinker, data: bytes) -> None:
    from compiler.link.elf.linker import DEBUG_INFO, DEBUG_STR, GOT, SECTION_NAMES, SYMTAB, TEXT, DeclState

    layout = linker.layout
    ident = _slice(data, 0, 16, "e_ident")
    _check(ident[:4] == ELF_MAGIC, "not ELF")
    _check(ident[4] == layout.elf_class and ident[5] == ElfData.ELFDATA2LSB, "other class or byte order")
    header = layout.unpack_ehdr(_slice(data, 0, layout.ehdr_size, "ELF header"))
    e_type, e_machine, _version, _entry, e_phoff, e_shoff = (int(v) for v in header[1:7])
    e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx = (int(v) for v in header[8:])
    _check(e_machine == layout.machine, "other machine")
    wanted = ElfType.ET_EXEC if linker.mode is OutputMode.EXE else ElfType.ET_REL
    _check(e_type == wanted, "other type, or an interrupted commit (ET_NONE)")
    _check((e_ehsize, e_phentsize, e_shentsize) == (layout.ehdr_size, layout.phdr_size, layout.shdr_size), "sizes")
    _check((e_phnum, e_shnum, e_shstrndx) == (2, 10, 1), "header counts")
    phdr_size, shdr_size, sym_size = layout.phdr_size, layout.shdr_size, layout.sym_size
    phdrs = [layout.unpack_phdr(_slice(data, e_phoff + i * phdr_size, phdr_size, "phdr")) for i in range(e_phnum)]
    shdrs = [layout.unpack_shdr(_slice(data, e_shoff + i * shdr_size, shdr_size, "shdr")) for i in range(e_shnum)]
    _check(tuple(s.sh_type for s in shdrs) == EXPECTED_TYPES, "section types")
    shstrtab_bytes = _slice(data, shdrs[1].sh_offset, shdrs[1].sh_size, ".shstrtab")
    strings = StringTable(bytearray(shstrtab_bytes))
    _check(len(shstrtab_bytes) > 0 and shstrtab_bytes[-1] == 0, ".shstrtab not terminated")
    for index, name in enumerate(SECTION_NAMES, start=1):
        _check(strings.get(shdrs[index].sh_name) == name, f"section {index} name")
    text_phdr, got_phdr = phdrs
    _check(
        (text_phdr.p_type, text_phdr.p_flags, text_phdr.p_vaddr)
        == (SegmentType.PT_LOAD, SegmentFlags.PF_R | SegmentFlags.PF_X, TEXT_VADDR),
        "text segment",
    )
    _check(
        (got_phdr.p_type, got_phdr.p_flags, got_phdr.p_vaddr) == (SegmentType.PT_LOAD, SegmentFlags.PF_R, GOT_VADDR),
        "GOT segment",
    )
    for phdr, section in ((text_phdr, shdrs[TEXT]), (got_phdr, shdrs[GOT])):
        _check(
            (section.sh_offset, section.sh_addr, section.sh_size) == (phdr.p_offset, phdr.p_vaddr, phdr.p_filesz),
            "section does not match its segment",
        )
    symtab = shdrs[SYMTAB]
    _check(symtab.sh_link == 1 and symtab.sh_entsize == sym_size, ".symtab link/entsize")
    _check(symtab.sh_size % sym_size == 0 and 1 <= symtab.sh_info <= symtab.sh_size // sym_size, ".symtab size")
    producer = dwarf.read_producer(data, shdrs[DEBUG_INFO], shdrs[DEBUG_STR], dwarf64=layout.is_64)
    _check(producer == dwarf.PRODUCER, "producer")

    # symbols
    table_bytes = _slice(data, symtab.sh_offset, symtab.sh_size, ".symtab")
    entries = [layout.unpack_sym(table_bytes[i : i + sym_size]) for i in range(0, len(table_bytes), sym_size)]
    n_locals = symtab.sh_info
    symbols = SymbolTable(locals=entries[:n_locals], globals=[Symbol() for _ in entries[n_locals:]])
    _check(entries[0] == Symbol(), "symbol 0 is not null")
    symbols.global_free_list = list(reversed(range(len(symbols.globals))))
    reopened_globals: dict[bytes, tuple[int, int]] = {}
    for index, symbol in enumerate(entries[n_locals:]):
        if symbol.st_name != 0:
            reopened_globals.setdefault(strings.get(symbol.st_name), (index, symbol.st_name))
    # GOT
    got_section = shdrs[GOT]
    width = layout.ptr_size
    _check(got_section.sh_size % width == 0, ".got size")
    got_bytes = _slice(data, got_section.sh_offset, got_section.sh_size, ".got")
    got = GotTable(entry_size=width)
    got.entries = [int.from_bytes(got_bytes[i : i + width], "little") for i in range(0, len(got_bytes), width)]
    slot_of: dict[int, int] = {}
    for index, value in enumerate(got.entries):
        if value != 0:
            _check(value not in slot_of, "two GOT slots hold one address")
            slot_of[value] = index
    # live locals → blocks
    text_end = TEXT_VADDR + shdrs[TEXT].sh_size
    adoptable: dict[str, DeclState] = {}
    used_slots: set[int] = set()
    stale_locals: list[int] = []
    for index in range(1, n_locals):
        symbol = symbols.locals[index]
        if symbol == Symbol():
            symbols.local_free_list.append(index)
            continue
        if symbol.st_name == 0:  # allocated, never placed
            stale_locals.append(index)
            continue
        _check(symbol.st_shndx == TEXT, "local symbol outside .text")
        _check(symbol.st_value >= TEXT_VADDR and symbol.st_value + symbol.st_size <= text_end, "symbol range")
        slot = slot_of.get(symbol.st_value)
        _check(slot is not None, "live symbol without a GOT slot")
        assert slot is not None
        sym_name = strings.get(symbol.st_name).decode()
        _check(sym_name not in adoptable, "duplicate symbol name")
        used_slots.add(slot)
        block = TextBlock(vaddr=symbol.st_value, size=symbol.st_size, is_placed=True)
        adoptable[sym_name] = DeclState(local_sym_index=index, got_index=slot, block=block)
    blocks = TextBlockList(base_vaddr=TEXT_VADDR)
    ordered = sorted(adoptable.values(), key=lambda state: state.block.vaddr)
    previous: TextBlock | None = None
    for state in ordered:
        block = state.block
        if previous is None:
            blocks.first_text_block = block
        else:
            _check(previous.vaddr + previous.size <= block.vaddr and previous.vaddr < block.vaddr, "overlap")
            previous.next = block
            block.prev = previous
        previous = block
    blocks.last_text_block = previous
    blocks.free_list = [state.block for state in ordered if state.block.is_free_list_eligible()]

    # commit the reconstruction to the linker
    linker.image.data = bytearray(data)
    linker.image.tracking = True
    linker.needs_full_write = False
    linker.phdrs = phdrs
    linker.shdrs = shdrs
    linker.shdr_table_offset = e_shoff
    linker.phdr_table_offset = e_phoff
    linker.shstrtab = strings
    linker.shstrtab_file_size = len(strings.data)
    linker.symtab = symbols
    linker.symtab_local_count = n_locals
    linker.got = got
    linker.text = blocks
    linker.text_used_size_set = True
    linker.adoptable = adoptable
    linker.reopened_globals = reopened_globals
    linker.dirty.phdr_table_dirty = False
    linker.dirty.shdr_table_dirty = False
    linker.dirty.shstrtab_dirty = False
    linker.dirty.globals_dirty = True
    for index, value in enumerate(got.entries):
        if index not in used_slots:
            got.free_list.append(index)
            if value != 0:
                got.entries[index] = 0
                linker._write_got_entry(index)
    got.free_list.reverse()
    for index in stale_locals:
        symbols.free_local(index)
        linker._write_local_symbol(index)
    linker.dwarf.reset_after_reopen(linker)
