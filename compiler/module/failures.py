"""Stored compile errors: anchored positions and the ordered error list (module.md §2.6, §11, §12)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from compiler.errors import ErrorKind, ErrorMsg, Note

if TYPE_CHECKING:
    from compiler.module.decl import Decl
    from compiler.zir.ast import SourceDecl


@dataclass(frozen=True, slots=True)
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
    notes: tuple[AnchoredMsg, ...] = ()
    """Related locations, each anchored to its own decl."""

    def resolve(self) -> int:
        """The absolute offset in the current (last good) text."""
        a = self.anchor
        if a is None or a.destroyed:
            return self.absolute_at_creation
        return a.contents_start + self.offset

    def resolve_notes(self) -> tuple[Note, ...]:
        """The notes at their absolute offsets in the current (last good) text."""
        return tuple(Note(n.resolve(), n.msg) for n in self.notes)


@dataclass(frozen=True, slots=True)
class ReportedError:
    """One entry of ``all_errors()``: an absolute byte offset into ``text`` and the message."""

    byte_offset: int
    msg: str
    text: bytes
    """The source text the offset refers to."""
    notes: tuple[Note, ...] = ()
    """Related locations in ``text``."""
    kind: ErrorKind = ErrorKind.SOURCE
    """A program error, or the output file's."""


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
