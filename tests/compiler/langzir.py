"""ZIR text for the random programs of tests/compiler/langgen.py (kept apart from the evaluator it is checked
against): each function, identity functions that make constants runtime values, and a ``main`` that writes every
result's ABI bytes to stdout."""

from __future__ import annotations

from tests.compiler.langgen import NAMED, USIZE, Func, IntT, Op, Program

PRELUDE = """@void = primitive(void)
@noreturn = primitive(noreturn)
@usize = primitive(usize)
@false = primitive(false)
@true = primitive(true)
@null = primitive(null)
@n1 = int(1)
@n0 = int(0)
@n231 = int(231)
@u_one = as(@usize, @n1)
@u_zero = as(@usize, @n0)
@syscall = str("syscall")
@sysoutreg = str("={rax}")
@rax = str("{rax}")
@rdi = str("{rdi}")
@rsi = str("{rsi}")
@rdx = str("{rdx}")
@rcx = str("rcx")
@r11 = str("r11")
@memory = str("memory")
@exit_fnty = fntype([@usize], @noreturn)
@exit = fn(@exit_fnty, {
  %code = arg("code")
  %rc = asm(@syscall, @usize, volatile=1, output=@sysoutreg,
    inputs=[@rdi, @rax], clobbers=[@rcx, @r11, @memory], args=[%code, @n231])
  %u = unreachable()
})
@write_fnty = fntype([@usize, @usize], @void)
@write = fn(@write_fnty, {
  %ptr = arg("ptr")
  %n = arg("n")
  %rc = asm(@syscall, @usize, volatile=1, output=@sysoutreg,
    inputs=[@rdx, @rsi, @rdi, @rax], clobbers=[@rcx, @r11, @memory], args=[%n, %ptr, @n1, @n1])
  %r = returnvoid()
})
@id_usize_ty = fntype([@usize], @usize)
@id_usize = fn(@id_usize_ty, {
  %x = arg("x")
  %r = return(%x)
})
@start_fnty = fntype([], @noreturn, cc=Naked)
@start = fn(@start_fnty, {
  %c = call(@main, [])
  %never = call(@exit, [@u_zero])
})
@start_name = str("_start")
@start_export = export(@start_name, "start")
"""


EMIT = """@emit_{name}_ty = fntype([{ref}], @void)
@emit_{name} = fn(@emit_{name}_ty, {{
  %x = arg("x")
  %slot = alloc({ref})
  %s = store(%slot, %x)
  %p = ptrtoint(%slot)
  %n = int({size})
  %rc = asm(@syscall, @usize, volatile=1, output=@sysoutreg,
    inputs=[@rdx, @rsi, @rdi, @rax], clobbers=[@rcx, @r11, @memory], args=[%n, %p, @n1, @n1])
  %r = returnvoid()
}})
"""
"""Writes the ABI bytes of a value (the whole container: the §2 invariant is visible here)."""


def _type_decl(t: IntT) -> str:
    if t.bits in NAMED:
        return f"{t.ref} = primitive({t.name})\n"
    return f"@b_{t.name} = int({t.bits})\n{t.ref} = inttype(@{'true' if t.signed else 'false'}, @b_{t.name})\n"


class Renderer:
    def __init__(self, funcs: list[Func]) -> None:
        self.funcs = {f.name: f for f in funcs}
        self.lines: list[str] = []
        self.types: set[IntT] = {USIZE}
        self.n = 0

    def tmp(self) -> str:
        self.n += 1
        return f"%z{self.n}"

    def emit(self, indent: str, text: str) -> None:
        self.lines.append(indent + text)

    def operand(self, x: str | int, ty: IntT, indent: str) -> str:
        """A value; integer constants become runtime values through an identity call (no compile-time folding)."""
        if isinstance(x, str):
            return f"%{x}"
        self.types.add(ty)
        k, c = self.tmp(), self.tmp()
        self.emit(indent, f"{k} = int({x})")
        self.emit(indent, f"{c} = call(@id_{ty.name}, [{k}])")
        return c

    def op(self, op: Op, indent: str) -> None:
        ty = op.ty
        self.types.add(ty)
        d = f"%{op.dst}"
        match op.kind:
            case "const":
                self.types.add(ty)
                k = self.tmp()
                self.emit(indent, f"{k} = int({op.args[0]})")
                self.emit(indent, f"{d} = call(@id_{ty.name}, [{k}])")
            case "call":
                callee = self.funcs[str(op.extra["fn"])]
                args = ", ".join(self.operand(a, t, indent) for a, t in zip(op.args, callee.params, strict=True))
                self.emit(indent, f"{d} = call(@{op.extra['fn']}, [{args}])")
            case "intcast":
                self.emit(indent, f"{d} = intcast({ty.ref}, {self.operand(op.args[0], ty, indent)})")
            case "loop":
                self.loop(op, indent)
            case "opt":
                self.optional(op, indent)
            case "array":
                self.array(op, indent)
            case "shl" | "shr":
                assert op.amount is not None
                amount_src, log2 = op.amount
                self.types.add(log2)
                a = self.operand(amount_src, ty, indent)
                cast = self.tmp()
                self.emit(indent, f"{cast} = intcast({log2.ref}, {a})")
                self.emit(indent, f"{d} = {op.kind}({self.operand(op.args[0], ty, indent)}, {cast})")
            case _:
                lhs = self.operand(op.args[0], ty, indent)
                rhs = self.operand(op.args[1], ty, indent)
                self.emit(indent, f"{d} = {op.kind}({lhs}, {rhs})")

    def loop(self, op: Op, indent: str) -> None:
        ty, d, i2 = op.ty, f"%{op.dst}", indent + "  "
        acc, i, blk = self.tmp(), self.tmp(), self.tmp()
        init = self.operand(op.args[0], ty, indent)
        operand = self.operand(op.args[1], ty, indent)
        n = self.tmp()
        self.emit(indent, f"{n} = int({op.extra['n']})")
        self.emit(indent, f"{acc} = alloc({ty.ref})")
        self.emit(indent, f"{self.tmp()} = store({acc}, {init})")
        self.emit(indent, f"{i} = alloc(@usize)")
        self.emit(indent, f"{self.tmp()} = store({i}, @u_zero)")
        self.emit(indent, f"{blk} = block({{")
        iv, done = self.tmp(), self.tmp()
        self.emit(i2, f"{self.tmp()} = loop({{")
        i3, i4 = i2 + "  ", i2 + "    "
        self.emit(i3, f"{iv} = deref({i})")
        self.emit(i3, f"{done} = cmp_gte({iv}, {n})")
        self.emit(i3, f"{self.tmp()} = condbr({done}, {{")
        self.emit(i4, f'{self.tmp()} = breakvoid("{blk[1:]}")')
        self.emit(i3, "}, {")
        a, x, nx = self.tmp(), self.tmp(), self.tmp()
        self.emit(i4, f"{a} = deref({acc})")
        self.emit(i4, f"{x} = {op.extra['op']}({a}, {operand})")
        self.emit(i4, f"{self.tmp()} = store({acc}, {x})")
        self.emit(i4, f"{nx} = add({iv}, @u_one)")
        self.emit(i4, f"{self.tmp()} = store({i}, {nx})")
        self.emit(i3, "})")
        self.emit(i2, "})")
        self.emit(indent, "})")
        self.emit(indent, f"{d} = deref({acc})")

    def optional(self, op: Op, indent: str) -> None:
        ty, d = op.ty, f"%{op.dst}"
        opt_ty = self.tmp()
        payload = self.operand(op.args[0], ty, indent)
        fallback = self.operand(op.args[1], ty, indent)
        o, ov, nn, res = self.tmp(), self.tmp(), self.tmp(), self.tmp()
        self.emit(indent, f"{opt_ty} = optional_type({ty.ref})")
        self.emit(indent, f"{o} = alloc({opt_ty})")
        stored = payload if op.extra["present"] else "@null"
        self.emit(indent, f"{self.tmp()} = store({o}, {stored})")
        self.emit(indent, f"{ov} = deref({o})")
        self.emit(indent, f"{nn} = isnonnull({ov})")
        self.emit(indent, f"{res} = block({{")
        i2, i3 = indent + "  ", indent + "    "
        self.emit(i2, f"{self.tmp()} = condbr({nn}, {{")
        up, uv = self.tmp(), self.tmp()
        kind = "unwrap_optional_safe" if op.extra["safe"] else "unwrap_optional_unsafe"
        self.emit(i3, f"{up} = {kind}({o})")
        self.emit(i3, f"{uv} = deref({up})")
        self.emit(i3, f'{self.tmp()} = break("{res[1:]}", {uv})')
        self.emit(i2, "}, {")
        self.emit(i3, f'{self.tmp()} = break("{res[1:]}", {fallback})')
        self.emit(i2, "})")
        self.emit(indent, "})")
        self.emit(indent, f"{d} = as({ty.ref}, {res})")

    def array(self, op: Op, indent: str) -> None:
        ty, d, n = op.ty, f"%{op.dst}", int(str(op.extra["n"]))
        # ZIR has no array type constructor: a [n:0]u8 comes from a string's type.
        text, value, arr_ty, arr = self.tmp(), self.tmp(), self.tmp(), self.tmp()
        self.emit(indent, f'{text} = str("{"a" * n}")')
        self.emit(indent, f"{value} = deref({text})")
        self.emit(indent, f"{arr_ty} = typeof({value})")
        self.emit(indent, f"{arr} = alloc({arr_ty})")
        for j, a in enumerate(op.args):
            idx = self.runtime_index(j, indent)
            e = self.tmp()
            self.emit(indent, f"{e} = elemptr({arr}, {idx})")
            self.emit(indent, f"{self.tmp()} = store({e}, {self.operand(a, ty, indent)})")
        idx = self.runtime_index(int(str(op.extra["index"])), indent)
        e = self.tmp()
        self.emit(indent, f"{e} = elemptr({arr}, {idx})")
        self.emit(indent, f"{d} = deref({e})")

    def runtime_index(self, j: int, indent: str) -> str:
        k, c = self.tmp(), self.tmp()
        self.emit(indent, f"{k} = int({j})")
        self.emit(indent, f"{c} = call(@id_usize, [{k}])")
        return c


def render(p: Program) -> str:
    r = Renderer(p.funcs)
    body: list[str] = []
    for fn in p.funcs:
        r.lines = []
        for i, t in enumerate(fn.params):
            r.types.add(t)
            r.emit("  ", f'%p{i} = arg("p{i}")')
        for op in fn.ops:
            r.op(op, "  ")
        r.emit("  ", f"%ret = return(%{fn.result})")
        r.types.add(fn.ret)
        params = ", ".join(t.ref for t in fn.params)
        body.append(f"@{fn.name}_ty = fntype([{params}], {fn.ret.ref})\n@{fn.name} = fn(@{fn.name}_ty, {{\n")
        body.append("\n".join(r.lines) + "\n})\n")
    main: list[str] = []
    for index, args in p.calls:
        fn = p.funcs[index]
        names = []
        for j, (a, t) in enumerate(zip(args, fn.params, strict=True)):
            k, x = f"%k{index}_{j}", f"%a{index}_{j}"
            main.append(f"  {k} = int({a})\n  {x} = call(@id_{t.name}, [{k}])\n")
            names.append(x)
        res = f"%r{index}"
        main.append(f"  {res} = call(@{fn.name}, [{', '.join(names)}])\n")
        main.append(f"  %w{index} = call(@emit_{fn.ret.name}, [{res}])\n")
    main.append("  %rv = returnvoid()\n")
    ids = []
    for t in sorted(r.types, key=lambda t: (t.bits, t.signed)):
        ids.append(
            f'@id_{t.name}_ty = fntype([{t.ref}], {t.ref})\n@id_{t.name} = fn(@id_{t.name}_ty, {{\n  %x = arg("x")\n  %r = return(%x)\n}})\n'
        )
        ids.append(EMIT.format(name=t.name, ref=t.ref, size=t.size))
    types = "".join(_type_decl(t) for t in sorted(r.types, key=lambda t: (t.bits, t.signed)))
    return (
        PRELUDE
        + types
        + "".join(ids)
        + "".join(body)
        + "@main_ty = fntype([], @void)\n@main = fn(@main_ty, {\n"
        + "".join(main)
        + "})\n"
    )
