"""Liveness (x86_64.md §2): death masks, condbr entry deaths, and the [ZIR Live] loop rule."""

from __future__ import annotations

from compiler.air import AirInst, AirTag, Arg, Block, Br, CondBr, Loop
from compiler.liveness import analyze
from compiler.sema.types import Type
from tests.compiler.codegen.support import (
    BOOL,
    NORETURN,
    USIZE,
    VOID,
    Decl,
    binop,
    call,
    const_int,
    noop,
    syscall_asm,
    unop,
)

UNUSED = 0b1000000000000000


def test_returnvoid_alone() -> None:
    # zir-language.md §10.5 "referencing decls which appear later": returnvoid() ; deaths=0b1000000000000000
    r = noop(AirTag.RETVOID, 1, NORETURN)
    analyze([r])
    assert format(r.deaths, "016b") == "1000000000000000"


def test_unused_call_kills_its_callee_constant() -> None:
    # §10.5 reference cycle: call(@a, [], modifier=auto) ; deaths=0b1000000000000001
    fnty = Type.function((), VOID, "C")
    c = call(Decl(1, "a"), fnty, [], 1)
    r = noop(AirTag.RETVOID, 2, NORETURN)
    analyze([c, r])
    assert format(c.deaths, "016b") == "1000000000000001"
    assert format(r.deaths, "016b") == "1000000000000000"


def test_operand_used_twice_dies_at_first_index_only() -> None:
    a = Arg(AirTag.ARG, USIZE, 1, name="a", index=0)
    add = binop(AirTag.ADD, USIZE, a, a, 2)
    ret = unop(AirTag.RET, NORETURN, add, 3)
    analyze([a, add, ret])
    assert a.deaths == 0
    assert add.deaths == 0b01
    assert ret.deaths == UNUSED | 0b1


def test_condbr_entry_deaths() -> None:
    # x86_64.md §15.5: then_entry_deaths = {b}, else_entry_deaths = {a}
    a = Arg(AirTag.ARG, USIZE, 1, name="a", index=0)
    b = Arg(AirTag.ARG, USIZE, 2, name="b", index=1)
    c = binop(AirTag.CMP_GT, BOOL, a, b, 3)
    x = unop(AirTag.RET, NORETURN, a, 4)
    y = unop(AirTag.RET, NORETURN, b, 5)
    r = CondBr(AirTag.CONDBR, NORETURN, 6, condition=c, then_body=[x], else_body=[y])
    analyze([a, b, c, r])
    assert c.deaths == 0  # a and b are used later (in the branches)
    assert r.deaths == UNUSED | 1
    assert x.deaths == UNUSED | 1 and y.deaths == UNUSED | 1
    assert r.then_entry_deaths == [b]
    assert r.else_entry_deaths == [a]


def test_value_used_in_both_branches_has_no_entry_death() -> None:
    a = Arg(AirTag.ARG, USIZE, 1, name="a", index=0)
    cond = Arg(AirTag.ARG, BOOL, 2, name="c", index=1)
    x = unop(AirTag.RET, NORETURN, a, 4)
    y = unop(AirTag.RET, NORETURN, a, 5)
    r = CondBr(AirTag.CONDBR, NORETURN, 6, condition=cond, then_body=[x], else_body=[y])
    analyze([a, cond, r])
    assert r.then_entry_deaths == [] and r.else_entry_deaths == []
    assert x.deaths & 1 and y.deaths & 1


def test_loop_keeps_outer_values_alive_for_the_whole_loop() -> None:
    # [ZIR Live]: %a is last used inside the loop; it must not die there (the next iteration reads it).
    a = Arg(AirTag.ARG, USIZE, 1, name="a", index=0)
    blk = Block(AirTag.BLOCK, USIZE, 2, body=[])
    s = binop(AirTag.ADD, USIZE, a, const_int(USIZE, 1), 3)
    c = binop(AirTag.CMP_EQ, BOOL, s, const_int(USIZE, 5), 4)
    leave = Br(AirTag.BR, NORETURN, 5, block=blk, operand=s)
    cont = noop(AirTag.BREAKPOINT, 6)
    cb = CondBr(AirTag.CONDBR, NORETURN, 7, condition=c, then_body=[leave], else_body=[cont])
    loop = Loop(AirTag.LOOP, NORETURN, 8, body=[s, c, cb])
    blk.body = [loop]
    ret = unop(AirTag.RET, NORETURN, blk, 9)
    analyze([a, blk, ret])
    assert s.deaths & 0b01 == 0  # %a does not die inside the loop
    assert s.deaths & 0b10  # the constant does
    assert loop.exit_deaths == [a]
    assert loop.deaths == UNUSED


def test_loop_does_not_free_values_used_after_it() -> None:
    a = Arg(AirTag.ARG, USIZE, 1, name="a", index=0)
    blk = Block(AirTag.BLOCK, VOID, 2, body=[])
    s = binop(AirTag.ADD, USIZE, a, const_int(USIZE, 1), 3)
    leave = Br(AirTag.BR, NORETURN, 4, block=blk, operand=const_int(VOID, 0))
    loop = Loop(AirTag.LOOP, NORETURN, 5, body=[s, leave])
    blk.body = [loop]
    ret = unop(AirTag.RET, NORETURN, a, 9)
    analyze([a, blk, ret])
    assert loop.exit_deaths == []
    assert ret.deaths & 1
    assert s.deaths == UNUSED | 0b10


def test_analysis_is_repeatable() -> None:
    a = Arg(AirTag.ARG, USIZE, 1, name="a", index=0)
    add = binop(AirTag.ADD, USIZE, a, const_int(USIZE, 2), 2)
    ret = unop(AirTag.RET, NORETURN, add, 3)
    body: list[AirInst] = [a, add, ret]
    analyze(body)
    first = [i.deaths for i in body]
    analyze(body)
    assert [i.deaths for i in body] == first == [0, 0b11, UNUSED | 1]


def test_operands_beyond_13_have_no_mask_bit() -> None:
    args = [const_int(USIZE, i) for i in range(16)]
    asm = syscall_asm(1, [f"{{r{8 + (i % 8)}}}" for i in range(16)], args)
    analyze([asm])
    assert asm.deaths == UNUSED | ((1 << 14) - 1)
