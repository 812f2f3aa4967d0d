"""What the persistent compile cache records of an ElfLinker's decls, and restoring the debug pieces of a reopened
output from it (docs/design/performance.md §7).

Reopening (``reopen.read_output``) recovers symbols, GOT slots and text blocks from the file, but not where each
function's ``.debug_info`` entry and ``.debug_line`` program are: a plain reopen re-generates every function, so
its pieces are placed again from scratch. A restart that keeps a function's code must keep its pieces too, or a
later placement would overwrite them. The cache records them (with the placement) after a commit; the cache is
only trusted when the output's bytes are the ones that commit wrote, so the records describe the file exactly.
"""

from __future__ import annotations

from compiler.link import DeclIndex
from compiler.link.elf.layout import DEBUG_INFO, DEBUG_LINE, DeclState
from compiler.link.elf.linker import ElfLinker
from compiler.link.elf.pieces import Piece, PieceList
from compiler.record import frozen_delattr, frozen_setattr, record_repr


class Placement:
    """One decl's state in the output: its block, GOT slot, relocation count and debug pieces."""

    vaddr: int
    size: int
    got_index: int
    relocations: int
    info: tuple[int, int] | None
    """``.debug_info`` piece ``(offset, length)``, None when not placed (data decls)."""
    line: tuple[int, int] | None
    fn_line: int

    __slots__ = ("fn_line", "got_index", "info", "line", "relocations", "size", "vaddr")
    __match_args__ = ("vaddr", "size", "got_index", "relocations", "info", "line", "fn_line")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, vaddr: int, size: int, got_index: int, relocations: int, info: tuple[int, int] | None,
                 line: tuple[int, int] | None, fn_line: int) -> None:  # fmt: skip
        object.__setattr__(self, "vaddr", vaddr)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "got_index", got_index)
        object.__setattr__(self, "relocations", relocations)
        object.__setattr__(self, "info", info)
        object.__setattr__(self, "line", line)
        object.__setattr__(self, "fn_line", fn_line)

    def __repr__(self) -> str:
        return record_repr(self, ("vaddr", "size", "got_index", "relocations", "info", "line", "fn_line"))

    def __eq__(self, other: object) -> bool:
        if type(other) is Placement:
            return (self.vaddr, self.size, self.got_index, self.relocations, self.info, self.line, self.fn_line) == (
                other.vaddr,
                other.size,
                other.got_index,
                other.relocations,
                other.info,
                other.line,
                other.fn_line,
            )
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.vaddr, self.size, self.got_index, self.relocations, self.info, self.line, self.fn_line))

    def to_list(self) -> list[int]:
        info = self.info or (-1, 0)
        line = self.line or (-1, 0)
        return [self.vaddr, self.size, self.got_index, self.relocations, *info, *line, self.fn_line]

    @staticmethod
    def from_list(row: list[int]) -> Placement:
        vaddr, size, got_index, relocations, info_off, info_len, line_off, line_len, fn_line = row
        info = None if info_off < 0 else (info_off, info_len)
        line = None if line_off < 0 else (line_off, line_len)
        return Placement(vaddr, size, got_index, relocations, info, line, fn_line)


def placement_of(linker: ElfLinker, decl: DeclIndex) -> Placement | None:
    """``decl``'s placement now (after a commit), or None when it has no placed block."""
    state = linker.decls.get(decl)
    if state is None or not state.block.is_placed:
        return None
    debug = state.debug
    info = (debug.info.offset, debug.info.length) if debug.info.is_placed else None
    line = (debug.line.offset, debug.line.length) if debug.line.is_placed else None
    block = state.block
    return Placement(block.vaddr, block.size, state.got_index, len(state.relocations), info, line, debug.fn_line)


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
        block = adoptable[name].block
        if (block.vaddr, block.size) != (p.vaddr, p.size) or adoptable[name].got_index != p.got_index:
            return f"the placement of {name!r} differs from the output's"
        if p.info is not None:
            infos.append((*p.info, name))
        if p.line is not None:
            lines.append((*p.line, name))
    infos.sort()
    lines.sort()
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
        adoptable[name].debug.fn_line = p.fn_line
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
