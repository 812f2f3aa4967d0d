"""The per-region parse cache: only the decl regions whose bytes changed are parsed (performance.md §6).

A file is split, with one regular expression, into *regions*: from one line-start ``@`` (or offset 0) to
the next. The parser (``parser.py``) parses *spans*, which start at a region start and end at the next
line-start ``@`` where its top-level loop stands clean. Most spans are exactly one region; a span that
runs on (a decl continued on a line starting with ``@``, or an error whose recovery skips regions) covers
several and is simply not cached. A span is cached under a 128-bit hash of its region's bytes and whether
the region is the file's last one (the parser may look at EOF there), and only when the parse looked at
nothing past the region. Cached results hold offsets relative to the region start, so a decl that only moved keeps the
very same ``Inst`` tree; the result is identical to ``parser.parse`` of the whole file.

Between two versions of the file, the common prefix and suffix are found with slice comparisons; the
spans lying inside them are taken over without looking at their regions. Those after the edit move by the
length difference through ``ShiftedList``'s per-block offsets, and their ``SourceDecl`` objects are made only
when read (``DeclView``), so an edit costs the changed regions, not the file's size, wherever it is.
A ``DeclView`` reads the parser's current version: it is valid until the parser's next parse (a parse that
has errors works on a copy, so the last good result stays readable while the file does not parse).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator, Sequence
from typing import Final, TypeAlias, overload

from compiler.errors import ErrorMsg
from compiler.zir.ast import ParsedFile, SourceDecl
from compiler.zir.bytediff import changed_content
from compiler.zir.parser import KnownGood, Span, SpanDecl, absolute_items, assemble, parse_span
from compiler.zir.shifted import ShiftedList

_LINE_START_AT: Final = re.compile(rb"^@", re.MULTILINE)


Entry: TypeAlias = "SpanDecl | tuple[SpanDecl | ErrorMsg, ...]"
"""A cached span's items (relative offsets): its one decl itself (most spans), else a tuple. No record of its
own and no absolute items: ``SourceDecl`` objects are made when read (docs/design/performance.md §9)."""


def _entry(items: list[SpanDecl | ErrorMsg]) -> Entry:
    return items[0] if len(items) == 1 and isinstance(items[0], SpanDecl) else tuple(items)


def _items(entry: Entry) -> Sequence[SpanDecl | ErrorMsg]:
    return (entry,) if isinstance(entry, SpanDecl) else entry


def _attach(data: bytes, n: int, base: int, rel: SpanDecl) -> None:
    """Gives the detached ``rel`` its instruction tree again: parses its span, the one region at ``base`` of
    ``data[:n]``, as the region cache parses it (the same text: the same tree, made anew)."""
    m = _LINE_START_AT.search(data, base + 1, n)
    region_end = m.start() if m else n
    window = data[base:region_end] + (b"\0" if region_end == n else b"@\0")
    for item in parse_span(window, 0, None, True).items:
        if isinstance(item, SpanDecl) and (item.name_offset, item.contents_hash) == (
            rel.name_offset,
            rel.contents_hash,
        ):
            rel.inst = item.inst
            return
    raise RuntimeError(f"the region of detached decl '{rel.name}' does not parse to it")


class ParseStats:
    """Counters of the last ``IncrementalParser.parse`` call (for tests and benchmarks)."""

    regions: int
    """Regions looked up in the cache (spans taken over from the previous version are not counted)."""
    spans_parsed: int
    """Spans actually parsed (cache misses and uncacheable spans)."""
    bytes_parsed: int
    """Total length of the spans actually parsed."""
    spans_reused: int
    """Spans taken over from the previous version without a cache lookup (common prefix and suffix)."""
    same_prefix_decls: int
    """The first this many decls of the result are the previous result's decls, unmoved (the same names,
    ``Inst`` trees, contents and positions)."""
    same_suffix_decls: int
    """The last this many decls of the result have the previous result's last ones' names, ``Inst`` trees
    and contents, moved by ``shift`` bytes. Both counts are 0 when this or the previous file had a
    top-level redefinition."""
    shift: int
    """Length of this version minus length of the previous one."""
    prefix_bytes: int
    """Length of the common prefix of this version and the previous one."""
    old_decl_count: int
    """How many decls the previous result had."""
    old_names: list[str]
    """The names of the previous result's decls between its ``same_prefix_decls`` and ``same_suffix_decls``."""
    decl_writes: int
    """Decl records written into the version's lists (the changed region's decls)."""
    positions_moved: int
    """Stored positions converted from one block offset to another by a ``ShiftedList`` (merging blocks; 0 per edit)."""
    bodies_deferred: int
    """Function bodies of parsed spans left to be parsed when read (``known``)."""
    nul_scanned: int
    """Bytes searched for the NUL that ends the content (zir-language.md §2.1): the changed middle only."""
    seed_parsed: int
    """Spans parsed while rebuilding the recorded version a restart's first parse started from (``seed``)."""
    bytes_copied: int
    """Bytes of the source copied to parse spans (their regions; the whole content only for a span that runs
    past its region): O(edit), not O(file), for an edit inside one decl."""

    __slots__ = ("bodies_deferred", "bytes_copied", "bytes_parsed", "decl_writes", "nul_scanned", "old_decl_count",
                 "old_names", "positions_moved", "prefix_bytes", "regions", "same_prefix_decls", "same_suffix_decls",
                 "seed_parsed", "shift", "spans_parsed", "spans_reused")  # fmt: skip

    def __init__(self) -> None:
        self.regions = self.spans_parsed = self.bytes_parsed = self.spans_reused = self.same_prefix_decls = 0
        self.same_suffix_decls = self.shift = self.prefix_bytes = self.old_decl_count = self.decl_writes = 0
        self.positions_moved = self.bodies_deferred = self.bytes_copied = self.nul_scanned = self.seed_parsed = 0
        self.old_names = []


class _Middle:
    """The spans and items parsed for the changed middle of a new version (absolute positions)."""

    __slots__ = ("decl_base", "error_base", "errors", "names", "rel_decls", "rel_errors", "span_end", "span_entry",
                 "span_examined", "span_first_decl", "span_first_error", "span_start")  # fmt: skip

    def __init__(self) -> None:
        self.span_start: list[int] = []
        self.span_end: list[int] = []
        self.span_examined: list[int] = []
        self.span_entry: list[Entry | None] = []
        self.span_first_decl: list[int] = []
        self.span_first_error: list[int] = []
        self.rel_decls: list[SpanDecl] = []
        self.decl_base: list[int] = []
        self.names: list[str] = []
        self.errors: list[ErrorMsg] = []
        self.rel_errors: list[ErrorMsg] = []
        self.error_base: list[int] = []


class _Version:
    """The spans and items of the latest parse, as parallel lists (edited in place by the next parse)."""

    __slots__ = ("data", "decl_base", "duplicates", "error_base", "errors", "generation", "name_counts", "names",
                 "reattached", "rel_decls", "rel_errors", "remade", "span_end", "span_entry", "span_examined",
                 "span_first_decl", "span_first_error", "span_start")  # fmt: skip

    def __init__(self) -> None:
        self.data = b""
        self.span_start = ShiftedList()
        self.span_end = ShiftedList()
        self.span_examined = ShiftedList()
        """Running maximum over spans of "one past the last byte the span's parse depended on"."""
        self.span_entry: list[Entry | None] = []
        self.span_first_decl = ShiftedList()
        self.span_first_error: list[int] = []
        self.rel_decls: list[SpanDecl] = []
        """Each decl's record, relative to its span's start (``decl_base``); ``DeclView`` makes the absolute
        ``SourceDecl`` when read and keeps none (docs/design/performance.md §9)."""
        self.decl_base = ShiftedList()
        self.names: list[str] = []
        self.errors: list[ErrorMsg] = []
        self.rel_errors: list[ErrorMsg] = []
        self.error_base: list[int] = []
        self.name_counts: dict[str, int] = {}
        """How many decls have each name."""
        self.duplicates = 0
        """Decls whose name an earlier decl already has (0: no top-level redefinition)."""
        self.generation = 0
        """Bumped at every change: a ``DeclView`` of another generation is stale."""
        self.remade = 0
        """``SourceDecl`` objects a ``DeclView`` made (one per read; for counting tests)."""
        self.reattached = 0
        """Detached decls whose region a ``DeclView`` read parsed again (``DeclView.detach``)."""

    def copy(self) -> _Version:
        new = _Version()
        new.data, new.duplicates, new.generation = self.data, self.duplicates, self.generation
        new.span_start, new.span_end = self.span_start.copy(), self.span_end.copy()
        new.span_examined, new.span_first_decl = self.span_examined.copy(), self.span_first_decl.copy()
        new.decl_base, new.name_counts = self.decl_base.copy(), dict(self.name_counts)
        new.span_entry, new.span_first_error = list(self.span_entry), list(self.span_first_error)
        new.rel_decls, new.names = list(self.rel_decls), list(self.names)
        new.errors, new.rel_errors, new.error_base = list(self.errors), list(self.rel_errors), list(self.error_base)
        return new

    def moved(self) -> int:
        return sum(
            x.moved for x in (self.span_start, self.span_end, self.span_examined, self.span_first_decl, self.decl_base)
        )


class DeclView(Sequence[SourceDecl]):
    """The decls of one parse, made from the version's relative records when read (O(1) per decl, and none
    kept: a program's absolute positions are not held per decl, docs/design/performance.md §9).

    Valid until the parser's next parse; reading it later raises ``RuntimeError`` (never stale positions).
    """

    __slots__ = ("_generation", "_len", "_version")

    def __init__(self, version: _Version) -> None:
        self._version = version
        self._generation = version.generation
        self._len = len(version.rel_decls)

    def __len__(self) -> int:
        return self._len

    def _get(self, i: int) -> SourceDecl:
        v = self._version
        v.remade += 1
        rel = v.rel_decls[i]
        base = v.decl_base[i]
        if rel.inst is None:
            _attach(v.data, len(v.data), base, rel)
            v.reattached += 1
        return rel.at(base)

    def record(self, i: int) -> tuple[SpanDecl, int]:
        """Decl ``i``'s relative record and its span's start: its positions, without a ``SourceDecl`` made (nor
        a detached decl parsed again)."""
        self._check()
        return self._version.rel_decls[i], self._version.decl_base[i]

    def records(self) -> tuple[list[SpanDecl], list[int]]:
        """Every decl's relative record and its span's start (``record`` of each), read together: valid, like
        the view, until the parser's next parse (a restart reads ten thousands, docs/design/performance.md §7.6)."""
        self._check()
        v = self._version
        return v.rel_decls, v.decl_base.values()

    def detach(self, i: int, name: str) -> bool:
        """Drops the instruction tree of decl ``i`` (named ``name``) until read again, which parses its region
        again (docs/design/performance.md §9.1). Only a decl whose span is one cached region, whose parse depends
        on its bytes alone, of a view still current; returns whether it was detached."""
        v = self._version
        if v.generation != self._generation or not 0 <= i < self._len:
            return False
        rel = v.rel_decls[i]
        k = v.span_first_decl.bisect_right(i) - 1
        if rel.name != name or k < 0 or v.span_entry[k] is None:
            return False
        rel.inst = None
        return True

    def _check(self) -> None:
        if self._version.generation != self._generation:
            raise RuntimeError("a parse result was read after its parser parsed again")

    @overload
    def __getitem__(self, i: int) -> SourceDecl: ...
    @overload
    def __getitem__(self, i: slice) -> list[SourceDecl]: ...
    def __getitem__(self, i: int | slice) -> SourceDecl | list[SourceDecl]:
        self._check()
        if isinstance(i, slice):
            return [self._get(k) for k in range(*i.indices(self._len))]
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError(i)
        return self._get(i)

    def __iter__(self) -> Iterator[SourceDecl]:
        self._check()
        for k in range(self._len):
            yield self._get(k)

    def __eq__(self, other: object) -> bool:  # compares like the list it stands for
        return isinstance(other, Sequence) and len(other) == self._len and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


class IncrementalParser:
    """Parses successive versions of one file, re-parsing only the regions whose bytes changed.

    ``parse`` returns exactly what ``parser.parse`` returns for the same bytes; unchanged regions give the
    same ``Inst`` objects (and, when they did not move, the same ``SourceDecl`` objects) as before.
    """

    __slots__ = ("_cache", "_good", "_good_assembled_names", "_good_was_spans", "_last", "_seeded", "cache_regions",
                 "drop_bodies", "keep_parsed", "known", "stats")  # fmt: skip

    def __init__(self, known: KnownGood | None = None) -> None:
        self._cache: dict[bytes, Entry] = {}
        self._last: _Version | None = None
        """The version of the latest result."""
        self._good: _Version | None = None
        """The version of the latest result without errors: the next parse is diffed against it."""
        self._good_was_spans = False
        """That result was the plain concatenation of ``_good``'s spans (no duplicate names)."""
        self._good_assembled_names: list[str] = []
        """The decl names of that result when it was assembled (a top-level redefinition)."""
        self.stats = ParseStats()
        self.known = known
        """Functions whose contents are known to parse (a restart's compile cache): their bodies are deferred."""
        self.drop_bodies = True
        """A parsed function body is kept as its text only (performance.md §9.1); off for a one-shot build, whose
        analysis follows at once (the instructions are then released as it analyses each body)."""
        self.keep_parsed = 1024
        """With ``drop_bodies``, the first this many spans of one parse still keep their bodies as parsed
        (analysis releases them): an edit's few changed bodies are parsed once, and a whole file holds at most
        this many."""
        self._seeded: tuple[set[str], int] = (set(), 0)
        """The deferred bodies' decls of a version ``seed`` gave and the spans it parsed, until the next parse
        counts them (docs/design/performance.md §7.4)."""
        self.cache_regions = True
        """Parsed regions go into the region cache. Off for a one-shot build, which parses once: no later parse
        would look one up, so the regions are neither hashed nor kept."""

    def parse(self, source: bytes) -> ParsedFile:
        """The parse of ``source``; ``stats`` describe it against the latest result that had no errors."""
        self.stats = ParseStats()
        base = self._good
        moved_before = base.moved() if base is not None else 0
        version, replaced, nd_keep, mid_count = self._version(source)
        stats = self.stats
        deferred, stats.seed_parsed = self._seeded  # the seed's deferred bodies taken over count as this parse's
        if deferred or stats.seed_parsed:
            stats.bodies_deferred += len(deferred) - sum(1 for name in replaced if name in deferred)
            self._seeded = (set(), 0)
        stats.positions_moved = version.moved() - (moved_before if version is base else 0)
        self._last = version
        unique = version.duplicates == 0
        result: ParsedFile
        if unique:  # the decls are read through the version (valid until the next parse); errors are few
            result = ParsedFile(DeclView(version), list(version.errors))
        else:  # a top-level redefinition: the exact (restarting) assembly, regions from the cache
            result = assemble(source, self._span)
        if unique and self._good_was_spans:
            stats.old_names = replaced
        else:  # the diff against the previous result is not local: all its names
            stats.same_prefix_decls = stats.same_suffix_decls = 0
            if self._good_was_spans:
                names = version.names
                stats.old_names = names[:nd_keep] + replaced + names[nd_keep + mid_count :]
            else:
                stats.old_names = self._good_assembled_names
            stats.old_decl_count = len(stats.old_names)
        if not result.errors:
            assert version.errors == [] and (base is None or version is base)
            self._good = version
            self._good_was_spans = unique
            self._good_assembled_names = [] if unique else [d.name for d in result.decls]
        if len(self._cache) > 2 * max(len(version.span_start), 64):
            self._evict()
        return result

    def seed(self, version: _Version, deferred: set[str], parsed: int) -> None:
        """Diff the next parse against ``version``, a parse of an earlier text made without parsing all of it
        (``compiler/zir/seed.py``); ``deferred`` names its decls whose bodies are deferred, ``parsed`` counts
        the spans that were parsed to make it."""
        self._good, self._good_was_spans, self._seeded = version, True, (deferred, parsed)

    def good_version(self) -> _Version | None:
        """The version of the latest result without errors (what the next parse is diffed against)."""
        return self._good

    def decls_remade(self) -> int:
        """How many ``SourceDecl`` objects were made when read, since the version was made."""
        return self._last.remade if self._last is not None else 0

    def decls_reattached(self) -> int:
        """How many detached decls' regions were parsed again when read, since the version was made."""
        return self._last.reattached if self._last is not None else 0

    def clear(self) -> None:
        """Forgets every cached region and the previous version."""
        self._cache.clear()
        self._last = self._good = None
        self._good_was_spans = False
        self._good_assembled_names = []

    def _version(self, source: bytes) -> tuple[_Version, list[str], int, int]:
        """The spans of ``source``'s content: the previous version's lists, with the spans between the common
        prefix and suffix replaced in place and the suffix's positions shifted lazily (``ShiftedList``) when it
        moved.

        The previous version is the latest one without errors. Also returns the replaced decls' names, the
        index of the first of them, and how many decls replaced them. A version that has errors (parse errors
        or a redefinition) is made on a copy, so the last good result stays readable and the next parse is
        diffed against it.
        """
        old = self._good if self._good is not None else _Version()
        prev = old.data
        data, p, s, self.stats.nul_scanned = changed_content(prev, source)  # the content ends at a NUL
        n = len(data)
        delta = n - len(prev)
        count = len(old.span_start)
        keep = old.span_examined.bisect_right(p)
        first_suffix = max(keep, old.span_start.bisect_right(len(prev) - s))
        self.stats.prefix_bytes = p
        self.stats.shift = delta
        # the changed middle: parsed span by span through the region cache
        mid = _Middle()
        pos = old.span_end[keep - 1] if keep else 0
        j = count
        while pos < n:
            k = old.span_start.bisect_left(pos - delta, first_suffix)
            if k < count and old.span_start[k] == pos - delta:
                j = k
                break
            end, examined_end, rel, entry = self._span_rec(data, n, pos)
            self._append(mid, pos, end, examined_end, entry, rel)
            pos = end
        nd_keep = old.span_first_decl[keep] if keep < count else len(old.rel_decls)
        ne_keep = old.span_first_error[keep] if keep < count else len(old.errors)
        nd_j = old.span_first_decl[j] if j < count else len(old.rel_decls)
        ne_j = old.span_first_error[j] if j < count else len(old.errors)
        if self._good is not None and (
            ne_keep + len(mid.errors) + len(old.errors) - ne_j or self._duplicates_after(old, nd_keep, nd_j, mid.names)
        ):
            old = old.copy()
        old.generation += 1
        stats = self.stats
        stats.spans_reused = keep + count - j
        stats.same_prefix_decls = nd_keep
        stats.same_suffix_decls = len(old.rel_decls) - nd_j
        stats.old_decl_count = len(old.rel_decls)
        stats.decl_writes = len(mid.rel_decls)
        decl_shift = nd_keep + len(mid.rel_decls) - nd_j
        error_shift = ne_keep + len(mid.errors) - ne_j
        bound = old.span_examined[keep - 1] if keep else 0
        # the suffix: positions shifted lazily (block offsets, docs/design/performance.md §6.2)
        if delta:
            for lst in (old.span_start, old.span_end, old.span_examined):
                lst.shift_from(j, delta)
            old.decl_base.shift_from(nd_j, delta)
            error_bases = [b + delta for b in old.error_base[ne_j:]]
            old.errors[ne_j:] = [
                ErrorMsg(b + e.byte_offset, e.msg) for e, b in zip(old.rel_errors[ne_j:], error_bases, strict=True)
            ]
            old.error_base[ne_j:] = error_bases
        if decl_shift:
            old.span_first_decl.shift_from(j, decl_shift)
        if error_shift:
            old.span_first_error[j:] = [x + error_shift for x in old.span_first_error[j:]]
        mid_bound = max(bound, mid.span_examined[-1]) if mid.span_examined else bound
        if j < count and old.span_examined[j] < mid_bound:  # rare: a span's parse looked past its end
            tail = list(itertools.accumulate(old.span_examined.values(j), max, initial=mid_bound))[1:]
            old.span_examined.splice(j, count, tail)
        # the middle, spliced in
        if mid.span_examined and mid.span_examined[0] < bound:
            mid.span_examined = list(itertools.accumulate(mid.span_examined, max, initial=bound))[1:]
        old.span_start.splice(keep, j, mid.span_start)
        old.span_end.splice(keep, j, mid.span_end)
        old.span_examined.splice(keep, j, mid.span_examined)
        old.span_entry[keep:j] = mid.span_entry
        old.span_first_decl.splice(keep, j, [x + nd_keep for x in mid.span_first_decl])
        old.span_first_error[keep:j] = [x + ne_keep for x in mid.span_first_error]
        counts = old.name_counts
        replaced = old.names[nd_keep:nd_j]
        for name in replaced:
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
        old.rel_decls[nd_keep:nd_j] = mid.rel_decls
        old.decl_base.splice(nd_keep, nd_j, mid.decl_base)
        old.names[nd_keep:nd_j] = mid.names
        old.errors[ne_keep:ne_j] = mid.errors
        old.rel_errors[ne_keep:ne_j] = mid.rel_errors
        old.error_base[ne_keep:ne_j] = mid.error_base
        old.data = data
        return old, replaced, nd_keep, len(mid.rel_decls)

    @staticmethod
    def _duplicates_after(old: _Version, start: int, stop: int, names: list[str]) -> bool:
        """Whether replacing the decls ``[start:stop]`` of ``old`` by decls named ``names`` leaves a name twice."""
        change: dict[str, int] = {}
        for name in old.names[start:stop]:
            change[name] = change.get(name, 0) - 1
        for name in names:
            change[name] = change.get(name, 0) + 1
        counts = old.name_counts
        duplicates = old.duplicates
        for name, d in change.items():
            c = counts.get(name, 0)
            duplicates += max(c + d - 1, 0) - max(c - 1, 0)
        return duplicates > 0

    @staticmethod
    def _append(
        new: _Middle,
        start: int,
        end: int,
        examined_end: int,
        entry: Entry | None,
        rel: Sequence[SpanDecl | ErrorMsg],
    ) -> None:
        new.span_start.append(start)
        new.span_end.append(end)
        new.span_examined.append(max(examined_end, new.span_examined[-1]) if new.span_examined else examined_end)
        new.span_entry.append(entry)
        new.span_first_decl.append(len(new.rel_decls))
        new.span_first_error.append(len(new.errors))
        for r in rel:
            if isinstance(r, SpanDecl):
                new.rel_decls.append(r)
                new.decl_base.append(start)
                new.names.append(r.name)
            else:
                new.errors.append(ErrorMsg(r.byte_offset + start, r.msg))
                new.rel_errors.append(r)
                new.error_base.append(start)

    def _span_rec(
        self, data: bytes, n: int, start: int
    ) -> tuple[int, int, Sequence[SpanDecl | ErrorMsg], Entry | None]:
        """The span at ``start`` of the content ``data[:n]`` (``data`` may carry the NUL sentinel after it):
        (end, examined end, relative items, cache entry)."""
        m = _LINE_START_AT.search(data, start + 1, n)
        region_end = m.start() if m else n
        region, last = data[start:region_end], region_end == n
        # keyed by the region's 128-bit hash, not a copy of its bytes kept per region (performance.md §9)
        key = (
            hashlib.blake2b(region, digest_size=16, person=b"last" if last else b"").digest()
            if self.cache_regions
            else b""
        )
        stats = self.stats
        stats.regions += 1
        entry = self._cache.get(key) if key else None
        if entry is None:
            span = self._parse_region(region, last)
            stats.bytes_copied += len(region) + 2
            if span is None:  # the parse looks past its region: parse it in the whole content
                if len(data) == n:
                    data += b"\0"
                    stats.bytes_copied += len(data)
                span = parse_span(data, start, self.known, self._dropping())
            stats.bodies_deferred += span.deferred
            stats.spans_parsed += 1
            stats.bytes_parsed += span.length
            end = start + span.length
            examined_end = max(start + span.far, end) + 1
            if end != region_end or start + span.far > region_end:
                return end, examined_end, span.items, None
            if not key:
                return region_end, region_end + 1, span.items, None
            entry = self._cache[key] = _entry(span.items)
            return region_end, region_end + 1, span.items, entry
        return region_end, region_end + 1, _items(entry), entry

    def _dropping(self) -> bool:
        return self.drop_bodies and self.stats.spans_parsed >= self.keep_parsed

    def _parse_region(self, region: bytes, last: bool) -> Span | None:
        """The parse of a span that is exactly ``region``, made from the region's own bytes (no copy of the
        file per update: O(region)), or None when the span is not exactly the region. A region that is not
        the file's last is followed by a line-start ``@``: the window ends with one, then the sentinel. A
        parse that ends at the region's end and examined nothing past it depends on nothing else (the
        region cache's own premise), so it equals the parse in the whole content."""
        span = parse_span(region + (b"\0" if last else b"@\0"), 0, self.known, self._dropping())
        if span.length != len(region) or span.far > len(region):
            return None
        return span

    def _span(self, buf: bytes, start: int) -> tuple[list[SourceDecl | ErrorMsg], int]:
        """The ``SpanSource`` of ``assemble``, through the region cache (``buf`` ends with the sentinel)."""
        end, _, rel, _ = self._span_rec(buf, len(buf) - 1, start)
        for r in rel:
            if isinstance(r, SpanDecl) and r.inst is None:
                _attach(buf, len(buf) - 1, start, r)
        return absolute_items(rel, start), end

    def _evict(self) -> None:
        """Drops the regions not in the latest versions (bounds memory across many edits)."""
        live = {id(e) for v in (self._good, self._last) if v is not None for e in v.span_entry if e is not None}
        self._cache = {k: e for k, e in self._cache.items() if id(e) in live}
