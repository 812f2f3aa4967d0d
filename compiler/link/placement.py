"""The one placement policy of both linkers: where a decl's block goes in ``.text`` and which exports are refused.

``ElfLinker`` and ``NullLinker`` both call these functions, so the editor tier (no output file) and a build
hand out the same GOT slots and block addresses for the same sequence of calls, and so generate identical
code (elf-linker.md §5, §6; architecture.md §4).
"""

from __future__ import annotations

import enum

from compiler.errors import ErrorMsg
from compiler.link import ExportFailure, ExportRequest, Linkage
from compiler.link.elf.text_blocks import TextBlock, TextBlockList


class Placed(enum.Enum):
    """What ``place_block`` did to a block."""

    NEW = "new"
    """The block had no address and got one."""
    MOVED = "moved"
    """The block was placed but the new size (or alignment) did not fit: it got a new address."""
    IN_PLACE = "in_place"
    """The block kept its address (grown into its room, or shrunk)."""


def place_block(blocks: TextBlockList, block: TextBlock, size: int, alignment: int) -> Placed:
    """Give ``block`` room for ``size`` bytes aligned to ``alignment`` (elf-linker.md §5.3, §5.5): in place
    when it fits its capacity and alignment, otherwise at a new address (``TextBlockList.allocate``)."""
    align = max(alignment, 1)
    if not block.is_placed:
        blocks.allocate(block, size, align)
        return Placed.NEW
    if block.vaddr % align != 0 or size > block.capacity():
        blocks.allocate(block, size, align)
        return Placed.MOVED
    if size < block.size:
        blocks.shrink(block, size)
    else:
        block.size = size
    return Placed.IN_PLACE


def export_refusal(request: ExportRequest) -> ExportFailure | None:
    """The failure of an export no linker can make (another section, ``LinkOnce`` linkage), or None."""
    if request.section is not None and request.section != b".text":
        return ExportFailure(request.export_id, ErrorMsg(0, "Unimplemented: ExportOptions.section"))
    if request.linkage is Linkage.LINK_ONCE:
        return ExportFailure(request.export_id, ErrorMsg(0, "Unimplemented: GlobalLinkage.LinkOnce"))
    return None
