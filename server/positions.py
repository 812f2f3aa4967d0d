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
import sys
from array import array


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


_BLOCK = 2048
"""Line starts per block of an index (docs/design/performance.md §9.4)."""


class LspLineIndex:
    """Line starts of a byte text under the LSP line-ending rule, and conversions in one encoding.

    The starts are kept in blocks of up to ``block`` lines, each an ``array`` with a shift added to all of its
    values: ``spliced`` rebuilds the blocks the edit touches and moves the later ones by changing their shift, so
    an edit costs its own lines plus one integer per block, and versions of a text share their unchanged blocks
    (the server keeps an index per recent version: 700 000 lines each at N = 100 000)."""

    __slots__ = ("_before", "_blocks", "_firsts", "_shifts", "block", "data", "encoding")

    def __init__(self, data: bytes, encoding: Encoding = Encoding.UTF16, block: int = _BLOCK) -> None:
        self.data = data
        self.encoding = encoding
        self.block = block
        starts = line_starts(data)
        self._blocks = [starts[i : i + block] for i in range(0, len(starts), block)]
        """The line starts, block by block, each value less its block's shift."""
        self._shifts = [0] * len(self._blocks)
        """What each block's values are short of the true starts."""
        self._firsts = [b[0] for b in self._blocks]
        """The true start of each block's first line."""
        self._before = list(range(0, len(starts), block))
        """The number of lines before each block."""

    def starts(self) -> array[int]:
        """Every line start, in order (O(lines): tests and whole-text work only)."""
        out = array(_typecode(len(self.data)))
        for blk, shift in zip(self._blocks, self._shifts, strict=True):
            out.extend(map(shift.__add__, blk) if shift else blk)
        return out

    def _start_of(self, line: int) -> int:
        b = bisect.bisect_right(self._before, line) - 1
        return self._blocks[b][line - self._before[b]] + self._shifts[b]

    def _line_of(self, offset: int) -> int:
        b = max(0, bisect.bisect_right(self._firsts, offset) - 1)
        return self._before[b] + bisect.bisect_right(self._blocks[b], offset - self._shifts[b]) - 1

    @property
    def line_count(self) -> int:
        """Number of lines (a text ending in a line break has an empty last line)."""
        return self._before[-1] + len(self._blocks[-1])

    def line_span(self, line: int) -> tuple[int, int]:
        """Byte offsets ``(start, end)`` of line ``line``'s content, excluding its line terminator."""
        start = self._start_of(line)
        if line + 1 < self.line_count:
            end = self._start_of(line + 1)
            if end > start and self.data[end - 1] == 0x0A:
                end -= 1
            if end > start and self.data[end - 1] == 0x0D:
                end -= 1
        else:
            end = len(self.data)
        return start, end

    def lines_of(self, offsets: list[int]) -> list[int]:
        """The 0-based line of each byte offset (no column is computed)."""
        return [self._line_of(offset) for offset in offsets]

    def position(self, byte_offset: int) -> tuple[int, int]:
        """0-based line and column (in ``encoding`` units) of a byte offset, clamped to the text.

        An offset inside a line terminator maps to the end of that line's content.
        """
        offset = max(0, min(byte_offset, len(self.data)))
        line = self._line_of(offset)
        start, end = self.line_span(line)
        offset = min(offset, end)
        return line, units_of(self.data[start:offset], self.encoding)

    def offset(self, line: int, character: int) -> int:
        """The byte offset of an LSP position; past-the-end lines and columns clamp (LSP rule)."""
        if line < 0:
            return 0
        if line >= self.line_count:
            return len(self.data)
        start, end = self.line_span(line)
        return start + byte_length_of_units(self.data[start:end], character, self.encoding)

    def end_position(self) -> tuple[int, int]:
        """The position of the end of the text."""
        return self.position(len(self.data))

    def spliced(self, start: int, old_end: int, data: bytes) -> LspLineIndex:
        """The index of ``data``: this text with the bytes ``[start, old_end)`` replaced (the length follows from
        ``data``). A line start depends only on the byte before it and its own byte, so the starts before the
        edit are kept, the ones after it shifted (a block at a time), and only the edited bytes are searched."""
        new_end = old_end + len(data) - len(self.data)
        delta = new_end - old_end
        b0 = max(0, bisect.bisect_right(self._firsts, start) - 1)
        b1 = max(0, bisect.bisect_right(self._firsts, old_end + 1) - 1)
        region: list[int] = []
        for b in range(b0, b1 + 1):
            shift = self._shifts[b]
            region += map(shift.__add__, self._blocks[b]) if shift else self._blocks[b]
        keep = bisect.bisect_left(region, start)
        after = bisect.bisect_left(region, old_end + 1)
        mid = [
            m.end()
            for m in _LINE_BREAK.finditer(data, max(0, start - 1), min(len(data), new_end + 1))
            if start <= m.end() <= new_end
        ]
        fresh = (region[:keep] if start > 0 else [0]) + mid + [s + delta for s in region[after:]]
        code, size = _typecode(len(data)), self.block
        pieces = [array(code, fresh[i : i + size]) for i in range(0, len(fresh), size)]
        first_line = self._before[b0]
        grown = len(fresh) - (self._before[b1] + len(self._blocks[b1]) - first_line)
        index = LspLineIndex.__new__(LspLineIndex)
        index.data, index.encoding, index.block = data, self.encoding, self.block
        index._blocks = self._blocks[:b0] + pieces + self._blocks[b1 + 1 :]
        index._shifts = self._shifts[:b0] + [0] * len(pieces) + [x + delta for x in self._shifts[b1 + 1 :]]
        index._firsts = self._firsts[:b0] + [p[0] for p in pieces] + [x + delta for x in self._firsts[b1 + 1 :]]
        before = list(itertools.accumulate(map(len, pieces), initial=first_line))[:-1]
        index._before = self._before[:b0] + before + [x + grown for x in self._before[b1 + 1 :]]
        return index


_CACHE: list[LspLineIndex] = []
_CACHE_SIZE = 3
"""The current text, the one being analysed and one more (each holds its text: 12 MB at N = 100 000)."""


def line_index(data: bytes, encoding: Encoding) -> LspLineIndex:
    """The line index of ``data`` in ``encoding``, shared by everyone asking about the same bytes object.

    One index is built per document version and reused by the change handler, diagnostics and features
    (identity, not equality, is the key: comparing bytes would itself be O(file)).
    """
    _drop_unreachable()
    for index in _CACHE:
        if index.data is data and index.encoding is encoding:
            return index
    index = LspLineIndex(data, encoding)
    _CACHE.insert(0, index)
    del _CACHE[_CACHE_SIZE:]
    return index


def remember(index: LspLineIndex) -> None:
    """Share ``index`` (built by ``spliced``) with everyone asking ``line_index`` about its bytes."""
    _drop_unreachable()
    _CACHE.insert(0, index)
    del _CACHE[_CACHE_SIZE:]


def _drop_unreachable() -> None:
    """Forget the indexes whose text nobody else holds any more: the key is the bytes object itself, so no
    later call can ask about it, and keeping the entry kept a whole old version of the text (the one before
    the last analysed one, 12 MB at N = 100 000) alive until three newer ones pushed it out."""
    _CACHE[:] = [index for index in _CACHE if sys.getrefcount(index.data) > _HELD_BY_INDEX]


_HELD_BY_INDEX = 2
"""``sys.getrefcount`` of a text held by its cached index alone (the index's slot and the call's argument)."""
