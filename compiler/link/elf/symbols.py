"""Symbols and names in memory: local and global symbol tables with free lists, the append-only string table.

Placement in the file (offsets, moves, writes) belongs to the linker; this module only decides indices and
contents (elf-linker.md §7).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import Final

from compiler.link.elf.format import Symbol

_ENTRY: Final = struct.Struct("<IBBHQQ")
"""One symbol in a ``SymbolList``: the fields of an Elf64_Sym (ELF32's fit them too)."""


class SymbolList:
    """The local symbols, packed 24 bytes each in one ``bytearray`` (a ``Symbol`` object with its integers
    takes about 150 bytes, one per decl: docs/design/performance.md §9.3). Reading an entry builds its
    ``Symbol``; an entry changes only by assigning a new one (nothing mutates a ``Symbol`` in the table)."""

    __slots__ = ("_data",)

    _data: bytearray

    def __init__(self, symbols: Iterable[Symbol] = ()) -> None:
        self._data = bytearray()
        for symbol in symbols:
            self.append(symbol)

    def __len__(self) -> int:
        return len(self._data) // _ENTRY.size

    def _offset(self, index: int) -> int:
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("symbol index out of range")
        return index * _ENTRY.size

    def __getitem__(self, index: int) -> Symbol:
        return Symbol(*_ENTRY.unpack_from(self._data, self._offset(index)))

    def __setitem__(self, index: int, symbol: Symbol) -> None:
        _ENTRY.pack_into(
            self._data,
            self._offset(index),
            symbol.st_name,
            symbol.st_info,
            symbol.st_other,
            symbol.st_shndx,
            symbol.st_value,
            symbol.st_size,
        )

    def append(self, symbol: Symbol) -> None:
        self._data += _ENTRY.pack(
            symbol.st_name, symbol.st_info, symbol.st_other, symbol.st_shndx, symbol.st_value, symbol.st_size
        )

    def __iter__(self) -> Iterator[Symbol]:
        for fields in _ENTRY.iter_unpack(self._data):
            yield Symbol(*fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is SymbolList:
            return self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SymbolList({list(self)!r})"


class StringTable:
    """``.shstrtab``: section names and symbol names, append-only (strings are never reclaimed)."""

    data: bytearray
    """Offset 0 is the empty string."""

    __slots__ = ("data",)

    def __init__(self, data: bytearray | None = None) -> None:
        self.data = bytearray(b"\0") if data is None else data

    def make_string(self, text: bytes) -> int:
        """Append ``text`` and a NUL; return its offset."""
        offset = len(self.data)
        self.data += text
        self.data.append(0)
        return offset

    def get(self, offset: int) -> bytes:
        """The NUL-terminated string at ``offset``."""
        end = self.data.index(0, offset)
        return bytes(self.data[offset:end])

    def update_string(self, old_offset: int, text: bytes) -> int:
        """``old_offset`` if the string there is ``text``, otherwise a new string's offset."""
        end = old_offset + len(text)
        if end < len(self.data) and self.data[end] == 0 and self.data[old_offset:end] == text:
            return old_offset
        return self.make_string(text)


class SymbolTable:
    """Local symbols (index 0 is the null symbol) and global symbols, each with a free list.

    In the file the locals come first, then the globals (elf-linker.md §7.1).
    """

    locals: SymbolList
    """Local symbol ``i``; freed entries are all-zero and listed in ``local_free_list``."""
    local_free_list: list[int]
    """Freed local indices, reused last-in first-out."""
    globals: list[Symbol]
    """Global symbol ``j`` (file index ``len(locals) + j``); freed entries are all-zero."""
    global_free_list: list[int]
    """Freed global indices, reused last-in first-out."""

    __slots__ = ("global_free_list", "globals", "local_free_list", "locals")

    def __init__(
        self,
        locals: Iterable[Symbol] | None = None,
        local_free_list: list[int] | None = None,
        globals: list[Symbol] | None = None,
        global_free_list: list[int] | None = None,
    ) -> None:
        self.locals = SymbolList([Symbol()] if locals is None else locals)
        self.local_free_list = [] if local_free_list is None else local_free_list
        self.globals = [] if globals is None else globals
        self.global_free_list = [] if global_free_list is None else global_free_list

    def allocate_local(self) -> int:
        """A local index: a freed one if any, otherwise appended."""
        if self.local_free_list:
            return self.local_free_list.pop()
        self.locals.append(Symbol())
        return len(self.locals) - 1

    def free_local(self, index: int) -> None:
        """The entry becomes all zeros and its index is reused later."""
        self.locals[index] = Symbol()
        self.local_free_list.append(index)

    def allocate_global(self) -> int:
        """A global index: a freed one if any, otherwise appended."""
        if self.global_free_list:
            return self.global_free_list.pop()
        self.globals.append(Symbol())
        return len(self.globals) - 1

    def free_global(self, index: int) -> None:
        """The entry becomes all zeros and its index is reused later."""
        self.globals[index] = Symbol()
        self.global_free_list.append(index)

    def count(self) -> int:
        """Entries in ``.symtab`` (locals and globals, free ones included)."""
        return len(self.locals) + len(self.globals)
