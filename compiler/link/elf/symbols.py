"""Symbols and names in memory: local and global symbol tables with free lists, the append-only string table.

Placement in the file (offsets, moves, writes) belongs to the linker; this module only decides indices and
contents (elf-linker.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.link.elf.format import Symbol


@dataclass(slots=True)
class StringTable:
    """``.shstrtab``: section names and symbol names, append-only (strings are never reclaimed)."""

    data: bytearray = field(default_factory=lambda: bytearray(b"\0"))
    """Offset 0 is the empty string."""

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


@dataclass(slots=True)
class SymbolTable:
    """Local symbols (index 0 is the null symbol) and global symbols, each with a free list.

    In the file the locals come first, then the globals (elf-linker.md §7.1).
    """

    locals: list[Symbol] = field(default_factory=lambda: [Symbol()])
    """Local symbol ``i``; freed entries are all-zero and listed in ``local_free_list``."""
    local_free_list: list[int] = field(default_factory=list)
    """Freed local indices, reused last-in first-out."""
    globals: list[Symbol] = field(default_factory=list)
    """Global symbol ``j`` (file index ``len(locals) + j``); freed entries are all-zero."""
    global_free_list: list[int] = field(default_factory=list)
    """Freed global indices, reused last-in first-out."""

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
