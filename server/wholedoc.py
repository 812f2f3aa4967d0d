"""Whole-document answers (documentSymbol, foldingRange, full semantic tokens) assembled from per-chunk parts.

Each outline chunk (``server.outline``) starts at a line start and is immutable, so its part of an answer — with
lines counted from the chunk's first line — depends only on its own bytes (and, for semantic tokens, the tags of
the decls it names). A part is computed once per chunk and kept on it; an answer after an edit recomputes the
parts of the rescanned chunks only and shifts the others' lines while copying them out: no scan or position
conversion of unchanged text (lsp.md §9). Parts are kept packed in int arrays (names are read from the text), and
answers are written as JSON text in pieces (``server.jsonout``): no Python object per symbol, fold or token is
kept or built for the answer (docs/design/performance.md §9.4).
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable
from typing import TypeAlias, TypeVar

from lsprotocol import types

from server import features
from server.jsonout import EncodedJson, JsonWriter
from server.outline import TAGS, DocOutline, _Chunk, tag_index
from server.positions import Encoding, LspLineIndex
from server.syntax import OutlineDecl, TokenKind

T = TypeVar("T")

_FUNCTION = 12  # SymbolKind.Function
_CONSTANT = 14  # SymbolKind.Constant
_VARIABLE = 13  # SymbolKind.Variable


def _part(outline: DocOutline, k: int, slot: str, encoding: Encoding, make: Callable[[bytes, _Chunk], T]) -> T:
    """Chunk ``k``'s part ``slot``, computed from the chunk's bytes on first use and kept on the chunk."""
    chunk = outline.chunks[k]
    if chunk.encoding is not encoding:  # parts are for one position encoding (a server has one)
        chunk.symbol_part = chunk.fold_part = chunk.token_part = None
        chunk.encoding = encoding
    found: T | None = getattr(chunk, slot)
    if found is None:
        end = outline.starts[k + 1] if k + 1 < len(outline.starts) else outline.limit
        found = make(outline.data[outline.starts[k] : end], chunk)
        setattr(chunk, slot, found)
    return found


def _base_lines(outline: DocOutline, index: LspLineIndex) -> list[int]:
    return index.lines_of(outline.starts)


Packed: TypeAlias = "bytes | array[int]"
"""Integers kept on a chunk: ``bytes`` when all are below 256 (one object: a chain function's parts are), else an
unsigned ``array`` of 2 or 4 bytes each."""


def _packed(values: list[int]) -> Packed:
    """``values`` in the smallest form that holds them."""
    top = max(values, default=0)
    return bytes(values) if top < 0x100 else array("H" if top < 0x10000 else "I", values)


# ---------------------------------------------------------------------- documentSymbol

_SYM = 13
"""A symbol in a chunk's part: name start (at the sigil), name end, kind, tag index, range (4), selection
range (4) with lines counted from the chunk's first line, number of children; its children follow it."""


def _symbols_of(data: bytes, chunk: _Chunk, encoding: Encoding) -> Packed:
    index = LspLineIndex(data, encoding)
    out: list[int] = []
    for decl in chunk.decls(data, 0):
        end = decl.end if decl.end >= 0 else len(data)
        name_end = decl.def_start + 1 + len(decl.name.encode("utf-8", "surrogateescape"))
        kind = _FUNCTION if decl.tag == "fn" else _CONSTANT
        out += [decl.def_start, name_end, kind, tag_index(decl.tag)]
        out += [*index.position(decl.def_start), *index.position(max(end, name_end))]
        out += [*index.position(decl.def_start), *index.position(name_end)]
        _blocks(decl, index, out)
    return _packed(out)


def _blocks(decl: OutlineDecl, index: LspLineIndex, out: list[int]) -> None:
    """The decl's ``%`` instructions that hold a body (blocks, loops…), each holding the ones nested in it:
    the decl's child count, then each child in order, its own children after it."""
    holders = [
        x
        for x in decl.locals
        if x.end >= x.def_start and any(x.def_start < a and b <= x.end + 1 for a, b in decl.bodies)
    ]
    holders.sort(key=lambda x: (x.def_start, -x.end))
    count_at = len(out)
    out.append(0)
    stack: list[tuple[int, int]] = []  # (end, where its child count is) of the open holders
    for x in holders:
        while stack and stack[-1][0] < x.def_start:
            stack.pop()
        out[stack[-1][1] if stack else count_at] += 1
        name_end = x.def_start + 1 + len(x.name.encode("utf-8", "surrogateescape"))
        out += [x.def_start, name_end, _VARIABLE, tag_index(x.tag)]
        out += [*index.position(x.def_start), *index.position(x.end)]
        out += [*index.position(x.def_start), *index.position(name_end)]
        stack.append((x.end, len(out)))
        out.append(0)


def _symbol_json(c: Packed, at: int, data: bytes, off: int, sigil: str, base: int, w: JsonWriter) -> int:
    """Write the symbol at ``at`` in ``c`` and its children (names read from ``data``, the chunk's text starting
    at ``off``); returns where the next symbol starts."""
    s, e, kind, tag, a, b, cc, d, e1, f, g, h, children = c[at : at + _SYM]
    name = sigil + data[off + s + 1 : off + e].decode("utf-8", "surrogateescape")
    w.add(
        f'{{"name":{json.dumps(name)},"detail":{json.dumps(TAGS[tag] or "")},"kind":{kind},'
        f'"range":{{"start":{{"line":{a + base},"character":{b}}},"end":{{"line":{cc + base},"character":{d}}}}},'
        f'"selectionRange":{{"start":{{"line":{e1 + base},"character":{f}}},'
        f'"end":{{"line":{g + base},"character":{h}}}}}'
    )
    at += _SYM
    if children:
        w.add(',"children":[')
        for i in range(children):
            if i:
                w.add(",")
            at = _symbol_json(c, at, data, off, "%", base, w)
        w.add("]")
    w.add("}")
    return at


def document_symbols(outline: DocOutline, index: LspLineIndex) -> EncodedJson:
    """One symbol per decl (Function for ``fn``, Constant otherwise); the instructions holding a body (blocks,
    loops) as children, nested as in the text. The JSON of a list of ``DocumentSymbol``."""
    encoding = index.encoding
    w = JsonWriter()
    w.add("[")
    sep = ""
    for k, base in enumerate(_base_lines(outline, index)):
        part = _part(outline, k, "symbol_part", encoding, lambda data, chunk: _symbols_of(data, chunk, encoding))
        if not part:
            continue
        at = 0
        while at < len(part):
            w.add(sep)
            sep = ","
            at = _symbol_json(part, at, outline.data, outline.starts[k], "@", base, w)
    w.add("]")
    return w.done()


# ---------------------------------------------------------------------- foldingRange


def _folds_of(data: bytes, chunk: _Chunk, encoding: Encoding) -> Packed:
    index = LspLineIndex(data, encoding)
    seen: dict[tuple[int, int], None] = {}
    decls = chunk.decls(data, 0)
    spans = [(d.def_start, d.end if d.end >= 0 else len(data)) for d in decls]
    spans += [body for d in decls for body in d.bodies]
    ends = [min(len(data), max(start, end - 1)) for start, end in spans]
    for first, last in zip(index.lines_of([start for start, _ in spans]), index.lines_of(ends), strict=True):
        if last > first:
            seen.setdefault((first, last))
    return _packed([line for pair in seen for line in pair])


def folding_ranges(outline: DocOutline, index: LspLineIndex) -> EncodedJson:
    """Decls and bodies spanning more than one line. The JSON of a list of ``FoldingRange``."""
    encoding = index.encoding
    w = JsonWriter()
    w.add("[")
    sep = ""
    for k, base in enumerate(_base_lines(outline, index)):
        part = _part(outline, k, "fold_part", encoding, lambda data, chunk: _folds_of(data, chunk, encoding))
        for i in range(0, len(part), 2):
            w.add(f'{sep}{{"startLine":{part[i] + base},"endLine":{part[i + 1] + base},"kind":"region"}}')
            sep = ","
    w.add("]")
    return w.done()


# ---------------------------------------------------------------------- semanticTokens/full


class TokensPart:
    """A chunk's semantic tokens encoded from (line 0, column 0) of the chunk."""

    __slots__ = ("codes", "deps", "first", "last", "version")

    def __init__(self, codes: Packed, first: int, last: int, deps: Packed, version: int) -> None:
        self.codes = codes
        """Five integers per token, as the answer encodes them; the first token's line is relative to the chunk."""
        self.first = first
        """The first token's line (from the chunk's first line)."""
        self.last = last
        """The last token's line."""
        self.deps = deps
        """``(token index, tag index)`` of each ``@`` token: the tag of the decl it named (the part is valid while
        those tags are the same; names are read from the text when checked)."""
        self.version = version
        """The outline's ``tags_version`` when the tags were last checked."""


def _tokens_of(data: bytes, chunk: _Chunk, encoding: Encoding, outline: DocOutline) -> TokensPart:
    index = LspLineIndex(data, encoding)
    deps: list[int] = []
    out: list[int] = []
    prev_line = prev_col = 0
    first = -1
    for i, tok in enumerate(chunk.tokens()):
        tag = None
        if tok.kind in (TokenKind.DECL_DEF, TokenKind.DECL_REF):
            name = data[tok.start + 1 : tok.end].decode("utf-8", "surrogateescape")
            tag = outline.decl_tag(name)
            deps += [i, tag_index(tag)]
        token_type, modifiers = features.token_class(tok.kind, tag)
        line, col = index.position(tok.start)
        end_line, end_col = index.position(tok.end)
        if end_line != line or end_col <= col:
            continue
        if first < 0:
            first = line
        out += [line - prev_line, col - prev_col if line == prev_line else col, end_col - col, token_type, modifiers]
        prev_line, prev_col = line, col
    return TokensPart(_packed(out), first, prev_line, _packed(deps), outline.tags_version)


def _tags_still_hold(outline: DocOutline, k: int, part: TokensPart) -> bool:
    chunk, base, deps = outline.chunks[k], outline.starts[k], part.deps
    for j in range(0, len(deps), 2):
        if outline.decl_tag(outline.name_of(chunk.token(deps[j], base))) != TAGS[deps[j + 1]]:
            return False
    return True


class TokenData:
    """The ``data`` of full semantic tokens as the chunks' parts joined: each part whole, only its first value
    (the line delta from the previous part's last token) set here. Kept per document as the base of the next
    delta: the parts are shared with the chunks, so this costs two entries per chunk."""

    __slots__ = ("firsts", "parts")

    def __init__(self) -> None:
        self.parts: list[TokensPart] = []
        self.firsts = array("q")

    def __len__(self) -> int:
        return len(self.parts)

    def values(self, lo: int = 0, hi: int | None = None) -> list[int]:
        """The integers of parts ``lo`` to ``hi`` (the whole ``data`` by default)."""
        out: list[int] = []
        for part, first in zip(self.parts[lo:hi], self.firsts[lo:hi], strict=True):
            at = len(out)
            out += part.codes
            out[at] = first
        return out

    def encode(self, result_id: str) -> EncodedJson:
        """The JSON of ``SemanticTokens`` with this data (2 048 integers at a time through ``json``)."""
        w = JsonWriter()
        w.add(f'{{"resultId":{json.dumps(result_id)},"data":[')
        sep = ""
        batch: list[int] = []
        for part, first in zip(self.parts, self.firsts, strict=True):
            at = len(batch)
            batch += part.codes
            batch[at] = first
            if len(batch) >= _BATCH:
                w.add(sep + _COMPACT.encode(batch)[1:-1])
                sep = ","
                batch = []
        if batch:
            w.add(sep + _COMPACT.encode(batch)[1:-1])
        w.add("]}")
        return w.done()


_BATCH = 2048
"""Integers encoded at a time."""
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def semantic_tokens(outline: DocOutline, index: LspLineIndex) -> TokenData:
    """Full semantic tokens (the same ``data`` as ``features.semantic_tokens`` of the whole text), joined from
    the chunks' parts."""
    encoding = index.encoding
    out = TokenData()
    prev = 0
    for k, base in enumerate(_base_lines(outline, index)):
        part = _part(outline, k, "token_part", encoding, lambda data, chunk: _tokens_of(data, chunk, encoding, outline))
        if part.version != outline.tags_version:  # some decl's name or tag changed since: check the ones it names
            if not _tags_still_hold(outline, k, part):
                outline.chunks[k].token_part = None
                part = _part(outline, k, "token_part", encoding, lambda d, c: _tokens_of(d, c, encoding, outline))
            part.version = outline.tags_version
        if not part.codes:
            continue
        out.parts.append(part)
        out.firsts.append(base + part.first - prev)
        prev = base + part.last
    return out


def tokens_delta(old: TokenData, new: TokenData) -> list[types.SemanticTokensEdit]:
    """One edit turning ``old``'s data into ``new``'s (none when equal). Parts both share at the ends are skipped
    by identity; only the ones between are compared value by value."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old.parts[head] is new.parts[head] and old.firsts[head] == new.firsts[head]:
        head += 1
    tail = 0
    while (
        tail < limit - head
        and old.parts[len(old) - 1 - tail] is new.parts[len(new) - 1 - tail]
        and old.firsts[len(old) - 1 - tail] == new.firsts[len(new) - 1 - tail]
    ):
        tail += 1
    skipped = sum(len(p.codes) for p in old.parts[:head])
    edits = features.semantic_tokens_delta(old.values(head, len(old) - tail), new.values(head, len(new) - tail))
    for edit in edits:
        edit.start += skipped
    return edits


def warm(outline: DocOutline, index: LspLineIndex) -> None:
    """Compute every chunk's folding part ahead of its first request (run in the background after the first
    document symbols, which a client asks for at open along with folding). Token parts are not warmed: they
    cost seconds at N = 10 000, and a background thread that long slows every request it overlaps."""
    folding_ranges(outline, index)
