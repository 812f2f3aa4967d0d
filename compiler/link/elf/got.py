"""The global offset table: slot allocation with a free list, slot values, slot addresses (elf-linker.md §6)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Final

from compiler.link import GOT_VADDR, GotOverflow

GOT_ADDRESS_RANGE: Final = 0x8000000 - GOT_VADDR
"""The GOT's virtual range ``[0x4000000, 0x8000000)``: room for 8 388 608 eight-byte slots."""


class GotTable:
    """The GOT in memory. Slot ``i`` holds the current address of the decl whose GOT index is ``i``
    (0 for a free or not-yet-placed slot)."""

    entry_size: int
    """8 for ELF64, 4 for ELF32."""
    entries: array[int]
    """Slot values, indexed by GOT index."""
    free_list: list[int]
    """Freed slot indices, reused last-in first-out."""
    count_dirty: bool
    """A slot was appended: ``.got``'s size must be recomputed before the next slot write."""

    __slots__ = ("count_dirty", "entries", "entry_size", "free_list")

    def __init__(
        self,
        entry_size: int = 8,
        entries: Iterable[int] | None = None,
        free_list: list[int] | None = None,
        count_dirty: bool = False,
    ) -> None:
        self.entry_size = entry_size
        self.entries = array(
            "Q", () if entries is None else entries
        )  # no int object per slot: docs/design/performance.md §9.3
        self.free_list = [] if free_list is None else free_list
        self.count_dirty = count_dirty

    def allocate(self) -> int:
        """A slot index: a freed one if any, otherwise a new one at the end (marks the count dirty)."""
        if self.free_list:
            return self.free_list.pop()
        if (len(self.entries) + 1) * self.entry_size > GOT_ADDRESS_RANGE:
            raise GotOverflow("GOT overflows its address range")
        self.entries.append(0)
        self.count_dirty = True
        return len(self.entries) - 1

    def free(self, index: int) -> None:
        """Release slot ``index``: its value becomes 0 and it goes to the free list."""
        self.entries[index] = 0
        self.free_list.append(index)

    def address(self, index: int) -> int:
        """The virtual address of slot ``index``."""
        return GOT_VADDR + self.entry_size * index

    def size(self) -> int:
        """Bytes used by all slots (free ones included)."""
        return len(self.entries) * self.entry_size
