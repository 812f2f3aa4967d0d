"""Completion and signature help (lsp.md §9): what may be written at the cursor, filtered, ranked and capped
on the server; the signature of the instruction being written, its active parameter read from the keyword."""

from __future__ import annotations

import re

from lsprotocol import types

from compiler.zir.tags import SCHEMAS, FieldKind, FieldSpec, Tag
from server.features import to_range
from server.outline import DocOutline as Outline
from server.positions import LspLineIndex

MAX_ITEMS = 100
"""Completion items sent at most; the list is ``isIncomplete`` when more matched (the client asks again as the
user types, and the server filters by the typed prefix)."""
_KEYWORD = re.compile(rb"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=")


_TAGS_BY_NAME = {t.value: t for t in Tag if SCHEMAS[t].writable}


def _field_label(spec: FieldSpec) -> str:
    kind = {
        FieldKind.INST: "operand",
        FieldKind.INST_LIST: "[operand, …]",
        FieldKind.BODY: "{ … }",
        FieldKind.STR: '"string"',
        FieldKind.LABEL: '"block label"',
        FieldKind.ENUM: "|".join(spec.members or ()),
        FieldKind.BOOL: "0|1",
        FieldKind.USIZE: "usize",
        FieldKind.BIGINT: "integer",
        FieldKind.TYPED_VALUE: "typed value",
        FieldKind.DECL: "decl",
    }[spec.kind]
    return f"{spec.name}: {kind}"


def signature_of(tag: Tag) -> types.SignatureInformation:
    """``tag(positional, …, keyword=default, …)`` with one parameter per field."""
    schema = SCHEMAS[tag]
    params = [_field_label(p) for p in schema.positionals]
    params += [f"{_field_label(k)}={_default_text(k)}" for k in schema.keywords]
    return types.SignatureInformation(
        label=f"{tag.value}({', '.join(params)})",
        parameters=[types.ParameterInformation(label=p) for p in params],
    )


def _default_text(spec: FieldSpec) -> str:
    if spec.kind is FieldKind.BOOL:
        return "1" if spec.default else "0"
    if spec.kind is FieldKind.INST_LIST:
        return "[]"
    return "null" if spec.default is None else str(spec.default)


def _enclosing_call(outline: Outline, offset: int) -> tuple[str, int, str | None] | None:
    """The innermost instruction whose argument list contains ``offset``: its tag, the argument index there
    (counted by commas) and the keyword the argument starts with (``inputs=[…`` → ``inputs``), if any."""
    data = outline.data
    depth = 0
    arg = 0
    arg_start = -1
    i = min(offset, len(data)) - 1
    while i >= 0:
        b = data[i]
        if b in (0x29, 0x5D, 0x7D):
            depth += 1
        elif b in (0x5B, 0x7B):
            if depth == 0:
                return None if b == 0x7B else _enclosing_call(outline, i)
            depth -= 1
        elif b == 0x28:
            if depth == 0:
                j = i
                while j > 0 and (chr(data[j - 1]).isalnum() or data[j - 1] == 0x5F):
                    j -= 1
                m = _KEYWORD.match(data, i + 1 if arg_start < 0 else arg_start, min(offset, len(data)))
                keyword = m.group(1).decode() if m is not None else None
                return data[j:i].decode("utf-8", "replace"), arg, keyword
            depth -= 1
        elif b == 0x2C and depth == 0:
            if arg_start < 0:
                arg_start = i + 1
            arg += 1
        elif b == 0x0A and depth == 0 and i + 1 < len(data) and data[i + 1] in (0x40,):
            return None
        i -= 1
    return None


def signature_help(outline: Outline, offset: int) -> types.SignatureHelp | None:
    """The signature of the instruction whose argument list holds the cursor; the active parameter is the
    keyword being written (``inputs=[…``), else the positional one counted by commas."""
    call = _enclosing_call(outline, offset)
    if call is None:
        return None
    name, arg, keyword = call
    tag = _TAGS_BY_NAME.get(name)
    if tag is None and name == "cmp":
        return types.SignatureHelp(
            signatures=[
                types.SignatureInformation(
                    label="cmp(lhs: operand, op: lt|lte|eq|gte|gt|neq, rhs: operand)",
                    parameters=[
                        types.ParameterInformation(label=p)
                        for p in ("lhs: operand", "op: lt|lte|eq|gte|gt|neq", "rhs: operand")
                    ],
                )
            ],
            active_signature=0,
            active_parameter=min(arg, 2),
        )
    if tag is None:
        return None
    sig = signature_of(tag)
    schema = SCHEMAS[tag]
    names = [p.name for p in schema.positionals] + [k.name for k in schema.keywords]
    if keyword is not None and keyword in names:
        active = names.index(keyword)
    else:
        active = min(arg, max(len(names) - 1, 0))  # no keyword yet: the fields in schema order
    return types.SignatureHelp(signatures=[sig], active_signature=0, active_parameter=active)


def snippet_of(tag: Tag) -> str:
    """``tag(${1:first}, ${2:second})``: the instruction with a placeholder per positional field."""
    fields = []
    for n, spec in enumerate(SCHEMAS[tag].positionals, start=1):
        match spec.kind:
            case FieldKind.INST_LIST:
                fields.append(f"[${{{n}:{spec.name}}}]")
            case FieldKind.BODY:
                fields.append(f"{{\n\t${{{n}}}\n}}")
            case FieldKind.STR | FieldKind.LABEL:
                fields.append(f'"${{{n}:{spec.name}}}"')
            case _:
                fields.append(f"${{{n}:{spec.name}}}")
    return f"{tag.value}({', '.join(fields)})$0"


def match_rank(name: str, typed: str) -> int | None:
    """0 for a prefix match, 1 for a substring (any case), 2 for a subsequence, None for no match."""
    if name.startswith(typed):
        return 0
    lower, want = name.lower(), typed.lower()
    if want in lower:
        return 1
    it = iter(lower)
    return 2 if all(ch in it for ch in want) else None


def available_locals(outline: Outline, offset: int, start: int) -> list[tuple[int, str, str]]:
    """``(depth, name, tag)`` of the ``%`` locals whose runtime value may be used at ``offset``
    (docs/design/zir-language.md §5.4): defined before it, in a body that encloses it; innermost first."""
    scope = outline.decl_containing(offset)
    if scope is None:
        return []
    out: list[tuple[int, str, str]] = []
    for local in scope.locals:
        if not (local.def_start < start and 0 <= local.end <= start):  # not the instruction being written
            continue
        enclosing = [b for b in scope.bodies if b[0] < local.def_start < b[1]]
        if not enclosing:
            continue
        body = max(enclosing)  # the innermost body holding the definition (the latest-starting one)
        if body[0] < offset < body[1]:
            out.append((body[0], local.name, local.tag))
    out.sort(key=lambda x: -x[0])
    return out


def completion(outline: Outline, index: LspLineIndex, offset: int, snippets: bool = False) -> types.CompletionList:
    """After ``@``: decl names; after ``%``: the locals available there; at an instruction position:
    instruction tags (with their arguments); inside an argument list: that instruction's keyword names.
    Names are filtered by what was typed, ranked (prefix, substring, subsequence; then scope and kind) and
    capped at ``MAX_ITEMS`` (then ``isIncomplete``)."""
    data = outline.data
    start = offset
    while start > 0 and data[start - 1] not in b' \t\r\n,()[]{}="':
        start -= 1
    prefix = data[start:offset]
    replace = to_range(index, start, offset)

    def item(label: str, kind: types.CompletionItemKind, detail: str, sort: str = "") -> types.CompletionItem:
        return types.CompletionItem(
            label=label,
            kind=kind,
            detail=detail,
            filter_text=label,
            sort_text=sort or None,
            text_edit=types.TextEdit(replace, label),
        )

    items: list[types.CompletionItem] = []
    if prefix.startswith((b"@", b"%")):
        typed = prefix[1:].decode("utf-8", "surrogateescape")
        ranked: list[tuple[int, int, str, str, types.CompletionItemKind]] = []
        if prefix.startswith(b"@"):
            here = outline.token_at(start)
            defining = here is not None and here.start == start and here.kind.value == "decl_def"
            seen: set[str] = set()
            for name, tag in outline.decl_names():
                rank = match_rank(name, typed)
                if rank is None or name in seen or (defining and name == typed):
                    continue
                seen.add(name)
                kind = types.CompletionItemKind.Function if tag == "fn" else types.CompletionItemKind.Constant
                ranked.append((rank, 0 if tag == "fn" else 1, f"@{name}", tag, kind))
        else:
            for depth, (_, name, tag) in enumerate(available_locals(outline, offset, start)):
                rank = match_rank(name, typed)
                if rank is not None:
                    ranked.append((rank, depth, f"%{name}", tag, types.CompletionItemKind.Variable))
        ranked.sort(key=lambda r: (r[0], r[1]))
        for n, (_, _, label, detail, kind) in enumerate(ranked[:MAX_ITEMS]):
            items.append(item(label, kind, detail, f"{n:05d}"))
        return types.CompletionList(is_incomplete=len(ranked) > MAX_ITEMS, items=items)
    # An instruction position: right after "=" (outside any argument list).
    j = start
    while j > 0 and data[j - 1] in b" \t":
        j -= 1
    if j > 0 and data[j - 1] == 0x3D and _enclosing_call(outline, j - 1) is None:
        for tag_name, inst in sorted(_TAGS_BY_NAME.items()):
            entry = item(tag_name, types.CompletionItemKind.Function, signature_of(inst).label)
            if snippets:  # the instruction with its arguments as placeholders
                entry.text_edit = types.TextEdit(replace, snippet_of(inst))
                entry.insert_text_format = types.InsertTextFormat.Snippet
            items.append(entry)
        return types.CompletionList(is_incomplete=False, items=items)
    call = _enclosing_call(outline, offset)
    if call is not None:
        enclosing = _TAGS_BY_NAME.get(call[0])
        if enclosing is not None:
            for kw in SCHEMAS[enclosing].keywords:
                items.append(item(f"{kw.name}=", types.CompletionItemKind.Property, _field_label(kw)))
                if kw.kind is FieldKind.ENUM:
                    items += [item(m, types.CompletionItemKind.EnumMember, kw.name) for m in kw.members or ()]
    return types.CompletionList(is_incomplete=False, items=items)
