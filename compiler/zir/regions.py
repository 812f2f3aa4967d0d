"""The per-region parse cache: only the decl regions whose bytes changed are parsed (performance.md §6).

A file is split, with one regular expression, into *regions*: from one line-start ``@`` (or offset 0) to
the next. The parser (``parser.py``) parses *spans*, which start at a region start and end at the next
line-start ``@`` where its top-level loop stands clean. Most spans are exactly one region; a span that
runs on (a decl continued on a line starting with ``@``, or an error whose recovery skips regions) covers
several and is simply not cached. A span is cached under its region's exact bytes and whether the region
is the file's last one (the parser may look at EOF there), and only when the parse looked at nothing past
the region. Cached results hold offsets relative to the region start, so a decl that only moved keeps the
very same ``Inst`` tree; the result is identical to ``parser.parse`` of the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compiler.errors import ErrorMsg
from compiler.zir.ast import ParsedFile, SourceDecl
from compiler.zir.parser import SpanDecl, absolute_items, assemble, parse_span

_LINE_START_AT = re.compile(rb"^@", re.MULTILINE)


@dataclass(slots=True)
class _Entry:
    """A cached span: its items (relative offsets) and the absolute items made for its last position."""

    items: list[SpanDecl | ErrorMsg]
    last_base: int
    last_items: list[SourceDecl | ErrorMsg]
    generation: int


@dataclass(slots=True)
class ParseStats:
    """Counters of the last ``IncrementalParser.parse`` call (for tests and benchmarks)."""

    regions: int = 0
    """Regions visited by the span loop."""
    spans_parsed: int = 0
    """Spans actually parsed (cache misses and uncacheable spans)."""
    bytes_parsed: int = 0
    """Total length of the spans actually parsed."""


@dataclass(slots=True)
class IncrementalParser:
    """Parses successive versions of one file, re-parsing only the regions whose bytes changed.

    ``parse`` returns exactly what ``parser.parse`` returns for the same bytes; unchanged regions give the
    same ``Inst`` objects (and, when they did not move, the same ``SourceDecl`` objects) as before.
    """

    _cache: dict[tuple[bytes, bool], _Entry] = field(default_factory=dict)
    _generation: int = 0
    stats: ParseStats = field(default_factory=ParseStats)

    def parse(self, source: bytes) -> ParsedFile:
        self._generation += 1
        self.stats = ParseStats()
        result = assemble(source, self._span)
        if len(self._cache) > 2 * max(self.stats.regions, 64):
            self._evict()
        return result

    def clear(self) -> None:
        """Forgets every cached region."""
        self._cache.clear()

    def _span(self, buf: bytes, start: int) -> tuple[list[SourceDecl | ErrorMsg], int]:
        n = len(buf) - 1
        m = _LINE_START_AT.search(buf, start + 1, n)
        region_end = m.start() if m else n
        key = (buf[start:region_end], region_end == n)
        stats = self.stats
        stats.regions += 1
        entry = self._cache.get(key)
        if entry is None:
            span = parse_span(buf, start)
            stats.spans_parsed += 1
            stats.bytes_parsed += span.length
            end = start + span.length
            if end != region_end or start + span.far > region_end:
                return absolute_items(span.items, start), end
            entry = _Entry(span.items, -1, [], self._generation)
            self._cache[key] = entry
        entry.generation = self._generation
        if entry.last_base != start:
            entry.last_items = absolute_items(entry.items, start)
            entry.last_base = start
        return entry.last_items, region_end

    def _evict(self) -> None:
        """Drops the regions not seen in the latest parse (bounds memory across many edits)."""
        current = self._generation
        self._cache = {k: e for k, e in self._cache.items() if e.generation == current}
