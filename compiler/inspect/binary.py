"""Reads and checks an ELF file written by ZIR Live: sections, decl symbols, exports, GOT slots, source path.

Every offset and size is checked against the file before it is used, so a truncated or corrupted file gives
an ``InspectError`` with a one-line message, never an exception from deep inside. A file is accepted when it
is a little-endian ELF64 x86-64 executable or object whose DWARF producer is ZIR Live (docs/design/elf-linker.md
§3 fixes the sections this reader looks for by name).
"""

from __future__ import annotations

import bisect
import os
import stat
import struct
from array import array
from dataclasses import dataclass, field
from typing import NamedTuple

from compiler.link.elf.format import EHDR, ELF_MAGIC, SHDR, SYM, ElfType, Machine, SectionType

PRODUCER_PREFIX = b"ZIR Live"
"""``DW_AT_producer`` of every file ZIR Live writes starts with this (the version follows)."""
REQUIRED_SECTIONS = (".text", ".got", ".symtab", ".debug_str", ".debug_info", ".debug_line")
"""Sections every ZIR Live output has (found by name, not by index)."""
MAX_SECTIONS = 256
"""More section headers than this is not a ZIR Live file (it writes ten)."""
STT_OBJECT, STT_FUNC = 1, 2
STB_LOCAL = 0
CU_NAME_FIELD, CU_COMP_DIR_FIELD, CU_PRODUCER_FIELD = 48, 56, 64
"""Offsets of the compile unit's ``name``, ``comp_dir`` and ``producer`` ``strp`` fields in ``.debug_info``
(64-bit DWARF, docs/design/elf-linker.md §14.3)."""
CU_HEADER_END = 74


class InspectError(Exception):
    """The file cannot be inspected; the message is one line naming the reason."""


@dataclass(frozen=True, slots=True)
class Section:
    """One section header, with its name."""

    index: int
    name: str
    sh_type: int
    flags: int
    offset: int
    size: int
    address: int
    align: int
    entsize: int
    info: int = 0
    """``sh_info`` (for ``.symtab``: the index of the first global symbol)."""


class DeclSymbol(NamedTuple):
    """A decl's local symbol: its block in ``.text``."""

    name: str
    kind: str
    """``function`` (``STT_FUNC``) or ``data`` (``STT_OBJECT``)."""
    address: int
    size: int
    symbol_index: int


@dataclass(slots=True)
class Binary:
    """What ``read_binary`` found in the file; ``data`` is the whole file."""

    path: str
    data: bytes
    e_type: int
    entry: int
    phdr_offset: int
    phdr_size: int
    shdr_offset: int
    shdr_size: int
    sections: list[Section]
    got: array[int]
    """Slot values; 0 is a free slot."""
    source_path: str
    comp_dir: str
    producer: str
    symtab: Section
    names: tuple[int, int]
    """File range ``[start, end)`` of the string table the symbols' names are in."""
    _decls: list[DeclSymbol] | None = None
    _exports: list[tuple[str, int]] | None = None
    _by_name: dict[str, DeclSymbol] = field(default_factory=dict)
    _slot_of: dict[int, int] | None = None
    _addresses: list[int] = field(default_factory=list)
    _values: array[int] | None = None

    @property
    def decls(self) -> list[DeclSymbol]:
        """Every decl, sorted by address (all symbols are read and checked on first use)."""
        if self._decls is None:
            self._decls, self._exports = _symbols(self.data, self.symtab, *self.names, self.text)
        return self._decls

    @property
    def exports(self) -> list[tuple[str, int]]:
        """Global (and weak) symbols, and ``Internal`` exports once every symbol was read: ``(name, address)``."""
        if self._exports is None:
            self._exports = _globals(self.data, self.symtab, *self.names)
        return self._exports

    def section(self, name: str) -> Section:
        for section in self.sections:
            if section.name == name:
                return section
        raise InspectError(f"no {name} section")

    @property
    def text(self) -> Section:
        return self.section(".text")

    def decl(self, name: str) -> DeclSymbol | None:
        """The decl named ``name`` (a leading ``@`` is ignored); an export name finds its decl too. Before all
        symbols were read, the name is searched in the string table and its symbol in ``.symtab`` (C speed)."""
        name = name.removeprefix("@")
        if self._decls is None and not self._by_name:
            found = _find_local(self, name)
            if found is not None:
                return found
        if not self._by_name:
            self._by_name = {d.name: d for d in self.decls}
        found = self._by_name.get(name)
        if found is None:
            for export, address in self.exports:
                if export == name:
                    return next((d for d in self.decls if d.address == address), None)
        return found

    def capacity(self, decl: DeclSymbol) -> int:
        """Bytes from the decl's first byte to the next block (or the end of ``.text``): its size plus room."""
        text = self.text
        end = text.address + text.size
        if self._decls is not None:
            if not self._addresses:
                self._addresses = [d.address for d in self._decls]
            index = bisect.bisect_right(self._addresses, decl.address)
            if index < len(self._addresses):
                end = self._addresses[index]
        else:  # the smallest symbol value above the decl's address
            if self._values is None:
                table = array("Q")
                table.frombytes(self.data[self.symtab.offset : self.symtab.offset + self.symtab.size])
                self._values = table[1::3]  # st_value of each 24-byte entry
            end = min((v for v in self._values if v > decl.address), default=end)
        return max(end - decl.address, decl.size)

    def file_offset(self, address: int) -> int:
        """The file offset of a ``.text`` address."""
        text = self.text
        return text.offset + (address - text.address)

    def block_bytes(self, decl: DeclSymbol) -> bytes:
        """The decl's bytes (its symbol's size) from ``.text``."""
        text = self.text
        start = text.offset + (decl.address - text.address)
        return self.data[start : start + decl.size]

    def got_slot(self, address: int) -> int | None:
        """The GOT slot holding ``address`` (None when no slot does)."""
        if self._decls is None and self._slot_of is None:
            try:
                return self.got.index(address) if address else None
            except ValueError:
                return None
        if self._slot_of is None:
            self._slot_of = {}
            for index, value in enumerate(self.got):
                if value:
                    self._slot_of.setdefault(value, index)
        return self._slot_of.get(address)

    def source_file(self) -> str:
        """The root ``.zir`` file the binary was built from (``comp_dir`` joined with the compile unit's name)."""
        return os.path.join(self.comp_dir, self.source_path)

    def exports_of(self, address: int) -> list[str]:
        return [name for name, value in self.exports if value == address]


def read_file(path: str) -> Binary:
    """Read ``path`` and parse it (``InspectError`` if it cannot be read or is not a ZIR Live output)."""
    return parse(path, read_regular(path))


def read_regular(path: str) -> bytes:
    """The bytes of the regular file ``path``; ``InspectError`` for anything else. Opened with ``O_NONBLOCK`` and
    checked with ``fstat`` before reading, as every input is (docs/reliability.md): a FIFO hung ``zir objdump``
    in ``open`` and ``/dev/zero`` was read until memory ran out."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        raise InspectError(f"cannot read '{path}': {error.strerror or error}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InspectError(f"cannot read '{path}': not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as file:
            return file.read()
    except OSError as error:
        raise InspectError(f"cannot read '{path}': {error.strerror or error}") from None
    finally:
        os.close(fd)


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise InspectError(message)


def _c_string(data: bytes, start: int, end: int, what: str) -> str:
    """The NUL-terminated string at ``start`` that must end before ``end``."""
    _need(0 <= start < end <= len(data), f"{what} is outside its section")
    stop = data.find(b"\0", start, end)
    _need(stop >= 0, f"{what} is not terminated")
    return data[start:stop].decode("utf-8", "replace")


def parse(path: str, data: bytes) -> Binary:
    """Parse a ZIR Live output held in ``data`` (``path`` only names it)."""
    _need(len(data) >= 4 and data[:4] == ELF_MAGIC, "not an ELF file")
    _need(len(data) >= EHDR.size, "truncated ELF header")
    (
        ident,
        e_type,
        machine,
        _version,
        entry,
        phoff,
        shoff,
        _flags,
        _ehsize,
        phentsize,
        phnum,
        shentsize,
        shnum,
        shstrndx,
    ) = EHDR.unpack_from(data, 0)
    assert isinstance(ident, bytes)
    _need(ident[4] == 2 and ident[5] == 1, "not a little-endian 64-bit ELF file (ZIR Live writes ELF64 x86-64)")
    _need(machine == Machine.EM_X86_64, "not an x86-64 ELF file")
    _need(e_type != ElfType.ET_NONE, "the file is being written or a commit was interrupted (e_type is ET_NONE)")
    _need(e_type in (ElfType.ET_EXEC, ElfType.ET_REL), "not written by ZIR Live (neither ET_EXEC nor ET_REL)")
    _need(shentsize == SHDR.size and 0 < shnum <= MAX_SECTIONS, "unexpected section header table")
    _need(shoff > 0 and shoff + shnum * SHDR.size <= len(data), "section header table beyond end of file")
    _need(phnum == 0 or phentsize == 56, "unexpected program header size")
    _need(phoff + phnum * 56 <= len(data), "program header table beyond end of file")
    raw = [SHDR.unpack_from(data, shoff + i * SHDR.size) for i in range(shnum)]
    _need(shstrndx < shnum, "no section name table")
    names_header = raw[shstrndx]
    names_start, names_end = names_header[4], names_header[4] + names_header[5]
    _need(names_end <= len(data), "section name table beyond end of file")
    sections: list[Section] = []
    for index, (name, sh_type, flags, addr, offset, size, _link, info_field, align, entsize) in enumerate(raw):
        if index == 0:
            sections.append(Section(0, "", sh_type, flags, offset, size, addr, align, entsize))
            continue
        _need(offset + size <= len(data), f"section {index} beyond end of file")
        section_name = _c_string(data, names_start + name, names_end, f"name of section {index}")
        sections.append(Section(index, section_name, sh_type, flags, offset, size, addr, align, entsize, info_field))
    present = {s.name for s in sections}
    missing = [name for name in REQUIRED_SECTIONS if name not in present]
    _need(not missing, f"not written by ZIR Live (no {', '.join(missing)} section)")
    by_name = {s.name: s for s in sections}
    info, strings = by_name[".debug_info"], by_name[".debug_str"]
    _need(info.size >= CU_HEADER_END and strings.size > 0, "not written by ZIR Live (no DWARF compile unit)")
    dwarf_strings: list[str] = []
    for field_at in (CU_NAME_FIELD, CU_COMP_DIR_FIELD, CU_PRODUCER_FIELD):
        (strp,) = struct.unpack_from("<Q", data, info.offset + field_at)
        _need(strp < strings.size, "not written by ZIR Live (bad DWARF string reference)")
        dwarf_strings.append(_c_string(data, strings.offset + strp, strings.offset + strings.size, "a DWARF string"))
    source_path, comp_dir, producer = dwarf_strings
    _need(
        producer.encode().startswith(PRODUCER_PREFIX),
        f"not written by ZIR Live (DWARF producer is '{producer[:60]}')",
    )
    text = by_name[".text"]
    _need(text.sh_type == SectionType.SHT_PROGBITS, ".text is not PROGBITS")
    symtab = by_name[".symtab"]
    _need(symtab.sh_type == SectionType.SHT_SYMTAB and symtab.entsize == SYM.size, "unexpected .symtab")
    _need(symtab.size % SYM.size == 0, ".symtab size is not a multiple of its entry size")
    _need(symtab.info * SYM.size <= symtab.size, ".symtab's first global is beyond its end")
    got = by_name[".got"]
    _need(got.size % 8 == 0, ".got size is not a multiple of 8")
    slots = array("Q")
    slots.frombytes(data[got.offset : got.offset + got.size])
    return Binary(
        path=path,
        data=data,
        e_type=e_type,
        entry=entry,
        phdr_offset=phoff,
        phdr_size=phnum * 56,
        shdr_offset=shoff,
        shdr_size=shnum * SHDR.size,
        sections=sections,
        got=slots,
        source_path=source_path,
        comp_dir=comp_dir,
        producer=producer,
        symtab=symtab,
        names=(names_start, names_end),
    )


def _names(data: bytes, start: int, end: int) -> dict[int, str]:
    """Every string of a string table by its offset (one split, not one search per symbol)."""
    out: dict[int, str] = {}
    offset = 0
    for part in data[start:end].split(b"\0"):
        out[offset] = part.decode("utf-8", "replace")
        offset += len(part) + 1
    return out


def _symbols(
    data: bytes, symtab: Section, names_start: int, names_end: int, text: Section
) -> tuple[list[DeclSymbol], list[tuple[str, int]]]:
    """The decls (named local FUNC/OBJECT symbols in ``.text``) and the exports (global symbols, and a local
    symbol repeating an earlier local's block: an ``Internal`` export)."""
    table = data[symtab.offset : symtab.offset + symtab.size]
    names = _names(data, names_start, names_end)
    locals_: list[DeclSymbol] = []
    decls: list[DeclSymbol] = []
    exports: list[tuple[str, int]] = []
    text_start, text_end, text_index = text.address, text.address + text.size, text.index
    for index, (st_name, st_info, _other, shndx, value, size) in enumerate(SYM.iter_unpack(table)):
        sym_type = st_info & 0xF
        if st_name == 0 or index == 0 or (sym_type != STT_FUNC and sym_type != STT_OBJECT):
            continue
        name = names.get(st_name)
        if name is None:  # a name inside another string (not what ZIR Live writes, still valid ELF)
            name = _c_string(data, names_start + st_name, names_end, f"name of symbol {index}")
        if shndx != text_index or not (text_start <= value and value + size <= text_end):
            raise InspectError(f"symbol '{name}' lies outside .text")
        if st_info >> 4 == STB_LOCAL:
            locals_.append(DeclSymbol(name, "function" if sym_type == STT_FUNC else "data", value, size, index))
        else:
            exports.append((name, value))
    locals_.sort(key=lambda d: (d.address, d.symbol_index))
    previous: DeclSymbol | None = None
    for symbol in locals_:
        if previous is not None and previous.address == symbol.address and previous.size == symbol.size and symbol.size:
            exports.append((symbol.name, symbol.address))
        else:
            decls.append(symbol)
            previous = symbol
    return decls, exports


def _check_symbol(name: str, shndx: int, value: int, size: int, text: Section) -> None:
    if shndx != text.index or not (text.address <= value and value + size <= text.address + text.size):
        raise InspectError(f"symbol '{name}' lies outside .text")


def _globals(data: bytes, symtab: Section, names_start: int, names_end: int) -> list[tuple[str, int]]:
    """``(name, address)`` of the global symbols (those from ``sh_info`` on): the exports."""
    start = symtab.offset + symtab.info * SYM.size
    out: list[tuple[str, int]] = []
    for index, (st_name, st_info, _o, _shndx, value, _size) in enumerate(
        SYM.iter_unpack(data[start : symtab.offset + symtab.size]), start=symtab.info
    ):
        if st_name and st_info >> 4 != STB_LOCAL and st_info & 0xF in (STT_FUNC, STT_OBJECT):
            out.append((_c_string(data, names_start + st_name, names_end, f"name of symbol {index}"), value))
    return out


def _find_local(binary: Binary, name: str) -> DeclSymbol | None:
    """The decl symbol named ``name`` found without reading every symbol: the name's offsets in the string
    table, then the ``.symtab`` entries whose ``st_name`` is one of them (``bytes.find``, at C speed)."""
    data = binary.data
    names_start, names_end = binary.names
    symtab, text = binary.symtab, binary.text
    needle = b"\0" + name.encode("utf-8", "surrogateescape") + b"\0"
    found: list[DeclSymbol] = []
    at = data.find(needle, names_start, names_end)
    while at >= 0:
        pattern = struct.pack("<I", at + 1 - names_start)
        end = symtab.offset + min(symtab.info, symtab.size // SYM.size) * SYM.size
        hit = data.find(pattern, symtab.offset, end)
        while hit >= 0:
            if (hit - symtab.offset) % SYM.size == 0:
                index = (hit - symtab.offset) // SYM.size
                _n, st_info, _o, shndx, value, size = SYM.unpack_from(data, hit)
                kind = {STT_FUNC: "function", STT_OBJECT: "data"}.get(st_info & 0xF)
                if index and kind is not None:
                    _check_symbol(name, shndx, value, size, text)
                    found.append(DeclSymbol(name, kind, value, size, index))
            hit = data.find(pattern, hit + 1, end)
        at = data.find(needle, at + 1, names_end)
    return min(found, key=lambda d: d.symbol_index) if found else None
