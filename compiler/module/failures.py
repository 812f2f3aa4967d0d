"""Stored compile errors: anchored positions and the ordered error list (module.md §2.6, §11, §12)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from compiler.errors import ErrorKind, ErrorMsg, Note
from compiler.record import frozen_delattr, frozen_setattr, record_eq, record_hash, record_repr

if TYPE_CHECKING:
    from compiler.module.decl import Decl
    from compiler.zir.ast import SourceDecl


_ANCHORED_MSG_FIELDS: Final = ("anchor", "offset", "msg", "absolute_at_creation", "notes")


class AnchoredMsg:
    """A stored message whose position is relative to ``anchor``'s ``contents_start`` (or absolute).

    An error follows its code when lines are inserted above it, without re-analysis (module.md §2.6).
    """

    anchor: Decl | None
    """The source decl whose span contained the offset; None when the offset is outside every span."""
    offset: int
    """Relative to ``anchor.contents_start`` when anchored, else absolute."""
    msg: str
    absolute_at_creation: int
    """The absolute offset when stored (used if the anchor disappeared)."""
    notes: tuple[AnchoredMsg, ...]
    """Related locations, each anchored to its own decl."""

    __slots__ = ("absolute_at_creation", "anchor", "msg", "notes", "offset")
    __match_args__ = ("anchor", "offset", "msg", "absolute_at_creation", "notes")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self, anchor: Decl | None, offset: int, msg: str, absolute_at_creation: int, notes: tuple[AnchoredMsg, ...] = ()
    ) -> None:
        object.__setattr__(self, "anchor", anchor)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "msg", msg)
        object.__setattr__(self, "absolute_at_creation", absolute_at_creation)
        object.__setattr__(self, "notes", notes)

    def __repr__(self) -> str:
        return record_repr(self, _ANCHORED_MSG_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _ANCHORED_MSG_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _ANCHORED_MSG_FIELDS)

    def resolve(self) -> int:
        """The absolute offset in the current (last good) text."""
        a = self.anchor
        if a is None or a.destroyed:
            return self.absolute_at_creation
        return a.contents_start + self.offset

    def resolve_notes(self) -> tuple[Note, ...]:
        """The notes at their absolute offsets in the current (last good) text."""
        return tuple(Note(n.resolve(), n.msg) for n in self.notes)


_REPORTED_ERROR_FIELDS: Final = ("byte_offset", "msg", "text", "notes", "kind")


class ReportedError:
    """One entry of ``all_errors()``: an absolute byte offset into ``text`` and the message."""

    byte_offset: int
    msg: str
    text: bytes
    """The source text the offset refers to."""
    notes: tuple[Note, ...]
    """Related locations in ``text``."""
    kind: ErrorKind
    """A program error, or the output file's."""

    __slots__ = ("byte_offset", "kind", "msg", "notes", "text")
    __match_args__ = ("byte_offset", "msg", "text", "notes", "kind")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self, byte_offset: int, msg: str, text: bytes, notes: tuple[Note, ...] = (), kind: ErrorKind = ErrorKind.SOURCE
    ) -> None:
        object.__setattr__(self, "byte_offset", byte_offset)
        object.__setattr__(self, "msg", msg)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "notes", notes)
        object.__setattr__(self, "kind", kind)

    def __repr__(self) -> str:
        return record_repr(self, _REPORTED_ERROR_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _REPORTED_ERROR_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _REPORTED_ERROR_FIELDS)


def span_index(decls: Sequence[SourceDecl], offset: int) -> int | None:
    """Index of the source decl whose span (its '@' up to the next decl's '@' or EOF) holds ``offset``."""
    if not decls:
        return None
    i = bisect.bisect_right(decls, offset, key=_name_offset) - 1
    if i < 0:
        return None
    return i


def _name_offset(sd: SourceDecl) -> int:
    return sd.name_offset


def sort_key(msg: ErrorMsg) -> tuple[int, str]:
    """Errors of failed_decls / failed_exports are listed by (offset, message) (module.md §12.1)."""
    return (msg.byte_offset, msg.msg)
