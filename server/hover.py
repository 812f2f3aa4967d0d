"""Hover (lsp.md §9): a decl's analysed type, value (strings rendered), address and size; a local's defining
instruction; an instruction tag's signature and one-line description from the operand schema."""

from __future__ import annotations

from lsprotocol import types

from compiler.zir.tags import SCHEMAS, Tag
from server.backend import DeclInfo, LocalFact
from server.completion import signature_of
from server.features import symbol_at, to_range
from server.outline import DocOutline as Outline
from server.positions import LspLineIndex
from server.syntax import TokenKind
from server.tag_docs import DESCRIPTIONS

_TAGS = {t.value: t for t in Tag if SCHEMAS[t].writable}


def _string_literal(outline: Outline, name: str) -> str | None:
    """The literal of ``@name = str("…")`` as written (quotes included), or None."""
    decl = outline.decl_named(name)
    if decl is None or decl.tag != "str":
        return None
    for tok in outline.tokens_in(decl.def_start, decl.end):
        if tok.kind is TokenKind.STRING:
            return outline.data[tok.start : tok.end].decode("utf-8", "replace")
    return None


def _instruction(outline: Outline, index: LspLineIndex, start: int, end: int) -> types.Hover | None:
    name = outline.data[start:end].decode("utf-8", "replace")
    lines: list[str]
    if name == "cmp":
        lines = ["`cmp(lhs: operand, op: lt|lte|eq|gte|gt|neq, rhs: operand)`", "compatibility form of `cmp_<op>`"]
    elif name in _TAGS:
        label = signature_of(_TAGS[name]).label
        lines = [f"`{label}`", DESCRIPTIONS.get(name, "")]
    else:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(x for x in lines if x)),
        range=to_range(index, start, end),
    )


def hover(
    outline: Outline, index: LspLineIndex, offset: int, info: DeclInfo | None, fact: LocalFact | None = None
) -> types.Hover | None:
    """Markdown for the token under the cursor. ``info`` (a decl) and ``fact`` (a ``%`` local) come from the
    editor Compilation (None when not analysed, or analysed from a text that has changed since)."""
    tok = outline.token_at(offset)
    if tok is not None and tok.kind is TokenKind.TAG:
        return _instruction(outline, index, tok.start, tok.end)
    found = symbol_at(outline, offset)
    if tok is None or found is None:
        return None
    sigil, name, scope = found
    lines: list[str] = []
    if sigil == "@":
        decl = outline.decl_named(name)
        lines.append(f"**@{name}**" + (f" = `{decl.tag}(…)`" if decl is not None else ""))
        literal = _string_literal(outline, name)
        if literal is not None:
            lines.append(f"string: `{literal}`" if "`" not in literal else f"string: {literal}")
        if info is None:
            lines.append("not analysed" if decl is not None else "no such decl")
        else:
            if info.type_text is not None:
                lines.append(f"type: `{info.type_text}`")
            if info.value_text is not None and not (literal is not None and info.value_text == "(decl ref)"):
                lines.append(f"value: `{info.value_text}`")
            if info.address is not None:
                lines.append(f"address: `0x{info.address:x}`")
            if info.got_address is not None:
                lines.append(f"GOT slot: `0x{info.got_address:x}`")
            if info.binary_symbol is not None:
                path, address, size = info.binary_symbol
                what = "pointer, " if literal is not None else ""
                lines.append(f"in `{path}`: `0x{address:x}`, {what}{size} bytes")
            if info.status is not None and info.status != "complete":
                lines.append(f"status: {info.status}")
    elif scope is not None:
        local = next((loc for loc in scope.locals if loc.name == name), None)
        if local is not None:
            end = local.end if local.end >= 0 else local.def_start
            text = outline.data[local.def_start : end].decode("utf-8", "replace").splitlines()[0]
            lines.append(f"`{text}`" if len(text) < 200 else f"`%{name} = {local.tag}(…)`")
            if fact is not None:
                lines.append(f"type: `{fact.type_text}`")
                if fact.value_text is not None:
                    shown = fact.value_text
                    lines.append(f"value: `{shown}`" if "`" not in shown else f"value: {shown}")
            if local.tag in DESCRIPTIONS:
                lines.append(f"`{local.tag}`: {DESCRIPTIONS[local.tag]}")
            lines.append(f"in `@{scope.name}`")
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(lines)),
        range=to_range(index, tok.start, tok.end),
    )
