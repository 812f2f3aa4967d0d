"""Compile errors as people read them: the error line, its source line, a caret under the span, notes, a count.

The first line of every diagnostic is the machine-readable ``PATH:LINE:COL: error: MSG`` (byte column,
1-based). The snippet below it is drawn in display cells: a tab is four cells, a wide (East Asian) character
two, a combining mark none, a byte that is not UTF-8 one replacement character, a control character its
control picture, and a CR before the line's end nothing, so the caret stays under the span whatever the line
holds. Colour is plain SGR (bold red ``error:``, bold cyan ``note:``, bold green caret).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from typing import TextIO

from compiler.errors import ErrorKind
from compiler.record import frozen_delattr, frozen_setattr, record_eq, record_hash, record_repr

TAB_WIDTH = 4


class ColorChoice(enum.Enum):
    """``--color auto|always|never``."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


class Style:
    """How diagnostics are drawn: with snippets and the count (for people) and/or with colour."""

    snippets: bool
    color: bool

    __slots__ = ("color", "snippets")
    __match_args__ = ("snippets", "color")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, snippets: bool, color: bool) -> None:
        object.__setattr__(self, "snippets", snippets)
        object.__setattr__(self, "color", color)

    def __repr__(self) -> str:
        return record_repr(self, ("snippets", "color"))

    def __eq__(self, other: object) -> bool:
        if type(other) is Style:
            return (self.snippets, self.color) == (other.snippets, other.color)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.snippets, self.color))


def choose_style(choice: ColorChoice, stream: TextIO, environ: dict[str, str] | None = None) -> Style:
    """Snippets on a terminal (or when colour is forced); colour on a terminal unless ``NO_COLOR`` is set.

    Piped output stays the bare ``PATH:LINE:COL: error: MSG`` lines, the contract scripts rely on.
    """
    env = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    tty = bool(isatty is not None and isatty())
    match choice:
        case ColorChoice.ALWAYS:
            return Style(snippets=True, color=True)
        case ColorChoice.NEVER:
            return Style(snippets=tty, color=False)
        case ColorChoice.AUTO:
            no_color = env.get("NO_COLOR", "") != ""
            return Style(snippets=tty, color=tty and not no_color and env.get("TERM") != "dumb")


_LOCATED_FIELDS = ("path", "text", "byte_offset", "severity", "message", "has_location")


class Located:
    """One message to draw: where (absolute byte offset into ``text``), the severity word, the text."""

    path: str
    text: bytes
    byte_offset: int
    severity: str
    """``error`` or ``note``."""
    message: str
    has_location: bool
    """False for an error about the file or the output as a whole (``ErrorKind`` other than ``SOURCE``):
    no source line is shown for it."""

    __slots__ = ("byte_offset", "has_location", "message", "path", "severity", "text")
    __match_args__ = ("path", "text", "byte_offset", "severity", "message", "has_location")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self, path: str, text: bytes, byte_offset: int, severity: str, message: str, has_location: bool = True
    ) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "byte_offset", byte_offset)
        object.__setattr__(self, "severity", severity)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "has_location", has_location)

    def __repr__(self) -> str:
        return record_repr(self, _LOCATED_FIELDS)

    def __eq__(self, other: object) -> bool:
        return record_eq(self, other, _LOCATED_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _LOCATED_FIELDS)


# ---------------------------------------------------------------------- display cells


def _char_width(ch: str) -> int:
    import unicodedata  # only drawing an error needs it, not a build that succeeds

    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _utf8_length(lead: int) -> int:
    if lead < 0x80:
        return 1
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def display_line(line: bytes) -> tuple[str, list[int]]:
    """The line as shown, and the display column of each byte offset ``0..len(line)`` (inclusive)."""
    out: list[str] = []
    cols = [0] * (len(line) + 1)
    col = 0
    i = 0
    n = len(line)
    while i < n:
        b = line[i]
        length = _utf8_length(b)
        ch: str | None = None
        if length:
            try:
                ch = line[i : i + length].decode("utf-8")
            except UnicodeDecodeError:
                ch = None
        if ch is None:
            shown, width, length = "\ufffd", 1, 1
        elif ch == "\t":
            shown, width = " " * TAB_WIDTH, TAB_WIDTH
        elif ch == "\r" and i == n - 1:
            shown, width = "", 0
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            shown, width = chr(0x2400 + (ord(ch) if ord(ch) < 0x20 else 0x21)), 1
        else:
            shown, width = ch, _char_width(ch)
        for k in range(length):
            cols[i + k] = col
        out.append(shown)
        col += width
        i += length
    cols[n] = col
    return "".join(out), cols


_NAME_END = frozenset(b" \t\r\n,)]")
_IDENT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")
_DIGITS = frozenset(b"0123456789")


def span_end(line: bytes, start: int) -> int:
    """End (exclusive) of the token at ``start`` in ``line``, the span the editor underlines too
    (docs/design/lsp.md §8.6): a ``@``/``%`` reference, an identifier, a string literal, an integer, else one
    character; ``start`` itself at the end of the line."""
    n = len(line)
    if start >= n or line[start] in (0x0A, 0x0D):
        return start
    b = line[start]
    i = start + 1
    if b in (0x40, 0x25):  # '@' '%'
        while i < n and line[i] not in _NAME_END:
            i += 1
        return i
    if b == 0x22:  # '"': up to the closing quote, a backslash skipping the next byte
        while i < n and line[i] not in (0x0A, 0x0D):
            if line[i] == 0x5C:
                i += 2
                continue
            if line[i] == 0x22:
                return i + 1
            i += 1
        return min(i, n)
    if b in _DIGITS or (b == 0x2D and i < n and line[i] in _DIGITS):
        while i < n and line[i] in _DIGITS:
            i += 1
        return i
    if b in _IDENT:
        while i < n and line[i] in _IDENT:
            i += 1
        return i
    return min(n, start + max(1, _utf8_length(b)))


# ---------------------------------------------------------------------- drawing


_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_SEVERITY = {"error": "\x1b[1;31m", "note": "\x1b[1;36m"}
_CARET = "\x1b[1;32m"


def _position(text: bytes, offset: int) -> tuple[int, int, int]:
    """0-based line, byte column, and the offset where that line starts."""
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind(b"\n", 0, offset) + 1
    return text.count(b"\n", 0, offset), offset - line_start, line_start


def render_located(item: Located, style: Style) -> list[str]:
    """The ``PATH:LINE:COL: SEVERITY: MSG`` line, then (with snippets) the source line and the caret line."""
    line, col, line_start = _position(item.text, item.byte_offset)
    head = f"{item.path}:{line + 1}:{col + 1}:"
    if style.color:
        first = f"{_BOLD}{head} {_SEVERITY[item.severity]}{item.severity}:{_RESET}{_BOLD} {item.message}{_RESET}"
    else:
        first = f"{head} {item.severity}: {item.message}"
    if not style.snippets or not item.text or not item.has_location:
        return [first]
    line_end = item.text.find(b"\n", line_start)
    raw = item.text[line_start : len(item.text) if line_end < 0 else line_end]
    shown, cols = display_line(raw)
    start = min(col, len(raw))
    end = span_end(raw, start)
    width = max(1, cols[end] - cols[start])
    marker = "^" + "~" * (width - 1)
    if style.color:
        marker = f"{_CARET}{marker}{_RESET}"
    return [first, shown, " " * cols[start] + marker]


def count_line(errors: int, style: Style) -> str:
    """``1 error`` / ``N errors``."""
    text = f"{errors} error" + ("" if errors == 1 else "s")
    return f"{_BOLD}{text}{_RESET}" if style.color else text


_DIAGNOSTIC_FIELDS = ("path", "text", "byte_offset", "message", "notes", "kind")


class Diagnostic:
    """An error with its related notes, all in one file's text."""

    path: str
    text: bytes
    byte_offset: int
    message: str
    notes: Sequence[tuple[int, str]]
    kind: ErrorKind
    """Only ``SOURCE`` errors are at a place in the text (and get a snippet)."""

    __slots__ = ("byte_offset", "kind", "message", "notes", "path", "text")
    __match_args__ = ("path", "text", "byte_offset", "message", "notes", "kind")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self,
        path: str,
        text: bytes,
        byte_offset: int,
        message: str,
        notes: Sequence[tuple[int, str]] = (),
        kind: ErrorKind = ErrorKind.SOURCE,
    ) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "byte_offset", byte_offset)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "notes", notes)
        object.__setattr__(self, "kind", kind)

    def __repr__(self) -> str:
        return record_repr(self, _DIAGNOSTIC_FIELDS)

    def __eq__(self, other: object) -> bool:
        return record_eq(self, other, _DIAGNOSTIC_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _DIAGNOSTIC_FIELDS)


def render(diagnostics: Sequence[Diagnostic], style: Style) -> str:
    """Every diagnostic; with snippets, each one's notes and a final count (nothing for no errors)."""
    lines: list[str] = []
    for d in diagnostics:
        located = d.kind is ErrorKind.SOURCE
        lines += render_located(Located(d.path, d.text, d.byte_offset, "error", d.message, located), style)
        if style.snippets:
            for offset, msg in d.notes:
                lines += render_located(Located(d.path, d.text, offset, "note", msg), style)
    if style.snippets and diagnostics:
        lines.append(count_line(len(diagnostics), style))
    return "".join(line + "\n" for line in lines)
