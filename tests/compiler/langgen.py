"""Random well-typed ZIR programs over the whole language, and an independent evaluator of them (issue 12).

A program is a list of functions in a small SSA form of this module's own (``Op``s); ``langzir.render`` writes it as
ZIR text and ``evaluate`` runs it directly in Python with the semantics of docs/design/language-complete.md §2–§6 and
§10 written out here again (two's complement by hand, truncating division, the panic messages), so the expected
output never comes from the compiler's own analysis. ``main`` calls every function with runtime arguments (passed
through identity functions) and writes each result's ABI bytes to stdout; a failed safety check ends the program
with ``panic: MESSAGE`` on stderr and SIGABRT. Features are switched per generator so that each can be tested
(and marked pending) on its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

PANIC_MESSAGES = (
    "integer overflow",
    "division by zero",
    "attempt to cast negative value to unsigned integer",
    "integer cast truncated bits",
    "shift amount is greater than the type size",
    "attempt to use null value",
    "index out of bounds",
    "reached unreachable code",
)


@dataclass(frozen=True, slots=True)
class IntT:
    """An integer type of 1 … 64 bits."""

    signed: bool
    bits: int

    @property
    def name(self) -> str:
        return f"{'i' if self.signed else 'u'}{self.bits}"

    @property
    def ref(self) -> str:
        return f"@t_{self.name}"

    @property
    def lo(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def fits(self, x: int) -> bool:
        return self.lo <= x <= self.hi

    def wrap(self, x: int) -> int:
        x &= (1 << self.bits) - 1
        if self.signed and x >> (self.bits - 1):
            x -= 1 << self.bits
        return x

    @property
    def size(self) -> int:
        """ABI size: the next power of two of the byte count (zir-language.md §7.4)."""
        n = (self.bits + 7) // 8
        p = 1
        while p < n:
            p *= 2
        return p

    def log2(self) -> IntT:
        return IntT(False, (self.bits - 1).bit_length() if self.bits > 1 else 0)


USIZE = IntT(False, 64)
U8 = IntT(False, 8)
NAMED = {8, 16, 32, 64}


class Panic(Exception):
    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


class Undefined(Exception):
    """Behaviour the language leaves undefined without safety (the program is not compared in that mode)."""


# ---- the SSA form --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Op:
    """``dst = kind(args)`` of type ``ty``; ``args`` name earlier values or hold integer constants."""

    kind: str
    dst: str
    ty: IntT
    args: list[str | int]
    extra: dict[str, object] = field(default_factory=dict)
    amount: tuple[str | int, IntT] | None = None
    """Shifts: the amount's source value and ``Log2Int`` of the type (cast at runtime)."""


@dataclass(slots=True)
class Func:
    name: str
    params: list[IntT]
    ret: IntT
    ops: list[Op]
    result: str


@dataclass(slots=True)
class Program:
    funcs: list[Func]
    calls: list[tuple[int, list[int]]]
    """``main``'s calls: function index and argument values."""


# ---- generation ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Features:
    widths: tuple[int, ...] = (8, 16, 32, 64)
    binops: tuple[str, ...] = ("add", "sub", "addwrap", "subwrap")
    casts: bool = False
    loops: bool = True
    calls: bool = True
    max_params: int = 6
    optionals: bool = False
    arrays: bool = False
    ops: tuple[int, int] = (3, 30)
    checked: bool = True
    fold: int = 12
    """At most this many of the last values are folded into the result (kept alive to the end)."""
    """Whether overflowing checked operations may occur (they panic with safety)."""


ALL_BINOPS = (
    "add",
    "sub",
    "mul",
    "addwrap",
    "subwrap",
    "mulwrap",
    "div",
    "mod_rem",
    "bitand",
    "bitor",
    "xor",
    "shl",
    "shr",
)


class Generator:
    def __init__(self, seed: int, feats: Features) -> None:
        self.r = random.Random(seed)
        self.f = feats
        self.counter = 0

    def int_type(self) -> IntT:
        return IntT(self.r.random() < 0.5, self.r.choice(self.f.widths))

    def value(self, ty: IntT) -> int:
        r = self.r
        match r.randrange(5):
            case 0:
                return r.choice([x for x in (ty.lo, ty.hi, 0, 1, -1, 2) if ty.fits(x)])
            case 1:
                return r.randint(max(ty.lo, -8), min(ty.hi, 8))
            case _:
                return r.randint(ty.lo, ty.hi)

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def program(self) -> Program:
        funcs: list[Func] = []
        for i in range(self.r.randint(1, 4)):
            funcs.append(self.function(f"f{i}", funcs))
        calls = [(i, [self.value(p) for p in fn.params]) for i, fn in enumerate(funcs)]
        return Program(funcs, calls)

    def function(self, name: str, earlier: list[Func]) -> Func:
        r = self.r
        params = [self.int_type() for _ in range(r.randint(1, self.f.max_params))]
        vals: list[tuple[str, IntT]] = [(f"p{i}", t) for i, t in enumerate(params)]
        ops: list[Op] = []
        for _ in range(r.randint(*self.f.ops)):
            op = self.op(vals, earlier)
            if op is not None:
                ops.append(op)
                vals.append((op.dst, op.ty))
        # Keep many values alive to the end: fold a few of the latest into the result (forces spills).
        ret = self.int_type()
        result = self.coerce(ops, vals[-1], ret)
        for name_ty in vals[-min(len(vals), r.randint(1, self.f.fold)) :]:
            other = self.coerce(ops, name_ty, ret)
            dst = self.fresh("v")
            ops.append(Op("addwrap" if "addwrap" in self.f.binops else "add", dst, ret, [result, other]))
            result = dst
        return Func(name, params, ret, ops, result)

    def coerce(self, ops: list[Op], val: tuple[str, IntT], ty: IntT) -> str:
        """``val`` as a ``ty``: the same value, or a truncation the program states with wrapping operations."""
        name, vt = val
        if vt == ty:
            return name
        # Bring it into range first so the cast is always valid: (v mod 2^k) with k below both widths.
        dst = self.fresh("m")
        if self.f.casts:
            k = min(vt.bits, ty.bits) - (1 if ty.signed or vt.signed else 0)
            if k <= 0:
                ops.append(Op("const", dst, ty, [0]))
                return dst
            mask = self.fresh("k")
            ops.append(Op("const", mask, vt, [(1 << k) - 1 if vt.fits((1 << k) - 1) else 0]))
            masked = self.fresh("a")
            ops.append(
                Op("bitand", masked, vt, [name, mask])
                if "bitand" in self.f.binops
                else Op("sub", masked, vt, [name, name])
            )
            ops.append(Op("intcast", dst, ty, [masked]))
            return dst
        ops.append(Op("const", dst, ty, [self.value(ty)]))
        return dst

    def op(self, vals: list[tuple[str, IntT]], earlier: list[Func]) -> Op | None:
        r = self.r
        roll = r.random()
        if self.f.calls and earlier and roll < 0.1:
            fn = r.choice(earlier)
            args = [self.pick_of(vals, t) for t in fn.params]
            return Op("call", self.fresh("c"), fn.ret, list(args), {"fn": fn.name})
        if self.f.loops and roll < 0.2:
            name, ty = r.choice(vals)
            other = self.pick_of(vals, ty)
            op = r.choice([o for o in ("addwrap", "subwrap", "mulwrap", "xor") if o in self.f.binops] or ["add"])
            return Op("loop", self.fresh("l"), ty, [name, other], {"n": r.randint(0, 6), "op": op})
        if self.f.optionals and roll < 0.3:
            name, ty = r.choice(vals)
            other = self.pick_of(vals, ty)
            return Op(
                "opt", self.fresh("o"), ty, [name, other], {"present": r.random() < 0.6, "safe": r.random() < 0.5}
            )
        if self.f.arrays and roll < 0.4:
            ty = U8
            n = r.randint(1, 5)
            elems = [self.pick_of(vals, ty) for _ in range(n)]
            return Op(
                "array",
                self.fresh("r"),
                ty,
                [*elems],
                {"n": n, "index": r.randrange(n + (1 if r.random() < 0.1 else 0))},
            )
        if self.f.casts and roll < 0.5:
            name, ty = r.choice(vals)
            return Op("intcast", self.fresh("i"), self.int_type(), [name])
        name, ty = r.choice(vals)
        op = r.choice(self.f.binops)
        if op in ("shl", "shr"):
            amount = self.fresh("s")
            log2 = ty.log2()
            if log2.bits == 0:
                return None
            return Op(op, self.fresh("v"), ty, [name, amount], amount=(self.pick_of(vals, ty), log2))
        rhs: str | int = self.pick_of(vals, ty) if r.random() < 0.7 else self.value(ty)
        return Op(op, self.fresh("v"), ty, [name, rhs])

    def pick_of(self, vals: list[tuple[str, IntT]], ty: IntT) -> str | int:
        same = [n for n, t in vals if t == ty]
        if same and self.r.random() < 0.85:
            return self.r.choice(same)
        return self.value(ty)


# ---- the independent evaluator -------------------------------------------------------------------------


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def binop(op: str, ty: IntT, a: int, b: int, safety: bool) -> int:
    """One arithmetic operation of language-complete.md §3 on values of ``ty``."""
    if op in ("div", "mod_rem") and b == 0:
        if safety:
            raise Panic("division by zero")
        raise Undefined()
    match op:
        case "add" | "addwrap":
            exact = a + b
        case "sub" | "subwrap":
            exact = a - b
        case "mul" | "mulwrap":
            exact = a * b
        case "div":
            exact = _trunc_div(a, b)
        case "mod_rem":
            exact = a - b * _trunc_div(a, b)
        case "bitand":
            exact = a & b
        case "bitor":
            exact = a | b
        case "xor":
            exact = a ^ b
        case "shl" | "shr":
            if b >= ty.bits:
                if safety:
                    raise Panic("shift amount is greater than the type size")
                raise Undefined()
            exact = a << b if op == "shl" else a >> b
            return ty.wrap(exact)
        case _:
            raise AssertionError(op)
    if op in ("add", "sub", "mul", "div") and not ty.fits(exact):
        if safety:
            raise Panic("integer overflow")
        if op == "div":
            raise Undefined()
    return ty.wrap(exact)


def intcast(ty: IntT, x: int, safety: bool) -> int:
    if ty.fits(x):
        return x
    if safety:
        raise Panic(
            "attempt to cast negative value to unsigned integer"
            if x < 0 and not ty.signed
            else "integer cast truncated bits"
        )
    return ty.wrap(x)


@dataclass(slots=True)
class Outcome:
    stdout: bytes
    panic: str | None


def evaluate(p: Program, safety: bool) -> Outcome:
    """Run ``p``; raises ``Undefined`` when its behaviour is undefined in this mode."""
    funcs = {f.name: f for f in p.funcs}
    out = bytearray()

    def call(fn: Func, args: list[int]) -> int:
        env: dict[str, int] = {f"p{i}": a for i, a in enumerate(args)}

        def val(x: str | int) -> int:
            return x if isinstance(x, int) else env[x]

        for op in fn.ops:
            env[op.dst] = step(op, val)
        return env[fn.result]

    def step(op: Op, val: object) -> int:
        assert callable(val)
        ty = op.ty
        match op.kind:
            case "const":
                return int(op.args[0])
            case "call":
                callee = funcs[str(op.extra["fn"])]
                return call(callee, [val(a) for a in op.args])
            case "intcast":
                return intcast(ty, val(op.args[0]), safety)
            case "loop":
                acc, operand = val(op.args[0]), val(op.args[1])
                for _ in range(int(str(op.extra["n"]))):
                    acc = binop(str(op.extra["op"]), ty, acc, operand, safety)
                return int(acc)
            case "opt":
                present = bool(op.extra["present"])
                if present:
                    return int(val(op.args[0]))
                if op.extra["safe"]:
                    return int(val(op.args[1]))
                return int(val(op.args[1]))
            case "array":
                elems = [val(a) for a in op.args]
                index = int(str(op.extra["index"]))
                if index >= len(elems):
                    if safety:
                        raise Panic("index out of bounds")
                    raise Undefined()
                return int(elems[index])
            case "shl" | "shr":
                assert op.amount is not None
                amount_src, log2 = op.amount
                raw = val(amount_src)
                amount = intcast(log2, raw, safety)
                return binop(op.kind, ty, val(op.args[0]), amount, safety)
            case _:
                return binop(op.kind, ty, val(op.args[0]), val(op.args[1]), safety)

    try:
        for index, args in p.calls:
            fn = p.funcs[index]
            result = call(fn, args)
            out += (result & ((1 << (8 * fn.ret.size)) - 1)).to_bytes(fn.ret.size, "little")
    except Panic as exc:
        return Outcome(bytes(out), exc.msg)
    return Outcome(bytes(out), None)
