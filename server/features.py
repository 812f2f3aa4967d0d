"""Language features answered from the text's outline: symbols, definition, references, rename, completion,
signature help, semantic tokens, folding and code lens (lsp.md §9). Byte offsets in, LSP ranges out."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from compiler.zir.incremental_format import FormatCache
from server.outline import DocOutline as Outline
from server.positions import LspLineIndex
from server.protocol import CMD_RUN, CMD_RUN_LIVE
from server.syntax import LABEL_TAGS, OutlineDecl, Token, TokenKind

_DECL_KINDS = (TokenKind.DECL_DEF, TokenKind.DECL_REF)
_LOCAL_KINDS = (TokenKind.LOCAL_DEF, TokenKind.LOCAL_REF)

TOKEN_TYPES = ["function", "variable", "parameter", "keyword", "property", "enumMember", "string", "number", "comment"]
"""The semantic-token legend (types)."""
TOKEN_MODIFIERS = ["declaration", "readonly"]
"""The semantic-token legend (modifiers)."""
LEGEND = types.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)


def to_range(index: LspLineIndex, start: int, end: int) -> types.Range:
    """The LSP range of the bytes ``[start, end)``."""
    sl, sc = index.position(start)
    el, ec = index.position(end)
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))


def offset_of(index: LspLineIndex, position: types.Position) -> int:
    """The byte offset of an LSP position."""
    return index.offset(position.line, position.character)


# ---------------------------------------------------------------------- name resolution


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One place a name appears: the byte span of the name (without sigil or quotes) and whether it defines."""

    start: int
    end: int
    is_def: bool


def _label_target(outline: Outline, tok: Token) -> tuple[str, OutlineDecl, int] | None:
    """For a block-label string token: the local it names, the decl it lives in, and the offset where the
    name starts inside the token (after the quote, and after ``label_`` for the ``label_N`` form)."""
    if tok.kind is not TokenKind.STRING or tok.tag not in LABEL_TAGS:
        return None
    wanted_arg = 1 if tok.tag == "coerce_result_block_ptr" else 0
    if tok.arg_index != wanted_arg:
        return None
    decl = outline.decl_containing(tok.start)
    if decl is None:
        return None
    text = outline.data[tok.start + 1 : tok.end - 1].decode("utf-8", "surrogateescape")
    names = {local.name for local in decl.locals}
    if text not in names and text.startswith("label_") and text[len("label_") :] in names:
        return text[len("label_") :], decl, tok.start + 1 + len("label_")
    return text, decl, tok.start + 1


def symbol_at(outline: Outline, offset: int) -> tuple[str, str, OutlineDecl | None] | None:
    """``(sigil, name, scope decl)`` of the ``@``/``%`` name (or block label) under the cursor."""
    tok = outline.token_at(offset)
    if tok is None:
        return None
    if tok.kind in _DECL_KINDS:
        return "@", outline.name_of(tok), None
    if tok.kind in _LOCAL_KINDS:
        decl = outline.decl_containing(tok.start)
        return ("%", outline.name_of(tok), decl) if decl is not None else None
    label = _label_target(outline, tok)
    if label is not None:
        return "%", label[0], label[1]
    return None


def occurrences(outline: Outline, sigil: str, name: str, scope: OutlineDecl | None) -> list[Occurrence]:
    """Every occurrence of ``@name`` (file-wide) or ``%name`` (inside ``scope``), in file order.

    Block labels naming the local ``%name`` count as occurrences (the text between the quotes)."""
    out: list[Occurrence] = []
    kinds = _DECL_KINDS if sigil == "@" else _LOCAL_KINDS
    lo, hi = (0, len(outline.data) + 1) if scope is None else (scope.def_start, scope.end)
    for tok in outline.tokens_in(lo, hi):
        if tok.kind in kinds and outline.name_of(tok) == name:
            out.append(Occurrence(tok.start + 1, tok.end, tok.kind in (TokenKind.DECL_DEF, TokenKind.LOCAL_DEF)))
        elif sigil == "%" and tok.kind is TokenKind.STRING:
            label = _label_target(outline, tok)
            if label is not None and label[0] == name and scope is not None and label[1].def_start == scope.def_start:
                out.append(Occurrence(label[2], tok.end - 1, False))
    return out


def definition(outline: Outline, index: LspLineIndex, uri: str, offset: int) -> list[types.Location]:
    """Go to the ``@`` of a decl, the ``%`` of a local, or the block a label names."""
    found = symbol_at(outline, offset)
    if found is None:
        return []
    sigil, name, scope = found
    if sigil == "@":  # the name index, not a walk over the file
        decl = outline.decl_named(name)
        if decl is None:
            return []
        end = decl.def_start + 1 + len(name.encode("utf-8", "surrogateescape"))
        return [types.Location(uri=uri, range=to_range(index, decl.def_start, end))]
    for occ in occurrences(outline, sigil, name, scope):
        if occ.is_def:
            return [types.Location(uri=uri, range=to_range(index, occ.start - 1, occ.end))]
    return []


def references(
    outline: Outline, index: LspLineIndex, uri: str, offset: int, include_declaration: bool
) -> list[types.Location]:
    """Every use of the decl or local under the cursor (and its definition, when asked)."""
    found = symbol_at(outline, offset)
    if found is None:
        return []
    return [
        types.Location(uri=uri, range=to_range(index, occ.start, occ.end))
        for occ in occurrences(outline, *found)
        if include_declaration or not occ.is_def
    ]


def document_highlights(outline: Outline, index: LspLineIndex, offset: int) -> list[types.DocumentHighlight]:
    """Every occurrence of the name under the cursor: its definition as Write, its uses as Read."""
    found = symbol_at(outline, offset)
    if found is None:
        return []
    write, read = types.DocumentHighlightKind.Write, types.DocumentHighlightKind.Read
    return [
        types.DocumentHighlight(range=to_range(index, occ.start, occ.end), kind=write if occ.is_def else read)
        for occ in occurrences(outline, *found)
    ]


class RenameRefused(ValueError):
    """A rename that would break the program; the message says why (answered as ``RequestFailed``)."""


_NAME_BREAKERS = frozenset(' \t\r\n\f\v,()[]{};"\\\x00')
"""Bytes a new name may not contain: whitespace, ``,`` ``)`` ``]`` end a name at a use (docs/design/zir-language.md
§2.4); brackets, ``;`` and quotes would read as syntax, and a block label is the name inside a string."""


def check_new_name(outline: Outline, sigil: str, old: str, scope: OutlineDecl | None, new_name: str) -> str:
    """The bare new name (a leading ``sigil`` dropped), or ``RenameRefused`` saying why it would break."""
    bare = new_name[1:] if new_name[:1] == sigil else new_name
    if not bare:
        raise RenameRefused("the new name is empty")
    bad = sorted({c for c in bare if c in _NAME_BREAKERS})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise RenameRefused(f"{sigil}{bare!r} is not a valid name: it contains {shown} (ZIR names cannot be quoted)")
    other = "%" if sigil == "@" else "@"
    if bare.startswith(other):
        raise RenameRefused(f"'{sigil}{bare}' would read as a {other} name: leave the sigil out")
    if bare.isdigit():
        raise RenameRefused(f"'{sigil}{bare}': numeric names are the compiler's anonymous decls")
    if bare == old:
        return bare
    if sigil == "@" and outline.decl_named(bare) is not None:
        raise RenameRefused(f"@{bare} already exists in this file")
    if sigil == "%" and scope is not None and any(x.name == bare for x in scope.locals):
        raise RenameRefused(f"%{bare} already exists in @{scope.name}")
    return bare


def prepare_rename(outline: Outline, index: LspLineIndex, offset: int) -> types.Range | None:
    """The range of the name (without sigil) under the cursor, if it can be renamed (``RenameRefused`` when
    the name under the cursor has no definition in this file)."""
    tok = outline.token_at(offset)
    found = symbol_at(outline, offset)
    if tok is None or found is None:
        return None
    sigil, name, scope = found
    if sigil == "@":
        defined = outline.decl_named(name) is not None
    else:
        defined = any(o.is_def for o in occurrences(outline, sigil, name, scope))
    if not defined:
        raise RenameRefused(f"{sigil}{name} is not defined in this file")
    label = _label_target(outline, tok)
    if label is not None:
        return to_range(index, label[2], tok.end - 1)
    return to_range(index, tok.start + 1, tok.end)


def rename(outline: Outline, index: LspLineIndex, uri: str, offset: int, new_name: str) -> types.WorkspaceEdit | None:
    """Rename a ``@``/``%`` name and every use (a leading sigil in ``new_name`` is ignored); a name that would
    break the program is refused with ``RenameRefused``."""
    found = symbol_at(outline, offset)
    if found is None:
        return None
    sigil, name, scope = found
    bare = check_new_name(outline, sigil, name, scope, new_name)
    edits = [types.TextEdit(range=to_range(index, o.start, o.end), new_text=bare) for o in occurrences(outline, *found)]
    return types.WorkspaceEdit(changes={uri: edits})


def formatting(cache: FormatCache, data: bytes, index: LspLineIndex) -> list[types.TextEdit]:
    """The formatter's canonical text as one edit (none when already canonical or while it has parse errors).

    The edit spans only the lines that differ, so the cursor and folds elsewhere stay put. ``cache`` is the
    document's: only the units changed since its last version are formatted again (docs/design/lsp.md §9)."""
    change = cache.edit(data)
    if change is None:
        return []
    start, end, new_text = change
    return [types.TextEdit(range=to_range(index, start, end), new_text=new_text.decode("utf-8", "surrogatepass"))]


# ---------------------------------------------------------------------- outline features


def semantic_tokens(outline: Outline, index: LspLineIndex, lo: int = 0, hi: int | None = None) -> types.SemanticTokens:
    """Decl names, locals, tags, keyword names, enum words, strings, numbers, comments (single-line tokens)
    starting in ``[lo, hi)`` (the whole text by default; a range request looks only at its tokens)."""
    data: list[int] = []
    prev_line = prev_col = 0
    for tok in outline.tokens_in(lo, len(outline.data) + 1 if hi is None else hi):
        token_type, modifiers = _classify(outline, tok)
        line, col = index.position(tok.start)
        end_line, end_col = index.position(tok.end)
        if end_line != line or end_col <= col:
            continue
        data += [line - prev_line, col - prev_col if line == prev_line else col, end_col - col, token_type, modifiers]
        prev_line, prev_col = line, col
    return types.SemanticTokens(data=data)


def semantic_tokens_delta(old: list[int], new: list[int]) -> list[types.SemanticTokensEdit]:
    """One edit turning ``old`` into ``new`` (common prefix and suffix kept), or none when equal."""
    if old == new:
        return []
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    return [types.SemanticTokensEdit(start=head, delete_count=len(old) - head - tail, data=new[head : len(new) - tail])]


def _classify(outline: Outline, tok: Token) -> tuple[int, int]:
    is_decl = tok.kind in (TokenKind.DECL_DEF, TokenKind.DECL_REF)
    return token_class(tok.kind, outline.decl_tag(outline.name_of(tok)) if is_decl else None)


def token_class(kind: TokenKind, decl_tag: str | None) -> tuple[int, int]:
    """The semantic token type and modifiers of a token of ``kind`` (``decl_tag``: the tag of the decl a ``@``
    token names)."""
    declaration = 1 << TOKEN_MODIFIERS.index("declaration")
    readonly = 1 << TOKEN_MODIFIERS.index("readonly")
    match kind:
        case TokenKind.DECL_DEF | TokenKind.DECL_REF:
            token_type = TOKEN_TYPES.index("function" if decl_tag == "fn" else "variable")
            return token_type, readonly | (declaration if kind is TokenKind.DECL_DEF else 0)
        case TokenKind.LOCAL_DEF | TokenKind.LOCAL_REF:
            return TOKEN_TYPES.index("parameter"), declaration if kind is TokenKind.LOCAL_DEF else 0
        case TokenKind.TAG:
            return TOKEN_TYPES.index("keyword"), 0
        case TokenKind.KEYWORD:
            return TOKEN_TYPES.index("property"), 0
        case TokenKind.ENUM:
            return TOKEN_TYPES.index("enumMember"), 0
        case TokenKind.NUMBER:
            return TOKEN_TYPES.index("number"), 0
        case TokenKind.STRING:
            return TOKEN_TYPES.index("string"), 0
        case TokenKind.COMMENT:
            return TOKEN_TYPES.index("comment"), 0


def code_lenses(outline: Outline, index: LspLineIndex, uri: str) -> list[types.CodeLens]:
    """ "Run" above the decl exported as ``_start`` (the entry point), invoking the client command ``zir.run``,
    and "Run live" beside it (the server command ``zir.runLive``, docs/hot-swap.md)."""
    lenses: list[types.CodeLens] = []
    for name, tag in list(outline.decl_names()):
        if tag != "export":
            continue
        decl = outline.decl_named(name)
        if decl is None:
            continue
        inside = [t for t in outline.tokens_in(decl.def_start + 1, decl.end) if t.tag == "export"]
        symbol = next((t for t in inside if t.kind is TokenKind.DECL_REF and t.arg_index == 0), None)
        target = next((t for t in inside if t.kind is TokenKind.STRING and t.arg_index == 1), None)
        if symbol is None or target is None or _string_of(outline, outline.name_of(symbol)) != b"_start":
            continue
        entry = outline.decl_named(outline.data[target.start + 1 : target.end - 1].decode("utf-8", "surrogateescape"))
        if entry is None:
            continue
        name_end = entry.def_start + 1 + len(entry.name.encode("utf-8", "surrogateescape"))
        lens_range = to_range(index, entry.def_start, name_end)
        run = types.Command(title="▶ Run", command=CMD_RUN, arguments=[uri])
        lenses.append(types.CodeLens(range=lens_range, command=run))
        live = types.Command(title="⚡ Run live", command=CMD_RUN_LIVE, arguments=[uri])
        lenses.append(types.CodeLens(range=lens_range, command=live))
    return lenses


def _string_of(outline: Outline, name: str) -> bytes | None:
    """The bytes of ``@name = str("…")`` (escapes left as written), or None."""
    decl = outline.decl_named(name)
    if decl is None or decl.tag != "str":
        return None
    for tok in outline.tokens_in(decl.def_start, decl.end):
        if tok.kind is TokenKind.STRING:
            return outline.data[tok.start + 1 : tok.end - 1]
    return None
