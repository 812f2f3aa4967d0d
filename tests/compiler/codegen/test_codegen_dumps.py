"""The worked byte dumps of x86_64.md §15, reproduced exactly from hand-built AIR."""

from __future__ import annotations

from compiler.air import AirTag, Arg, CondBr
from compiler.link import RowKind, SymbolType
from compiler.sema.types import Type, TypeTag

from .support import (
    BOOL,
    NORETURN,
    USIZE,
    VOID,
    Addresses,
    Decl,
    Src,
    binop,
    call,
    const_int,
    decl_ptr,
    gen,
    hexbytes,
    noop,
    syscall_asm,
    unop,
)

NAKED = Type.function((), NORETURN, "Naked")
PROLOGUE_N0 = "55 48 89 E5 48 81 EC 00 00 00 00"


def test_15_1_hello_world_naked_start() -> None:
    s = Src()
    msg = Decl(13, "msg__anon_10")
    addrs = Addresses(got={13: 12})
    ptr = unop(AirTag.PTRTOINT, USIZE, decl_ptr(msg, Type.array_u8_sentinel_0(14)), s())
    write = syscall_asm(
        s(),
        ["{rax}", "{rdi}", "{rsi}", "{rdx}"],
        [const_int(USIZE, 1), const_int(USIZE, 1), ptr, const_int(USIZE, 14)],
    )
    exit_ = syscall_asm(s(), ["{rax}", "{rdi}"], [const_int(USIZE, 231), const_int(USIZE, 0)])
    body = [ptr, write, exit_, noop(AirTag.BREAKPOINT, s()), noop(AirTag.UNREACH, s(), NORETURN)]
    sym = gen(NAKED, body, addrs)
    assert sym.code == hexbytes(
        """B8 01 00 00 00  BF 01 00 00 00  48 8B 34 25 60 00 00 04  BA 0E 00 00 00  0F 05
           B8 E7 00 00 00  31 FF  0F 05  CC"""
    )
    assert len(sym.code) == 35
    assert sym.alignment == 1 and sym.symbol_type is SymbolType.FUNC
    assert sym.debug_info is not None and sym.debug_info.return_type is None
    # Naked: no prologue-end or epilogue-begin rows
    assert all(r.kind is RowKind.STMT for r in sym.debug_info.rows)


def test_15_2_call_no_args_no_return() -> None:
    s = Src()
    exit_fn_ty = Type.function((), NORETURN)
    exit0_body = [
        syscall_asm(s(), ["{rax}", "{rdi}"], [const_int(USIZE, 231), const_int(USIZE, 0)]),
        noop(AirTag.BREAKPOINT, s()),
        noop(AirTag.UNREACH, s(), NORETURN),
    ]
    exit0 = gen(exit_fn_ty, exit0_body)
    assert exit0.code == hexbytes(PROLOGUE_N0 + " B8 E7 00 00 00 31 FF 0F 05 CC 5D C3")
    assert len(exit0.code) == 23

    start = gen(NAKED, [call(Decl(3, "exit0"), exit_fn_ty, [], s())], Addresses(got={3: 3}))
    assert start.code == hexbytes("FF 14 25 18 00 00 04")


def test_15_3_c_void_function_calls_another() -> None:
    s = Src()
    fnty = Type.function((), VOID, "C")
    body = [call(Decl(5, "a"), fnty, [], s()), noop(AirTag.RETVOID, s(), NORETURN)]
    sym = gen(fnty, body, Addresses(got={5: 7}))
    assert sym.code == hexbytes(PROLOGUE_N0 + " FF 14 25 38 00 00 04 5D C3")
    assert len(sym.code) == 20


def test_15_4_call_with_args_parallel_move() -> None:
    s = Src()
    write_ty = Type.function((USIZE, USIZE), VOID, "C")
    a0 = Arg(AirTag.ARG, USIZE, s(), name="0", index=0)
    a1 = Arg(AirTag.ARG, USIZE, s(), name="1", index=1)
    asm = syscall_asm(s(), ["{rax}", "{rdi}", "{rsi}", "{rdx}"], [const_int(USIZE, 1), const_int(USIZE, 1), a0, a1])
    write = gen(write_ty, [a0, a1, asm, noop(AirTag.RETVOID, s(), NORETURN)])
    assert write.code == hexbytes(PROLOGUE_N0 + " B8 01 00 00 00  48 8B D6  48 8B F7  BF 01 00 00 00  0F 05  5D C3")
    assert len(write.code) == 31
    assert write.debug_info is not None
    assert [(p.name, p.dwarf_reg) for p in write.debug_info.params] == [("0", 5), ("1", 4)]

    msg = Decl(20, "start__anon_k")
    addrs = Addresses(got={20: 9, 21: 4})
    msg_addr = unop(AirTag.PTRTOINT, USIZE, decl_ptr(msg, Type.array_u8_sentinel_0(14)), s())
    body = [
        msg_addr,
        call(Decl(21, "write"), write_ty, [msg_addr, const_int(USIZE, 14)], s()),
        syscall_asm(s(), ["{rax}", "{rdi}"], [const_int(USIZE, 231), const_int(USIZE, 0)]),
        noop(AirTag.BREAKPOINT, s()),
        noop(AirTag.UNREACH, s(), NORETURN),
    ]
    start = gen(NAKED, body, addrs)
    assert start.code == hexbytes(
        """48 8B 3C 25 48 00 00 04  BE 0E 00 00 00  FF 14 25 20 00 00 04
           B8 E7 00 00 00  31 FF  0F 05  CC"""
    )
    assert len(start.code) == 30


def test_15_5_compare_and_branch_with_two_returns() -> None:
    s = Src()
    fty = Type.function((USIZE, USIZE), USIZE)
    a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
    b = Arg(AirTag.ARG, USIZE, s(), name="b", index=1)
    c = binop(AirTag.CMP_GT, BOOL, a, b, s())
    x = unop(AirTag.RET, NORETURN, a, s())
    y = unop(AirTag.RET, NORETURN, b, s())
    r = CondBr(AirTag.CONDBR, NORETURN, s(), condition=c, then_body=[x], else_body=[y])
    sym = gen(fty, [a, b, c, r])
    assert r.then_entry_deaths == [b]
    assert r.else_entry_deaths == [a]
    assert sym.code == hexbytes(
        PROLOGUE_N0 + """ 48 39 F7  0F 86 08 00 00 00  48 8B C7  E9 03 00 00 00  48 8B C6  5D C3"""
    )
    assert len(sym.code) == 33
    assert sym.debug_info is not None
    kinds = [(row.code_offset, row.kind) for row in sym.debug_info.rows if row.kind is not RowKind.STMT]
    assert kinds == [(11, RowKind.PROLOGUE_END), (31, RowKind.EPILOGUE_BEGIN)]


def test_15_6_value_live_across_a_call() -> None:
    s = Src()
    vty = Type.function((), VOID)
    h = gen(vty, [noop(AirTag.RETVOID, s(), NORETURN)])
    assert h.code == hexbytes(PROLOGUE_N0 + " 5D C3")

    gty = Type.function((USIZE,), USIZE)
    a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
    r = call(Decl(7, "h"), vty, [], s())
    add = binop(AirTag.ADD, USIZE, a, a, s())
    t = unop(AirTag.RET, NORETURN, add, s())
    sym = gen(gty, [a, r, add, t], Addresses(got={7: 2}))
    assert r.deaths == 0b1000000000000001
    assert sym.code == hexbytes(
        """55 48 89 E5 48 81 EC 10 00 00 00
           48 89 7D F8  FF 14 25 10 00 00 04  48 8B 7D F8  48 01 FF  48 8B C7  48 83 C4 10  5D C3"""
    )
    assert len(sym.code) == 38


def test_15_5_line_rows() -> None:
    # One row per instruction whose line changes (instructions without code share the next one's row),
    # prologue end at 11, epilogue begin at the (elided-jump) epilogue.
    s = Src()
    fty = Type.function((USIZE, USIZE), USIZE)
    a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)  # line 1
    b = Arg(AirTag.ARG, USIZE, s(), name="b", index=1)  # line 2
    c = binop(AirTag.CMP_GT, BOOL, a, b, s())  # line 3, code at 11
    x = unop(AirTag.RET, NORETURN, a, s())  # line 4, code at 20
    y = unop(AirTag.RET, NORETURN, b, s())  # line 5, code at 28
    r = CondBr(AirTag.CONDBR, NORETURN, s(), condition=c, then_body=[x], else_body=[y])  # line 6, code at 14
    sym = gen(fty, [a, b, c, r], fn_src=50)
    assert sym.debug_info is not None
    assert sym.debug_info.line == 0
    rows = [(row.code_offset, row.line, row.kind) for row in sym.debug_info.rows]
    assert rows == [
        (11, 3, RowKind.PROLOGUE_END),
        (14, 6, RowKind.STMT),
        (20, 4, RowKind.STMT),
        (28, 5, RowKind.STMT),
        (31, 5, RowKind.EPILOGUE_BEGIN),
    ]
    assert sym.debug_info.return_type is not None and sym.debug_info.return_type.name == "usize"


def test_flags_into_a_register_are_zero_extended() -> None:
    # [ZIR Live] setcc + movzx (Zig set only the low byte); signed flags too (Zig: a TODO message).
    s = Src()
    isize = Type.named(TypeTag.ISIZE)
    fty = Type.function((isize, isize), BOOL)
    a = Arg(AirTag.ARG, isize, s(), name="a", index=0)
    b = Arg(AirTag.ARG, isize, s(), name="b", index=1)
    c = binop(AirTag.CMP_LT, BOOL, a, b, s())
    sym = gen(fty, [a, b, c, unop(AirTag.RET, NORETURN, c, s())])
    # cmp rdi, rsi ; setl al ; movzx eax, al ; (jmp elided) ; epilogue
    assert sym.code == hexbytes(PROLOGUE_N0 + " 48 39 F7 0F 9C C0 0F B6 C0 5D C3")


def test_flags_not_consumed_next_are_materialised_at_once() -> None:
    # the compare-flags rule: a flags value the next instruction does not consume goes to a register
    # right after the cmp, before anything (here an xor-zeroing constant load) can change the flags.
    s = Src()
    fty = Type.function((USIZE,), BOOL)
    a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
    c = binop(AirTag.CMP_EQ, BOOL, a, const_int(USIZE, 5), s())
    d = binop(AirTag.SUB, USIZE, const_int(USIZE, 0), a, s())
    st = syscall_asm(s(), ["{rdi}"], [d], output=None)
    body = [a, c, d, st, unop(AirTag.RET, NORETURN, c, s())]
    sym = gen(fty, body)
    # cmp rdi, 5 ; sete al ; movzx eax, al ; then xor ecx, ecx (the sub's copy of 0) ; sub rcx, rdi
    assert sym.code[11:26] == hexbytes("48 83 FF 05 0F 94 C0 0F B6 C0 31 C9 48 29 F9")
