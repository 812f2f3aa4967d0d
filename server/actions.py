"""Code actions (lsp.md §9): "did you mean …?" and "create `@name`" quick fixes for the diagnostics the client
sends back, "remove unused decl" and "use the canonical spelling" at the cursor.

For an unknown decl, local, instruction or keyword, the names that exist there within a small edit distance
are offered, closest first, each as a ``WorkspaceEdit`` replacing the misspelt name.
"""

from __future__ import annotations

import re

from lsprotocol import types

from compiler.zir.tags import SCHEMAS, Tag
from server.completion import available_locals
from server.features import offset_of, to_range
from server.outline import DocOutline as Outline
from server.positions import LspLineIndex
from server.syntax import Token, TokenKind

MAX_FIXES = 3
"""Suggestions per diagnostic."""
_PATTERNS = (
    (re.compile(r"use of undeclared identifier '(.*)'$"), {TokenKind.DECL_REF}),
    (re.compile(r"decl '(.*)' not found$"), {TokenKind.DECL_REF, TokenKind.STRING}),  # @x, or declref("x")
    (re.compile(r"unrecognized identifier: %(.*)$"), {TokenKind.LOCAL_REF}),
    (re.compile(r"unknown instruction '(.*)'$"), {TokenKind.TAG}),
    (re.compile(r"unrecognized keyword parameter: '(.*)'$"), {TokenKind.KEYWORD}),
)
_TAGS = sorted(t.value for t in Tag if SCHEMAS[t].writable)


def distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def closest(wrong: str, names: list[str]) -> list[str]:
    """The names within ``max(2, len // 3)`` edits of ``wrong``, closest first, at most ``MAX_FIXES``."""
    limit = max(2, len(wrong) // 3)
    scored = sorted((distance(wrong, n), n) for n in set(names) if n != wrong and abs(len(n) - len(wrong)) <= limit)
    return [n for d, n in scored if d <= limit][:MAX_FIXES]


def _candidates(outline: Outline, tok: Token, kind: TokenKind) -> list[str]:
    match kind:
        case TokenKind.DECL_REF | TokenKind.STRING:
            return [name for name, _ in outline.decl_names()]
        case TokenKind.LOCAL_REF:
            return [name for _, name, _ in available_locals(outline, tok.start, tok.start)]
        case TokenKind.TAG:
            return [*_TAGS, "cmp"]
        case TokenKind.KEYWORD:
            tag = next((t for t in Tag if t.value == tok.tag), None)
            return [] if tag is None else [k.name for k in SCHEMAS[tag].keywords]
        case _:
            return []


def _name_span(outline: Outline, tok: Token) -> tuple[int, int]:
    """The bytes of the name inside the token (without sigil or quotes)."""
    if tok.kind in (TokenKind.DECL_REF, TokenKind.LOCAL_REF):
        return tok.start + 1, tok.end
    if tok.kind is TokenKind.STRING:
        return tok.start + 1, tok.end - 1
    return tok.start, tok.end


def quick_fixes(
    outline: Outline, index: LspLineIndex, uri: str, diagnostics: list[types.Diagnostic]
) -> list[types.CodeAction]:
    """A "did you mean" action per close name, for each diagnostic naming an unknown name."""
    actions: list[types.CodeAction] = []
    for diag in diagnostics:
        for pattern, kinds in _PATTERNS:
            m = pattern.match(diag.message)
            if m is None:
                continue
            wrong = m.group(1)
            line = diag.range.start.line
            lo = offset_of(index, types.Position(line=max(0, line - 1), character=0))
            hi = offset_of(index, types.Position(line=diag.range.end.line + 2, character=0))
            for tok in outline.tokens_in(lo, hi):
                start, end = _name_span(outline, tok)
                if tok.kind not in kinds or outline.data[start:end].decode("utf-8", "surrogateescape") != wrong:
                    continue
                sigil = {TokenKind.DECL_REF: "@", TokenKind.LOCAL_REF: "%"}.get(tok.kind, "")
                for name in closest(wrong, _candidates(outline, tok, tok.kind)):
                    edit = types.TextEdit(range=to_range(index, start, end), new_text=name)
                    actions.append(
                        types.CodeAction(
                            title=f"Did you mean `{sigil}{name}`?",
                            kind=types.CodeActionKind.QuickFix,
                            diagnostics=[diag],
                            is_preferred=not actions,
                            edit=types.WorkspaceEdit(changes={uri: [edit]}),
                        )
                    )
                break
            break
    return actions


_NAMING_TAGS = frozenset({"declref", "declval", "export"})
"""Instructions naming a decl in a string (``declref("x")``, ``export(@sym, "x")``)."""


def remove_unused(outline: Outline, index: LspLineIndex, uri: str, offset: int) -> list[types.CodeAction]:
    """ "Remove unused `@x`" when the cursor is on the definition of a decl nothing in the file names.

    Only a definition under the cursor starts the (whole-file) search for uses; an ``export`` is never unused."""
    tok = outline.token_at(offset)
    if tok is None or tok.kind is not TokenKind.DECL_DEF:
        return []
    name = outline.name_of(tok)
    decl = outline.decl_named(name)
    if decl is None or decl.def_start != tok.start or decl.tag == "export":
        return []
    quoted = f'"{name}"'.encode("utf-8", "surrogateescape")
    for use in outline.tokens:
        if use.kind is TokenKind.DECL_REF and outline.name_of(use) == name:
            return []
        if use.kind is TokenKind.STRING and use.tag in _NAMING_TAGS and outline.data[use.start : use.end] == quoted:
            return []
    end = decl.end if decl.end >= 0 else len(outline.data)
    line_end = outline.data.find(b"\n", end)
    end = len(outline.data) if line_end == -1 else line_end + 1
    edit = types.TextEdit(range=to_range(index, decl.def_start, end), new_text="")
    return [
        types.CodeAction(
            title=f"Remove unused `@{name}`",
            kind=types.CodeActionKind.QuickFix,
            edit=types.WorkspaceEdit(changes={uri: [edit]}),
        )
    ]


_CMP_OPS = frozenset({"lt", "lte", "eq", "gte", "gt", "neq"})


def canonical_spelling(outline: Outline, index: LspLineIndex, uri: str, offset: int) -> list[types.CodeAction]:
    """ "Use the canonical spelling" for the compatibility forms under the cursor (docs/design/zir-language.md
    §3.5): ``cmp(lhs, op, rhs)`` → ``cmp_<op>(lhs, rhs)`` and ``return()`` → ``returnvoid()``."""
    tok = outline.token_at(offset)
    if tok is None or tok.kind is not TokenKind.TAG:
        return []
    data = outline.data
    word = data[tok.start : tok.end]
    close = data.find(b")", tok.end)
    if close == -1 or b"\n" in data[tok.end : close]:
        return []
    inside = data[tok.end + 1 : close].decode("utf-8", "surrogateescape")
    if word == b"cmp":
        parts = [p.strip() for p in inside.split(",")]
        if len(parts) != 3 or parts[1] not in _CMP_OPS:
            return []
        new = f"cmp_{parts[1]}({parts[0]}, {parts[2]})"
    elif word == b"return" and inside == "":
        new = "returnvoid()"
    else:
        return []
    edit = types.TextEdit(range=to_range(index, tok.start, close + 1), new_text=new)
    return [
        types.CodeAction(
            title=f"Use the canonical spelling `{new}`",
            kind=types.CodeActionKind.QuickFix,
            edit=types.WorkspaceEdit(changes={uri: [edit]}),
        )
    ]


_MISSING_DECL = (re.compile(r"decl '(.*)' not found$"), re.compile(r"use of undeclared identifier '(.*)'$"))
STUB_INSTRUCTION = "int(0)"
"""The body of a created decl: a comptime integer coerces to every integer type, so the stub compiles
wherever the missing decl is used as an integer value (an operand of arithmetic, ``as``, a comparison, a
call argument or return value of integer type). A callee or a type position still needs the user's decl."""


def create_decl(
    outline: Outline, index: LspLineIndex, uri: str, diagnostics: list[types.Diagnostic]
) -> list[types.CodeAction]:
    """ "Create `@name`" for each unknown-decl diagnostic: ``@name = int(0)`` on a new line just above the
    decl that uses it (so it is defined before its first use, as a reader expects)."""
    actions: list[types.CodeAction] = []
    for diag in diagnostics:
        m = next((m for p in _MISSING_DECL if (m := p.match(diag.message)) is not None), None)
        if m is None:
            continue
        name = m.group(1)
        at = offset_of(index, diag.range.start)
        tok = outline.token_at(at)
        if tok is None or tok.kind not in (TokenKind.DECL_REF, TokenKind.STRING):
            continue
        raw = outline.data[tok.start + 1 : tok.end - (tok.kind is TokenKind.STRING)]
        if raw.decode("utf-8", "surrogateescape") != name or outline.decl_named(name) is not None:
            continue
        user = outline.decl_containing(tok.start)
        where = user.def_start if user is not None else outline.data.rfind(b"\n", 0, tok.start) + 1
        spelled = "@" + raw.decode("utf-8", "surrogateescape")
        edit = types.TextEdit(range=to_range(index, where, where), new_text=f"{spelled} = {STUB_INSTRUCTION}\n")
        actions.append(
            types.CodeAction(
                title=f"Create `{spelled}` (= {STUB_INSTRUCTION})",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diag],
                edit=types.WorkspaceEdit(changes={uri: [edit]}),
            )
        )
    return actions
