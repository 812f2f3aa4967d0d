"""The outline of one document kept up to date from each edit's splice: chunks of decls scanned by ``syntax.scan``.

A top-level decl starts at a line beginning ``@name … =`` (the parser's recovery point, docs/design/zir-language.md
§3.8), and the scanner's state is fresh there, so the text splits into chunks — chunk 0 from offset 0, every
other chunk at such a line, each holding the decls of about ``CHUNK_BYTES`` — each scanned on its own with
offsets relative to its start. An edit rescans only the chunks it touches (and a neighbour whose header it
changed) and shifts the starts after it: work proportional to the edit plus one integer per chunk, never a
re-read of the file. ``OutlineTracker`` builds the
first outline off the event loop and applies the edits that arrived meanwhile (lsp.md §3).

The queries answer in absolute byte offsets, like ``syntax.Outline``, so features accept either.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import re
import sys
import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from server.syntax import OutlineDecl, OutlineLocal, Token, TokenKind, scan

_HEADER = re.compile(rb"^@[^ \t\r\n]*[ \t\r\n]+=", re.MULTILINE)
"""A line starting a decl: ``@``, a name (every byte up to a blank, ``=`` included), blanks, ``=`` — the same
test as ``syntax._looks_like_decl``."""
_NAME_KINDS = frozenset({TokenKind.DECL_DEF, TokenKind.DECL_REF, TokenKind.LOCAL_DEF, TokenKind.LOCAL_REF})
_BACKGROUND_BYTES = 64 * 1024
"""A change replacing more than this is rescanned off the event loop (a whole-document change, a paste)."""
CHUNK_BYTES = 1024
"""A chunk goes on to the next decl line until it holds at least this many bytes: one chunk per small decl
cost a chunk object, its arrays and its answers' parts each (~300 bytes a chain function, ~30 MiB at
N = 100 000); an edit rescans one chunk (about 1 KiB: well under a millisecond)."""


_KINDS = list(TokenKind)
_KIND_INDEX = {kind: i for i, kind in enumerate(_KINDS)}
TAGS: list[str | None] = [None]
"""Every enclosing-instruction tag a token has had (index 0: none); a token stores its tag's index."""
_TAG_INDEX: dict[str | None, int] = {None: 0}
_TAG_LOCK = threading.Lock()
_STRIDE = 4
"""A token is four unsigned integers of its chunk's ``cols``: start, end, kind index + 16 × argument index, tag
index (docs/design/performance.md §9.4: no Python object per token while nothing reads it; 2 bytes each when
they all fit, 4 otherwise)."""
_MAX_ARG = (2**32 - 1) >> 4


class _Chunk:
    """One chunk's scan, offsets relative to the chunk's start, packed in one array: its tokens, then its decls
    (decoded into ``Token`` and ``OutlineDecl`` values only when a query reads them; names are read from the
    text)."""

    __slots__ = ("cols", "encoding", "fold_part", "ntokens", "symbol_part", "token_part")

    def __init__(self, cols: array[int], ntokens: int) -> None:
        self.cols = cols
        """``_STRIDE`` integers per token, then per decl: ``@`` offset, name end, end + 1 (0: none), tag index,
        number of locals, number of bodies; per local the first four of those; per body its two offsets."""
        self.ntokens = ntokens
        # Parts of whole-document answers computed from this chunk (``server.wholedoc``; a chunk never changes),
        # None until first asked, for the position encoding ``encoding``.
        self.encoding: object = None
        self.symbol_part: Any = None
        self.fold_part: Any = None
        self.token_part: Any = None

    def __len__(self) -> int:
        return self.ntokens

    def start(self, i: int) -> int:
        """The start of token ``i``."""
        return self.cols[i * _STRIDE]

    def token(self, i: int, base: int = 0) -> Token:
        """Token ``i``, its offsets plus ``base``."""
        c = self.cols
        at = i * _STRIDE
        packed = c[at + 2]
        return Token(_KINDS[packed & 15], c[at] + base, c[at + 1] + base, TAGS[c[at + 3]], packed >> 4)

    def tokens(self, first: int = 0, base: int = 0) -> Iterator[Token]:
        """The tokens from index ``first`` on, their offsets plus ``base``."""
        for i in range(first, self.ntokens):
            yield self.token(i, base)

    def bisect_right(self, offset: int) -> int:
        """The number of tokens starting at or before ``offset``."""
        return bisect.bisect_right(range(self.ntokens), offset, key=self.start)

    def bisect_left(self, offset: int) -> int:
        """The number of tokens starting before ``offset``."""
        return bisect.bisect_left(range(self.ntokens), offset, key=self.start)

    def heads(self, data: bytes, base: int) -> Iterator[tuple[str, str, int]]:
        """``(name, tag, index in cols)`` of each decl; ``data[base:]`` is the chunk's text."""
        c = self.cols
        at = self.ntokens * _STRIDE
        while at < len(c):
            name = data[base + c[at] + 1 : base + c[at + 1]].decode("utf-8", "surrogateescape")
            yield name, TAGS[c[at + 3]] or "", at
            at += 6 + 4 * c[at + 4] + 2 * c[at + 5]

    def decl(self, data: bytes, base: int, at: int) -> OutlineDecl:
        """The decl at ``at`` in ``cols``, offsets plus ``base`` (its text is ``data[base:]``)."""
        c = self.cols
        name = data[base + c[at] + 1 : base + c[at + 1]].decode("utf-8", "surrogateescape")
        decl = OutlineDecl(name, c[at] + base, TAGS[c[at + 3]] or "", c[at + 2] - 1 + base if c[at + 2] else -1)
        x = at + 6
        for _ in range(c[at + 4]):
            local = data[base + c[x] + 1 : base + c[x + 1]].decode("utf-8", "surrogateescape")
            end = c[x + 2] - 1 + base if c[x + 2] else -1
            decl.locals.append(OutlineLocal(sys.intern(local), c[x] + base, TAGS[c[x + 3]] or "", end))
            x += 4
        for _ in range(c[at + 5]):
            decl.bodies.append((c[x] + base, c[x + 1] + base))
            x += 2
        return decl

    def decls(self, data: bytes, base: int) -> list[OutlineDecl]:
        """Every decl, offsets plus ``base`` (the chunk's text is ``data[base:]``)."""
        return [self.decl(data, base, at) for _, _, at in self.heads(data, base)]


def tag_index(tag: str | None) -> int:
    """The index of ``tag`` in ``TAGS`` (added on first use)."""
    found = _TAG_INDEX.get(tag)
    if found is None:
        with _TAG_LOCK:  # outlines are built on executor threads too
            found = _TAG_INDEX.get(tag)
            if found is None:
                TAGS.append(tag)
                found = _TAG_INDEX[tag] = len(TAGS) - 1
    return found


def _name_end(start: int, name: str) -> int:
    return start + 1 + len(name.encode("utf-8", "surrogateescape"))


def _chunk(data: bytes) -> _Chunk:
    outline = scan(data)
    cols = array("I")
    for tok in outline.tokens:
        packed = _KIND_INDEX[tok.kind] | min(tok.arg_index, _MAX_ARG) << 4
        cols.extend((tok.start, tok.end, packed, tag_index(tok.tag)))
    for d in outline.decls:
        cols.extend((d.def_start, _name_end(d.def_start, d.name), d.end + 1, tag_index(d.tag)))
        cols.extend((len(d.locals), len(d.bodies)))
        for x in d.locals:
            cols.extend((x.def_start, _name_end(x.def_start, x.name), x.end + 1, tag_index(x.tag)))
        for lo, hi in d.bodies:
            cols.extend((lo, hi))
    if not cols or max(cols) < 0x10000:  # a chunk under 64 KiB (nearly all): 2 bytes a value
        cols = array("H", cols)
    return _Chunk(cols, len(outline.tokens))


def _chunk_starts(data: bytes, lo: int, hi: int) -> list[int]:
    """Where the chunks of ``data[lo:hi]`` start: ``lo`` (a decl line or 0), then every decl line at least
    ``CHUNK_BYTES`` after the previous start."""
    starts = [lo]
    for m in _HEADER.finditer(data, lo + 1, hi):
        if m.start() - starts[-1] >= CHUNK_BYTES:
            starts.append(m.start())
    return starts


@dataclass(slots=True)
class DocOutline:
    """The chunked outline of one text; ``splice`` moves it to the next text."""

    data: bytes
    starts: list[int] = field(default_factory=list)
    """``starts[i]``: absolute offset of chunk ``i`` (``starts[0] == 0``)."""
    chunks: list[_Chunk] = field(default_factory=list)
    limit: int = 0
    """Where scanning stops: the first NUL byte, or the end of the text (like the parser)."""
    rescanned_bytes: int = 0
    """Bytes scanned by the last build or splice (a machine-independent cost measure for tests)."""
    _names: dict[str, int] | None = None
    _decl_cache: list[OutlineDecl] | None = None
    tags_version: int = 0
    """Changes whenever a splice changes the decls' names or tags (parts that depend on them revalidate)."""

    @classmethod
    def build(cls, data: bytes) -> DocOutline:
        """Scan the whole of ``data`` (off the event loop for a large text)."""
        nul = data.find(b"\x00")
        limit = len(data) if nul == -1 else nul
        starts = _chunk_starts(data, 0, limit)
        bounds = [*starts, limit]
        chunks = [_chunk(data[a:b]) for a, b in itertools.pairwise(bounds)]
        return cls(data, starts, chunks, limit, limit)

    # ------------------------------------------------------------------ updates

    def splice(self, start: int, old_end: int, data: bytes) -> None:
        """The text became ``data`` by replacing the old bytes ``[start, old_end)`` (new length from ``data``)."""
        delta = len(data) - len(self.data)
        nul = data.find(b"\x00")
        if nul != -1 or self.limit != len(self.data):
            fresh = DocOutline.build(data)  # a NUL moves where scanning stops: rare, rescan
            self.data, self.starts, self.chunks, self.limit = fresh.data, fresh.starts, fresh.chunks, fresh.limit
            self.rescanned_bytes = fresh.rescanned_bytes
            self._names = self._decl_cache = None
            self.tags_version += 1
            return
        starts = self.starts
        k0 = max(0, bisect.bisect_right(starts, start - 1) - 1)
        k1 = bisect.bisect_right(starts, old_end)  # first chunk starting after the edit: its text is unchanged
        # A chunk start before the edit stays a boundary only if its header does not run into the edit.
        while k0 > 0 and not _HEADER.match(data, starts[k0]):
            k0 -= 1
        lo = starts[k0]
        hi = starts[k1] + delta if k1 < len(starts) else len(data)
        new_starts = _chunk_starts(data, lo, hi)
        bounds = [*new_starts, hi]
        new_chunks = [_chunk(data[a:b]) for a, b in itertools.pairwise(bounds)]
        old_names = [(n, t) for k in range(k0, k1) for n, t, _ in self.chunks[k].heads(self.data, starts[k])]
        tail = [s + delta for s in starts[k1:]] if delta else starts[k1:]
        self.starts = starts[:k0] + new_starts + tail
        self.chunks[k0:k1] = new_chunks
        self.data = data
        self.limit = len(data)
        self.rescanned_bytes = hi - lo
        self._decl_cache = None
        new_names = [(n, t) for c, b in zip(new_chunks, new_starts, strict=True) for n, t, _ in c.heads(data, b)]
        if len(new_chunks) != k1 - k0 or old_names != new_names:
            self._names = None
            self.tags_version += 1

    def snapshot(self) -> DocOutline:
        """A copy that later splices leave alone (chunks are shared: a splice replaces chunks, never changes
        one), for whole-document features computed off the event loop. O(decls) list copies."""
        return DocOutline(
            self.data,
            list(self.starts),
            list(self.chunks),
            self.limit,
            0,
            self._names,
            self._decl_cache,
            self.tags_version,
        )

    # ------------------------------------------------------------------ queries (absolute offsets)

    def chunk_index(self, offset: int) -> int:
        """The chunk containing ``offset``."""
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def name_of(self, tok: Token) -> str:
        """The name of a ``@``/``%`` token without its sigil, or the text of any other token."""
        raw = self.data[tok.start + 1 : tok.end] if tok.kind in _NAME_KINDS else self.data[tok.start : tok.end]
        return raw.decode("utf-8", "surrogateescape")

    def token_at(self, offset: int) -> Token | None:
        """The token containing ``offset`` (a cursor just after a token also selects it)."""
        k = self.chunk_index(offset)
        base = self.starts[k]
        chunk = self.chunks[k]
        i = chunk.bisect_right(offset - base) - 1
        if i < 0:
            return None
        tok = chunk.token(i, base)
        if tok.end > offset or (tok.end == offset and tok.kind is not TokenKind.COMMENT):
            return tok
        return None

    def decl_containing(self, offset: int) -> OutlineDecl | None:
        """The decl whose text (from ``@`` to its closing ``)``) contains ``offset``."""
        k = self.chunk_index(offset)
        base = self.starts[k]
        for d in self.chunks[k].decls(self.data, base):
            if d.def_start <= offset <= (d.end if d.end >= 0 else len(self.data) + base):
                return d
        return None

    def _name_index(self) -> dict[str, int]:
        """Decl name → index of the chunk defining it first (rebuilt only when names changed)."""
        if self._names is None:
            names: dict[str, int] = {}
            for i, (c, base) in enumerate(zip(self.chunks, self.starts, strict=True)):
                for name, _, _ in c.heads(self.data, base):
                    names.setdefault(name, i)
            self._names = names
        return self._names

    def decl_named(self, name: str) -> OutlineDecl | None:
        """The first decl defined with ``name``."""
        found = self._name_index().get(name)
        if found is None:
            return None
        base = self.starts[found]
        chunk = self.chunks[found]
        return chunk.decl(self.data, base, next(at for n, _, at in chunk.heads(self.data, base) if n == name))

    def decl_tag(self, name: str) -> str | None:
        """The tag of the first decl defined with ``name`` (no offsets shifted)."""
        found = self._name_index().get(name)
        if found is None:
            return None
        return next(t for n, t, _ in self.chunks[found].heads(self.data, self.starts[found]) if n == name)

    def decl_names(self) -> Iterator[tuple[str, str]]:
        """``(name, tag)`` of every decl, in file order (no offsets: nothing is shifted)."""
        for c, base in zip(self.chunks, self.starts, strict=True):
            for name, tag, _ in c.heads(self.data, base):
                yield name, tag

    def tokens_in(self, lo: int, hi: int) -> Iterator[Token]:
        """Tokens starting in ``[lo, hi)``, absolute."""
        k = self.chunk_index(lo)
        while k < len(self.chunks) and self.starts[k] < hi:
            base = self.starts[k]
            chunk = self.chunks[k]
            for tok in chunk.tokens(chunk.bisect_left(lo - base), base):
                if tok.start >= hi:
                    break
                yield tok
            k += 1

    def decls_in(self, lo: int, hi: int) -> Iterator[OutlineDecl]:
        """Decls whose text (``@`` to the closing ``)``) meets ``[lo, hi)``, absolute, in file order."""
        k = self.chunk_index(lo)
        while k < len(self.chunks) and self.starts[k] < hi:
            base = self.starts[k]
            for d in self.chunks[k].decls(self.data, base):
                end = d.end if d.end >= 0 else len(self.data)
                if end >= lo and d.def_start < hi:
                    yield d
            k += 1

    @property
    def tokens(self) -> Iterator[Token]:
        """Every token, absolute (O(file): whole-document features only)."""
        return self.tokens_in(0, len(self.data) + 1)

    @property
    def decls(self) -> list[OutlineDecl]:
        """Every decl, absolute (O(decls); cached per text)."""
        if self._decl_cache is None:
            self._decl_cache = [
                d for base, c in zip(self.starts, self.chunks, strict=True) for d in c.decls(self.data, base)
            ]
        return self._decl_cache


@dataclass(slots=True)
class OutlineTracker:
    """A session's outline: built off the loop at open (and after a large change), spliced on every edit."""

    outline: DocOutline | None = None
    pending: list[tuple[int, int, bytes]] = field(default_factory=list)
    """Edits made while the outline was being built: ``(start, old_end, resulting text)``."""
    task: asyncio.Future[DocOutline] | None = None

    def start(self, data: bytes) -> None:
        """Build the outline of ``data`` on the default executor (the previous one is abandoned)."""
        self.outline = None
        self.pending = []
        task = asyncio.get_running_loop().run_in_executor(None, DocOutline.build, data)
        self.task = task
        task.add_done_callback(self._built)

    def _built(self, task: asyncio.Future[DocOutline]) -> None:
        if task is not self.task or task.cancelled() or task.exception() is not None:
            return
        outline = task.result()
        for start, old_end, data in self.pending:
            outline.splice(start, old_end, data)
        self.pending = []
        self.outline = outline

    def edit(self, start: int, old_end: int, new_len: int, data: bytes) -> None:
        """One change: the old bytes ``[start, old_end)`` became ``new_len`` bytes, giving ``data``."""
        if self.outline is None and self.task is None:
            return  # nothing built yet: the first request builds from the text it finds
        if max(old_end - start, new_len) > _BACKGROUND_BYTES:
            self.start(data)
        elif self.outline is None:
            self.pending.append((start, old_end, data))
        else:
            self.outline.splice(start, old_end, data)

    async def get(self, data: bytes) -> DocOutline:
        """The outline of the current text (``data`` when nothing was built yet), waiting for a running build.

        Edits are spliced as they arrive, so the result is the outline of the newest text."""
        if self.outline is None and self.task is None:
            self.start(data)
        while self.outline is None:
            task = self.task
            assert task is not None
            try:
                await asyncio.shield(task)
            except Exception:  # the build failed (a bug): scan here rather than answer nothing
                self.task = None
                self.outline = DocOutline.build(self.pending[-1][2] if self.pending else data)
                self.pending = []
                break
            if self.outline is None and task is self.task:
                self._built(task)
        return self.outline
