"""The per-region parse cache: only the decl regions whose bytes changed are parsed (performance.md §6).

A file is split, with one regular expression, into *regions*: from one line-start ``@`` (or offset 0) to
the next. The parser (``parser.py``) parses *spans*, which start at a region start and end at the next
line-start ``@`` where its top-level loop stands clean. Most spans are exactly one region; a span that
runs on (a decl continued on a line starting with ``@``, or an error whose recovery skips regions) covers
several and is simply not cached. A span is cached under its region's exact bytes and whether the region
is the file's last one (the parser may look at EOF there), and only when the parse looked at nothing past
the region. Cached results hold offsets relative to the region start, so a decl that only moved keeps the
very same ``Inst`` tree; the result is identical to ``parser.parse`` of the whole file.

Between two versions of the file, the common prefix and suffix are found with slice comparisons; the
spans lying inside them are taken over without looking at their regions (those after the edit are shifted
by the length difference), so an edit costs the changed regions plus C-speed list work for the rest.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from compiler.errors import ErrorMsg
from compiler.zir.ast import ParsedFile, SourceDecl
from compiler.zir.parser import SpanDecl, absolute_items, assemble, content_of, parse_span

_LINE_START_AT = re.compile(rb"^@", re.MULTILINE)
_CHUNK = 1 << 16


@dataclass(slots=True)
class _Entry:
    """A cached span: its items (relative offsets) and the absolute items made for its last position."""

    items: list[SpanDecl | ErrorMsg]
    last_base: int
    last_items: list[SourceDecl | ErrorMsg]
    generation: int


def common_prefix(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix of ``a`` and ``b`` (slice comparisons, C speed)."""
    limit = min(len(a), len(b))
    lo = 0
    while lo < limit and a[lo : lo + _CHUNK] == b[lo : lo + _CHUNK]:
        lo += _CHUNK
    hi = min(limit, lo + _CHUNK)
    while lo < hi:  # a[:lo] == b[:lo]; a difference lies before hi
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return min(lo, limit)


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """The length (at most ``limit``) of the longest common suffix of ``a`` and ``b``."""
    la, lb = len(a), len(b)
    lo = 0
    while lo < limit and a[la - min(limit, lo + _CHUNK) : la - lo] == b[lb - min(limit, lo + _CHUNK) : lb - lo]:
        lo = min(limit, lo + _CHUNK)
    hi = min(limit, lo + _CHUNK)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


@dataclass(slots=True)
class ParseStats:
    """Counters of the last ``IncrementalParser.parse`` call (for tests and benchmarks)."""

    regions: int = 0
    """Regions looked up in the cache (spans taken over from the previous version are not counted)."""
    spans_parsed: int = 0
    """Spans actually parsed (cache misses and uncacheable spans)."""
    bytes_parsed: int = 0
    """Total length of the spans actually parsed."""
    spans_reused: int = 0
    """Spans taken over from the previous version without a cache lookup (common prefix and suffix)."""
    same_prefix_decls: int = 0
    """The first this many decls of the result are the previous result's very ``SourceDecl`` objects."""
    same_suffix_decls: int = 0
    """The last this many decls of the result have the previous result's last ones' names, ``Inst`` trees
    and contents, moved by ``shift`` bytes. Both counts are 0 when this or the previous file had a
    top-level redefinition."""
    shift: int = 0
    """Length of this version minus length of the previous one."""


@dataclass(slots=True)
class _Version:
    """The spans and items of the latest parse, as parallel lists (shifted wholesale, never per object)."""

    data: bytes = b""
    span_start: list[int] = field(default_factory=list)
    span_end: list[int] = field(default_factory=list)
    span_examined: list[int] = field(default_factory=list)
    """Running maximum over spans of "one past the last byte the span's parse depended on"."""
    span_entry: list[_Entry | None] = field(default_factory=list)
    span_first_decl: list[int] = field(default_factory=list)
    span_first_error: list[int] = field(default_factory=list)
    decls: list[SourceDecl] = field(default_factory=list)
    rel_decls: list[SpanDecl] = field(default_factory=list)
    decl_base: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    errors: list[ErrorMsg] = field(default_factory=list)
    rel_errors: list[ErrorMsg] = field(default_factory=list)
    error_base: list[int] = field(default_factory=list)


@dataclass(slots=True)
class IncrementalParser:
    """Parses successive versions of one file, re-parsing only the regions whose bytes changed.

    ``parse`` returns exactly what ``parser.parse`` returns for the same bytes; unchanged regions give the
    same ``Inst`` objects (and, when they did not move, the same ``SourceDecl`` objects) as before.
    """

    _cache: dict[tuple[bytes, bool], _Entry] = field(default_factory=dict)
    _generation: int = 0
    _last: _Version | None = None
    _last_was_spans: bool = False
    """The previous result was the plain concatenation of ``_last``'s spans (no duplicate names)."""
    stats: ParseStats = field(default_factory=ParseStats)

    def parse(self, source: bytes) -> ParsedFile:
        self._generation += 1
        self.stats = ParseStats()
        data = content_of(source)
        version = self._version(data)
        self._last = version
        unique = len(set(version.names)) == len(version.names)
        if unique:
            result = ParsedFile(version.decls, version.errors)
        else:  # a top-level redefinition: the exact (restarting) assembly, regions from the cache
            result = assemble(source, self._span)
        if not (unique and self._last_was_spans):
            self.stats.same_prefix_decls = self.stats.same_suffix_decls = 0
        self._last_was_spans = unique
        if len(self._cache) > 2 * max(len(version.span_start), 64):
            self._evict()
        return result

    def clear(self) -> None:
        """Forgets every cached region and the previous version."""
        self._cache.clear()
        self._last = None
        self._last_was_spans = False

    def _version(self, data: bytes) -> _Version:
        """The spans of ``data``, taking over those of the previous version inside the common prefix/suffix."""
        n = len(data)
        buf = data + b"\0"
        old = self._last if self._last is not None else _Version()
        prev = old.data
        p = common_prefix(prev, data)
        s = common_suffix(prev, data, min(len(prev), n) - p)
        delta = n - len(prev)
        keep = bisect_right(old.span_examined, p)
        first_suffix = max(keep, bisect_right(old.span_start, len(prev) - s))
        new = _Version(data)
        # the common prefix: taken over as is
        if keep:
            new.span_start = old.span_start[:keep]
            new.span_end = old.span_end[:keep]
            new.span_examined = old.span_examined[:keep]
            new.span_entry = old.span_entry[:keep]
            nd = old.span_first_decl[keep] if keep < len(old.span_start) else len(old.decls)
            ne = old.span_first_error[keep] if keep < len(old.span_start) else len(old.errors)
            new.span_first_decl = old.span_first_decl[:keep]
            new.span_first_error = old.span_first_error[:keep]
            new.decls = old.decls[:nd]
            new.rel_decls = old.rel_decls[:nd]
            new.decl_base = old.decl_base[:nd]
            new.names = old.names[:nd]
            new.errors = old.errors[:ne]
            new.rel_errors = old.rel_errors[:ne]
            new.error_base = old.error_base[:ne]
        self.stats.spans_reused = keep
        self.stats.same_prefix_decls = len(new.decls)
        self.stats.shift = delta
        # the changed middle: parsed span by span through the region cache
        pos = new.span_end[-1] if keep else 0
        suffix_at = -1
        while pos < n:
            j = bisect_left(old.span_start, pos - delta, first_suffix)
            if j < len(old.span_start) and old.span_start[j] == pos - delta:
                suffix_at = j
                break
            items, end, examined_end, rel, entry = self._span_rec(buf, pos)
            self._append(new, pos, end, examined_end, entry, items, rel)
            pos = end
        if suffix_at >= 0:
            self._append_suffix(new, old, suffix_at, delta)
        return new

    @staticmethod
    def _append(
        new: _Version,
        start: int,
        end: int,
        examined_end: int,
        entry: _Entry | None,
        items: list[SourceDecl | ErrorMsg],
        rel: list[SpanDecl | ErrorMsg],
    ) -> None:
        new.span_start.append(start)
        new.span_end.append(end)
        new.span_examined.append(max(examined_end, new.span_examined[-1]) if new.span_examined else examined_end)
        new.span_entry.append(entry)
        new.span_first_decl.append(len(new.decls))
        new.span_first_error.append(len(new.errors))
        for item, r in zip(items, rel, strict=True):
            if isinstance(item, SourceDecl):
                assert isinstance(r, SpanDecl)
                new.decls.append(item)
                new.rel_decls.append(r)
                new.decl_base.append(start)
                new.names.append(item.name)
            else:
                assert isinstance(r, ErrorMsg)
                new.errors.append(item)
                new.rel_errors.append(r)
                new.error_base.append(start)

    def _append_suffix(self, new: _Version, old: _Version, j: int, delta: int) -> None:
        """Appends the old spans from ``j`` on, shifted by ``delta`` (list operations only)."""
        self.stats.spans_reused += len(old.span_start) - j
        nd, ne = old.span_first_decl[j], old.span_first_error[j]
        self.stats.same_suffix_decls = len(old.decls) - nd
        decl_shift = len(new.decls) - nd
        error_shift = len(new.errors) - ne
        bound = new.span_examined[-1] if new.span_examined else 0
        examined = [x + delta for x in old.span_examined[j:]]
        if examined and examined[0] < bound:
            examined = list(itertools.accumulate(examined, max, initial=bound))[1:]
        new.span_start += [x + delta for x in old.span_start[j:]]
        new.span_end += [x + delta for x in old.span_end[j:]]
        new.span_examined += examined
        new.span_entry += old.span_entry[j:]
        new.span_first_decl += [x + decl_shift for x in old.span_first_decl[j:]]
        new.span_first_error += [x + error_shift for x in old.span_first_error[j:]]
        new.rel_decls += old.rel_decls[nd:]
        new.names += old.names[nd:]
        new.rel_errors += old.rel_errors[ne:]
        if delta == 0:
            new.decls += old.decls[nd:]
            new.decl_base += old.decl_base[nd:]
            new.errors += old.errors[ne:]
            new.error_base += old.error_base[ne:]
            return
        bases = [b + delta for b in old.decl_base[nd:]]
        new.decls += [
            SourceDecl(d.name, d.inst, b + d.name_offset, b + d.contents_start, b + d.contents_end, d.contents_hash)
            for d, b in zip(old.rel_decls[nd:], bases, strict=True)
        ]
        new.decl_base += bases
        error_bases = [b + delta for b in old.error_base[ne:]]
        new.errors += [ErrorMsg(b + e.byte_offset, e.msg) for e, b in zip(old.rel_errors[ne:], error_bases, strict=True)]
        new.error_base += error_bases

    def _span_rec(
        self, buf: bytes, start: int
    ) -> tuple[list[SourceDecl | ErrorMsg], int, int, list[SpanDecl | ErrorMsg], _Entry | None]:
        """The span at ``start``: (absolute items, end, examined end, relative items, cache entry)."""
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
            examined_end = max(start + span.far, end) + 1
            if end != region_end or start + span.far > region_end:
                return absolute_items(span.items, start), end, examined_end, span.items, None
            entry = _Entry(span.items, -1, [], self._generation)
            self._cache[key] = entry
        entry.generation = self._generation
        if entry.last_base != start:
            entry.last_items = absolute_items(entry.items, start)
            entry.last_base = start
        return entry.last_items, region_end, region_end + 1, entry.items, entry

    def _span(self, buf: bytes, start: int) -> tuple[list[SourceDecl | ErrorMsg], int]:
        """The ``SpanSource`` of ``assemble``, through the region cache."""
        items, end, _, _, _ = self._span_rec(buf, start)
        return items, end

    def _evict(self) -> None:
        """Drops the regions not in the latest version (bounds memory across many edits)."""
        current = self._generation
        if self._last is not None:
            for entry in self._last.span_entry:
                if entry is not None:
                    entry.generation = current
        self._cache = {k: e for k, e in self._cache.items() if e.generation == current}
