"""Selection range, linked editing, workspace symbols and call hierarchy (lsp.md §9), from the outline.

A ZIR program is one file, so call hierarchy stays inside the document; workspace symbols search the outlines of
the open documents (fuzzy: prefix, substring, then subsequence).
"""

from __future__ import annotations

from lsprotocol import types

from server.completion import match_rank
from server.features import occurrences, symbol_at, to_range
from server.outline import DocOutline as Outline
from server.positions import LspLineIndex
from server.syntax import TokenKind

MAX_SYMBOLS = 200
"""Workspace symbols answered at most (the client asks again as the query grows)."""


def selection_ranges(outline: Outline, index: LspLineIndex, offset: int) -> types.SelectionRange:
    """Operand → instruction → body → enclosing instruction … → decl, innermost first."""
    spans: list[tuple[int, int]] = []
    tok = outline.token_at(offset)
    if tok is not None:
        spans.append((tok.start, tok.end))
    decl = outline.decl_containing(offset)
    if decl is not None:
        spans += [(x.def_start, x.end) for x in decl.locals if x.def_start <= offset <= x.end]
        spans += [b for b in decl.bodies if b[0] <= offset < b[1]]
        spans.append((decl.def_start, decl.end if decl.end >= 0 else len(outline.data)))
    if not spans:
        spans.append((offset, offset))
    chain: list[tuple[int, int]] = []
    for span in sorted(set(spans), key=lambda s: (s[1] - s[0], -s[0])):
        if not chain or (span[0] <= chain[-1][0] and chain[-1][1] <= span[1]):
            chain.append(span)
    result: types.SelectionRange | None = None
    for start, end in reversed(chain):
        result = types.SelectionRange(range=to_range(index, start, end), parent=result)
    assert result is not None
    return result


def linked_editing(outline: Outline, index: LspLineIndex, offset: int) -> types.LinkedEditingRanges | None:
    """A ``%`` name's definition, uses and the block labels naming it: typing in one edits all of them."""

    found = symbol_at(outline, offset)
    if found is None or found[0] != "%":
        return None
    occs = occurrences(outline, *found)
    if len(occs) < 2:
        return None
    return types.LinkedEditingRanges(
        ranges=[to_range(index, o.start, o.end) for o in occs], word_pattern=r'[^\s,)\]"\\;(\[{}]+'
    )


def workspace_symbols(docs: list[tuple[str, Outline, LspLineIndex]], query: str) -> list[types.SymbolInformation]:
    """Decls of the open documents matching ``query`` fuzzily, best matches first, at most ``MAX_SYMBOLS``."""
    ranked: list[tuple[int, str, str, str, Outline, LspLineIndex]] = []
    for uri, outline, index in docs:
        for name, tag in outline.decl_names():
            rank = match_rank(name, query)
            if rank is not None:
                ranked.append((rank, name, tag, uri, outline, index))
    ranked.sort(key=lambda r: (r[0], len(r[1]), r[1]))
    out: list[types.SymbolInformation] = []
    for _, name, tag, uri, outline, index in ranked[:MAX_SYMBOLS]:
        decl = outline.decl_named(name)
        if decl is None:
            continue
        end = decl.def_start + 1 + len(name.encode("utf-8", "surrogateescape"))
        kind = types.SymbolKind.Function if tag == "fn" else types.SymbolKind.Constant
        out.append(
            types.SymbolInformation(
                name=f"@{name}", kind=kind, location=types.Location(uri=uri, range=to_range(index, decl.def_start, end))
            )
        )
    return out


def call_item(outline: Outline, index: LspLineIndex, uri: str, name: str) -> types.CallHierarchyItem | None:
    """The call-hierarchy item of the function ``@name`` (None when it is not a ``fn`` decl)."""
    decl = outline.decl_named(name)
    if decl is None or decl.tag != "fn":
        return None
    name_end = decl.def_start + 1 + len(name.encode("utf-8", "surrogateescape"))
    return types.CallHierarchyItem(
        name=f"@{name}",
        kind=types.SymbolKind.Function,
        uri=uri,
        range=to_range(index, decl.def_start, decl.end if decl.end >= 0 else len(outline.data)),
        selection_range=to_range(index, decl.def_start, name_end),
        data=name,
    )


def prepare_call_hierarchy(
    outline: Outline, index: LspLineIndex, uri: str, offset: int
) -> list[types.CallHierarchyItem] | None:
    """The function named under the cursor (a ``@`` definition or use)."""
    found = symbol_at(outline, offset)
    if found is None or found[0] != "@":
        return None
    item = call_item(outline, index, uri, found[1])
    return None if item is None else [item]


def _calls(outline: Outline, lo: int, hi: int) -> list[tuple[str, int, int]]:
    """``(callee, start, end)`` of every ``call(@callee, …)`` in ``[lo, hi)`` (the callee's name span)."""
    return [
        (outline.name_of(t), t.start, t.end)
        for t in outline.tokens_in(lo, hi)
        if t.kind is TokenKind.DECL_REF and t.tag == "call" and t.arg_index == 0
    ]


def incoming_calls(outline: Outline, index: LspLineIndex, uri: str, name: str) -> list[types.CallHierarchyIncomingCall]:
    """Every function containing a ``call(@name, …)``, with the call sites."""
    sites: dict[str, list[types.Range]] = {}
    for callee, start, end in _calls(outline, 0, len(outline.data) + 1):
        if callee != name:
            continue
        caller = outline.decl_containing(start)
        if caller is not None and caller.tag == "fn":
            sites.setdefault(caller.name, []).append(to_range(index, start, end))
    out: list[types.CallHierarchyIncomingCall] = []
    for caller_name, ranges in sites.items():
        item = call_item(outline, index, uri, caller_name)
        if item is not None:
            out.append(types.CallHierarchyIncomingCall(from_=item, from_ranges=ranges))
    return out


def outgoing_calls(outline: Outline, index: LspLineIndex, uri: str, name: str) -> list[types.CallHierarchyOutgoingCall]:
    """Every function ``@name`` calls, with the call sites."""
    decl = outline.decl_named(name)
    if decl is None:
        return []
    sites: dict[str, list[types.Range]] = {}
    for callee, start, end in _calls(outline, decl.def_start, decl.end if decl.end >= 0 else len(outline.data)):
        sites.setdefault(callee, []).append(to_range(index, start, end))
    out: list[types.CallHierarchyOutgoingCall] = []
    for callee, ranges in sites.items():
        item = call_item(outline, index, uri, callee)
        if item is not None:
            out.append(types.CallHierarchyOutgoingCall(to=item, from_ranges=ranges))
    return out
