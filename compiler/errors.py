"""Error values of the compiler: byte-offset messages and the exceptions that unwind after recording them."""

from __future__ import annotations

import enum
from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class Note:
    """A related location of a compile error (the other definition, the other export), shown as ``note:``."""

    byte_offset: int
    msg: str


@dataclass(frozen=True, slots=True)
class ErrorMsg:
    """A compile error: an absolute byte offset into the source text and the exact message.

    The compiler never stores lines or columns; edges (CLI, language server) convert the offset.
    """

    byte_offset: int
    msg: str
    notes: tuple[Note, ...] = ()
    """Related locations, absolute like ``byte_offset``; most errors have none."""


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
