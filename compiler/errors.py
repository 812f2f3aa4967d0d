"""Error values of the compiler: byte-offset messages and the exceptions that unwind after recording them."""

from __future__ import annotations

import enum

from compiler.record import frozen_delattr, frozen_setattr, record_repr


class ErrorKind(enum.Enum):
    """What a reported error is about, so that the edges can tell them apart without matching message text."""

    SOURCE = "source"
    """The program at a place in its text: a parse error, a decl's or an export's error."""
    FILE = "file"
    """The program as a whole, at no place in its text: the source file could not be loaded, ``no entry
    point found``, ``GOT overflows its address range``."""
    OUTPUT = "output"
    """The output file could not be written (``unable to write output '{path}': {error}``); the program
    itself is fine."""


class Note:
    """A related location of a compile error (the other definition, the other export), shown as ``note:``."""

    byte_offset: int
    msg: str

    __slots__ = ("byte_offset", "msg")
    __match_args__ = ("byte_offset", "msg")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, byte_offset: int, msg: str) -> None:
        object.__setattr__(self, "byte_offset", byte_offset)
        object.__setattr__(self, "msg", msg)

    def __repr__(self) -> str:
        return record_repr(self, ("byte_offset", "msg"))

    def __eq__(self, other: object) -> bool:
        if type(other) is Note:
            return (self.byte_offset, self.msg) == (other.byte_offset, other.msg)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.byte_offset, self.msg))


class ErrorMsg:
    """A compile error: an absolute byte offset into the source text and the exact message.

    The compiler never stores lines or columns; edges (CLI, language server) convert the offset.
    """

    byte_offset: int
    msg: str
    notes: tuple[Note, ...]
    """Related locations, absolute like ``byte_offset``; most errors have none."""

    __slots__ = ("byte_offset", "msg", "notes")
    __match_args__ = ("byte_offset", "msg", "notes")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, byte_offset: int, msg: str, notes: tuple[Note, ...] = ()) -> None:
        object.__setattr__(self, "byte_offset", byte_offset)
        object.__setattr__(self, "msg", msg)
        object.__setattr__(self, "notes", notes)

    def __repr__(self) -> str:
        return record_repr(self, ("byte_offset", "msg", "notes"))

    def __eq__(self, other: object) -> bool:
        if type(other) is ErrorMsg:
            return (self.byte_offset, self.msg, self.notes) == (other.byte_offset, other.msg, other.notes)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.byte_offset, self.msg, self.notes))


class AnalysisFail(Exception):
    """Raised after an analysis error has been recorded in the owner's table (or for a dependency failure).

    Carries no payload: the message already lives in ``failed_decls`` / ``failed_exports``.
    Caught only at the decl boundary (``ensure_decl_analyzed``, the work-queue loop).
    """


class CodegenFailure(Exception):
    """Raised by code generation with the error it hit; the Module records it in ``failed_decls``."""

    def __init__(self, error: ErrorMsg) -> None:
        super().__init__(error.msg)
        self.error = error


class OutputError(Exception):
    """An I/O failure of the output file (unwritable directory, disk full, ...), with Zig's error name."""

    def __init__(self, path: str, error_name: str, detail: str = "") -> None:
        super().__init__(f"{path}: {error_name}{': ' + detail if detail else ''}")
        self.path = path
        self.error_name = error_name
        self.detail = detail
