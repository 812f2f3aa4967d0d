"""Register allocation: pressure up to the nine allocatable registers, saves around calls, parallel moves,
and the frame/label machinery (x86_64.md §4.2, §5.4, §7.4, §7.5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.air import AirInst, AirTag, Arg
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64.encoder import Cond
from compiler.codegen.x86_64.frame import CodeBuffer, Label, StackFrame
from compiler.codegen.x86_64.regalloc import plan_parallel_move
from compiler.codegen.x86_64.registers import ALLOCATABLE, Register
from compiler.sema.types import Type

from .support import (
    NORETURN,
    USIZE,
    VOID,
    Addresses,
    Decl,
    Program,
    Src,
    binop,
    call,
    const_int,
    exit_with,
    gen,
    link_and_run,
    unop,
)

R = Register
NAKED = Type.function((), NORETURN, "Naked")


def many_live_values(n: int, s: Src, *, with_call: Decl | None = None) -> tuple[Type, list[AirInst]]:
    """v_k = k + 1000 for k < n, all live at once (optionally across a call), then their sum."""
    fty = Type.function((), USIZE)
    values = [binop(AirTag.ADD, USIZE, const_int(USIZE, k), const_int(USIZE, 1000), s()) for k in range(n)]
    body: list[AirInst] = list(values)
    if with_call is not None:
        body.append(call(with_call, Type.function((), VOID), [], s()))
    acc: AirInst = values[0]
    for v in values[1:]:
        acc = binop(AirTag.ADD, USIZE, acc, v, s())
        body.append(acc)
    body.append(unop(AirTag.RET, NORETURN, acc, s()))
    return fty, body


def test_nine_live_values_fit_and_run(tmp_path: Path) -> None:
    s = Src()
    fty, body = many_live_values(9, s)
    f = Decl(2, "f")
    r = call(f, fty, [], s())
    start = [r, *exit_with(r, s())]
    # sum of k + 1000 for k < 9 = 9036; exit code is mod 256
    assert (
        link_and_run(
            str(tmp_path / "nine"), Program(functions=[(Decl(1, "s"), NAKED, start), (f, fty, body)]), Decl(1, "s")
        )[0]
        == 9036 % 256
    )


def test_tenth_and_later_live_values_spill_and_run(tmp_path: Path) -> None:
    # language-complete §11: the tenth live value spills the one used farthest ahead instead of failing
    for n in (10, 14, 20):
        s = Src()
        fty, body = many_live_values(n, s)
        f = Decl(2, "f")
        r = call(f, fty, [], s())
        start = [r, *exit_with(r, s())]
        program = Program(functions=[(Decl(1, "s"), NAKED, start), (f, fty, body)])
        want = sum(k + 1000 for k in range(n)) % 256
        assert link_and_run(str(tmp_path / f"n{n}"), program, Decl(1, "s"))[0] == want


def test_every_live_register_saved_across_a_call(tmp_path: Path) -> None:
    s = Src()
    h = Decl(3, "h")
    fty, body = many_live_values(9, s, with_call=h)
    sym = gen(fty, body, Addresses(got={3: 3}))
    # nine saves and nine restores, one slot each: frame of 72 bytes rounded to 80
    assert sym.code[:11] == bytes.fromhex("554889e5 4881ec50000000".replace(" ", ""))
    assert sym.code.count(bytes.fromhex("ff142518000004")) == 1
    # h destroys rax..r11 (an exit-less syscall with six inputs and a clobber list) and returns
    hs = Src()
    from .support import noop, syscall_asm

    h_body: list[AirInst] = [
        syscall_asm(
            hs(),
            ["{rax}", "{rdi}", "{rsi}", "{rdx}", "{r8}", "{r9}", "{r10}"],
            [const_int(USIZE, 39)] + [const_int(USIZE, 7)] * 6,
        ),
        noop(AirTag.RETVOID, hs(), NORETURN),
    ]
    f = Decl(2, "f")
    r = call(f, fty, [], s())
    program = Program(
        functions=[(Decl(1, "s"), NAKED, [r, *exit_with(r, s())]), (f, fty, body), (h, Type.function((), VOID), h_body)]
    )
    assert link_and_run(str(tmp_path / "saves"), program, Decl(1, "s"))[0] == 9036 % 256


def test_parallel_move_breaks_a_swap_cycle(tmp_path: Path) -> None:
    # g(a, b) = f(b, a) with f(x, y) = x - y: rdi and rsi swap through a temporary
    s = Src()
    fty = Type.function((USIZE, USIZE), USIZE)
    x = Arg(AirTag.ARG, USIZE, s(), name="x", index=0)
    y = Arg(AirTag.ARG, USIZE, s(), name="y", index=1)
    d = binop(AirTag.SUB, USIZE, x, y, s())
    f_body: list[AirInst] = [x, y, d, unop(AirTag.RET, NORETURN, d, s())]
    a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
    b = Arg(AirTag.ARG, USIZE, s(), name="b", index=1)
    f = Decl(3, "f")
    c = call(f, fty, [b, a], s())
    g_body: list[AirInst] = [a, b, c, unop(AirTag.RET, NORETURN, c, s())]
    g_sym = gen(fty, g_body, Addresses(got={3: 3}))
    # mov rax, rdi ; mov rdi, rsi ; mov rsi, rax ; call
    assert bytes.fromhex("488bc7 488bfe 488bf0 ff142518000004") in g_sym.code
    g = Decl(2, "g")
    r = call(g, fty, [const_int(USIZE, 3), const_int(USIZE, 50)], s())
    program = Program(functions=[(Decl(1, "s"), NAKED, [r, *exit_with(r, s())]), (g, fty, g_body), (f, fty, f_body)])
    assert link_and_run(str(tmp_path / "swap"), program, Decl(1, "s"))[0] == 47


def test_sub_never_uses_rhs_as_destination(tmp_path: Path) -> None:
    # f(a, b) = (a - b) + a: b dies at the sub, a does not; Zig computed b - a here.
    s = Src()
    fty = Type.function((USIZE, USIZE), USIZE)
    a = Arg(AirTag.ARG, USIZE, s(), name="a", index=0)
    b = Arg(AirTag.ARG, USIZE, s(), name="b", index=1)
    d = binop(AirTag.SUB, USIZE, a, b, s())
    e = binop(AirTag.ADD, USIZE, d, a, s())
    body: list[AirInst] = [a, b, d, e, unop(AirTag.RET, NORETURN, e, s())]
    f = Decl(2, "f")
    r = call(f, fty, [const_int(USIZE, 10), const_int(USIZE, 3)], s())
    program = Program(functions=[(Decl(1, "s"), NAKED, [r, *exit_with(r, s())]), (f, fty, body)])
    assert link_and_run(str(tmp_path / "sub"), program, Decl(1, "s"))[0] == 17


def test_plan_parallel_move_order() -> None:
    # x86_64.md §15.4: rax <- 1, rdi <- 1, rsi <- rdi, rdx <- rsi
    moves = [
        (R.RAX, mc.immediate(1)),
        (R.RDI, mc.immediate(1)),
        (R.RSI, mc.register(R.RDI)),
        (R.RDX, mc.register(R.RSI)),
    ]
    order = plan_parallel_move(moves, lambda used: None)
    assert [dst for dst, _ in order] == [R.RAX, R.RDX, R.RSI, R.RDI]


def test_plan_parallel_move_three_cycle_and_no_temp() -> None:
    moves = [(R.RDI, mc.register(R.RSI)), (R.RSI, mc.register(R.RDX)), (R.RDX, mc.register(R.RDI))]
    free = [r for r in ALLOCATABLE]
    order = plan_parallel_move(moves, lambda used: next(r for r in free if r.id not in used))
    # simulate: every destination receives the original value of its source
    regs = {r.id: f"v{r.id}" for r in ALLOCATABLE}
    original = dict(regs)
    for dst, src in order:
        regs[dst.id] = regs[src.register.id]
    assert regs[R.RDI.id] == original[R.RSI.id]
    assert regs[R.RSI.id] == original[R.RDX.id]
    assert regs[R.RDX.id] == original[R.RDI.id]
    with pytest.raises(LookupError):
        plan_parallel_move(moves, lambda used: None)


def test_elision_of_the_last_jump_only() -> None:
    buf = CodeBuffer()
    end = Label("END")
    buf.jmp(end)  # first exit: must land on END after the second is elided
    buf.emit(b"\x90")
    buf.jmp(end)
    buf.bind(end)
    code = buf.finish()
    assert code == bytes.fromhex("e901000000 90".replace(" ", ""))
    assert end.offset == 6


def test_conditional_jump_is_never_elided() -> None:
    buf = CodeBuffer()
    lbl = Label("ELSE")
    buf.jcc(Cond.E, lbl)
    buf.bind(lbl)
    assert buf.finish() == bytes.fromhex("0f8400000000")


def test_no_elision_across_another_label_or_a_row() -> None:
    buf = CodeBuffer()
    a, b = Label("A"), Label("B")
    buf.jmp(b)
    buf.bind(a)
    buf.bind(b)
    assert buf.finish() == bytes.fromhex("e900000000")
    buf2 = CodeBuffer()
    c = Label("C")
    buf2.jmp(c)
    buf2.mark()
    buf2.bind(c)
    assert buf2.finish() == bytes.fromhex("e900000000")


def test_stack_slots_and_frame_size() -> None:
    frame = StackFrame()
    assert frame.alloc_mem(1, 1) == 0
    assert frame.alloc_mem(8, 8) == 8
    assert frame.alloc_mem(2, 2) == 16
    assert frame.frame_size() == 32
    assert frame.save_slot(3) == 24 and frame.save_slot(3) == 24


@pytest.mark.parametrize(
    ("ty_bits", "value", "store"),
    [
        (8, 0x12, "c645ff12"),
        (16, 0x1234, "66c745fe3412"),
        (32, 0x12345678, "c745fc78563412"),
        (64, 0x7FFFFFFF, "48c745f8ffffff7f"),
        # [ZIR Live] a large 8-byte immediate: two 4-byte stores, low half first
        (64, 0x1122334455667788, "c745f888776655c745fc44332211"),
    ],
)
def test_immediate_stores_of_every_size(ty_bits: int, value: int, store: str) -> None:
    ty = Type.int_type(False, ty_bits)
    from compiler.air import NoOp

    slot = NoOp(AirTag.ALLOC, Type.single_mut_pointer(ty), 1)
    st = binop(AirTag.STORE, VOID, slot, const_int(ty, value), 2)
    sym = gen(Type.function((), VOID), [slot, st, NoOp(AirTag.RETVOID, NORETURN, 3)])
    assert bytes.fromhex(store) in sym.code


def test_cycle_temporary_is_not_an_already_written_destination() -> None:
    # (rdi <- rsi), (rsi <- rdi), (rdx <- rdi), (rcx <- r8), (r8 <- 0), (r9 <- rdx): after the acyclic moves,
    # r9 holds the sixth argument; the rdi/rsi swap must not use it as its temporary.
    moves = [
        (R.RDI, mc.register(R.RSI)),
        (R.RSI, mc.register(R.RDI)),
        (R.RDX, mc.register(R.RDI)),
        (R.RCX, mc.register(R.R8)),
        (R.R8, mc.immediate(0)),
        (R.R9, mc.register(R.RDX)),
    ]
    free = (R.R9, R.R10, R.R11)  # rax, rcx, rdx, rsi, rdi, r8 are owned by live values
    order = plan_parallel_move(moves, lambda used: next(r for r in free if r.id not in used))
    regs: dict[int, object] = {r.id: f"v{r.id}" for r in ALLOCATABLE}
    original = dict(regs)
    for dst, src in order:
        regs[dst.id] = regs[src.register.id] if src.kind is mc.MCKind.REGISTER else src.payload
    for dst, src in moves:
        want = original[src.register.id] if src.kind is mc.MCKind.REGISTER else src.payload
        assert regs[dst.id] == want, dst
