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
    prefix_bytes: int = 0
    """Length of the common prefix of this version and the previous one."""


@dataclass(slots=True)
class _Version:
    """The spans and items of the latest parse, as parallel lists (edited in place by the next parse)."""

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
    name_counts: dict[str, int] = field(default_factory=dict)
    """How many decls have each name."""
    duplicates: int = 0
    """Decls whose name an earlier decl already has (0: no top-level redefinition)."""


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
        unique = version.duplicates == 0
        if unique:  # copies (C speed): the version's lists are edited in place by the next parse
            result = ParsedFile(list(version.decls), list(version.errors))
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
        """The spans of ``data``: the previous version's lists, with the spans between the common prefix and
        suffix replaced in place (slice assignment) and the suffix's positions shifted only when it moved."""
        n = len(data)
        buf = data + b"\0"
        old = self._last if self._last is not None else _Version()
        prev = old.data
        p = common_prefix(prev, data)
        s = common_suffix(prev, data, min(len(prev), n) - p)
        delta = n - len(prev)
        count = len(old.span_start)
        keep = bisect_right(old.span_examined, p)
        first_suffix = max(keep, bisect_right(old.span_start, len(prev) - s))
        self.stats.prefix_bytes = p
        self.stats.shift = delta
        # the changed middle: parsed span by span through the region cache
        mid = _Version(data)
        pos = old.span_end[keep - 1] if keep else 0
        j = count
        while pos < n:
            k = bisect_left(old.span_start, pos - delta, first_suffix)
            if k < count and old.span_start[k] == pos - delta:
                j = k
                break
            items, end, examined_end, rel, entry = self._span_rec(buf, pos)
            self._append(mid, pos, end, examined_end, entry, items, rel)
            pos = end
        nd_keep = old.span_first_decl[keep] if keep < count else len(old.decls)
        ne_keep = old.span_first_error[keep] if keep < count else len(old.errors)
        nd_j = old.span_first_decl[j] if j < count else len(old.decls)
        ne_j = old.span_first_error[j] if j < count else len(old.errors)
        self.stats.spans_reused = keep + count - j
        self.stats.same_prefix_decls = nd_keep
        self.stats.same_suffix_decls = len(old.decls) - nd_j
        decl_shift = nd_keep + len(mid.decls) - nd_j
        error_shift = ne_keep + len(mid.errors) - ne_j
        bound = old.span_examined[keep - 1] if keep else 0
        # the suffix, shifted in place when it moved
        if delta:
            for lst in (old.span_start, old.span_end, old.span_examined):
                lst[j:] = [x + delta for x in lst[j:]]
            bases = [b + delta for b in old.decl_base[nd_j:]]
            old.decls[nd_j:] = [
                SourceDecl(d.name, d.inst, b + d.name_offset, b + d.contents_start, b + d.contents_end, d.contents_hash)
                for d, b in zip(old.rel_decls[nd_j:], bases, strict=True)
            ]
            old.decl_base[nd_j:] = bases
            error_bases = [b + delta for b in old.error_base[ne_j:]]
            old.errors[ne_j:] = [ErrorMsg(b + e.byte_offset, e.msg) for e, b in zip(old.rel_errors[ne_j:], error_bases, strict=True)]
            old.error_base[ne_j:] = error_bases
        if decl_shift:
            old.span_first_decl[j:] = [x + decl_shift for x in old.span_first_decl[j:]]
        if error_shift:
            old.span_first_error[j:] = [x + error_shift for x in old.span_first_error[j:]]
        mid_bound = max(bound, mid.span_examined[-1]) if mid.span_examined else bound
        if j < count and old.span_examined[j] < mid_bound:
            old.span_examined[j:] = list(itertools.accumulate(old.span_examined[j:], max, initial=mid_bound))[1:]
        # the middle, spliced in
        if mid.span_examined and mid.span_examined[0] < bound:
            mid.span_examined = list(itertools.accumulate(mid.span_examined, max, initial=bound))[1:]
        old.span_start[keep:j] = mid.span_start
        old.span_end[keep:j] = mid.span_end
        old.span_examined[keep:j] = mid.span_examined
        old.span_entry[keep:j] = mid.span_entry
        old.span_first_decl[keep:j] = [x + nd_keep for x in mid.span_first_decl]
        old.span_first_error[keep:j] = [x + ne_keep for x in mid.span_first_error]
        counts = old.name_counts
        for name in old.names[nd_keep:nd_j]:
            c = counts[name] - 1
            if c:
                counts[name] = c
                old.duplicates -= 1
            else:
                del counts[name]
        for name in mid.names:
            c = counts.get(name, 0)
            counts[name] = c + 1
            if c:
                old.duplicates += 1
        old.decls[nd_keep:nd_j] = mid.decls
        old.rel_decls[nd_keep:nd_j] = mid.rel_decls
        old.decl_base[nd_keep:nd_j] = mid.decl_base
        old.names[nd_keep:nd_j] = mid.names
        old.errors[ne_keep:ne_j] = mid.errors
        old.rel_errors[ne_keep:ne_j] = mid.rel_errors
        old.error_base[ne_keep:ne_j] = mid.error_base
        old.data = data
        return old

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
