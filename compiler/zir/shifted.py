"""Sorted integer lists whose tail is shifted lazily: adding a constant to every item from an index on is O(blocks).

A ``ShiftedList`` keeps its items in blocks of about ``BLOCK`` items, each block an ``array`` of 64-bit integers
stored minus the block's own offset (8 bytes an item, not an ``int`` object per position, performance.md §9).
Shifting the items from index ``i`` on splits the block holding ``i`` there (C-speed slicing, no item converted)
and adds the shift to the offsets of that block's tail and of every later block: the cost is the number of
blocks, whatever the edit's place in the file, so edits that move from function to function cost the same as
edits in one place (performance.md §6). A splice converts only the values it inserts. Blocks left small by
splits are merged when there are more than twice as many as the items need; ``moved`` counts the items
converted from one offset to another then, so tests can assert that cost without a clock.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from typing import Final

BLOCK: Final = 2048
"""Items a block is cut to (a splice copies one block, a shift adds to every later block's offset: 5 blocks at
N = 10 000, 49 at 100 000)."""


def _chunks(items: array[int]) -> list[array[int]]:
    """``items`` cut into blocks of ``BLOCK`` when longer than two blocks, else as one (no empty block)."""
    if not items:
        return []
    if len(items) <= 2 * BLOCK:
        return [items]
    return [items[i : i + BLOCK] for i in range(0, len(items), BLOCK)]


class ShiftedList:
    """A list of non-decreasing integers in blocks with an offset each: shifting a tail costs O(blocks)."""

    __slots__ = ("_blocks", "_len", "_offsets", "_starts", "moved")

    def __init__(self, items: list[int] | None = None) -> None:
        self._blocks: list[array[int]] = _chunks(array("q", items if items is not None else ()))
        """The stored items, block by block (never an empty block)."""
        self._offsets: list[int] = [0] * len(self._blocks)
        """Added to every stored item of the block at the same index."""
        self._starts: list[int] = []
        """Index of each block's first item."""
        self._len = 0
        self.moved = 0
        """Items converted from one block offset to another so far (merging blocks)."""
        self._renumber(0)

    def _renumber(self, k: int) -> None:
        """Recompute the blocks' first indices from block ``k`` on, and the length."""
        blocks, starts = self._blocks, self._starts
        del starts[k:]
        s = starts[-1] + len(blocks[k - 1]) if k else 0
        for b in blocks[k:]:
            starts.append(s)
            s += len(b)
        self._len = s

    def _locate(self, i: int) -> tuple[int, int]:
        """Block index and index within it of item ``i`` (``0 <= i < len``)."""
        k = bisect_right(self._starts, i) - 1
        return k, i - self._starts[k]

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, i: int) -> int:
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("ShiftedList index out of range")
        k, j = self._locate(i)
        return self._blocks[k][j] + self._offsets[k]

    def copy(self) -> ShiftedList:
        other = ShiftedList()
        other._blocks = [array("q", b) for b in self._blocks]
        other._offsets = list(self._offsets)
        other._starts = list(self._starts)
        other._len = self._len
        return other

    def values(self, start: int = 0, stop: int | None = None) -> list[int]:
        """The items ``[start:stop]`` as plain integers."""
        end = self._len if stop is None else min(stop, self._len)
        out: list[int] = []
        if start >= end:
            return out
        k, j = self._locate(start)
        remaining = end - start
        blocks, offsets = self._blocks, self._offsets
        while remaining > 0:
            part = blocks[k][j : j + remaining]
            off = offsets[k]
            out.extend([x + off for x in part] if off else part.tolist())
            remaining -= len(part)
            k, j = k + 1, 0
        return out

    def shift_from(self, start: int, delta: int) -> None:
        """Add ``delta`` to every item at or after index ``start``."""
        if not delta or start >= self._len:
            return
        k, j = self._locate(start)
        blocks, offsets = self._blocks, self._offsets
        if j:  # the tail of block k gets its own offset: split there
            b = blocks[k]
            blocks[k : k + 1] = [b[:j], b[j:]]
            offsets.insert(k + 1, offsets[k])
            self._starts.insert(k + 1, self._starts[k] + j)
            k += 1
        for m in range(k, len(offsets)):
            offsets[m] += delta
        if len(blocks) > 2 * (self._len // BLOCK) + 8:
            self._compact()

    def splice(self, start: int, stop: int, values: list[int]) -> None:
        """Replace the items ``[start:stop]`` by ``values`` (converting only ``values``)."""
        blocks, offsets = self._blocks, self._offsets
        if 0 < stop - start == len(values):  # as many items: in place, when they lie in one block
            k, a = self._locate(start)
            if a + len(values) <= len(blocks[k]):
                off = offsets[k]
                blocks[k][a : a + len(values)] = array("q", [v - off for v in values] if off else values)
                return
        if not blocks:
            self._blocks = _chunks(array("q", values))
            self._offsets = [0] * len(self._blocks)
            self._renumber(0)
            return
        last = len(blocks) - 1
        k, a = self._locate(start) if start < self._len else (last, len(blocks[last]))
        k2, b = self._locate(stop) if stop < self._len else (last, len(blocks[last]))
        if b == 0 and k2 > k:  # ``stop`` starts a block: the range ends with the one before
            k2 -= 1
            b = len(blocks[k2])
        off = offsets[k]
        left = blocks[k][:a] + array("q", [v - off for v in values] if off else values)
        right = blocks[k2][b:]
        pieces: list[tuple[array[int], int]]
        if not right or offsets[k2] == off:
            pieces = [(c, off) for c in _chunks(left + right)]
        else:
            pieces = [(c, off) for c in _chunks(left)] + [(c, offsets[k2]) for c in _chunks(right)]
        blocks[k : k2 + 1] = [c for c, _ in pieces]
        offsets[k : k2 + 1] = [o for _, o in pieces]
        self._renumber(k)

    def _compact(self) -> None:
        """Merge neighbouring blocks while the merged block stays within ``BLOCK`` items."""
        blocks, offsets = self._blocks, self._offsets
        merged: list[array[int]] = [blocks[0]]
        merged_offsets = [offsets[0]]
        for b, off in zip(blocks[1:], offsets[1:], strict=True):
            if len(merged[-1]) + len(b) <= BLOCK:
                diff = off - merged_offsets[-1]
                merged[-1] = merged[-1] + (array("q", [x + diff for x in b]) if diff else b)
                self.moved += len(b) if diff else 0
            else:
                merged.append(b)
                merged_offsets.append(off)
        self._blocks, self._offsets = merged, merged_offsets
        self._renumber(0)

    def _first_block(self, x: int, lo_block: int, strict: bool) -> int:
        """The first block from ``lo_block`` on whose last item is > ``x`` (``strict``) or >= ``x``."""
        blocks, offsets = self._blocks, self._offsets
        lo, hi = lo_block, len(blocks)
        while lo < hi:
            m = (lo + hi) // 2
            v = blocks[m][-1] + offsets[m]
            if v > x or (not strict and v == x):
                hi = m
            else:
                lo = m + 1
        return lo

    def _bisect(self, x: int, lo: int, right: bool) -> int:
        if lo >= self._len:
            return lo
        k, j = self._locate(lo)
        m = self._first_block(x, k, right)
        if m == len(self._blocks):
            return self._len
        find = bisect_right if right else bisect_left
        return self._starts[m] + find(self._blocks[m], x - self._offsets[m], j if m == k else 0)

    def bisect_right(self, x: int, lo: int = 0) -> int:
        """The first index from ``lo`` on whose item is > ``x``."""
        return self._bisect(x, lo, True)

    def bisect_left(self, x: int, lo: int = 0) -> int:
        """The first index from ``lo`` on whose item is >= ``x``."""
        return self._bisect(x, lo, False)
