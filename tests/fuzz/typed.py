"""Edit sequences of type-valued decls feeding function types, for the differential fuzzer (issue 11, item 8).

A ``TypedProgram`` is a runnable ZIR file whose function types are built from other decls: ``primitive``
decls, ``typeof`` of strings and of typed constants (``@c = as(@p, @k)``), and ``fntype`` decls over those.
``@main`` calls every function with decls whose types must match the parameters and returns the sum of the
results, which ``_start`` exits with. The edits are the ones that change a type far from its users — a string grows (its type
``*const [N:0]u8`` changes), a ``typeof`` points elsewhere, a primitive becomes another, a type decl is
deleted and added back, renamed, or the whole file reordered so that decls are used before they are defined.
That is the class where an incremental update can analyse a user before the type it depends on has changed
(docs/design/module.md §6.4); a fresh build of the same text is the reference.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tests.fuzz.programs import Step, break_text

INT_WORDS = ["u8", "u16", "u32", "u64", "usize"]

HEAD = b"""@noreturn = primitive(noreturn)
@usize = primitive(usize)
@start_fnty = fntype([], @noreturn, cc=Naked)
@main_fnty = fntype([], @usize)
@start = fn(@start_fnty, {
  %m = call(@main, [])
  %e = int(231)
  %sc = str("syscall")
  %rax = str("{rax}")
  %rdi = str("{rdi}")
  %x = asm(%sc, @usize, volatile=1, inputs=[%rdi, %rax], args=[%m, %e])
  %u = unreachable()
})
@start_sym = str("_start")
@start_export = export(@start_sym, "start")
"""


@dataclass(slots=True)
class TypeDecl:
    """``prim`` (``@name = primitive(word)``) or ``typeof`` (``@name = typeof(@target)``)."""

    kind: str
    word: str = "u8"
    target: str = ""


@dataclass(slots=True)
class FnDecl:
    fnty: str
    addend: int


@dataclass(slots=True)
class TypedProgram:
    strs: dict[str, int] = field(default_factory=dict)
    """String decls by name: the string's length (its type is ``*const [len:0]u8``)."""
    consts: dict[str, str] = field(default_factory=dict)
    """Typed constants ``@c = as(@p, @k0)``: the type decl ``p`` they are cast to."""
    types: dict[str, TypeDecl] = field(default_factory=dict)
    fntypes: dict[str, tuple[list[str], str]] = field(default_factory=dict)
    """Function types: parameter type decls and return type decl."""
    fns: dict[str, FnDecl] = field(default_factory=dict)
    calls: list[tuple[str, list[str]]] = field(default_factory=list)
    """``@main``'s calls: the callee and its argument decls."""
    graveyard: dict[str, TypeDecl] = field(default_factory=dict)
    """Type decls deleted by an edit, to be added back later (under the same name)."""
    order: int = 0
    """0: definitions before uses; 1: ``@main`` first; otherwise a shuffle seed for the decl order."""
    counter: int = 0

    def copy(self) -> TypedProgram:
        return TypedProgram(
            dict(self.strs),
            dict(self.consts),
            {n: TypeDecl(t.kind, t.word, t.target) for n, t in self.types.items()},
            {n: (list(p), r) for n, (p, r) in self.fntypes.items()},
            {n: FnDecl(f.fnty, f.addend) for n, f in self.fns.items()},
            [(c, list(a)) for c, a in self.calls],
            dict(self.graveyard),
            self.order,
            self.counter,
        )

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # ---------------------------------------------------------------- rendering

    def decls(self) -> list[bytes]:
        out = [b"@k0 = int(3)\n"]
        out += [b'@%s = str("%s")\n' % (n.encode(), b"z" * n_) for n, n_ in self.strs.items()]
        for name, t in self.types.items():
            if t.kind == "prim":
                out.append(b"@%s = primitive(%s)\n" % (name.encode(), t.word.encode()))
            else:
                out.append(b"@%s = typeof(@%s)\n" % (name.encode(), t.target.encode()))
        out += [b"@%s = as(@%s, @k0)\n" % (n.encode(), p.encode()) for n, p in self.consts.items()]
        for name, (params, ret) in self.fntypes.items():
            ps = b", ".join(b"@" + p.encode() for p in params)
            out.append(b"@%s = fntype([%s], @%s)\n" % (name.encode(), ps, ret.encode()))
        for name, f in self.fns.items():
            params, _ = self.fntypes.get(f.fnty, ([], ""))
            args = b"".join(b'  %%a%d = arg("a%d")\n' % (i, i) for i in range(len(params)))
            body = b"%s  %%k = int(%d)\n  %%r = return(%%k)\n" % (args, f.addend)
            out.append(b"@%s = fn(@%s, {\n%s})\n" % (name.encode(), f.fnty.encode(), body))
        return out

    def render_main(self) -> bytes:
        """``@main``: every call, the results summed (``_start`` is Naked and may not use the stack)."""
        lines = [b"@main = fn(@main_fnty, {\n  %acc0 = int(0)\n  %s0 = as(@usize, %acc0)\n"]
        for i, (callee, args) in enumerate(self.calls):
            a = b", ".join(b"@" + x.encode() for x in args)
            lines.append(b"  %%v%d = call(@%s, [%s])\n" % (i, callee.encode(), a))
            lines.append(b"  %%w%d = as(@usize, %%v%d)\n" % (i, i))
            lines.append(b"  %%s%d = add(%%s%d, %%w%d)\n" % (i + 1, i, i))
        lines.append(b"  %%r = return(%%s%d)\n})\n" % len(self.calls))
        return b"".join(lines)

    def render(self) -> bytes:
        chunks = self.decls()
        start = self.render_main()
        if self.order == 0:
            chunks = [HEAD, *chunks, start]
        elif self.order == 1:
            chunks = [HEAD, start, *reversed(chunks)]
        else:
            chunks = [HEAD, start, *chunks]
            random.Random(self.order).shuffle(chunks)
        return b"".join(chunks)

    # ---------------------------------------------------------------- the model's expectation

    def int_word(self, t: str, depth: int = 0) -> str | None:
        """The integer type a type decl names, or None (missing, a string type, or a cycle)."""
        d = self.types.get(t)
        if d is None or depth > 8:
            return None
        if d.kind == "prim":
            return d.word
        if d.target in self.consts:
            return self.int_word(self.consts[d.target], depth + 1)
        return None

    def str_len(self, t: str) -> int | None:
        d = self.types.get(t)
        if d is not None and d.kind == "typeof" and d.target in self.strs:
            return self.strs[d.target]
        return None

    def arg_fits(self, param: str, arg: str) -> bool:
        if (n := self.str_len(param)) is not None:
            return self.strs.get(arg) == n
        word = self.int_word(param)
        if word is None:
            return False
        return arg == "k0" or (arg in self.consts and self.int_word(self.consts[arg]) == word)

    def expected_exit(self) -> int | None:
        """The exit status when the model is sure the text compiles (None: it may not)."""
        if any(self.int_word(p) is None for p in self.consts.values()):
            return None
        for params, ret in self.fntypes.values():
            if self.int_word(ret) is None:
                return None
            if any(self.int_word(p) is None and self.str_len(p) is None for p in params):
                return None
        if any(f.fnty not in self.fntypes or f.addend > 255 for f in self.fns.values()):
            return None
        total = 0
        for callee, args in self.calls:
            f = self.fns.get(callee)
            if f is None:
                return None
            params, _ = self.fntypes[f.fnty]
            if len(args) != len(params) or not all(self.arg_fits(p, a) for p, a in zip(params, args, strict=True)):
                return None
            total += f.addend
        return total & 0xFF

    # ---------------------------------------------------------------- building blocks

    def new_type(self, rng: random.Random) -> str:
        """A new type decl usable as a parameter type: a primitive, typeof a string, or typeof a constant."""
        roll = rng.random()
        name = self.fresh("t")
        if roll < 0.3 or not (self.strs or self.consts):
            self.types[name] = TypeDecl("prim", rng.choice(INT_WORDS))
        elif roll < 0.7 and self.strs:
            self.types[name] = TypeDecl("typeof", target=rng.choice(list(self.strs)))
        else:
            if not self.consts:
                self.new_const(rng)
            self.types[name] = TypeDecl("typeof", target=rng.choice(list(self.consts)))
        return name

    def new_const(self, rng: random.Random) -> str:
        prims = [n for n, t in self.types.items() if t.kind == "prim"]
        if not prims:
            p = self.fresh("p")
            self.types[p] = TypeDecl("prim", rng.choice(INT_WORDS))
            prims = [p]
        name = self.fresh("c")
        self.consts[name] = rng.choice(prims)
        return name

    def ret_type(self, rng: random.Random) -> str:
        ints = [n for n in self.types if self.int_word(n) is not None]
        if ints and rng.random() < 0.7:
            return rng.choice(ints)
        name = self.fresh("r")
        self.types[name] = TypeDecl("prim", rng.choice(INT_WORDS))
        return name

    def new_fn(self, rng: random.Random) -> str:
        params = []
        for _ in range(rng.randrange(0, 3)):
            existing = [n for n in self.types if self.int_word(n) or self.str_len(n) is not None]
            params.append(rng.choice(existing) if existing and rng.random() < 0.5 else self.new_type(rng))
        ft = self.fresh("ft")
        self.fntypes[ft] = (params, self.ret_type(rng))
        f = self.fresh("f")
        self.fns[f] = FnDecl(ft, rng.randrange(0, 100))
        return f

    def args_for(self, rng: random.Random, callee: str) -> list[str]:
        f = self.fns.get(callee)
        params = self.fntypes[f.fnty][0] if f is not None and f.fnty in self.fntypes else []
        args = []
        for p in params:
            n = self.str_len(p)
            if n is not None:
                same = [s for s, m in self.strs.items() if m == n]
                args.append(rng.choice(same))
                continue
            word = self.int_word(p)
            same = [c for c, t in self.consts.items() if word is not None and self.int_word(t) == word]
            args.append(rng.choice(same) if same and rng.random() < 0.6 else "k0")
        return args


def initial(rng: random.Random) -> TypedProgram:
    p = TypedProgram(order=rng.choice([0, 1, rng.randrange(2, 1 << 30)]))
    for _ in range(rng.randrange(1, 3)):
        p.strs[p.fresh("s")] = rng.randrange(0, 8)
    for _ in range(rng.randrange(0, 2)):
        p.new_const(rng)
    for _ in range(rng.randrange(1, 4)):
        f = p.new_fn(rng)
        p.calls.append((f, p.args_for(rng, f)))
    return p


def _rename(p: TypedProgram, old: str, new: str, refs: bool) -> None:
    """Rename decl ``old``; with ``refs``, every reference too (else they dangle: a compile error)."""
    tables: tuple[dict[str, Any], ...] = (p.strs, p.consts, p.types, p.fntypes, p.fns)
    for table in tables:
        if old in table:
            table[new] = table.pop(old)
    if not refs:
        return
    for t in p.types.values():
        t.target = new if t.target == old else t.target
    p.consts = {c: (new if t == old else t) for c, t in p.consts.items()}
    p.fntypes = {n: ([new if x == old else x for x in ps], new if r == old else r) for n, (ps, r) in p.fntypes.items()}
    for f in p.fns.values():
        f.fnty = new if f.fnty == old else f.fnty
    p.calls = [(new if c == old else c, [new if a == old else a for a in args]) for c, args in p.calls]


def edit(rng: random.Random, p: TypedProgram) -> TypedProgram:
    """One edit; the result may not compile (a dangling name, mismatched argument types)."""
    q = p.copy()
    op = rng.randrange(16)
    if op <= 2 and q.strs:  # a string grows or shrinks: its type changes under every typeof of it
        s = rng.choice(list(q.strs))
        q.strs[s] = max(0, q.strs[s] + rng.choice([-2, -1, 1, 1, 2]))
        if rng.random() < 0.5:  # callers follow (or not: a type mismatch the fresh build reports too)
            q.calls = [(c, q.args_for(rng, c)) if s in args else (c, args) for c, args in q.calls]
    elif op == 3 and q.types:  # a primitive becomes another
        prims = [n for n, t in q.types.items() if t.kind == "prim"]
        if prims:
            q.types[rng.choice(prims)].word = rng.choice(INT_WORDS)
    elif op == 4:  # a typeof points at another value
        tys = [n for n, t in q.types.items() if t.kind == "typeof"]
        targets = list(q.strs) + list(q.consts)
        if tys and targets:
            q.types[rng.choice(tys)].target = rng.choice(targets)
    elif op == 5 and q.types:  # delete a type decl (its users fail until it is back)
        name = rng.choice(list(q.types))
        q.graveyard[name] = q.types.pop(name)
    elif op == 6 and q.graveyard:  # add a deleted type decl back
        name = rng.choice(list(q.graveyard))
        q.types[name] = q.graveyard.pop(name)
    elif op == 7:  # rename a decl of any kind, with its references most of the time
        names = list(q.types) + list(q.strs) + list(q.fntypes) + list(q.consts) + list(q.fns)
        if names:
            old = rng.choice(names)
            _rename(q, old, q.fresh(old.rstrip("0123456789") or "n"), rng.random() < 0.8)
    elif op == 8 and q.fntypes:  # a function type's parameters change
        ft = rng.choice(list(q.fntypes))
        params, ret = q.fntypes[ft]
        if params and rng.random() < 0.4:
            params.pop(rng.randrange(len(params)))
        else:
            params.insert(
                rng.randrange(len(params) + 1),
                q.new_type(rng) if not q.types or rng.random() < 0.5 else rng.choice(list(q.types)),
            )
        q.fntypes[ft] = (params, ret)
        if rng.random() < 0.7:
            q.calls = [(c, q.args_for(rng, c)) for c, _ in q.calls]
    elif op == 9 and q.fntypes:  # a function type's return type changes
        ft = rng.choice(list(q.fntypes))
        q.fntypes[ft] = (q.fntypes[ft][0], q.ret_type(rng))
    elif op == 10:  # a new function, called
        f = q.new_fn(rng)
        q.calls.insert(rng.randrange(len(q.calls) + 1), (f, q.args_for(rng, f)))
    elif op == 11 and q.fns:  # delete a function (and its calls, mostly)
        f = rng.choice(list(q.fns))
        del q.fns[f]
        if rng.random() < 0.8:
            q.calls = [(c, a) for c, a in q.calls if c != f]
    elif op == 12:  # the file in another order
        q.order = rng.choice([0, 1, rng.randrange(2, 1 << 30)])
    elif op == 13 and q.fns and q.fntypes:  # a function gets another type
        f = rng.choice(list(q.fns))
        q.fns[f].fnty = rng.choice(list(q.fntypes))
        if rng.random() < 0.7:
            q.calls = [(c, q.args_for(rng, c)) if c == f else (c, a) for c, a in q.calls]
    elif op == 14 and q.fns:
        f = rng.choice(list(q.fns))
        q.fns[f].addend = rng.randrange(0, 300)
    elif op == 15:  # a new string, and a typeof of it (a new type nobody uses yet)
        s = q.fresh("s")
        q.strs[s] = rng.randrange(0, 8)
        if rng.random() < 0.5:
            q.types[q.fresh("t")] = TypeDecl("typeof", target=s)
    return q


def heal(rng: random.Random, p: TypedProgram) -> TypedProgram:
    """Back to a text the model expects to compile: deleted types back, dangling names dropped, calls fixed."""
    q = p.copy()
    q.types.update(q.graveyard)
    q.graveyard.clear()
    for d in list(q.types.values()):
        if d.kind == "typeof" and d.target not in q.strs and d.target not in q.consts:
            d.kind, d.word = "prim", rng.choice(INT_WORDS)
    for c, t in list(q.consts.items()):
        if q.int_word(t) is None:
            q.consts[c] = q.ret_type(rng)
    for ft, (params, ret) in list(q.fntypes.items()):
        params = [x for x in params if q.int_word(x) is not None or q.str_len(x) is not None]
        q.fntypes[ft] = (params, ret if q.int_word(ret) is not None else q.ret_type(rng))
    for f in q.fns.values():
        if f.fnty not in q.fntypes:
            f.fnty = rng.choice(list(q.fntypes)) if q.fntypes else f.fnty
        f.addend = min(f.addend, 255)
    q.calls = [(c, q.args_for(rng, c)) for c, _ in q.calls if c in q.fns and q.fns[c].fnty in q.fntypes]
    return q


def typed_sequence(rng: random.Random, steps: int) -> list[Step]:
    """``steps`` texts: type edits, with heals so that good texts follow bad ones, and some broken syntax."""
    p = initial(rng)
    out = [Step(p.render(), p.expected_exit(), "typed initial")]
    while len(out) < steps:
        roll = rng.random()
        if roll < 0.9:
            if p.expected_exit() is None and rng.random() < 0.6:
                p = heal(rng, p)
            p = edit(rng, p)
            out.append(Step(p.render(), p.expected_exit(), "typed edit"))
        elif roll < 0.95:
            out.append(Step(break_text(rng, p.render()), None, "typed break"))
        else:
            p = heal(rng, p)
            out.append(Step(p.render(), p.expected_exit(), "typed heal"))
    return out
