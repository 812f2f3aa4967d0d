"""What the persistent compile cache records of an ElfLinker's decls, and restoring the debug pieces of a reopened
output from it (docs/design/performance.md §7).

Reopening (``reopen.read_output``) recovers symbols, GOT slots and text blocks from the file, but not where each
function's ``.debug_info`` entry and ``.debug_line`` program are: a plain reopen re-generates every function, so
its pieces are placed again from scratch. A restart that keeps a function's code must keep its pieces too, or a
later placement would overwrite them. The cache records them (with the placement) after a commit; the cache is
only trusted when the output's bytes are the ones that commit wrote, so the records describe the file exactly.
"""

from __future__ import annotations

from typing import Final

from compiler.link import DeclIndex
from compiler.link.elf.layout import DEBUG_INFO, DEBUG_LINE, DeclState
from compiler.link.elf.linker import ElfLinker
from compiler.link.elf.pieces import Piece, PieceList

Placement = list[int]
"""One decl's state in the output, as the cache stores it: ``[vaddr, size, got_index, relocations, info_offset,
info_length, line_offset, line_length, fn_line]`` — its block, GOT slot, relocation count, ``.debug_info`` and
``.debug_line`` pieces (offset -1 when not placed: data decls) and first line. A plain list: the cache file holds
ten thousands of them, read and written as they are."""
VADDR, SIZE, GOT_INDEX, RELOCATIONS, INFO_OFFSET, INFO_LENGTH, LINE_OFFSET, LINE_LENGTH, FN_LINE = range(9)
PLACEMENT_FIELDS: Final = 9


def placement_of(linker: ElfLinker, decl: DeclIndex) -> Placement | None:
    """``decl``'s placement now (after a commit), or None when it has no placed block."""
    state = linker.decls.get(decl)
    if state is None or not state.block.is_placed:
        return None
    debug = state.debug
    info, line, block = debug.info, debug.line, state.block
    return [
        block.vaddr,
        block.size,
        state.got_index,
        len(state.relocations),
        info.offset if info.is_placed else -1,
        info.length if info.is_placed else 0,
        line.offset if line.is_placed else -1,
        line.length if line.is_placed else 0,
        debug.fn_line,
    ]


def adopted_placement(linker: ElfLinker, decl: DeclIndex) -> tuple[int, int, int] | None:
    """``(vaddr, size, got_index)`` of ``decl``'s block as adopted from the reopened output, or None."""
    state = linker.decls.get(decl)
    if state is None or not state.block.is_placed:
        return None
    return state.block.vaddr, state.block.size, state.got_index


def reopened(linker: ElfLinker) -> bool:
    """The linker adopted an existing output (and has not flushed yet): its blocks are the file's."""
    return not linker.committer.needs_full_write and bool(linker.adoptable)


def restore_debug_pieces(linker: ElfLinker, placements: dict[str, Placement]) -> str | None:
    """Give every reopened function its recorded debug pieces, linked in offset order. Must run before the
    first ``allocate_decl``. Returns why the records do not describe the file (nothing changed then), or None."""
    adoptable = linker.adoptable
    if set(placements) != set(adoptable):
        return "its decls are not the output's symbols"
    infos: list[tuple[int, int, str]] = []
    lines: list[tuple[int, int, str]] = []
    for name, p in placements.items():
        state = adoptable[name]
        block = state.block
        if block.vaddr != p[VADDR] or block.size != p[SIZE] or state.got_index != p[GOT_INDEX]:
            return f"the placement of {name!r} differs from the output's"
        if p[INFO_OFFSET] >= 0:
            infos.append((p[INFO_OFFSET], p[INFO_LENGTH], name))
        if p[LINE_OFFSET] >= 0:
            lines.append((p[LINE_OFFSET], p[LINE_LENGTH], name))
    infos.sort()
    lines.sort()
    if lines:
        # The line header's room depends on the compile directory and the root path: a
        # build from another directory wants another room. The file's programs start where they start; the
        # header (root path only) is written up to the first of them, so no stale byte sits between (docs/design/elf-linker.md §14.5).
        first, room = lines[0][0], linker.dwarf.line_header_size()
        if first < room or first - room == 1:
            return "the debug line header no longer fits before the first function's line program (the source path is longer than in the cached build)"
        linker.dwarf.lines.first_offset = first
    shdrs = linker.shdrs
    for pieces, pl, section in ((infos, linker.dwarf.info, DEBUG_INFO), (lines, linker.dwarf.lines, DEBUG_LINE)):
        end = pl.first_offset
        for offset, length, _name in pieces:
            if offset < end or length <= 0:
                return "debug pieces overlap"
            end = offset + length
        if end > shdrs[section].sh_size:
            return "debug pieces beyond their section"
    for pieces, pl, is_info in ((infos, linker.dwarf.info, True), (lines, linker.dwarf.lines, False)):
        _link(pl, pieces, adoptable=adoptable, is_info=is_info)
    for name, p in placements.items():
        adoptable[name].debug.fn_line = p[FN_LINE]
    return None


def _link(pl: PieceList, pieces: list[tuple[int, int, str]], *, adoptable: dict[str, DeclState], is_info: bool) -> None:
    previous: Piece | None = None
    for offset, length, name in pieces:
        debug = adoptable[name].debug
        piece = debug.info if is_info else debug.line
        piece.offset, piece.length, piece.is_placed = offset, length, True
        piece.prev, piece.next = previous, None
        if previous is None:
            pl.first = piece
        else:
            previous.next = piece
        previous = piece
    pl.last = previous
