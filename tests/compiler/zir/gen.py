"""Hypothesis strategies for ZIR text: random valid modules with random layout, and random edits of text."""

from __future__ import annotations

from hypothesis import strategies as st

WS = st.sampled_from([" ", "  ", "\n", "\t", "\r\n", " \n  "])
NAMES = ["a", "b", "c", "fnty", "void", "usize", "0", "1", "unnamed$4", "x_y", "é"]
PRIMS = ["void", "usize", "u8", "noreturn", "bool", "type", "i64"]
CCS = ["Unspecified", "C", "Naked", "Cold"]
BIN_TAGS = ["add", "sub", "as", "store", "elemptr", "bitcast", "mul", "cmp_lt", "cmp_eq"]
UN_TAGS = ["deref", "ref", "ptrtoint", "boolnot", "typeof", "alloc", "ensure_result_used", "return"]
NOOP_TAGS = ["breakpoint", "unreachable", "returnvoid", "dbg_stmt", "ret_type", "unreach_nocheck"]
COMMENT_TEXT = st.sampled_from(["", " note", "  x ; y", " é", " )({}@%"])


@st.composite
def ws0(draw: st.DrawFn) -> str:
    """ws* — usually nothing or one space."""
    return draw(st.sampled_from(["", "", " ", "\n  ", "\t"]))


@st.composite
def string_literal(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.sampled_from(["a", "Z", " ", "\\n", "\\t", "\\\\", '\\"', "\\'", "\\x32", "\\x0A", "\\u{1f4af}", "é"]),
            max_size=6,
        )
    )
    return '"' + "".join(parts) + '"'


@st.composite
def integer(draw: st.DrawFn) -> str:
    return str(draw(st.one_of(st.integers(-5, 300), st.integers(-(2**80), 2**80))))


class _Body:
    """The % names defined so far in one decl, and the enclosing blocks' names (for breaks)."""

    def __init__(self) -> None:
        self.defined: list[str] = []
        self.blocks: list[str] = []
        self.counter = 0

    def fresh(self) -> str:
        self.counter += 1
        return f"i{self.counter}"


@st.composite
def operand(draw: st.DrawFn, ctx: _Body | None) -> str:
    if ctx is not None and ctx.defined and draw(st.booleans()):
        return "%" + draw(st.sampled_from(ctx.defined))
    return "@" + draw(st.sampled_from(NAMES))


@st.composite
def operand_list(draw: st.DrawFn, ctx: _Body | None) -> str:
    items = draw(st.lists(operand(ctx), max_size=3))
    if not items:
        return "[" + draw(ws0()) + "]"
    sep = "," + draw(ws0())
    return "[" + draw(ws0()) + sep.join(items) + draw(ws0()) + "]"


@st.composite
def body(draw: st.DrawFn, ctx: _Body, depth: int, is_fn: bool) -> str:
    items: list[str] = []
    sep = st.sampled_from([" ", "\n  ", "\n\n  ", "\n\t", "\r\n  "])
    if is_fn:
        for k in range(draw(st.integers(0, 2))):
            name = ctx.fresh()
            form = f"arg({k})" if draw(st.booleans()) else f'arg("{name}")'
            items.append(f"%{name} = {form}" + draw(sep))
            ctx.defined.append(name)
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.integers(0, 5)) == 0:
            items.append(";" + draw(COMMENT_TEXT) + "\n")
            continue
        name = ctx.fresh()
        text = f"%{name}{draw(WS)}={draw(ws0())}{draw(instruction(ctx, depth, name))}"
        if draw(st.integers(0, 4)) == 0:
            text += draw(st.sampled_from([" ", ""])) + ";" + draw(COMMENT_TEXT) + "\n"
        else:
            text += draw(sep)
        items.append(text)
        ctx.defined.append(name)
    return "{" + draw(ws0()) + "".join(items) + "}"


@st.composite
def instruction(draw: st.DrawFn, ctx: _Body | None, depth: int, own_name: str) -> str:
    choices = ["prim", "int", "str", "fntype", "bin", "un", "noop", "call", "asm", "ptr", "cmp", "declval"]
    if ctx is not None:
        choices += ["cond", "block", "loop", "brk"] if depth < 3 else []
    elif depth < 2:
        choices += ["fn", "fn"]
    kind = draw(st.sampled_from(choices))
    c = "," + draw(ws0())
    if kind == "prim":
        return f"primitive({draw(st.sampled_from(PRIMS))})"
    if kind == "int":
        return f"int({draw(integer())})"
    if kind == "str":
        return f"str({draw(string_literal())})"
    if kind == "declval":
        return f"declval({draw(string_literal())})"
    if kind == "fntype":
        cc = draw(st.sampled_from([*CCS, None]))
        kw = f"{c}cc={cc}" if cc else ""
        return f"fntype({draw(operand_list(ctx))}{c}{draw(operand(ctx))}{kw})"
    if kind == "bin":
        return f"{draw(st.sampled_from(BIN_TAGS))}({draw(operand(ctx))}{c}{draw(operand(ctx))})"
    if kind == "cmp":
        op = draw(st.sampled_from(["lt", "lte", "eq", "gte", "gt", "neq"]))
        return f"cmp({draw(operand(ctx))}{c}{op}{c}{draw(operand(ctx))})"
    if kind == "un":
        return f"{draw(st.sampled_from(UN_TAGS))}({draw(operand(ctx))})"
    if kind == "noop":
        return f"{draw(st.sampled_from(NOOP_TAGS))}()" if ctx is not None or draw(st.booleans()) else "return()"
    if kind == "call":
        mod = draw(st.sampled_from([None, "auto", "never_inline"]))
        kw = f"{c}modifier={mod}" if mod else ""
        return f"call({draw(operand(ctx))}{c}{draw(operand_list(ctx))}{kw})"
    if kind == "asm":
        kws = draw(st.lists(st.sampled_from(["volatile", "output", "inputs", "clobbers", "args"]), max_size=5))
        parts = []
        for k in kws:
            if k == "volatile":
                parts.append(f"volatile={draw(st.sampled_from(['0', '1']))}")
            elif k == "output":
                parts.append(f"output={draw(operand(ctx))}")
            else:
                parts.append(f"{k}={draw(operand_list(ctx))}")
        tail = "".join(c + p for p in parts)
        return f"asm({draw(operand(ctx))}{c}{draw(operand(ctx))}{tail})"
    if kind == "ptr":
        kws = draw(
            st.lists(st.sampled_from(["allowzero=1", "const=0", "volatile=1", "align=@a", "sentinel=@b"]), max_size=3)
        )
        return "ptr_type(" + draw(operand(ctx)) + "".join(c + k for k in kws) + ")"
    if kind == "fn":
        return f"fn({draw(operand(None))}{c}{draw(body(_Body(), depth + 1, True))})"
    assert ctx is not None
    if kind == "cond":
        return (
            f"condbr({draw(operand(ctx))}{c}{draw(body(ctx, depth + 1, False))}{c}{draw(body(ctx, depth + 1, False))})"
        )
    if kind == "block":
        ctx.blocks.append(own_name)
        text = f"block({draw(body(ctx, depth + 1, False))})"
        ctx.blocks.pop()
        return text
    if kind == "loop":
        return f"loop({draw(body(ctx, depth + 1, False))})"
    if not ctx.blocks:
        return "breakpoint()"
    label = draw(st.sampled_from(ctx.blocks))
    if draw(st.booleans()):
        return f'breakvoid("{label}")'
    return f'break("{label}"{c}{draw(operand(ctx))})'


@st.composite
def module(draw: st.DrawFn) -> str:
    """A random valid module with random layout, comments and blank lines."""
    out: list[str] = []
    used: set[str] = set()
    for i in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 4)) == 0:
            out.append(";" + draw(COMMENT_TEXT) + "\n")
        name = draw(st.sampled_from(NAMES)) + str(i)
        if name in used:
            continue
        used.add(name)
        decl = f"@{name}{draw(WS)}={draw(ws0())}{draw(instruction(None, 0, name))}"
        trailing = draw(st.sampled_from(["\n", "\n", "\n\n", "\n\n\n", " ;" + draw(COMMENT_TEXT) + "\n", ";\n"]))
        out.append(decl + trailing)
    return "".join(out)


SNIPPETS = [
    "@",
    "%",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    "=",
    '"',
    "\\",
    ";",
    "\n",
    "\n@",
    " ",
    "\t",
    "\0",
    "int(1)",
    "@z = int(2)\n",
    "fn(@t, {",
    "})",
    "%q",
    "é",
    "\xff",
]


@st.composite
def edits(draw: st.DrawFn, text: bytes, count: int = 4) -> list[bytes]:
    """Successive versions of ``text``, each a random small edit (replace a slice by a snippet) of the last."""
    versions = []
    current = text
    for _ in range(draw(st.integers(1, count))):
        start = draw(st.integers(0, len(current)))
        end = draw(st.integers(start, min(len(current), start + 8)))
        snippet = draw(st.lists(st.sampled_from(SNIPPETS), max_size=3))
        current = current[:start] + "".join(snippet).encode("utf-8", "surrogateescape") + current[end:]
        versions.append(current)
    return versions
