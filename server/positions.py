"""Byte offsets ↔ LSP positions over the exact compiled bytes, with LSP line endings and the negotiated encoding.

Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (the LSP rule; form feed, ``\\x85``, U+2028 … are *not* line
breaks). Columns count UTF-16 code units, UTF-8 bytes or UTF-32 code points; a byte sequence that is not
valid UTF-8 counts one unit per byte. ASCII-only line prefixes are converted without decoding (lsp.md §7).
"""

from __future__ import annotations

import bisect
import enum
import itertools
import re
from array import array
from dataclasses import dataclass, field


class Encoding(enum.Enum):
    """The unit LSP ``Position.character`` counts (negotiated at initialize)."""

    UTF8 = "utf-8"
    """UTF-8 code units: bytes."""
    UTF16 = "utf-16"
    """UTF-16 code units (the LSP default; characters above U+FFFF count 2)."""
    UTF32 = "utf-32"
    """Unicode code points."""

    @classmethod
    def from_lsp(cls, name: str | None) -> Encoding:
        """The encoding named by pygls's negotiated ``position_encoding`` (UTF-16 when unknown or absent)."""
        for member in cls:
            if member.value == name:
                return member
        return cls.UTF16


def units_of(data: bytes, encoding: Encoding) -> int:
    """How many units of ``encoding`` the bytes ``data`` occupy (invalid UTF-8 bytes count one each)."""
    if encoding is Encoding.UTF8 or data.isascii():
        return len(data)
    text = data.decode("utf-8", errors="surrogateescape")
    match encoding:
        case Encoding.UTF32:
            return len(text)
        case Encoding.UTF16:
            return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    raise AssertionError(encoding)


def byte_length_of_units(data: bytes, units: int, encoding: Encoding) -> int:
    """The length of the longest prefix of ``data`` occupying at most ``units`` units (clamped to ``data``)."""
    if units <= 0:
        return 0
    if encoding is Encoding.UTF8 or data.isascii():
        return min(units, len(data))
    text = data.decode("utf-8", errors="surrogateescape")
    used = 0
    consumed = 0
    for ch in text:
        cost = 2 if encoding is Encoding.UTF16 and ord(ch) > 0xFFFF else 1
        if used + cost > units:
            break
        used += cost
        consumed += len(ch.encode("utf-8", errors="surrogateescape"))
    return consumed


_LINE_BREAK = re.compile(rb"\r\n?|\n")


def _typecode(size: int) -> str:
    """The ``array`` type of offsets into a text of ``size`` bytes: 4 bytes each below 4 GiB."""
    return "I" if size <= 0xFFFFFFFF else "Q"


def line_starts(data: bytes) -> array[int]:
    """Byte offsets where each line starts under the LSP rule (``\\n``, ``\\r\\n``, lone ``\\r``), in linear time.

    An ``array`` of 4-byte offsets: a list costs ~40 bytes a line, and the server keeps an index per recent
    version of each open text (1.4 million lines each at N = 100 000, docs/design/performance.md §9.4)."""
    if b"\r" not in data:
        # Each line start is the previous one plus the previous line's length and its "\n" (C-level loops only).
        starts = array(
            _typecode(len(data)), itertools.accumulate(map((1).__add__, map(len, data.split(b"\n"))), initial=0)
        )
        starts.pop()
        return starts
    return array(_typecode(len(data)), [0, *(m.end() for m in _LINE_BREAK.finditer(data))])


@dataclass(slots=True)
class LspLineIndex:
    """Line starts of a byte text under the LSP line-ending rule, and conversions in one encoding."""

    data: bytes
    encoding: Encoding = Encoding.UTF16
    _starts: array[int] = field(init=False)
    """``_starts[i]`` is the byte offset where line ``i`` starts; line 0 starts at 0."""

    def __post_init__(self) -> None:
        self._starts = line_starts(self.data)

    @property
    def line_count(self) -> int:
        """Number of lines (a text ending in a line break has an empty last line)."""
        return len(self._starts)

    def line_span(self, line: int) -> tuple[int, int]:
        """Byte offsets ``(start, end)`` of line ``line``'s content, excluding its line terminator."""
        start = self._starts[line]
        if line + 1 < len(self._starts):
            end = self._starts[line + 1]
            if end > start and self.data[end - 1] == 0x0A:
                end -= 1
            if end > start and self.data[end - 1] == 0x0D:
                end -= 1
        else:
            end = len(self.data)
        return start, end

    def lines_of(self, offsets: list[int]) -> list[int]:
        """The 0-based line of each byte offset (no column is computed)."""
        starts = self._starts
        return [bisect.bisect_right(starts, offset) - 1 for offset in offsets]

    def position(self, byte_offset: int) -> tuple[int, int]:
        """0-based line and column (in ``encoding`` units) of a byte offset, clamped to the text.

        An offset inside a line terminator maps to the end of that line's content.
        """
        offset = max(0, min(byte_offset, len(self.data)))
        line = bisect.bisect_right(self._starts, offset) - 1
        start, end = self.line_span(line)
        offset = min(offset, end)
        return line, units_of(self.data[start:offset], self.encoding)

    def offset(self, line: int, character: int) -> int:
        """The byte offset of an LSP position; past-the-end lines and columns clamp (LSP rule)."""
        if line < 0:
            return 0
        if line >= len(self._starts):
            return len(self.data)
        start, end = self.line_span(line)
        return start + byte_length_of_units(self.data[start:end], character, self.encoding)

    def end_position(self) -> tuple[int, int]:
        """The position of the end of the text."""
        return self.position(len(self.data))

    def spliced(self, start: int, old_end: int, data: bytes) -> LspLineIndex:
        """The index of ``data``: this text with the bytes ``[start, old_end)`` replaced (the length follows from
        ``data``). A line start depends only on the byte before it and its own byte, so the starts before the
        edit are kept, the ones after it shifted, and only the edited bytes are searched."""
        new_end = old_end + len(data) - len(self.data)
        old = self._starts
        keep = bisect.bisect_left(old, start)
        after = bisect.bisect_left(old, old_end + 1)
        mid = [
            m.end()
            for m in _LINE_BREAK.finditer(data, max(0, start - 1), min(len(data), new_end + 1))
            if start <= m.end() <= new_end
        ]
        delta = new_end - old_end
        index = LspLineIndex.__new__(LspLineIndex)
        index.data, index.encoding = data, self.encoding
        code = _typecode(len(data))
        head = old[:keep] if start > 0 and code == old.typecode else array(code, old[:keep] if start > 0 else [0])
        head.extend(mid)
        tail = old[after:]
        if delta or code != old.typecode:
            tail = array(code, map(delta.__add__, tail))
        head += tail
        index._starts = head
        return index


_CACHE: list[LspLineIndex] = []
_CACHE_SIZE = 4


def line_index(data: bytes, encoding: Encoding) -> LspLineIndex:
    """The line index of ``data`` in ``encoding``, shared by everyone asking about the same bytes object.

    One index is built per document version and reused by the change handler, diagnostics and features
    (identity, not equality, is the key: comparing bytes would itself be O(file)).
    """
    for index in _CACHE:
        if index.data is data and index.encoding is encoding:
            return index
    index = LspLineIndex(data, encoding)
    _CACHE.insert(0, index)
    del _CACHE[_CACHE_SIZE:]
    return index


def remember(index: LspLineIndex) -> None:
    """Share ``index`` (built by ``spliced``) with everyone asking ``line_index`` about its bytes."""
    _CACHE.insert(0, index)
    del _CACHE[_CACHE_SIZE:]
