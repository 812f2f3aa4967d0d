"""Reading an existing output back (§13.2): a pure reader from the file's bytes to the linker state it encodes.

``read_output(data, layout, mode)`` checks that ``data`` is a file this linker would have written (same
layout, class, machine, producer; not an interrupted commit marked ``ET_NONE``; consistent symbols) and
returns the section table, symbols, GOT and text blocks it describes, or raises ``NotOurOutput``. It does no
I/O and changes nothing: the linker adopts the result (``ElfLinker``), or describes a fresh file that the
first commit writes whole.
"""

from __future__ import annotations

import struct
import sys
from array import array

from compiler.link import GOT_VADDR, TEXT_VADDR, OutputMode
from compiler.link.elf import dwarf
from compiler.link.elf.format import (
    ELF_MAGIC,
    SYM,
    ElfData,
    ElfLayout,
    ElfType,
    ProgramHeader,
    SectionHeader,
    SegmentFlags,
    SegmentType,
    Symbol,
)
from compiler.link.elf.got import GotTable
from compiler.link.elf.layout import DEBUG_INFO, DEBUG_STR, EXPECTED_TYPES, GOT, SECTION_NAMES, SYMTAB, TEXT, DeclState
from compiler.link.elf.symbols import StringTable, SymbolTable
from compiler.link.elf.text_blocks import TextBlock, TextBlockList


class NotOurOutput(ValueError):
    """The bytes are not a file this linker can continue (the message says which check failed)."""


class Reopened:
    """The linker state an existing output encodes, as ``read_output`` found it."""

    phdrs: list[ProgramHeader]
    shdrs: list[SectionHeader]
    shdr_table_offset: int
    phdr_table_offset: int
    strings: StringTable
    """``.shstrtab`` as in the file."""
    symtab: SymbolTable
    """Locals as in the file (stale ones freed); globals all free, to be re-created by name."""
    local_count: int
    """``.symtab``'s ``sh_info``: the local count the file's layout reflects."""
    got: GotTable
    """Slots of live symbols keep their values; the others are free (and zero)."""
    text: TextBlockList
    """The blocks of the live symbols, linked in address order, with their free list."""
    adoptable: dict[str, DeclState]
    """Live locals by symbol name: what ``allocate_decl`` of a decl of that name adopts."""
    reopened_globals: dict[bytes, tuple[int, int]]
    """Global symbols by name: ``(global index, st_name)``, reused by the export of the same name."""
    cleared_got_slots: list[int]
    """Slots that held an address no live symbol has: zero in ``got``, still nonzero in the file."""
    cleared_locals: list[int]
    """Locals allocated but never placed: free in ``symtab``, still nonzero in the file."""

    __slots__ = (
        "adoptable",
        "cleared_got_slots",
        "cleared_locals",
        "got",
        "local_count",
        "phdr_table_offset",
        "phdrs",
        "reopened_globals",
        "shdr_table_offset",
        "shdrs",
        "strings",
        "symtab",
        "text",
    )

    def __init__(
        self,
        phdrs: list[ProgramHeader],
        shdrs: list[SectionHeader],
        shdr_table_offset: int,
        phdr_table_offset: int,
        strings: StringTable,
        symtab: SymbolTable,
        local_count: int,
        got: GotTable,
        text: TextBlockList,
        adoptable: dict[str, DeclState],
        reopened_globals: dict[bytes, tuple[int, int]],
        cleared_got_slots: list[int],
        cleared_locals: list[int],
    ) -> None:
        self.phdrs = phdrs
        self.shdrs = shdrs
        self.shdr_table_offset = shdr_table_offset
        self.phdr_table_offset = phdr_table_offset
        self.strings = strings
        self.symtab = symtab
        self.local_count = local_count
        self.got = got
        self.text = text
        self.adoptable = adoptable
        self.reopened_globals = reopened_globals
        self.cleared_got_slots = cleared_got_slots
        self.cleared_locals = cleared_locals


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise NotOurOutput(what)


def _slice(data: bytes, offset: int, size: int, what: str) -> bytes:
    _check(offset >= 0 and offset + size <= len(data), f"{what} beyond end of file")
    return data[offset : offset + size]


def read_output(data: bytes, layout: ElfLayout, mode: OutputMode) -> Reopened:
    """The linker state ``data`` (a whole output file) encodes; ``NotOurOutput`` if it is not one this linker
    (with this ``layout`` and ``mode``) would have written."""
    try:
        return _read(data, layout, mode)
    except NotOurOutput:
        raise
    except (struct.error, ValueError) as error:  # a truncated structure, a field out of range
        raise NotOurOutput(str(error)) from error


def _read(data: bytes, layout: ElfLayout, mode: OutputMode) -> Reopened:
    ident = _slice(data, 0, 16, "e_ident")
    _check(ident[:4] == ELF_MAGIC, "not ELF")
    _check(ident[4] == layout.elf_class and ident[5] == ElfData.ELFDATA2LSB, "other class or byte order")
    header = layout.unpack_ehdr(_slice(data, 0, layout.ehdr_size, "ELF header"))
    e_type, e_machine, _version, _entry, e_phoff, e_shoff = (int(v) for v in header[1:7])
    e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx = (int(v) for v in header[8:])
    _check(e_machine == layout.machine, "other machine")
    wanted = ElfType.ET_EXEC if mode is OutputMode.EXE else ElfType.ET_REL
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
    if layout.is_64:  # one C pass over the table (a restart reads ten thousands of symbols)
        entries = [Symbol(*fields) for fields in SYM.iter_unpack(table_bytes)]
    else:
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
    if width == 8 and sys.byteorder == "little":
        got.entries = array("Q", got_bytes)  # the file's little-endian 8-byte words, as they are
    else:
        got.entries = array(
            "Q", (int.from_bytes(got_bytes[i : i + width], "little") for i in range(0, len(got_bytes), width))
        )
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
        symbol = entries[index]  # what ``symbols.locals[index]`` holds, without unpacking it again
        if (
            not symbol.st_name
            and not symbol.st_value
            and not symbol.st_size
            and not symbol.st_info
            and not symbol.st_other
            and not symbol.st_shndx
        ):  # the null symbol: a free slot
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
        sym_name = strings.get(symbol.st_name).decode("utf-8", "surrogateescape")
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

    cleared_got_slots: list[int] = []
    for index, value in enumerate(got.entries):
        if index not in used_slots:
            got.free_list.append(index)
            if value != 0:
                got.entries[index] = 0
                cleared_got_slots.append(index)
    got.free_list.reverse()
    for index in stale_locals:
        symbols.free_local(index)
    return Reopened(
        phdrs=phdrs,
        shdrs=shdrs,
        shdr_table_offset=e_shoff,
        phdr_table_offset=e_phoff,
        strings=strings,
        symtab=symbols,
        local_count=n_locals,
        got=got,
        text=blocks,
        adoptable=adoptable,
        reopened_globals=reopened_globals,
        cleared_got_slots=cleared_got_slots,
        cleared_locals=stale_locals,
    )
