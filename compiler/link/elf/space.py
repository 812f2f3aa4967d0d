"""File-space allocation in an ELF file: collision detection, free space, allocated size (elf-linker.md §4).

Every region is given ``padded(size) = size * 4 // 3`` bytes of room, so that it can grow in place; a region
that outgrows its room moves to free space (found by ``find_free_space``) and its bytes are copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from compiler.link.elf.format import align_forward

ALLOC_NUM: Final = 4
"""Numerator of the padding factor: every region reserves 4/3 of its size (Zig's ``alloc_num``)."""
ALLOC_DEN: Final = 3
"""Denominator of the padding factor (Zig's ``alloc_den``)."""

Region = tuple[int, int]
"""``(file_offset, size)`` of a described region; its room is ``[offset, offset + padded(size))``."""


def padded(size: int) -> int:
    """The room a region of ``size`` bytes reserves."""
    return size * ALLOC_NUM // ALLOC_DEN


def detect_alloc_collision(start: int, size: int, header_size: int, regions: Sequence[Region]) -> int | None:
    """The end of the first region that ``[start, start + padded(size))`` overlaps, or None.

    ``regions`` are checked in the order given (section header table, program header table, sections,
    program headers); the ELF header ``[0, header_size)`` is checked first.
    """
    end = start + padded(size)
    if start < header_size:
        return header_size
    for offset, region_size in regions:
        region_end = offset + padded(region_size)
        if end > offset and start < region_end:
            return region_end
    return None


def find_free_space(size: int, align: int, header_size: int, regions: Sequence[Region]) -> int:
    """The first ``align``-aligned offset whose padded room collides with nothing."""
    start = 0
    while True:
        collision_end = detect_alloc_collision(start, size, header_size, regions)
        if collision_end is None:
            return start
        start = align_forward(collision_end, align)


def allocated_size(start: int, starts: Sequence[int]) -> int | None:
    """The room at ``start``: distance to the nearest region start beyond it; None if unbounded; 0 at 0."""
    if start == 0:
        return 0
    nearest: int | None = None
    for offset in starts:
        if offset > start and (nearest is None or offset < nearest):
            nearest = offset
    if nearest is None:
        return None
    return nearest - start


def fits(needed: int, start: int, starts: Sequence[int]) -> bool:
    """Whether ``needed`` bytes fit in the room at ``start``."""
    room = allocated_size(start, starts)
    return room is None or needed <= room
