"""PagedBytes: a growable byte buffer kept in pages, compressed when not touched lately (a rarely committed image).

The language server's editor tier links to the build output in memory and commits only when the user builds
(docs/design/lsp.md §8.3), so between builds its linker image (about 330 bytes a function, 33 MB at
N = 100 000) is only read where an update writes. Kept as zlib-compressed pages with the few most recently
touched ones expanded, it takes about an eighth of that (docs/design/performance.md §9.4). ``FileImage`` uses
it in place of a ``bytearray`` (the same slice reads and same-length slice writes); ``zir watch`` and one-shot
builds keep the ``bytearray``: their every update commits, and an edit there must not wait for a page's
compression.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Final

PAGE: Final = 16 * 1024
"""Bytes a page holds (an edit's writes touch a handful of pages; each expands in tens of microseconds)."""
HOT_PAGES: Final = 64
"""Pages kept expanded, the most recently touched (1 MiB)."""
_LEVEL: Final = 1
"""zlib's fastest level: an image's pages (code, padding, symbols, DWARF) shrink about eight times at it."""
_ZERO: Final = zlib.compress(bytes(PAGE), _LEVEL)
"""A page of zeros, compressed (shared by every page not written yet)."""


class PagedBytes:
    """The bytes ``[0, len)``: ``PAGE``-sized pages, each a ``bytearray`` (expanded, one of the ``HOT_PAGES``
    most recently touched) or the ``bytes`` of its zlib compression. Bytes past the end within the last page
    are zeros."""

    __slots__ = ("_hot", "_pages", "_size", "hot_pages")

    def __init__(self, data: bytes | bytearray = b"", hot_pages: int = HOT_PAGES) -> None:
        self.hot_pages = hot_pages
        """How many pages are kept expanded."""
        self._pages: list[bytes | bytearray] = []
        self._hot: dict[int, None] = {}
        """Indices of the expanded pages, least recently touched first."""
        self._size = 0
        self._write(0, data)

    def __len__(self) -> int:
        return self._size

    def expanded_pages(self) -> int:
        """How many pages are held expanded (at most ``hot_pages``)."""
        return len(self._hot)

    def stored_bytes(self) -> int:
        """Bytes the pages take as held (expanded or compressed)."""
        return sum(map(len, self._pages))

    def __getitem__(self, key: slice) -> bytes:
        start, stop, step = key.indices(self._size)
        assert step == 1, "PagedBytes reads contiguous slices only"
        return self._read(start, stop)

    def __setitem__(self, key: slice, data: bytes | bytearray) -> None:
        """``buf[start:stop] = data`` with ``stop - start == len(data)`` (the end may pass the current length:
        the buffer grows, as a ``bytearray`` does for such a write at its end)."""
        start = 0 if key.start is None else key.start
        assert key.step is None and 0 <= start <= self._size, "PagedBytes writes contiguous, in-bounds slices"
        assert key.stop is None or key.stop - start == len(data), "PagedBytes writes keep the length"
        self._write(start, data)

    def extend(self, data: bytes | bytearray) -> None:
        """Append ``data``."""
        self._write(self._size, data)

    def pieces(self, size: int) -> Iterator[bytes]:
        """The whole buffer in consecutive pieces of ``size`` bytes (the last shorter), expanding one page at a
        time and leaving the expanded set as it was."""
        for offset in range(0, self._size, size):
            yield self._read(offset, min(offset + size, self._size))

    # ------------------------------------------------------------------ pages

    def _read(self, start: int, stop: int) -> bytes:
        out: list[bytes] = []
        while start < stop:
            i, at = divmod(start, PAGE)
            n = min(PAGE - at, stop - start)
            page = self._pages[i]
            raw = page if i in self._hot else zlib.decompress(page)
            out.append(bytes(raw[at : at + n]))
            start += n
        return b"".join(out)

    def _write(self, start: int, data: bytes | bytearray) -> None:
        end = start + len(data)
        while len(self._pages) * PAGE < end:
            self._pages.append(_ZERO)
        self._size = max(self._size, end)
        done = 0
        while start < end:
            i, at = divmod(start, PAGE)
            n = min(PAGE - at, end - start)
            self._touch(i)[at : at + n] = data[done : done + n]
            start += n
            done += n

    def _touch(self, i: int) -> bytearray:
        """Page ``i`` expanded, now the most recently touched (the least recent is compressed when too many)."""
        page = self._pages[i]
        if i in self._hot:
            del self._hot[i]
            self._hot[i] = None
            assert isinstance(page, bytearray)
            return page
        raw = bytearray(zlib.decompress(page))
        self._pages[i] = raw
        self._hot[i] = None
        if len(self._hot) > self.hot_pages:
            oldest = next(iter(self._hot))
            del self._hot[oldest]
            self._pages[oldest] = zlib.compress(self._pages[oldest], _LEVEL)
        return raw
