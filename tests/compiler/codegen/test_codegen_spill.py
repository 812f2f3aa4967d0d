"""The spilling register allocator, run for real: more live values than registers, spills inside branches
and loops reconciled at merge points (docs/design/language-complete.md §11)."""

from __future__ import annotations

from pathlib import Path

from compiler.air import AirInst, AirTag, Arg, Block, Br, CondBr, Loop, Operand
from compiler.codegen.x86_64.spill import NAKED_STACK_MSG
from compiler.errors import CodegenFailure
from compiler.sema.types import Type

from .support import (
    BOOL,
    NORETURN,
    USIZE,
    VOID,
    Decl,
    Program,
    Src,
    binop,
    call,
    const_int,
    gen,
    link_and_run,
    noop,
    unop,
)

NAKED = Type.function((), NORETURN, "Naked")
START = Decl(1, "start")


def run(tmp_path: Path, fty: Type, body: list[AirInst], args: list[int]) -> int:
    s = Src()
    s.n = 100_000
    f = Decl(2, "f")
    r = call(f, fty, [const_int(USIZE, v) for v in args], s())
    from .support import exit_with

    start = [r, *exit_with(r, s())]
    program = Program(functions=[(START, NAKED, start), (f, fty, body)])
    return link_and_run(str(tmp_path / "prog"), program, START)[0]


def add(s: Src, a: Operand, b: Operand) -> AirInst:
    return binop(AirTag.ADD, USIZE, a, b, s())


def sum_chain(s: Src, values: list[Operand], out: list[AirInst]) -> Operand:
    acc = values[0]
    for v in values[1:]:
        acc = add(s, acc, v)
        out.append(acc)
    return acc


def test_fourteen_live_values_spill_and_sum_correctly(tmp_path: Path) -> None:
    s = Src()
    fty = Type.function((USIZE, USIZE), USIZE)
    a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
    b = Arg(AirTag.ARG, USIZE, s(), name="b", index=1)
    body: list[AirInst] = [a, b]
    vals: list[Operand] = []
    for k in range(14):
        v = add(s, a if k % 2 else b, const_int(USIZE, k * 3 + 1))
        body.append(v)
        vals.append(v)
    total = sum_chain(s, [*reversed(vals), a, b], body)
    body.append(unop(AirTag.RET, NORETURN, total, s()))
    x, y = 5, 9
    want = sum((y if k % 2 == 0 else x) + k * 3 + 1 for k in range(14)) + x + y
    assert run(tmp_path, fty, body, [x, y]) == want % 256
    # the code really spills: it stores registers to the frame (mov [rbp-d], r64 = REX.W 89 /r disp8)
    code = gen(fty, body).code
    assert code.count(b"\x89\x45") + code.count(b"\x89\x4d") + code.count(b"\x89\x55") > 0


def test_spill_inside_a_branch_is_reconciled_at_the_end(tmp_path: Path) -> None:
    # ten outer values live across a condbr whose then-branch needs more registers; both paths continue
    # with the outer values where the code after the branch expects them.
    for cond_val, tag in ((3, "then"), (50, "else")):
        s = Src()
        fty = Type.function((USIZE,), USIZE)
        a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
        body: list[AirInst] = [a]
        outer: list[Operand] = []
        for k in range(8):
            v = add(s, a, const_int(USIZE, k + 1))
            body.append(v)
            outer.append(v)
        blk = Block(AirTag.BLOCK, USIZE, s(), body=[])
        c = binop(AirTag.CMP_LT, BOOL, a, const_int(USIZE, 10), s())
        then_body: list[AirInst] = []
        inner: list[Operand] = []
        for k in range(6):
            w = add(s, a, const_int(USIZE, 100 + k))
            then_body.append(w)
            inner.append(w)
        t = sum_chain(s, inner, then_body)
        then_body.append(Br(AirTag.BR, NORETURN, s(), block=blk, operand=t))
        e = add(s, a, const_int(USIZE, 1))
        else_body: list[AirInst] = [e, Br(AirTag.BR, NORETURN, s(), block=blk, operand=e)]
        blk.body = [c, CondBr(AirTag.CONDBR, NORETURN, s(), condition=c, then_body=then_body, else_body=else_body)]
        body.append(blk)
        total = sum_chain(s, [blk, *outer], body)
        body.append(unop(AirTag.RET, NORETURN, total, s()))
        x = cond_val
        branch = sum(x + 100 + k for k in range(6)) if x < 10 else x + 1
        want = branch + sum(x + k + 1 for k in range(8))
        assert run(tmp_path, fty, body, [x]) == want % 256, tag


def test_spill_inside_a_loop_is_reloaded_on_the_back_edge(tmp_path: Path) -> None:
    s = Src()
    fty = Type.function((USIZE,), USIZE)
    ptr_ty = Type.single_mut_pointer(USIZE)
    a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
    body: list[AirInst] = [a]
    outer: list[Operand] = []
    for k in range(8):
        v = add(s, a, const_int(USIZE, k * 7))
        body.append(v)
        outer.append(v)
    i_ptr = noop(AirTag.ALLOC, s(), ptr_ty)
    acc_ptr = noop(AirTag.ALLOC, s(), ptr_ty)
    body += [
        i_ptr,
        acc_ptr,
        binop(AirTag.STORE, VOID, i_ptr, const_int(USIZE, 0), s()),
        binop(AirTag.STORE, VOID, acc_ptr, const_int(USIZE, 0), s()),
    ]
    blk = Block(AirTag.BLOCK, USIZE, s(), body=[])
    i = unop(AirTag.LOAD, USIZE, i_ptr, s())
    c = binop(AirTag.CMP_LT, BOOL, i, const_int(USIZE, 5), s())
    then_body: list[AirInst] = []
    ws: list[Operand] = []
    for k in range(6):
        w = add(s, i, outer[k])  # reads outer values inside the loop: they stay live for the whole loop
        then_body.append(w)
        ws.append(w)
    acc = unop(AirTag.LOAD, USIZE, acc_ptr, s())
    then_body.append(acc)
    acc2 = sum_chain(s, [acc, *ws], then_body)
    then_body.append(binop(AirTag.STORE, VOID, acc_ptr, acc2, s()))
    i2 = add(s, i, const_int(USIZE, 1))
    then_body += [i2, binop(AirTag.STORE, VOID, i_ptr, i2, s())]
    final = unop(AirTag.LOAD, USIZE, acc_ptr, s())
    else_body: list[AirInst] = [final, Br(AirTag.BR, NORETURN, s(), block=blk, operand=final)]
    cond = CondBr(AirTag.CONDBR, NORETURN, s(), condition=c, then_body=then_body, else_body=else_body)
    blk.body = [Loop(AirTag.LOOP, NORETURN, s(), body=[i, c, cond])]
    body.append(blk)
    total = sum_chain(s, [blk, *outer], body)
    body.append(unop(AirTag.RET, NORETURN, total, s()))
    x = 3
    loop_sum = sum(sum(it + x + k * 7 for k in range(6)) for it in range(5))
    want = loop_sum + sum(x + k * 7 for k in range(8))
    assert run(tmp_path, fty, body, [x]) == want % 256


def test_naked_function_cannot_spill() -> None:
    s = Src()
    body: list[AirInst] = []
    vals: list[Operand] = []
    seed = noop(AirTag.ALLOC, s(), Type.single_mut_pointer(USIZE))
    del seed
    base = const_int(USIZE, 1)
    first = unop(AirTag.PTRTOINT, USIZE, base, s())
    del first
    for k in range(12):
        v = binop(AirTag.ADD, USIZE, const_int(USIZE, k), const_int(USIZE, 1000), s())
        body.append(v)
        vals.append(v)
    total = sum_chain(s, vals, body)
    body += [unop(AirTag.PTRTOINT, USIZE, total, s()), noop(AirTag.UNREACH, s(), NORETURN)]
    try:
        gen(NAKED, body)
    except CodegenFailure as e:
        assert e.error.msg == NAKED_STACK_MSG
    else:
        raise AssertionError("a Naked function spilled")


def test_loads_and_stores_through_every_kind_of_pointer(tmp_path: Path) -> None:
    # x = 40 (a data decl, read-only text) through its decl pointer (GOT); a stack variable through a
    # pointer value stored into a slot and loaded back into a register (formerly "TODO implement loading
    # from …"); a ref of undefined.
    from compiler.air import Constant
    from compiler.sema.values import DeclRef, IntValue, TypedValue, Undef

    s = Src()
    x = Decl(3, "x")
    ptr_ty = Type.single_mut_pointer(USIZE)
    xp = Constant(Type.single_const_pointer(USIZE), DeclRef(x), s())
    fty = Type.function((), USIZE)
    v1 = unop(AirTag.LOAD, USIZE, xp, s())
    var = noop(AirTag.ALLOC, s(), ptr_ty)
    st1 = binop(AirTag.STORE, VOID, var, v1, s())
    slot = noop(AirTag.ALLOC, s(), Type.single_mut_pointer(ptr_ty))
    st2 = binop(AirTag.STORE, VOID, slot, var, s())
    p = unop(AirTag.LOAD, ptr_ty, slot, s())
    v3 = unop(AirTag.LOAD, USIZE, p, s())
    v4 = add(s, v3, const_int(USIZE, 3))
    st3 = binop(AirTag.STORE, VOID, p, v4, s())
    u = unop(AirTag.REF, Type.single_const_pointer(USIZE), Constant(USIZE, Undef(), s()), s())
    v5 = unop(AirTag.LOAD, USIZE, var, s())
    body: list[AirInst] = [v1, var, st1, slot, st2, p, v3, v4, st3, u, v5, unop(AirTag.RET, NORETURN, v5, s())]
    f = Decl(2, "f")
    r = call(f, fty, [], s())
    from .support import exit_with

    program = Program(
        functions=[(START, NAKED, [r, *exit_with(r, s())]), (f, fty, body)],
        data=[(x, TypedValue(USIZE, IntValue(40)))],
    )
    assert link_and_run(str(tmp_path / "ptrs"), program, START)[0] == 43
