"""Text blocks in virtual-address space: the address-ordered block list, its free list, the capacity policy.

Pure placement policy (elf-linker.md §5): no file I/O. The ELF linker and the null linker both use it, so
both hand out the same addresses for the same sequence of calls.
"""

from __future__ import annotations

from typing import Final

from compiler.link.elf.format import align_backward, align_forward
from compiler.record import record_repr

IDEAL_NUM: Final = 4
"""A block wants 4/3 of its size as room to grow in place (Zig's ``alloc_num``)."""
IDEAL_DEN: Final = 3
"""Denominator of the ideal-capacity factor."""
MIN_TEXT_BLOCK: Final = 64
"""The smallest block worth creating from surplus space (Zig's ``minimum_text_block_size``)."""
ADDRESS_LIMIT: Final = 2**32 - 1
"""Addresses stay below 2^32 (code refers to GOT slots with absolute 32-bit addresses)."""


def ideal(size: int) -> int:
    """The room a block of ``size`` bytes wants: ``size * 4 // 3``, at least 1 so that no two blocks share
    an address (an empty Naked function has 0 bytes)."""
    return max(1, size * IDEAL_NUM // IDEAL_DEN)


MIN_TEXT_CAPACITY: Final = ideal(MIN_TEXT_BLOCK)
"""85: the smallest surplus worth putting on the free list (a minimum block at its ideal capacity)."""


class TextBlock:
    """A decl's piece of ``.text``. ``vaddr``/``size`` mirror its local symbol's ``st_value``/``st_size``.

    ``prev``/``next`` link the placed blocks in address order; an unplaced block has ``is_placed`` False.
    """

    vaddr: int
    size: int
    prev: TextBlock | None
    next: TextBlock | None
    is_placed: bool
    """True once the block has been given an address (it then stays linked until freed)."""

    __slots__ = ("is_placed", "next", "prev", "size", "vaddr")
    __match_args__ = ("vaddr", "size", "prev", "next", "is_placed")

    def __init__(
        self,
        vaddr: int = 0,
        size: int = 0,
        prev: TextBlock | None = None,
        next: TextBlock | None = None,
        is_placed: bool = False,
    ) -> None:
        self.vaddr = vaddr
        self.size = size
        self.prev = prev
        self.next = next
        self.is_placed = is_placed

    def __repr__(self) -> str:
        return record_repr(self, ("vaddr", "size", "is_placed"))

    def capacity(self) -> int:
        """Bytes from this block's start to the next block's start (unbounded for the last block)."""
        if self.next is not None:
            return self.next.vaddr - self.vaddr
        return ADDRESS_LIMIT - self.vaddr

    def surplus(self) -> int:
        """``capacity − ideal(size)``; may be negative."""
        return self.capacity() - ideal(self.size)

    def is_free_list_eligible(self) -> bool:
        """A block with a successor and at least ``MIN_TEXT_CAPACITY`` bytes of surplus."""
        return self.next is not None and self.surplus() >= MIN_TEXT_CAPACITY


class TextBlockList:
    """The placed blocks of ``.text``: first/last block and the free list (elf-linker.md §5)."""

    base_vaddr: int
    """``p_vaddr`` of the text program header: where the first block goes."""
    last_text_block: TextBlock | None
    """The placed block with the highest address; ``.text`` ends at its end."""
    first_text_block: TextBlock | None
    """The placed block with the lowest address."""
    free_list: list[TextBlock]
    """Blocks with surplus room (a heuristic: unordered, first fit, pruned lazily)."""

    __slots__ = ("base_vaddr", "first_text_block", "free_list", "last_text_block")

    def __init__(
        self,
        base_vaddr: int,
        last_text_block: TextBlock | None = None,
        first_text_block: TextBlock | None = None,
        free_list: list[TextBlock] | None = None,
    ) -> None:
        self.base_vaddr = base_vaddr
        self.last_text_block = last_text_block
        self.first_text_block = first_text_block
        self.free_list = [] if free_list is None else free_list

    def allocate(self, block: TextBlock, size: int, align: int) -> int:
        """Give ``block`` a new address for ``size`` bytes (elf-linker.md §5.2) and return it.

        If the block was placed, its old space is freed (§5.4) after the new place is chosen.
        """
        free_list = self.free_list
        if block.is_placed and block is self.last_text_block:
            # Moving the last block (only when unaligned): free first so it is not placed after itself.
            self.free(block)
        prev: TextBlock | None = None
        start = 0
        found = False
        index = 0
        while index < len(free_list):
            big = free_list[index]
            if big is block:
                index += 1
                continue
            if big.next is None:
                # Became the last block after joining the list: its "capacity" is the rest of the address
                # space, and placing at its tail would put a block near 4 GiB. Never eligible; drop it.
                free_list.pop(index)
                continue
            cap = big.capacity()
            big_ideal_end = big.vaddr + ideal(big.size)
            start = align_backward(big.vaddr + cap - ideal(size), align)
            if start < big_ideal_end:
                if not big.is_free_list_eligible():
                    free_list.pop(index)
                    continue
                index += 1
                continue
            prev = big
            found = True
            if start - big_ideal_end < MIN_TEXT_CAPACITY:
                free_list.pop(index)
            break
        if not found:
            last = self.last_text_block
            if last is not None:
                start = align_forward(last.vaddr + ideal(last.size), align)
                prev = last
            else:
                start = align_forward(self.base_vaddr, align)
                prev = None
        if block.is_placed:
            self.free(block)
        block.vaddr = start
        block.size = size
        block.is_placed = True
        self._link_after(block, prev)
        return start

    def _link_after(self, block: TextBlock, prev: TextBlock | None) -> None:
        if prev is None:
            block.prev = None
            block.next = self.first_text_block
            if self.first_text_block is not None:
                self.first_text_block.prev = block
            self.first_text_block = block
        else:
            block.prev = prev
            block.next = prev.next
            if prev.next is not None:
                prev.next.prev = block
            prev.next = block
        if block.next is None:
            self.last_text_block = block

    def grow(self, block: TextBlock, size: int, align: int) -> bool:
        """Make room for ``size`` bytes; True if the block stays in place, False if it moved (§5.3)."""
        if block.vaddr % max(align, 1) == 0 and size <= block.capacity():
            block.size = size
            return True
        self.allocate(block, size, align)
        return False

    def shrink(self, block: TextBlock, size: int) -> None:
        """The block keeps its place with fewer bytes; it joins the free list if now eligible (§5.3)."""
        block.size = size
        if block.is_free_list_eligible() and block not in self.free_list:
            self.free_list.append(block)

    def free(self, block: TextBlock) -> None:
        """Unlink ``block``; its predecessor inherits the space and may join the free list (§5.4)."""
        free_list = self.free_list
        if block in free_list:
            free_list.remove(block)
        prev, nxt = block.prev, block.next
        if prev is not None:
            prev.next = nxt
        else:
            self.first_text_block = nxt
        if nxt is not None:
            nxt.prev = prev
        if self.last_text_block is block:
            self.last_text_block = prev
        block.prev = None
        block.next = None
        block.is_placed = False
        if prev is not None and prev.is_free_list_eligible() and prev not in free_list:
            free_list.append(prev)

    def used_end(self) -> int:
        """The end address of the last block (``base_vaddr`` when empty)."""
        last = self.last_text_block
        if last is None:
            return self.base_vaddr
        return last.vaddr + last.size
