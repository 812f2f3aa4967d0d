"""Generated code run for real: linked by the ElfLinker into an executable, checked by exit code and output."""

from __future__ import annotations

from pathlib import Path

from compiler.air import AirInst, AirTag, Arg, Block, Br, CondBr, Loop
from compiler.sema.types import Type, TypeTag
from compiler.sema.values import Bytes, TypedValue

from .support import (
    BOOL,
    NORETURN,
    U8,
    USIZE,
    VOID,
    Decl,
    Program,
    Src,
    binop,
    call,
    const_int,
    decl_ptr,
    exit_with,
    link_and_run,
    noop,
    syscall_asm,
    unop,
)

NAKED = Type.function((), NORETURN, "Naked")
START = Decl(1, "start")


def start_calling(callee: Decl, fn_type: Type, args: list[int], s: Src) -> list[AirInst]:
    r = call(callee, fn_type, [const_int(p, v) for p, v in zip(fn_type.fn_param_types(), args, strict=True)], s())
    return [r, *exit_with(r, s())]


def test_hello_world_prints_and_exits_zero(tmp_path: Path) -> None:
    s = Src()
    msg = Decl(2, "msg__anon_10")
    text = b"Hello, world!\n"
    ptr = unop(AirTag.PTRTOINT, USIZE, decl_ptr(msg, Type.array_u8_sentinel_0(len(text))), s())
    body: list[AirInst] = [
        ptr,
        syscall_asm(
            s(),
            ["{rax}", "{rdi}", "{rsi}", "{rdx}"],
            [const_int(USIZE, 1), const_int(USIZE, 1), ptr, const_int(USIZE, len(text))],
        ),
        *exit_with(const_int(USIZE, 0), s()),
    ]
    program = Program(
        functions=[(START, NAKED, body)],
        data=[(msg, TypedValue(Type.array_u8_sentinel_0(len(text)), Bytes(text)))],
    )
    assert link_and_run(str(tmp_path / "hello"), program, START) == (0, text)


def test_call_with_args_reaches_the_syscall_intact(tmp_path: Path) -> None:
    # Zig's own "call with args" printed nothing: the inputs clobbered the parameter registers.
    s = Src()
    write_ty = Type.function((USIZE, USIZE), VOID, "C")
    write = Decl(3, "write")
    a0 = Arg(AirTag.ARG, USIZE, s(), name="buf", index=0)
    a1 = Arg(AirTag.ARG, USIZE, s(), name="len", index=1)
    write_body: list[AirInst] = [
        a0,
        a1,
        syscall_asm(s(), ["{rax}", "{rdi}", "{rsi}", "{rdx}"], [const_int(USIZE, 1), const_int(USIZE, 1), a0, a1]),
        noop(AirTag.RETVOID, s(), NORETURN),
    ]
    msg = Decl(2, "msg")
    text = b"through a call\n"
    ptr = unop(AirTag.PTRTOINT, USIZE, decl_ptr(msg, Type.array_u8_sentinel_0(len(text))), s())
    start_body: list[AirInst] = [ptr, call(write, write_ty, [ptr, const_int(USIZE, len(text))], s())]
    start_body += exit_with(const_int(USIZE, 3), s())
    program = Program(
        functions=[(START, NAKED, start_body), (write, write_ty, write_body)],
        data=[(msg, TypedValue(Type.array_u8_sentinel_0(len(text)), Bytes(text)))],
    )
    assert link_and_run(str(tmp_path / "p"), program, START) == (3, text)


def max_function(s: Src, signed: bool) -> tuple[Type, list[AirInst]]:
    ty = Type.named(TypeTag.ISIZE if signed else TypeTag.USIZE)
    fty = Type.function((ty, ty), ty)
    a = Arg(AirTag.ARG, ty, s(), name="a", index=0)
    b = Arg(AirTag.ARG, ty, s(), name="b", index=1)
    c = binop(AirTag.CMP_GT, BOOL, a, b, s())
    r = CondBr(
        AirTag.CONDBR,
        NORETURN,
        s(),
        condition=c,
        then_body=[unop(AirTag.RET, NORETURN, a, s())],
        else_body=[unop(AirTag.RET, NORETURN, b, s())],
    )
    return fty, [a, b, c, r]


def test_max_with_two_returns(tmp_path: Path) -> None:
    for i, (x, y) in enumerate([(3, 9), (9, 3), (5, 5)]):
        s = Src()
        fty, body = max_function(s, signed=False)
        f = Decl(2, "max")
        program = Program(functions=[(START, NAKED, start_calling(f, fty, [x, y], s)), (f, fty, body)])
        assert link_and_run(str(tmp_path / f"max{i}"), program, START)[0] == max(x, y)


def test_signed_compare_uses_signed_condition(tmp_path: Path) -> None:
    s = Src()
    fty, body = max_function(s, signed=True)
    f = Decl(2, "max")
    # max(-1, 7) is 7 signed (unsigned it would be 2^64 - 1, exit code 255)
    program = Program(functions=[(START, NAKED, start_calling(f, fty, [(1 << 64) - 1, 7], s)), (f, fty, body)])
    assert link_and_run(str(tmp_path / "smax"), program, START)[0] == 7


def test_value_live_across_call_is_saved(tmp_path: Path) -> None:
    s = Src()
    vty = Type.function((), VOID)
    h = Decl(3, "h")
    # h clobbers every caller-saved register it can reach through a syscall's inputs
    h_body: list[AirInst] = [
        syscall_asm(s(), ["{rax}", "{rdi}", "{rsi}"], [const_int(USIZE, 39), const_int(USIZE, 5), const_int(USIZE, 6)]),
        noop(AirTag.RETVOID, s(), NORETURN),
    ]
    gty = Type.function((USIZE,), USIZE)
    g = Decl(2, "g")
    a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
    add = binop(AirTag.ADD, USIZE, a, a, s())
    g_body: list[AirInst] = [a, call(h, vty, [], s()), add, unop(AirTag.RET, NORETURN, add, s())]
    program = Program(functions=[(START, NAKED, start_calling(g, gty, [21], s)), (g, gty, g_body), (h, vty, h_body)])
    assert link_and_run(str(tmp_path / "live"), program, START)[0] == 42


def test_u8_arithmetic_wraps_at_8_bits(tmp_path: Path) -> None:
    # 250 + 10 = 4 in u8; Zig computed at 32 bits and so compared 260 with 4.
    s = Src()
    fty = Type.function((U8, U8), BOOL)
    a = Arg(AirTag.ARG, U8, s(), name="a", index=0)
    b = Arg(AirTag.ARG, U8, s(), name="b", index=1)
    add = binop(AirTag.ADD, U8, a, b, s())
    c = binop(AirTag.CMP_EQ, BOOL, add, const_int(U8, 4), s())
    body: list[AirInst] = [a, b, add, c, unop(AirTag.RET, NORETURN, c, s())]
    f = Decl(2, "f")
    program = Program(functions=[(START, NAKED, start_calling(f, fty, [250, 10], s)), (f, fty, body)])
    assert link_and_run(str(tmp_path / "u8"), program, START)[0] == 1


def counting_loop(s: Src, limit: int) -> tuple[Type, list[AirInst]]:
    """sum = 0; i = 0; while (i < limit) { sum += i; i += 1 } return sum — with stack variables."""
    fty = Type.function((), USIZE)
    ptr_ty = Type.single_mut_pointer(USIZE)
    i_ptr = noop(AirTag.ALLOC, s(), ptr_ty)
    sum_ptr = noop(AirTag.ALLOC, s(), ptr_ty)
    init_i = binop(AirTag.STORE, VOID, i_ptr, const_int(USIZE, 0), s())
    init_sum = binop(AirTag.STORE, VOID, sum_ptr, const_int(USIZE, 0), s())
    outer = Block(AirTag.BLOCK, USIZE, s(), body=[])
    i = unop(AirTag.LOAD, USIZE, i_ptr, s())
    c = binop(AirTag.CMP_LT, BOOL, i, const_int(USIZE, limit), s())
    acc = unop(AirTag.LOAD, USIZE, sum_ptr, s())
    acc2 = binop(AirTag.ADD, USIZE, acc, i, s())
    st_sum = binop(AirTag.STORE, VOID, sum_ptr, acc2, s())
    i2 = binop(AirTag.ADD, USIZE, i, const_int(USIZE, 1), s())
    st_i = binop(AirTag.STORE, VOID, i_ptr, i2, s())
    final = unop(AirTag.LOAD, USIZE, sum_ptr, s())
    leave = Br(AirTag.BR, NORETURN, s(), block=outer, operand=final)
    cond = CondBr(
        AirTag.CONDBR, NORETURN, s(), condition=c, then_body=[acc, acc2, st_sum, i2, st_i], else_body=[final, leave]
    )
    loop = Loop(AirTag.LOOP, NORETURN, s(), body=[i, c, cond])
    outer.body = [loop]
    ret = unop(AirTag.RET, NORETURN, outer, s())
    return fty, [i_ptr, sum_ptr, init_i, init_sum, outer, ret]


def test_loop_with_then_branch_falling_through(tmp_path: Path) -> None:
    # The then-branch falls off its end: ZIR Live jumps over the else-branch back to the loop head.
    s = Src()
    fty, body = counting_loop(s, 10)
    f = Decl(2, "sum")
    program = Program(functions=[(START, NAKED, start_calling(f, fty, [], s)), (f, fty, body)])
    assert link_and_run(str(tmp_path / "loop"), program, START)[0] == 45


def test_block_result_from_two_branches(tmp_path: Path) -> None:
    # r = if (a < b) a + 100 else b + 7; the block's location is chosen by the first br, used by the second.
    for i, (x, y, want) in enumerate([(1, 2, 101), (5, 2, 9)]):
        s = Src()
        fty = Type.function((USIZE, USIZE), USIZE)
        a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
        b = Arg(AirTag.ARG, USIZE, s(), name="b", index=1)
        blk = Block(AirTag.BLOCK, USIZE, s(), body=[])
        c = binop(AirTag.CMP_LT, BOOL, a, b, s())
        t = binop(AirTag.ADD, USIZE, a, const_int(USIZE, 100), s())
        e = binop(AirTag.ADD, USIZE, b, const_int(USIZE, 7), s())
        cond = CondBr(
            AirTag.CONDBR,
            NORETURN,
            s(),
            condition=c,
            then_body=[t, Br(AirTag.BR, NORETURN, s(), block=blk, operand=t)],
            else_body=[e, Br(AirTag.BR, NORETURN, s(), block=blk, operand=e)],
        )
        blk.body = [c, cond]
        body: list[AirInst] = [a, b, blk, unop(AirTag.RET, NORETURN, blk, s())]
        f = Decl(2, "pick")
        program = Program(functions=[(START, NAKED, start_calling(f, fty, [x, y], s)), (f, fty, body)])
        assert link_and_run(str(tmp_path / f"blk{i}"), program, START)[0] == want


def test_outer_value_read_in_a_loop_survives_later_allocations(tmp_path: Path) -> None:
    # f(x, y, w): acc = x; for i < 5 { acc += y; z = 3 + 4 (a new register, right after y's last use) }
    # return acc + w. Without the [ZIR Live] loop rule y would die in the first iteration and z would take
    # its register (rsi), so the next iterations would add 7 instead of y.
    s = Src()
    fty = Type.function((USIZE, USIZE, USIZE), USIZE)
    x, y, w = (Arg(AirTag.ARG, USIZE, s(), name=n, index=i) for i, n in enumerate("xyw"))
    pty = Type.single_mut_pointer(USIZE)
    i_ptr, acc_ptr, z_ptr = (noop(AirTag.ALLOC, s(), pty) for _ in range(3))
    blk = Block(AirTag.BLOCK, USIZE, s(), body=[])
    i = unop(AirTag.LOAD, USIZE, i_ptr, s())
    c = binop(AirTag.CMP_LT, BOOL, i, const_int(USIZE, 5), s())
    a = unop(AirTag.LOAD, USIZE, acc_ptr, s())
    a2 = binop(AirTag.ADD, USIZE, a, y, s())
    z = binop(AirTag.ADD, USIZE, const_int(USIZE, 3), const_int(USIZE, 4), s())
    i2 = binop(AirTag.ADD, USIZE, i, const_int(USIZE, 1), s())
    r = unop(AirTag.LOAD, USIZE, acc_ptr, s())
    then_body: list[AirInst] = [
        a,
        a2,
        z,
        binop(AirTag.STORE, VOID, acc_ptr, a2, s()),
        binop(AirTag.STORE, VOID, z_ptr, z, s()),
        i2,
        binop(AirTag.STORE, VOID, i_ptr, i2, s()),
    ]
    else_body: list[AirInst] = [r, Br(AirTag.BR, NORETURN, s(), block=blk, operand=r)]
    loop = Loop(
        AirTag.LOOP,
        NORETURN,
        s(),
        body=[i, c, CondBr(AirTag.CONDBR, NORETURN, s(), condition=c, then_body=then_body, else_body=else_body)],
    )
    blk.body = [loop]
    total = binop(AirTag.ADD, USIZE, blk, w, s())
    body: list[AirInst] = [
        x,
        y,
        w,
        i_ptr,
        acc_ptr,
        z_ptr,
        binop(AirTag.STORE, VOID, i_ptr, const_int(USIZE, 0), s()),
        binop(AirTag.STORE, VOID, acc_ptr, x, s()),
        blk,
        total,
        unop(AirTag.RET, NORETURN, total, s()),
    ]
    f = Decl(2, "f")
    program = Program(functions=[(START, NAKED, start_calling(f, fty, [1, 20, 100], s)), (f, fty, body)])
    assert link_and_run(str(tmp_path / "loopy"), program, START)[0] == 1 + 5 * 20 + 100
    assert loop.exit_deaths == [i_ptr, acc_ptr, y, z_ptr]
