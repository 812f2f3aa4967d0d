"""Debug-section pieces: a decl's range in ``.debug_info`` or ``.debug_line`` and the offset-ordered list that
places them with the text-block rule (4/3 room, moved to the end when outgrown; elf-linker.md §14.3)."""

from __future__ import annotations

from typing import ClassVar

from compiler.link.elf.text_blocks import ideal
from compiler.record import record_repr


class Piece:
    """A decl's range in a debug section; pieces form an offset-ordered list."""

    offset: int
    length: int
    prev: Piece | None
    next: Piece | None
    is_placed: bool

    __slots__ = ("is_placed", "length", "next", "offset", "prev")
    __match_args__ = ("offset", "length", "prev", "next", "is_placed")

    def __init__(
        self,
        offset: int = 0,
        length: int = 0,
        prev: Piece | None = None,
        next: Piece | None = None,
        is_placed: bool = False,
    ) -> None:
        self.offset = offset
        self.length = length
        self.prev = prev
        self.next = next
        self.is_placed = is_placed

    def __repr__(self) -> str:
        return record_repr(self, ("offset", "length", "is_placed"))


class PieceList:
    """Offset-ordered pieces of one debug section, placed with the text-block rule (4/3 room)."""

    first_offset: int
    no_one_byte_gap: bool
    """``.debug_line`` cannot pad a single byte, so such a gap is never created."""
    first: Piece | None
    last: Piece | None

    __slots__ = ("first", "first_offset", "last", "no_one_byte_gap")

    def __init__(
        self, first_offset: int, no_one_byte_gap: bool, first: Piece | None = None, last: Piece | None = None
    ) -> None:
        self.first_offset = first_offset
        self.no_one_byte_gap = no_one_byte_gap
        self.first = first
        self.last = last

    def fits(self, piece: Piece, length: int) -> bool:
        if piece.next is None:
            return True
        gap = piece.next.offset - (piece.offset + length)
        return gap >= 0 and not (self.no_one_byte_gap and gap == 1)

    def place(self, piece: Piece, length: int) -> bool:
        """Give ``piece`` room for ``length`` bytes; True if it got a new offset (caller pads the old one)."""
        if piece.is_placed and self.fits(piece, length):
            piece.length = length
            return False
        if piece.is_placed:
            self.unlink(piece)
        last = self.last
        if last is None:
            offset = self.first_offset
        else:
            offset = last.offset + ideal(last.length)
            if self.no_one_byte_gap and offset - (last.offset + last.length) == 1:
                offset += 1
        piece.offset, piece.length, piece.is_placed = offset, length, True
        piece.prev, piece.next = last, None
        if last is None:
            self.first = piece
        else:
            last.next = piece
        self.last = piece
        return True

    def unlink(self, piece: Piece) -> None:
        prev, nxt = piece.prev, piece.next
        if prev is None:
            self.first = nxt
        else:
            prev.next = nxt
        if nxt is None:
            self.last = prev
        else:
            nxt.prev = prev
        piece.prev = piece.next = None
        piece.is_placed = False

    def end(self) -> int:
        return self.first_offset if self.last is None else self.last.offset + self.last.length


class DeclDebug:
    """A function's debug pieces (unplaced for data decls) and its current line; compared by identity (the
    linker's ``DeclState`` is one, one object per decl)."""

    info: Piece
    line: Piece
    fn_line: int
    line_epoch: int
    """How many of ``DwarfState.line_shifts`` ``fn_line`` (and its operand in the file) already includes."""

    __slots__ = ("fn_line", "info", "line", "line_epoch")
    __match_args__: ClassVar[tuple[str, ...]] = ("info", "line", "fn_line")

    def __init__(self, info: Piece | None = None, line: Piece | None = None, fn_line: int = 0) -> None:
        self.info = Piece() if info is None else info
        self.line = Piece() if line is None else line
        self.fn_line = fn_line
        self.line_epoch = 0

    def __repr__(self) -> str:
        return record_repr(self, ("info", "line", "fn_line"))
