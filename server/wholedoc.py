"""Whole-document answers (documentSymbol, foldingRange, full semantic tokens) assembled from per-chunk parts.

Each outline chunk (``server.outline``) starts at a line start and is immutable, so its part of an answer — with
lines counted from the chunk's first line — depends only on its own bytes (and, for semantic tokens, the tags of
the decls it names). A part is computed once per chunk and kept on it; an answer after an edit recomputes the
parts of the rescanned chunks only and shifts the others' lines while copying them out: no scan or position
conversion of unchanged text, and the answer is built as plain JSON values (lsp.md §9).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any, TypeVar

from server import features
from server.outline import DocOutline, _Chunk
from server.positions import Encoding, LspLineIndex
from server.syntax import OutlineDecl, TokenKind

T = TypeVar("T")

_FUNCTION = 12  # SymbolKind.Function
_CONSTANT = 14  # SymbolKind.Constant
_VARIABLE = 13  # SymbolKind.Variable


class JsonList(list[Any]):
    """A list already made of JSON values: the server's converter sends it as it is instead of walking every
    element (``server.server``; a full answer at N = 10 000 holds 10⁵–10⁶ values)."""


Sym = tuple[str, str, int, int, int, int, int, int, int, int, int, tuple[Any, ...]]
"""A document symbol with chunk-relative lines: name, detail, kind, range (4), selection range (4), children."""


def _part(outline: DocOutline, k: int, key: tuple[str, Encoding], make: Callable[[bytes, _Chunk], T]) -> T:
    """Chunk ``k``'s part ``key``, computed from the chunk's bytes on first use and kept on the chunk."""
    chunk = outline.chunks[k]
    memo = chunk.memo
    if memo is None:
        memo = chunk.memo = {}
    found = memo.get(key)
    if found is None:
        end = outline.starts[k + 1] if k + 1 < len(outline.starts) else outline.limit
        found = make(outline.data[outline.starts[k] : end], chunk)
        memo[key] = found
    return found


def _base_lines(outline: DocOutline, index: LspLineIndex) -> list[int]:
    return index.lines_of(outline.starts)


# ---------------------------------------------------------------------- documentSymbol


def _symbols_of(data: bytes, chunk: _Chunk, encoding: Encoding) -> tuple[Sym, ...]:
    index = LspLineIndex(data, encoding)
    out: list[Sym] = []
    for decl in chunk.decls(data, 0):
        end = decl.end if decl.end >= 0 else len(data)
        name_end = decl.def_start + 1 + len(decl.name.encode("utf-8", "surrogateescape"))
        kind = _FUNCTION if decl.tag == "fn" else _CONSTANT
        full = (*index.position(decl.def_start), *index.position(max(end, name_end)))
        selection = (*index.position(decl.def_start), *index.position(name_end))
        out.append((f"@{decl.name}", decl.tag, kind, *full, *selection, _blocks(decl, index)))
    return tuple(out)


def _blocks(decl: OutlineDecl, index: LspLineIndex) -> tuple[Sym, ...]:
    """The decl's ``%`` instructions that hold a body (blocks, loops…), each holding the ones nested in it."""
    holders = [
        x
        for x in decl.locals
        if x.end >= x.def_start and any(x.def_start < a and b <= x.end + 1 for a, b in decl.bodies)
    ]
    holders.sort(key=lambda x: (x.def_start, -x.end))
    roots: list[tuple[Any, Any, list[Any]]] = []
    stack: list[tuple[int, list[Any]]] = []  # (end, children list) of the open holders
    for x in holders:
        while stack and stack[-1][0] < x.def_start:
            stack.pop()
        children: list[Any] = []
        name_end = x.def_start + 1 + len(x.name.encode("utf-8", "surrogateescape"))
        head = (f"%{x.name}", x.tag, _VARIABLE, *index.position(x.def_start), *index.position(x.end))
        entry = (head, (*index.position(x.def_start), *index.position(name_end)), children)
        (stack[-1][1] if stack else roots).append(entry)
        stack.append((x.end, children))
    return tuple(_freeze(e) for e in roots)


def _freeze(entry: tuple[Any, Any, list[Any]]) -> Sym:
    head, selection, children = entry
    return (*head, *selection, tuple(_freeze(c) for c in children))


def _symbol_json(s: Sym, base: int) -> dict[str, Any]:
    name, detail, kind, a, b, c, d, e, f, g, h, children = s
    out: dict[str, Any] = {
        "name": name,
        "detail": detail,
        "kind": kind,
        "range": {"start": {"line": a + base, "character": b}, "end": {"line": c + base, "character": d}},
        "selectionRange": {"start": {"line": e + base, "character": f}, "end": {"line": g + base, "character": h}},
    }
    if children:
        out["children"] = [_symbol_json(child, base) for child in children]
    return out


def document_symbols(outline: DocOutline, index: LspLineIndex) -> JsonList:
    """One symbol per decl (Function for ``fn``, Constant otherwise); the instructions holding a body (blocks,
    loops) as children, nested as in the text. JSON values of ``DocumentSymbol``."""
    encoding = index.encoding
    key = ("symbols", encoding)
    out = JsonList()
    for k, base in enumerate(_base_lines(outline, index)):
        part = _part(outline, k, key, lambda data, chunk: _symbols_of(data, chunk, encoding))
        out += [_symbol_json(s, base) for s in part]
    return out


# ---------------------------------------------------------------------- foldingRange


def _folds_of(data: bytes, chunk: _Chunk, encoding: Encoding) -> tuple[tuple[int, int], ...]:
    index = LspLineIndex(data, encoding)
    seen: dict[tuple[int, int], None] = {}
    decls = chunk.decls(data, 0)
    spans = [(d.def_start, d.end if d.end >= 0 else len(data)) for d in decls]
    spans += [body for d in decls for body in d.bodies]
    ends = [min(len(data), max(start, end - 1)) for start, end in spans]
    for first, last in zip(index.lines_of([start for start, _ in spans]), index.lines_of(ends), strict=True):
        if last > first:
            seen.setdefault((first, last))
    return tuple(seen)


def folding_ranges(outline: DocOutline, index: LspLineIndex) -> JsonList:
    """Decls and bodies spanning more than one line. JSON values of ``FoldingRange``."""
    encoding = index.encoding
    key = ("folds", encoding)
    out = JsonList()
    for k, base in enumerate(_base_lines(outline, index)):
        part = _part(outline, k, key, lambda data, chunk: _folds_of(data, chunk, encoding))
        out += [{"startLine": a + base, "endLine": b + base, "kind": "region"} for a, b in part]
    return out


# ---------------------------------------------------------------------- semanticTokens/full

TokensPart = tuple["array[int]", int, int, tuple[tuple[str, str | None], ...], list[int]]
"""A chunk's tokens encoded from (line 0, column 0) of the chunk; its first and last token's relative line; the
tags of the decls its ``@`` tokens name (the part is valid while those tags are the same); the outline's
``tags_version`` when they were last checked."""


def _tokens_of(data: bytes, chunk: _Chunk, encoding: Encoding, outline: DocOutline) -> TokensPart:
    index = LspLineIndex(data, encoding)
    tags: dict[str, str | None] = {}
    out: list[int] = []
    prev_line = prev_col = 0
    first = -1
    for tok in chunk.tokens():
        tag = None
        if tok.kind in (TokenKind.DECL_DEF, TokenKind.DECL_REF):
            name = data[tok.start + 1 : tok.end].decode("utf-8", "surrogateescape")
            tag = tags[name] = outline.decl_tag(name)
        token_type, modifiers = features.token_class(tok.kind, tag)
        line, col = index.position(tok.start)
        end_line, end_col = index.position(tok.end)
        if end_line != line or end_col <= col:
            continue
        if first < 0:
            first = line
        out += [line - prev_line, col - prev_col if line == prev_line else col, end_col - col, token_type, modifiers]
        prev_line, prev_col = line, col
    # Kept on the chunk until it changes: packed (docs/design/performance.md §9.4; a list of ints and a dict took
    # about 1.5 kB per chain function, 15 MiB at N = 10 000).
    return array("I", out), first, prev_line, tuple(tags.items()), [outline.tags_version]


def semantic_tokens(outline: DocOutline, index: LspLineIndex) -> JsonList:
    """The ``data`` of full semantic tokens (the same encoding as ``features.semantic_tokens`` of the whole
    text), joined from the chunks' parts: each part is copied whole, only its first token's line delta set."""
    encoding = index.encoding
    key = ("tokens", encoding)
    out = JsonList()
    prev = 0
    for k, base in enumerate(_base_lines(outline, index)):
        part = _part(outline, k, key, lambda data, chunk: _tokens_of(data, chunk, encoding, outline))
        if part[4][0] != outline.tags_version:  # some decl's name or tag changed since: check the ones it names
            if any(outline.decl_tag(name) != tag for name, tag in part[3]):
                memo = outline.chunks[k].memo
                if memo is not None:
                    memo.pop(key, None)
                part = _part(outline, k, key, lambda data, chunk: _tokens_of(data, chunk, encoding, outline))
            part[4][0] = outline.tags_version
        encoded, first, last, _, _ = part
        if not encoded:
            continue
        at = len(out)
        out += encoded
        out[at] = base + first - prev
        prev = base + last
    return out


def warm(outline: DocOutline, index: LspLineIndex) -> None:
    """Compute every chunk's folding part ahead of its first request (run in the background after the first
    document symbols, which a client asks for at open along with folding). Token parts are not warmed: they
    cost seconds at N = 10 000, and a background thread that long slows every request it overlaps."""
    folding_ranges(outline, index)
