"""The System V ABI in full, run for real: parameters of mixed widths past the six registers (both sides),
recursion with stack arguments, returns in rax:rdx and through the hidden pointer, calls through function
values, optionals and element pointers (docs/design/language-complete.md §5–§7, §11)."""

from __future__ import annotations

from pathlib import Path

from compiler.air import AirInst, AirTag, Block, Br, CondBr, Constant
from compiler.sema.types import Type, TypeTag
from compiler.sema.values import BoolValue, FunctionValue, NullValue

from .builder import Body, c, ints, named, program_with_main
from .support import BOOL, NORETURN, USIZE, Decl, Fn, Src, link_and_run_full

U8, I8, I16, U16, U32, I32, U64 = (
    named(t) for t in (TypeTag.U8, TypeTag.I8, TypeTag.I16, TypeTag.U16, TypeTag.U32, TypeTag.I32, TypeTag.U64)
)


def run(
    tmp_path: Path, s: Src, main: Body, others: list[tuple[Decl, Type, list[AirInst]]], *, safety: bool = True
) -> bytes:
    proc = link_and_run_full(
        str(tmp_path / "prog"), program_with_main(s, main, others), Decl(1, "start"), safety=safety
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_nine_mixed_width_parameters_reach_the_callee(tmp_path: Path) -> None:
    # f_k returns its k-th parameter widened to u64 (unchecked intcast: the two's-complement bits)
    s = Src()
    params = (U8, I16, U32, BOOL, USIZE, I8, U64, I32, U16)
    values = (200, -300, 4_000_000_000, 1, 1 << 40, -7, (1 << 64) - 2, -100_000, 65_000)
    fty = Type.function(params, U64)
    others = []
    for k in range(len(params)):
        b = Body(s)
        args = [b.arg(t, i) for i, t in enumerate(params)]
        r = b.un(AirTag.INTCAST, U64, args[k]) if params[k] is not BOOL else b.un(AirTag.BITCAST, U8, args[k])
        if params[k] is BOOL:
            r = b.un(AirTag.INTCAST, U64, r)
        b.ret(r)
        others.append((Decl(10 + k, f"f{k}"), fty, b.insts))
    main = Body(s)
    live = [main.bin(AirTag.ADD, USIZE, c(USIZE, 1000 + i), c(USIZE, i)) for i in range(4)]  # saved across calls
    for k in range(len(params)):
        consts = [
            c(t, v) if t is not BOOL else Constant(BOOL, BoolValue(True), 0)
            for t, v in zip(params, values, strict=True)
        ]
        main.out(U64, main.call(Decl(10 + k, f"f{k}"), fty, consts))
    for v in live:
        main.out(USIZE, v)
    main.ret()
    got = ints(run(tmp_path, s, main, others), [(8, False)] * 13)
    assert got[:9] == [v % (1 << 64) for v in values]
    assert got[9:] == [1000 + 2 * i for i in range(4)]


def test_recursive_function_with_many_arguments(tmp_path: Path) -> None:
    # rec(n, a..g) = n == 0 ? a + 2b + 3c + 4d + 5e + 6f + 7g : rec(n - 1, b, c, d, e, f, g, a + n)
    s = Src()
    fty = Type.function((USIZE,) * 8, USIZE)
    rec = Decl(10, "rec")
    b = Body(s)
    n, *xs = [b.arg(USIZE, i) for i in range(8)]
    blk = Block(AirTag.BLOCK, USIZE, s(), body=[])
    b.add(blk)
    cond = b.bin(AirTag.CMP_EQ, BOOL, n, c(USIZE, 0))
    b.insts.remove(cond)
    then = Body(s)
    acc = xs[0]
    for i, x in enumerate(xs[1:], start=2):
        acc = then.bin(AirTag.ADD, USIZE, acc, then.bin(AirTag.MUL, USIZE, x, c(USIZE, i), safety=True), safety=True)
    then.add(Br(AirTag.BR, NORETURN, s(), block=blk, operand=acc))
    els = Body(s)
    n1 = els.bin(AirTag.SUB, USIZE, n, c(USIZE, 1), safety=True)
    an = els.bin(AirTag.ADD, USIZE, xs[0], n, safety=True)
    r = els.call(rec, fty, [n1, *xs[1:], an])
    els.add(Br(AirTag.BR, NORETURN, s(), block=blk, operand=r))
    blk.body = [cond, CondBr(AirTag.CONDBR, NORETURN, s(), condition=cond, then_body=then.insts, else_body=els.insts)]
    b.ret(blk)
    main = Body(s)
    main.out(USIZE, main.call(rec, fty, [c(USIZE, 20), *(c(USIZE, v) for v in range(1, 8))]))
    main.ret()

    def model(n: int, a: list[int]) -> int:
        while n:
            a = [*a[1:], a[0] + n]
            n -= 1
        return sum(x * (i + 1) for i, x in enumerate(a))

    assert ints(run(tmp_path, s, main, [(rec, fty, b.insts)]), [(8, False)]) == [model(20, list(range(1, 8)))]


def test_sixteen_byte_and_memory_returns(tmp_path: Path) -> None:
    # wrap(x) -> ?u64 (16 bytes: rax:rdx); trio(x) -> [3]u64 (24 bytes: hidden pointer)
    s = Src()
    opt = Type.optional(U64)
    wty = Type.function((U64,), opt)
    w = Body(s)
    x = w.arg(U64, 0)
    w.ret(w.un(AirTag.WRAP_OPTIONAL, opt, x))
    arr = Type.array(U64, 3)
    tty = Type.function((U64, U64), arr)
    t = Body(s)
    a0, a1 = t.arg(U64, 0), t.arg(U64, 1)
    slot = t.alloc(arr)
    for i, v in enumerate((a0, a1, t.bin(AirTag.ADD, U64, a0, a1, safety=True))):
        t.store(t.bin(AirTag.ELEMPTR, Type.single_mut_pointer(U64), slot, c(USIZE, i), safety=True), v)
    t.ret(t.load(slot))
    main = Body(s)
    o = main.call(Decl(10, "wrap"), wty, [c(U64, 0x1122334455667788)])
    oslot = main.alloc(opt)
    main.store(oslot, o)
    main.out(BOOL, main.un(AirTag.ISNONNULL, BOOL, o))
    main.out(U64, main.load(main.un(AirTag.UNWRAP_OPTIONAL, Type.single_mut_pointer(U64), oslot, safety=True)))
    tr = main.call(Decl(11, "trio"), tty, [c(U64, 5), c(U64, 1 << 40)])
    main.out(arr, tr)
    main.ret()
    others = [(Decl(10, "wrap"), wty, w.insts), (Decl(11, "trio"), tty, t.insts)]
    got = ints(run(tmp_path, s, main, others), [(1, False), (8, False), (8, False), (8, False), (8, False)])
    assert got == [1, 0x1122334455667788, 5, 1 << 40, (1 << 40) + 5]


def test_calls_through_function_values(tmp_path: Path) -> None:
    # a function value stored in a variable, loaded and called; and one passed as a parameter
    s = Src()
    fty = Type.function((USIZE, USIZE), USIZE)
    sub = Body(s)
    p, q = sub.arg(USIZE, 0), sub.arg(USIZE, 1)
    sub.ret(sub.bin(AirTag.SUB, USIZE, p, q, safety=True))
    aty = Type.function((fty, USIZE), USIZE)
    apply = Body(s)
    fn, v = apply.arg(fty, 0), apply.arg(USIZE, 1)
    apply.ret(apply.call(fn, fty, [v, c(USIZE, 1)]))
    main = Body(s)
    var = main.alloc(fty)
    main.store(var, Constant(fty, FunctionValue(Fn(Decl(10, "sub"))), 0))
    f = main.load(var)
    main.out(USIZE, main.call(f, fty, [c(USIZE, 50), c(USIZE, 8)]))
    main.out(
        USIZE, main.call(Decl(11, "apply"), aty, [Constant(fty, FunctionValue(Fn(Decl(10, "sub"))), 0), c(USIZE, 9)])
    )
    main.ret()
    others = [(Decl(10, "sub"), fty, sub.insts), (Decl(11, "apply"), aty, apply.insts)]
    assert ints(run(tmp_path, s, main, others), [(8, False), (8, False)]) == [42, 8]


def test_optionals_of_integers_and_pointers(tmp_path: Path) -> None:
    s = Src()
    main = Body(s)
    for ty, value in ((U8, 200), (U32, 7), (U64, 1 << 50), (I16, -3)):
        opt = Type.optional(ty)
        slot = main.alloc(opt)
        main.store(slot, Constant(opt, NullValue(), 0))
        main.out(BOOL, main.un(AirTag.ISNULL, BOOL, main.load(slot)))
        x = main.bin(AirTag.ADD, ty, c(ty, value), c(ty, 0))
        main.store(slot, main.un(AirTag.WRAP_OPTIONAL, opt, x))
        ov = main.load(slot)
        main.out(BOOL, main.un(AirTag.ISNULL, BOOL, ov))
        main.out(BOOL, main.un(AirTag.ISNONNULL, BOOL, ov))
        main.out(ty, main.load(main.un(AirTag.UNWRAP_OPTIONAL, Type.single_mut_pointer(ty), slot, safety=True)))
    target = main.alloc(USIZE)
    main.store(target, c(USIZE, 99))
    optp = Type.optional(Type.single_mut_pointer(USIZE))
    ps = main.alloc(optp)
    main.store(ps, Constant(optp, NullValue(), 0))
    main.out(BOOL, main.un(AirTag.ISNONNULL, BOOL, main.load(ps)))
    main.store(ps, main.un(AirTag.WRAP_OPTIONAL, optp, target))
    main.out(BOOL, main.un(AirTag.ISNONNULL, BOOL, main.load(ps)))
    inner = main.load(
        main.un(AirTag.UNWRAP_OPTIONAL, Type.single_mut_pointer(Type.single_mut_pointer(USIZE)), ps, safety=True)
    )
    main.out(USIZE, main.load(inner))
    main.ret()
    layout = []
    for size, signed in ((1, False), (4, False), (8, False), (2, True)):
        layout += [(1, False), (1, False), (1, False), (size, signed)]
    got = ints(run(tmp_path, s, main, []), [*layout, (1, False), (1, False), (8, False)])
    assert got == [1, 0, 1, 200, 1, 0, 1, 7, 1, 0, 1, 1 << 50, 1, 0, 1, -3, 0, 1, 99]


def test_elemptr_walks_an_array_at_runtime(tmp_path: Path) -> None:
    # a[i] = i * i for i < 10 through a runtime index, then sum a[i] through a many-pointer
    s = Src()
    arr = Type.array(U32, 10)
    fty = Type.function((USIZE,), U32)
    f = Body(s)
    n = f.arg(USIZE, 0)
    a = f.alloc(arr)
    for i in range(10):
        idx = f.bin(AirTag.ADD, USIZE, n, c(USIZE, i))  # runtime index (n = 0)
        sq = f.bin(AirTag.MUL, U32, c(U32, i), c(U32, i), safety=True)
        f.store(f.bin(AirTag.ELEMPTR, Type.single_mut_pointer(U32), a, idx, safety=True), sq)
    many = f.un(AirTag.BITCAST, Type.pointer(U32, "Many", const=False), a)
    total: AirInst = f.bin(AirTag.ADD, U32, c(U32, 0), c(U32, 0))
    for i in range(10):
        idx = f.bin(AirTag.ADD, USIZE, n, c(USIZE, i))
        total = f.bin(
            AirTag.ADD, U32, total, f.load(f.bin(AirTag.ELEMPTR, Type.single_mut_pointer(U32), many, idx)), safety=True
        )
    f.ret(total)
    main = Body(s)
    main.out(U32, main.call(Decl(10, "f"), fty, [c(USIZE, 0)]))
    main.ret()
    assert ints(run(tmp_path, s, main, [(Decl(10, "f"), fty, f.insts)]), [(4, False)]) == [
        sum(i * i for i in range(10))
    ]


def test_callee_saved_asm_registers_are_preserved_for_the_caller(tmp_path: Path) -> None:
    # main puts 1234 in rbx (asm input), calls g whose asm puts 999 in rbx and r12, then reads rbx back
    # through a syscall that preserves it (getpid with output {rbx}): 1234 only if g pushed and popped rbx
    from .support import syscall_asm

    s = Src()
    gty = Type.function((), USIZE)
    g = Body(s)
    g.add(
        syscall_asm(
            s(),
            ["{rax}", "{rbx}", "{r12}"],
            [c(USIZE, 39), c(USIZE, 999), c(USIZE, 999)],
            output="={rax}",
        )
    )
    g.ret(c(USIZE, 0))
    main = Body(s)
    main.add(syscall_asm(s(), ["{rax}", "{rbx}"], [c(USIZE, 39), c(USIZE, 1234)], output="={rax}"))
    main.call(Decl(10, "g"), gty, [])
    back = main.add(syscall_asm(s(), ["{rax}"], [c(USIZE, 39)], output="={rbx}"))
    main.out(USIZE, back)
    main.ret()
    assert ints(run(tmp_path, s, main, [(Decl(10, "g"), gty, g.insts)]), [(8, False)]) == [1234]


def test_div_in_a_branch_whose_sibling_chose_rax_for_the_block_result(tmp_path: Path) -> None:
    # r = if (a < b) a + 1 else a / b: the then-branch's result lands in rax (the block's location), the
    # else-branch's div needs rax and rdx for itself
    s = Src()
    fty = Type.function((USIZE, USIZE), USIZE)
    f = Body(s)
    a, b = f.arg(USIZE, 0), f.arg(USIZE, 1)
    blk = Block(AirTag.BLOCK, USIZE, s(), body=[])
    f.add(blk)
    cond = Body(s)
    cnd = cond.bin(AirTag.CMP_LT, BOOL, a, b)
    then = Body(s)
    t = then.bin(AirTag.ADD, USIZE, a, c(USIZE, 1), safety=True)
    then.add(Br(AirTag.BR, NORETURN, s(), block=blk, operand=t))
    els = Body(s)
    q = els.bin(AirTag.DIV, USIZE, a, b, safety=True)
    els.add(Br(AirTag.BR, NORETURN, s(), block=blk, operand=q))
    blk.body = [cnd, CondBr(AirTag.CONDBR, NORETURN, s(), condition=cnd, then_body=then.insts, else_body=els.insts)]
    f.ret(f.bin(AirTag.ADD, USIZE, blk, b, safety=True))
    main = Body(s)
    for x, y in ((3, 10), (100, 7)):
        main.out(USIZE, main.call(Decl(10, "f"), fty, [c(USIZE, x), c(USIZE, y)]))
    main.ret()
    got = ints(run(tmp_path, s, main, [(Decl(10, "f"), fty, f.insts)]), [(8, False), (8, False)])
    assert got == [3 + 1 + 10, 100 // 7 + 7]
