"""Formatting of successive versions of one file that re-formats only the units an edit changed (lsp.md §9).

A file's parse is a sequence of *spans* (``parser.py``): from offset 0 or a line-start ``@`` to the next
line-start ``@`` where the top-level loop stands clean. Each span is a formatting *unit*: its canonical text
depends only on its own bytes and on whether it is the file's last (``formatter.format_unit``), and the file's
canonical text is the concatenation of its units' texts. So a version keeps, per unit, its start and what
formatting it gave (memoised by the unit's bytes); the next version re-formats only the units between the
common prefix and suffix of the two texts, exactly as the region cache re-parses them (``regions.py``), and
shifts the later units' starts lazily (``ShiftedList``). The units whose canonical text differs from their
source are kept as a sorted list of starts, so the edit that formats the whole file is found from the first and
last of them, without reading the units in between or the rest of the file.

The result is byte for byte ``formatter.format_result``'s: parse errors anywhere (or a top-level redefinition)
give no text, and the bytes from a NUL on are kept unchanged (zir-language.md §2.1).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from typing import Final

from compiler.zir.bytediff import changed_content
from compiler.zir.formatter import format_unit
from compiler.zir.parser import Span, SpanDecl, Trivia, parse_span_with_trivia
from compiler.zir.shifted import ShiftedList

_LINE_START_AT: Final = re.compile(rb"^@", re.MULTILINE)


class _Unit:
    """What formatting one unit gave: shared by every unit with the same bytes (and last-ness)."""

    __slots__ = ("error", "key", "names", "text")

    def __init__(self, key: bytes, names: str | tuple[str, ...], error: bool, text: bytes | None) -> None:
        self.key = key
        """The memo key (b"" for a unit not memoised: one that runs past its region)."""
        self.names = names
        """The top-level names it defines (one as a plain string: most units define one decl)."""
        self.error = error
        """Its parse has an error: the file has no canonical form."""
        self.text = text
        """Its canonical text, or None when that equals its source (or it has an error)."""


class FormatStats:
    """Counters of the last ``FormatCache.update`` (for tests and benchmarks: counts, not times)."""

    __slots__ = ("bytes_formatted", "units_formatted", "units_looked_up", "units_reused")

    def __init__(self) -> None:
        self.units_looked_up = 0
        """Units of the changed middle looked up in the memo."""
        self.units_formatted = 0
        """Units parsed and formatted (memo misses)."""
        self.bytes_formatted = 0
        """Their total length."""
        self.units_reused = 0
        """Units taken over from the previous version without being looked at."""


class FormatCache:
    """The units of the latest version of one document and their formatting; thread-safe (one lock)."""

    __slots__ = ("_data", "_dirty", "_duplicates", "_errors", "_examined", "_lock", "_memo", "_name_counts",
                 "_starts", "_tail", "_units", "stats")  # fmt: skip

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data = b""
        """The content of the latest version (up to its first NUL)."""
        self._tail = b""
        """The bytes from its first NUL on (kept unchanged)."""
        self._starts = ShiftedList()
        """Each unit's start; a unit ends where the next starts (the last at the content's end)."""
        self._examined = ShiftedList()
        """Running maximum of one past the last byte each unit's parse depended on (``regions.py``)."""
        self._units: list[_Unit] = []
        self._dirty = ShiftedList()
        """The starts of the units whose canonical text differs from their source, in order."""
        self._memo: dict[bytes, _Unit] = {}
        self._errors = 0
        """Units with a parse error."""
        self._name_counts: dict[str, int] = {}
        self._duplicates = 0
        """Decls whose name an earlier decl already has (a top-level redefinition: no canonical form)."""
        self.stats = FormatStats()

    # ---------------------------------------------------------------- answers

    def edit(self, source: bytes) -> tuple[int, int, bytes] | None:
        """The one replacement that turns ``source`` into its canonical form: ``(start, end, text)`` with
        ``source[start:end]`` replaced by ``text``, trimmed to whole lines that differ; None when ``source`` is
        canonical or does not parse."""
        with self._lock:
            self._update(source)
            found = self._dirty_range()
            if found is None:
                return None
            start, end, text = found
            old = self._data[start:end]
        if old == text:
            return None
        old_lines = old.splitlines(keepends=True)
        new_lines = text.splitlines(keepends=True)
        limit = min(len(old_lines), len(new_lines))
        head = 0
        while head < limit and old_lines[head] == new_lines[head]:
            head += 1
        tail = 0
        while tail < limit - head and old_lines[len(old_lines) - 1 - tail] == new_lines[len(new_lines) - 1 - tail]:
            tail += 1
        lo = start + sum(len(line) for line in old_lines[:head])
        hi = end - sum(len(line) for line in old_lines[len(old_lines) - tail :])
        return lo, hi, b"".join(new_lines[head : len(new_lines) - tail])

    def formatted(self, source: bytes) -> bytes | None:
        """The canonical form of ``source`` (``format_result``'s bytes), or None when it does not parse."""
        with self._lock:
            self._update(source)
            found = self._dirty_range()
            if found is None:
                return None if self._errors or self._duplicates else source
            start, end, text = found
            return self._data[:start] + text + self._data[end:] + self._tail

    def _dirty_range(self) -> tuple[int, int, bytes] | None:
        """From the first to the last unit whose text differs from its source: its extent and canonical text;
        None when no unit differs or the file does not parse."""
        if self._errors or self._duplicates or not len(self._dirty):
            return None
        first = self._starts.bisect_left(self._dirty[0])
        last = self._starts.bisect_left(self._dirty[-1])
        starts = self._starts.values(first, last + 2)
        if len(starts) == last - first + 1:
            starts.append(len(self._data))
        data = self._data
        parts = []
        for k, unit in enumerate(self._units[first : last + 1]):
            parts.append(unit.text if unit.text is not None else data[starts[k] : starts[k + 1]])
        return starts[0], starts[-1], b"".join(parts)

    # ---------------------------------------------------------------- versions

    def _update(self, source: bytes) -> None:
        """Makes ``source`` the latest version: the units between the common prefix and suffix with the previous
        one are looked up (and formatted when new), the rest taken over."""
        self.stats = stats = FormatStats()
        prev = self._data
        data, p, s, _searched = changed_content(prev, source)  # the content ends at a NUL (zir-language.md §2.1)
        n = len(data)
        self._tail = source[n:]
        if data is prev or (p == n == len(prev)):
            stats.units_reused = len(self._units)
            return
        delta = n - len(prev)
        starts, examined = self._starts, self._examined
        count = len(starts)
        keep = examined.bisect_right(p)
        first_suffix = max(keep, starts.bisect_right(len(prev) - s))
        pos = starts[keep] if keep < count else 0
        mid_starts: list[int] = []
        mid_examined: list[int] = []
        mid_units: list[_Unit] = []
        j = count
        while pos < n:
            k = starts.bisect_left(pos - delta, first_suffix)
            if k < count and starts[k] == pos - delta:
                j = k
                break
            end, examined_end, unit = self._unit(data, n, pos)
            mid_starts.append(pos)
            mid_examined.append(max(examined_end, mid_examined[-1]) if mid_examined else examined_end)
            mid_units.append(unit)
            pos = end
        stats.units_reused = keep + count - j
        old_start = starts[keep] if keep < count else len(prev)
        old_stop = starts[j] if j < count else len(prev)
        for unit in self._units[keep:j]:
            self._count(unit, -1)
        for unit in mid_units:
            self._count(unit, +1)
        # the dirty starts: the replaced units' out, the suffix's shifted, the middle's in
        d_lo, d_hi = self._dirty.bisect_left(old_start), self._dirty.bisect_left(old_stop)
        self._dirty.shift_from(d_hi, delta)
        self._dirty.splice(d_lo, d_hi, [st for st, u in zip(mid_starts, mid_units, strict=True) if u.text is not None])
        # the suffix moves by ``delta``; the running maximum of ``examined`` stays a running maximum
        starts.shift_from(j, delta)
        examined.shift_from(j, delta)
        bound = examined[keep - 1] if keep else 0
        mid_bound = max(bound, mid_examined[-1]) if mid_examined else bound
        if j < count and examined[j] < mid_bound:  # rare: a unit's parse looked past its end
            tail = list(itertools.accumulate(examined.values(j), max, initial=mid_bound))[1:]
            examined.splice(j, count, tail)
        if mid_examined and mid_examined[0] < bound:
            mid_examined = list(itertools.accumulate(mid_examined, max, initial=bound))[1:]
        starts.splice(keep, j, mid_starts)
        examined.splice(keep, j, mid_examined)
        self._units[keep:j] = mid_units
        self._data = data
        # bounded by the latest version without errors: an error that swallows the rest of the file (an open
        # string) keeps the memo until it is fixed, when the units come back as lookups, not formatting
        if not self._errors and len(self._memo) > 2 * max(len(self._units), 64):
            self._memo = {u.key: u for u in self._units if u.key}

    def _count(self, unit: _Unit, sign: int) -> None:
        """Adds (``sign`` 1) or removes (-1) ``unit``'s errors and names from the version's totals."""
        self._errors += sign if unit.error else 0
        counts = self._name_counts
        for name in (unit.names,) if isinstance(unit.names, str) else unit.names:
            c = counts.get(name, 0)
            if sign > 0:
                counts[name] = c + 1
                self._duplicates += 1 if c else 0
            elif c > 1:
                counts[name] = c - 1
                self._duplicates -= 1
            else:
                del counts[name]

    def _unit(self, data: bytes, n: int, start: int) -> tuple[int, int, _Unit]:
        """The unit at ``start`` of the content ``data[:n]``: (end, examined end, its formatting)."""
        m = _LINE_START_AT.search(data, start + 1, n)
        region_end = m.start() if m else n
        region, last = data[start:region_end], region_end == n
        key = hashlib.blake2b(region, digest_size=16, person=b"last" if last else b"").digest()
        self.stats.units_looked_up += 1
        unit = self._memo.get(key)
        if unit is not None:
            return region_end, region_end + 1, unit
        window = region + (b"\0" if last else b"@\0")
        span, trivia = parse_span_with_trivia(window, 0)
        if span.length == len(region) and span.far <= len(region):
            unit = self._memo[key] = self._format(key, window, span, trivia)
            return region_end, region_end + 1, unit
        # the span runs past its region (a decl continued on a line starting with ``@``, an error's recovery):
        # parsed in the whole content, and not memoised
        span, trivia = parse_span_with_trivia(data[:n] + b"\0", start)
        end = start + span.length
        examined_end = max(start + span.far, end) + 1
        if all(isinstance(item, SpanDecl) for item in span.items):  # parses: the same in a window of its own
            window = data[start:end] + (b"\0" if end == n else b"@\0")
            span, trivia = parse_span_with_trivia(window, 0)
            assert span.length == end - start, (start, end)
        return end, examined_end, self._format(b"", window, span, trivia)

    def _format(self, key: bytes, window: bytes, span: Span, trivia: Trivia) -> _Unit:
        """The unit ``window[:span.length]`` (``window`` ends with a line-start ``@`` or the NUL sentinel after
        it), ``span`` and ``trivia`` its parse in ``window``."""
        names = tuple(item.name for item in span.items if isinstance(item, SpanDecl))
        one: str | tuple[str, ...] = names[0] if len(names) == 1 else names
        if len(names) != len(span.items):
            return _Unit(key, one, True, None)
        length = span.length
        decls = [item.at(0) for item in span.items if isinstance(item, SpanDecl)]
        text = format_unit(window, length, decls, trivia, window[length] == 0)
        self.stats.units_formatted += 1
        self.stats.bytes_formatted += length
        return _Unit(key, one, False, None if text == window[:length] else text)
