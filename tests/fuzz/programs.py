"""Random ZIR edit sequences for the differential fuzzer: a runnable program model and text-level chaos.

A ``Program`` is a model of a small runnable ZIR file: ``_start`` calls a chain of helper functions on a seed
and exits with the result, so that two builds of the same text can be compared by running them. Edits act on
the model (insert, delete and rename decls, change a decl's kind, reorder, non-UTF-8 names) or on the text
(empty the file, break the syntax, fix it again). Everything is drawn from one ``random.Random``: a seed
replays a sequence exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

PRELUDE = b"""@noreturn = primitive(noreturn)
@usize = primitive(usize)
@syscall = str("syscall")
@rax = str("{rax}")
@rdi = str("{rdi}")
@exit_group = int(231)
@helper_fnty = fntype([@usize], @usize)
"""

START_TAIL = b"""@start_sym = str("_start")
@start_export = export(@start_sym, "start")
"""

NAME_PARTS = [b"h", b"add", b"twice", b"\xff", b"\xc3\xa9", b"x_y", b"$", b"9", b"\xe2\x82", b"long_name_"]
"""Bytes helper names are made of: ASCII, valid UTF-8, and bytes that are not UTF-8 (names are bytes)."""

KINDS = ["fn", "fn", "fn", "int", "str", "fntype"]
GARBAGE = [b"(", b")", b"{", b"}", b"@", b"%", b'"', b"=", b",", b"\n", b" ", b"\xff", b"int(", b"\\", b"fn("]


@dataclass(frozen=True, slots=True)
class Helper:
    """One top-level decl the start function may call."""

    name: bytes
    kind: str = "fn"
    """``fn`` (adds ``addend`` to its argument, maybe twice), or ``int``/``str``/``fntype`` (not callable)."""
    addend: int = 1
    twice: bool = False
    own_type: bool = False


@dataclass(slots=True)
class Program:
    helpers: list[Helper] = field(default_factory=list)
    calls: list[bytes] = field(default_factory=list)
    """Names ``_start`` calls, in order (a name may be missing from ``helpers``: a compile error)."""
    seed: int = 1
    start_first: bool = False
    """Write ``@start`` before the helpers (forward references)."""
    shuffle: int = 0
    """Nonzero: every top-level decl in an order drawn from this seed (any order is a valid file)."""
    comptime: bool = False
    """``_start`` makes its calls at compile time (``modifier=compile_time``): its result depends on the helpers'
    bodies, so an edit of a helper must re-analyse ``_start`` (module.md §6.4; the ``comptime`` family)."""

    def render(self) -> bytes:
        parts = [PRELUDE, b"@seed = int(%d)\n" % self.seed]
        helpers = b"".join(_render_helper(h) for h in self.helpers)
        start = self._render_start()
        parts += [start, helpers] if self.start_first else [helpers, start]
        parts.append(START_TAIL)
        text = b"".join(parts)
        if not self.shuffle:
            return text
        chunks = [b"@" + c for c in text.split(b"\n@")]
        chunks[0] = chunks[0][1:]
        random.Random(self.shuffle).shuffle(chunks)
        return b"".join(c if c.endswith(b"\n") else c + b"\n" for c in chunks)

    def _render_start(self) -> bytes:
        lines = [b"@start_fnty = fntype([], @noreturn, cc=Naked)\n@start = fn(@start_fnty, {\n"]
        lines.append(b"  %v0 = as(@usize, @seed)\n")
        for i, name in enumerate(self.calls):
            modifier = b", modifier=compile_time" if self.comptime else b""
            lines.append(b"  %%v%d = call(@%s, [%%v%d]%s)\n" % (i + 1, name, i, modifier))
        last = len(self.calls)
        lines.append(
            b"  %%x = asm(@syscall, @usize, volatile=1, inputs=[@rdi, @rax], args=[%%v%d, @exit_group])\n" % last
        )
        lines.append(b"  %u = unreachable()\n})\n")
        return b"".join(lines)

    def expected_exit(self) -> int | None:
        """The exit status when every call names a function helper (None otherwise)."""
        by_name = {h.name: h for h in self.helpers}
        value = self.seed
        for name in self.calls:
            h = by_name.get(name)
            if h is None or h.kind != "fn":
                return None
            value = (value + h.addend) * (2 if h.twice else 1)
        return value & 0xFF


def _render_helper(h: Helper) -> bytes:
    if h.kind == "int":
        return b"@%s = int(%d)\n" % (h.name, h.addend)
    if h.kind == "str":
        return b'@%s = str("%d")\n' % (h.name, h.addend)
    if h.kind == "fntype":
        return b"@%s = fntype([@usize], @usize)\n" % h.name
    k = b"@%s__k" % h.name
    body = [b"%s = int(%d)\n" % (k, h.addend)]
    if h.own_type:  # its own function type, declared after the function (a forward reference)
        body.append(b"@%s = fn(@%s__t, {\n" % (h.name, h.name))
    else:
        body.append(b"@%s = fn(@helper_fnty, {\n" % h.name)
    body.append(b'  %x = arg("x")\n')
    body.append(b"  %%k = as(@usize, %s)\n  %%y = add(%%x, %%k)\n" % k)
    if h.twice:
        body.append(b"  %z = add(%y, %y)\n  %r = return(%z)\n")
    else:
        body.append(b"  %r = return(%y)\n")
    body.append(b"})\n")
    if h.own_type:
        body.append(b"@%s__t = fntype([@usize], @usize)\n" % h.name)
    return b"".join(body)


def new_name(rng: random.Random, taken: set[bytes]) -> bytes:
    while True:
        name = b"".join(rng.choice(NAME_PARTS) for _ in range(rng.randrange(1, 4)))
        if name not in taken and name not in (b"start", b"seed", b"usize", b"noreturn"):
            return name


def initial(rng: random.Random) -> Program:
    p = Program(seed=rng.randrange(0, 100), start_first=rng.random() < 0.3, shuffle=rng.choice([0, 0, 0, 7]))
    taken: set[bytes] = set()
    for _ in range(rng.randrange(0, 4)):
        h = Helper(new_name(rng, taken), "fn", rng.randrange(0, 50), rng.random() < 0.3)
        taken.add(h.name)
        p.helpers.append(h)
        p.calls.append(h.name)
    return p


def edit_model(rng: random.Random, p: Program) -> Program:
    """One model edit; the result may not compile (a missing or non-function callee)."""
    q = Program(list(p.helpers), list(p.calls), p.seed, p.start_first, p.shuffle, p.comptime)
    taken = {h.name for h in q.helpers}
    op = rng.randrange(13)
    if op == 0 or not q.helpers:  # insert a helper (and usually call it)
        h = Helper(new_name(rng, taken), "fn", rng.randrange(0, 50), rng.random() < 0.3)
        q.helpers.insert(rng.randrange(len(q.helpers) + 1), h)
        if rng.random() < 0.8:
            q.calls.insert(rng.randrange(len(q.calls) + 1), h.name)
    elif op == 1:  # delete a helper, and its calls unless we want the error
        h = q.helpers.pop(rng.randrange(len(q.helpers)))
        if rng.random() < 0.6:
            q.calls = [c for c in q.calls if c != h.name]
    elif op == 2:  # rename a helper, and its calls unless we want the error
        i = rng.randrange(len(q.helpers))
        old = q.helpers[i].name
        name = new_name(rng, taken)
        q.helpers[i] = replace(q.helpers[i], name=name)
        if rng.random() < 0.7:
            q.calls = [name if c == old else c for c in q.calls]
    elif op == 3:  # change a helper's kind
        i = rng.randrange(len(q.helpers))
        q.helpers[i] = replace(q.helpers[i], kind=rng.choice(KINDS))
    elif op == 4:  # change a constant: the edit an incremental build must keep small
        i = rng.randrange(len(q.helpers))
        q.helpers[i] = replace(q.helpers[i], addend=rng.randrange(0, 200))
    elif op == 5:
        i = rng.randrange(len(q.helpers))
        q.helpers[i] = replace(q.helpers[i], twice=not q.helpers[i].twice)
    elif op == 6:  # reorder helpers
        rng.shuffle(q.helpers)
    elif op == 7:
        q.start_first = not q.start_first
    elif op == 8:
        q.seed = rng.randrange(0, 100)
    elif op == 9 and q.calls:  # drop or duplicate a call
        i = rng.randrange(len(q.calls))
        if rng.random() < 0.5:
            del q.calls[i]
        else:
            q.calls.insert(i, q.calls[i])
    elif op == 10:  # the whole file in another order, or back in order
        q.shuffle = 0 if q.shuffle else rng.randrange(1, 1 << 30)
    elif op == 11:
        i = rng.randrange(len(q.helpers))
        q.helpers[i] = replace(q.helpers[i], own_type=not q.helpers[i].own_type)
    else:  # make every helper a callable function again (the "fix" of kind edits)
        q.helpers = [replace(h, kind="fn") for h in q.helpers]
        q.calls = [c for c in q.calls if c in taken]
    return q


def heal(p: Program) -> Program:
    """Every helper a function again and every call to an existing helper."""
    helpers = [replace(h, kind="fn") for h in p.helpers]
    names = {h.name for h in helpers}
    return Program(helpers, [c for c in p.calls if c in names], p.seed, p.start_first, p.shuffle, p.comptime)


def break_text(rng: random.Random, text: bytes) -> bytes:
    """Damage the text: insert, delete or replace a few bytes at random places."""
    data = bytearray(text)
    for _ in range(rng.randrange(1, 4)):
        at = rng.randrange(len(data) + 1)
        roll = rng.random()
        if roll < 0.5:
            data[at:at] = rng.choice(GARBAGE)
        elif roll < 0.8:
            del data[at : at + rng.randrange(1, 6)]
        else:
            data[at : at + 1] = rng.choice(GARBAGE)
    return bytes(data)


@dataclass(slots=True)
class Step:
    text: bytes
    expected_exit: int | None
    """The exit status a good build must have (None: not a model text, or a text that should not run)."""
    what: str


def sequence(rng: random.Random, steps: int, *, comptime: bool = False) -> list[Step]:
    """``steps`` texts: mostly model edits, with emptied files, broken syntax and its fix in between
    (``comptime``: ``_start``'s calls made at compile time)."""
    p = initial(rng)
    p.comptime = comptime
    out = [Step(p.render(), p.expected_exit(), "initial")]
    while len(out) < steps:
        roll = rng.random()
        if roll < 0.65:
            if p.expected_exit() is None and rng.random() < 0.5:
                p = heal(p)  # errors come and go, so that good texts follow bad ones often
            p = edit_model(rng, p)
            out.append(Step(p.render(), p.expected_exit(), "edit"))
        elif roll < 0.72:
            out.append(Step(b"", None, "empty"))
        elif roll < 0.92:
            out.append(Step(break_text(rng, p.render()), None, "break"))
        else:
            out.append(Step(p.render(), p.expected_exit(), "fix"))  # back to the last model text
    return out


def chaos_sequence(rng: random.Random, steps: int) -> list[Step]:
    """Texts of random decls and bodies (every instruction kind, names colliding on purpose), edited by
    inserting, deleting, replacing and swapping decls: mostly invalid programs, never run."""
    from tests.compiler.module.test_fuzz_module import TYPES, Gen, edit, render

    gen = Gen(rng)
    decls = [(f"t{i}", f"primitive({TYPES[i]})") for i in range(6)]
    decls += [("g0", "fntype([], @t0)"), ("g1", "fntype([@t1], @t0, cc=C)")]
    decls += [gen.decl() for _ in range(rng.randrange(3, 12))]
    decls += [("entry_name", 'str("f0")'), ("entry_export", 'export(@entry_name, "f0")')]
    out: list[Step] = []
    for _ in range(steps):
        out.append(Step(render(decls).encode(), None, "chaos"))
        decls = edit(rng, gen, decls)
    return out


def bytes_sequence(rng: random.Random, steps: int) -> list[Step]:
    """Random bytes after a valid first decl, then the same bytes damaged further: the parser's fuzz."""
    data = bytes(rng.choice(b'@%=(){}[]," \n\tabcfintsrxy0123456789_\xff\xc3') for _ in range(rng.randrange(200)))
    out: list[Step] = []
    for _ in range(steps):
        out.append(Step(b"@void = primitive(void)\n" + data, None, "bytes"))
        data = break_text(rng, data)
    return out


TYPE_WORDS = ["void", "bool", "u8", "i32", "usize", "u64", "noreturn", "comptime_int", "type", "anyerror"]
TYPE_PRELUDE = b"".join(b"@%s = primitive(%s)\n" % (w.encode(), w.encode()) for w in TYPE_WORDS)


def _type_ref(rng: random.Random, fntypes: int) -> bytes:
    if fntypes and rng.random() < 0.25:
        return b"@ft%d" % rng.randrange(fntypes)
    return b"@" + rng.choice(TYPE_WORDS).encode()


def _types_text(rng: random.Random) -> bytes:
    """Function types with any parameter and return types (function types included) and exported functions of
    them: what code generation's ABI must either lay out or refuse with a compile error."""
    parts = [TYPE_PRELUDE]
    count = rng.randrange(1, 5)
    for i in range(count):
        params = b", ".join(_type_ref(rng, i) for _ in range(rng.randrange(3)))
        cc = rng.choice([b"", b"", b", cc=C", b", cc=Naked"])
        parts.append(b"@ft%d = fntype([%s], %s%s)\n" % (i, params, _type_ref(rng, i), cc))
    for i in range(rng.randrange(1, 4)):
        ty = rng.randrange(count)
        body = rng.choice(
            [b"  %0 = unreachable()\n", b"  %0 = returnvoid()\n", b'  %a = arg("a")\n  %0 = return(%a)\n']
        )
        parts.append(b"@f%d = fn(@ft%d, {\n%s})\n" % (i, ty, body))
        parts.append(b'@n%d = str("f%d")\n@x%d = export(@n%d, "f%d")\n' % (i, i, i, i, i))
    return b"".join(parts)


def types_sequence(rng: random.Random, steps: int) -> list[Step]:
    """Independent texts of ``_types_text`` fed to one Compilation (each replaces the last)."""
    return [Step(_types_text(rng), None, "types") for _ in range(steps)]
