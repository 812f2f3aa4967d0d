"""Sorted integer lists whose tail is shifted lazily: adding a constant to every item from an index on is O(1).

A ``SplitList`` keeps its items in two coordinate systems, like a gap buffer: items before the *split* are
stored as they are, items from the split on are stored minus one common offset. Shifting the tail that begins
at the split only changes the offset; shifting a tail that begins elsewhere first moves the split there,
converting the items in between (C-speed list work proportional to how far the split moves). Successive edits
at one place of a file therefore shift every later position at a constant cost, whatever the file's size
(performance.md §6). ``moved`` counts the items converted, so tests can assert that cost without a clock.
The items are kept in an ``array`` of 64-bit integers: 8 bytes each, not an ``int`` object per position
(performance.md §9).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right


class SplitList:
    """A list of non-decreasing integers with an O(1) shift of the items from the split on."""

    __slots__ = ("_items", "_offset", "_split", "moved")

    def __init__(self, items: list[int] | None = None) -> None:
        self._items = array("q", items if items is not None else ())
        self._split = len(self._items)
        """Items at or after this index are stored minus ``_offset``."""
        self._offset = 0
        self.moved = 0
        """Items converted between the two coordinate systems so far (moving the split)."""

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i: int) -> int:
        if i < 0:
            i += len(self._items)
        value = self._items[i]
        return value + self._offset if i >= self._split else value

    def copy(self) -> SplitList:
        other = SplitList()
        other._items = array("q", self._items)
        other._split, other._offset = self._split, self._offset
        return other

    def values(self, start: int = 0, stop: int | None = None) -> list[int]:
        """The items ``[start:stop]`` as plain integers."""
        end = len(self._items) if stop is None else stop
        g, off, items = self._split, self._offset, self._items
        if end <= g:
            return items[start:end].tolist()
        if start >= g:
            return [x + off for x in items[start:end]]
        return items[start:g].tolist() + [x + off for x in items[g:end]]

    def _move_split(self, to: int) -> None:
        g, off = self._split, self._offset
        if to == g:
            return
        if off:
            items = self._items
            if to < g:
                items[to:g] = array("q", [x - off for x in items[to:g]])
            else:
                items[g:to] = array("q", [x + off for x in items[g:to]])
            self.moved += abs(to - g)
        self._split = to
        if to == len(self._items):
            self._offset = 0

    def shift_from(self, start: int, delta: int) -> None:
        """Add ``delta`` to every item at or after index ``start``."""
        if delta and start < len(self._items):
            self._move_split(start)
            self._offset += delta

    def splice(self, start: int, stop: int, values: list[int]) -> None:
        """Replace the items ``[start:stop]`` by ``values`` (only the items outside the range may move the split)."""
        self._move_split(min(max(self._split, start), stop))
        self._items[start:stop] = array("q", values)
        self._split = start + len(values)
        if self._split == len(self._items):
            self._offset = 0

    def bisect_right(self, x: int, lo: int = 0) -> int:
        g = self._split
        if lo < g:
            i = bisect_right(self._items, x, lo, g)
            if i < g:
                return i
            lo = g
        return bisect_right(self._items, x - self._offset, lo)

    def bisect_left(self, x: int, lo: int = 0) -> int:
        g = self._split
        if lo < g:
            i = bisect_left(self._items, x, lo, g)
            if i < g:
                return i
            lo = g
        return bisect_left(self._items, x - self._offset, lo)
