"""Debug-section pieces: a decl's range in ``.debug_info`` or ``.debug_line`` and the offset-ordered list that
places them with the text-block rule (4/3 room, moved to the end when outgrown; elf-linker.md §14.3)."""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.link.elf.text_blocks import ideal


@dataclass(slots=True, eq=False)
class Piece:
    """A decl's range in a debug section; pieces form an offset-ordered list."""

    offset: int = 0
    length: int = 0
    prev: Piece | None = field(default=None, repr=False)
    next: Piece | None = field(default=None, repr=False)
    is_placed: bool = False


@dataclass(slots=True)
class PieceList:
    """Offset-ordered pieces of one debug section, placed with the text-block rule (4/3 room)."""

    first_offset: int
    no_one_byte_gap: bool
    """``.debug_line`` cannot pad a single byte, so such a gap is never created."""
    first: Piece | None = None
    last: Piece | None = None

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


@dataclass(slots=True)
class DeclDebug:
    """A function's debug pieces (unplaced for data decls) and its current line."""

    info: Piece = field(default_factory=Piece)
    line: Piece = field(default_factory=Piece)
    fn_line: int = 0
