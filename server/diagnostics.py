"""Diagnostics: compiler errors → LSP Diagnostics, stored per (source, uri), published merged per URI."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from lsprotocol import types

from compiler.errors import ErrorKind, Note
from server.positions import Encoding, LspLineIndex, line_index

_NAME_END = frozenset(b" \t\r\n,)]")
_IDENT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")
_DIGITS = frozenset(b"0123456789")


@dataclass(frozen=True, slots=True)
class CompileError:
    """One error as the server sees it: a byte offset into ``text`` (the exact bytes compiled) and a message."""

    byte_offset: int
    message: str
    text: bytes
    kind: ErrorKind = ErrorKind.SOURCE
    """A program error, or the output file could not be written (published as a build diagnostic)."""
    notes: tuple[Note, ...] = ()
    """Related places in ``text`` (the use that caused the error, the other definition), byte offsets."""


def token_end(data: bytes, offset: int) -> int:
    """End of the token starting at ``offset`` (lsp.md §8.6): a ``@``/``%`` name, an identifier, a string
    literal, an integer; otherwise one character. Line terminators and end of file give an empty token."""
    n = len(data)
    if offset >= n:
        return n
    b = data[offset]
    if b in (0x0A, 0x0D):
        return offset
    i = offset + 1
    if b in (0x40, 0x25):  # '@' '%'
        while i < n and data[i] not in _NAME_END:
            i += 1
        return i
    if b == 0x22:  # '"'
        while i < n and data[i] not in (0x0A, 0x0D):
            if data[i] == 0x5C:  # backslash skips the next byte
                i += 2
                continue
            if data[i] == 0x22:
                return i + 1
            i += 1
        return min(i, n)
    if b in _DIGITS or (b == 0x2D and i < n and data[i] in _DIGITS):
        while i < n and data[i] in _DIGITS:
            i += 1
        return i
    if b in _IDENT:
        while i < n and data[i] in _IDENT:
            i += 1
        return i
    # One character: a whole UTF-8 sequence when the lead byte announces one.
    length = 4 if b >= 0xF0 else 3 if b >= 0xE0 else 2 if b >= 0xC0 else 1
    end = offset + 1
    while end < min(offset + length, n) and 0x80 <= data[end] < 0xC0:
        end += 1
    return end


def to_range(index: LspLineIndex, byte_offset: int) -> types.Range:
    """The LSP range of an error at ``byte_offset`` in ``index.data``."""
    start = max(0, min(byte_offset, len(index.data)))
    end = token_end(index.data, start)
    sl, sc = index.position(start)
    el, ec = index.position(end)
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))


_REDEFINITION = "redefinition of identifier '"


def _duplicate_range(index: LspLineIndex, err: CompileError) -> types.Range | None:
    """For ``redefinition of identifier 'x'`` (reported just after the duplicate's ``)``, an empty range at a
    line end): the duplicate's ``@x``, so the editor underlines something."""
    if not err.message.startswith(_REDEFINITION):
        return None
    name = err.message[len(_REDEFINITION) :].rstrip("\r\n").removesuffix("'").encode("utf-8", "surrogateescape")
    data = index.data
    head = b"@" + name
    at = err.byte_offset
    while True:  # the last line before the error defining exactly @name (not a longer name)
        at = data.rfind(b"\n" + head, 0, at) + 1
        if at == 0:
            if not (data.startswith(head) and data[len(head) : len(head) + 1].isspace()):
                return None
            break
        if data[at + len(head) : at + len(head) + 1].isspace():
            break
        at -= 1
    sl, sc = index.position(at)
    el, ec = index.position(at + 1 + len(name))
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))


def _message(msg: str) -> str:
    return msg.rstrip("\r\n").replace("\r", "\\r").replace("\n", "\\n")


def to_diagnostics(
    errors: Iterable[CompileError], encoding: Encoding, source: str, uri: str | None = None
) -> list[types.Diagnostic]:
    """One Diagnostic per error; messages exact with trailing newlines removed; one line index per text.

    With ``uri``, an error's notes become ``relatedInformation`` in that document (lsp.md §8): the primary
    range stays the spec's, the related one points at the use that caused it (dropped at the protocol edge
    for a client without ``relatedInformation`` support, ``without_related``)."""
    out: list[types.Diagnostic] = []
    indexes: dict[int, LspLineIndex] = {}
    for err in errors:
        index = indexes.get(id(err.text))
        if index is None or index.data is not err.text:
            index = line_index(err.text, encoding)
            indexes[id(err.text)] = index
        related = None
        if uri is not None and err.notes:
            related = [
                types.DiagnosticRelatedInformation(
                    location=types.Location(uri=uri, range=to_range(index, note.byte_offset)),
                    message=_message(note.msg),
                )
                for note in err.notes
            ]
        out.append(
            types.Diagnostic(
                range=_duplicate_range(index, err) or to_range(index, err.byte_offset),
                message=_message(err.message),
                severity=types.DiagnosticSeverity.Error,
                source=source,
                related_information=related,
            )
        )
    return out


def without_related(diagnostics: Sequence[types.Diagnostic]) -> list[types.Diagnostic]:
    """The list for a client that does not support ``relatedInformation`` (copies only where needed)."""
    return [
        d
        if not d.related_information
        else types.Diagnostic(range=d.range, message=d.message, severity=d.severity, source=d.source, code=d.code)
        for d in diagnostics
    ]


Publisher = Callable[[types.PublishDiagnosticsParams], None]


@dataclass(slots=True)
class DiagnosticStore:
    """Diagnostics per ``(source, uri)``; every publish sends the complete merged list for a URI."""

    publisher: Publisher
    _entries: dict[tuple[str, str], list[types.Diagnostic]] = field(default_factory=dict)
    """The latest list of each tier for each URI; an absent key means none."""
    _versions: dict[str, int] = field(default_factory=dict)
    """The document version the editor tier compiled, per URI (sent as ``PublishDiagnosticsParams.version``)."""
    published: set[str] = field(default_factory=set)
    """Every URI ever published to, so clearing can send empty lists."""

    def set(self, source: str, uri: str, diagnostics: list[types.Diagnostic], version: int | None = None) -> None:
        """Replace one tier's list for ``uri`` (and record the version it belongs to)."""
        if diagnostics:
            self._entries[(source, uri)] = diagnostics
        else:
            self._entries.pop((source, uri), None)
        if version is not None:
            self._versions[uri] = version

    def get(self, uri: str) -> list[types.Diagnostic]:
        """The merged list for ``uri``: editor tier first, then the build tier."""
        merged: list[types.Diagnostic] = []
        for (_, entry_uri), diagnostics in sorted(self._entries.items()):
            if entry_uri == uri:
                merged.extend(diagnostics)
        return merged

    def publish(self, uri: str) -> None:
        """Send the complete list for ``uri`` (an empty list too)."""
        self.published.add(uri)
        self.publisher(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=self.get(uri), version=self._versions.get(uri))
        )

    def clear(self, uri: str) -> None:
        """Forget every tier of ``uri`` and publish the empty list."""
        for key in [k for k in self._entries if k[1] == uri]:
            del self._entries[key]
        self._versions.pop(uri, None)
        self.publish(uri)
