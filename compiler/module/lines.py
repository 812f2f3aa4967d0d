"""Line tracking: the 0-based line of a byte offset in the last good text, at the cost of the distance walked.

Code generation asks for the line of every statement it places (``DebugInfo`` rows), in increasing order
within a function. Counting newlines from the previous query makes a one-function update cost its own size,
not the file's; backwards queries count back too, up to twice the text's size per update, and past that build
a full ``LineIndex`` (performance.md §6).
"""

from __future__ import annotations

from compiler.source import LineIndex


class LineTracker:
    """Where the last line query was, kept across updates while the text before it does not change."""

    def __init__(self) -> None:
        self._cache: tuple[int, int] = (0, 0)
        """(offset, line) of the last ``line_of`` query in the last good text (kept across updates when the
        text up to its offset did not change)."""
        self._anchor: tuple[int, int] = (0, 0)
        """(offset, line) of the first ``line_of`` query of an update (usually before that update's edit,
        so the next edit at the same place counts lines from there, not from the start of the file)."""
        self._anchored = False
        """Per update: ``_anchor`` is this update's first query."""
        self._index: LineIndex | None = None
        """Per update: a full line index, built on the first backwards ``line_of`` query."""
        self.index_builds = 0
        self._counted_back = 0
        """Per update: bytes counted by backward ``line_of`` queries (bounded; then a full index is built)."""
        """Full line indexes built so far (each reads the whole text: a one-function update should build none)."""

    def drop_index(self) -> None:
        """A new update begins: the full index (if any) describes an older text."""
        self._index = None
        self._counted_back = 0

    def text_changed_after(self, unchanged: int) -> None:
        """The new text equals the old one in its first ``unchanged`` bytes: forget positions beyond them."""
        if self._cache[0] >= unchanged:
            self._cache = self._anchor if self._anchor[0] < unchanged else (0, 0)
        self._anchor = self._cache
        self._anchored = False

    def peek(self, text: bytes, byte_offset: int) -> int:
        """0-based line of ``byte_offset`` in ``text``, counted from the last query in either direction, which
        stays where it was: a look at a decl's line during the diff does not turn code generation's later
        queries before it into backward ones (each of which would build a full index)."""
        index = self._index
        if index is not None:
            return index.position(byte_offset)[0]
        last_offset, last_line = self._cache
        if byte_offset >= last_offset:
            return last_line + text.count(b"\n", last_offset, byte_offset)
        return last_line - text.count(b"\n", byte_offset, last_offset)

    def line_of(self, text: bytes, byte_offset: int) -> int:
        """0-based line of ``byte_offset`` in ``text`` (the last good text).

        Queries count newlines from the previous query, so a one-function update costs the distance it walks;
        once an update's backward queries have counted twice the text, a full line index answers the rest (a big
        update generates many functions, in work-queue order).
        """
        index = self._index
        if index is not None:
            return index.position(byte_offset)[0]
        last_offset, last_line = self._cache
        if byte_offset >= last_offset:
            line = last_line + text.count(b"\n", last_offset, byte_offset)
        else:
            # Backwards: counted back while the bytes counted so far in this update stay within twice the text (a
            # C-speed count; the work queue visits a chain's functions from the last to the first, one function
            # back each time); past that, a full index (a Python loop over every line: ~16 ms at N = 10 000).
            back = self._counted_back + last_offset - byte_offset
            if back > 2 * len(text):
                self.index_builds += 1
                self._index = LineIndex(text)
                return self._index.position(byte_offset)[0]
            self._counted_back = back
            line = last_line - text.count(b"\n", byte_offset, last_offset)
        if not self._anchored:
            self._anchor = (byte_offset, line)
            self._anchored = True
        self._cache = (byte_offset, line)
        return line


class FnLines:
    """The lines of one function's rows: newlines counted forward from the previous row (rows follow the
    function's start, in increasing order), so a function costs its own length and never a lookup in the full
    index a big update builds; an offset before the function's start asks the tracker."""

    __slots__ = ("_line", "_offset", "_text", "_tracker")

    def __init__(self, tracker: LineTracker, text: bytes, fn_offset: int, fn_line: int) -> None:
        self._tracker, self._text = tracker, text
        self._offset, self._line = fn_offset, fn_line

    def line_of(self, byte_offset: int) -> int:
        """0-based line of ``byte_offset`` (``LineTracker.line_of``'s answer)."""
        last = self._offset
        if byte_offset >= last:
            if byte_offset != last:
                self._line += self._text.count(b"\n", last, byte_offset)
                self._offset = byte_offset
            return self._line
        return self._tracker.line_of(self._text, byte_offset)
