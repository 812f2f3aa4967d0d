"""Randomised programs, generated, linked and run; each result must equal a Python evaluation of the same AIR.

Programs mix usize/u32/u8 arithmetic (wrapping at the type's width), calls with up to six arguments,
compares kept in the flags or materialised into registers, ``not``, branch-merging blocks (also nested),
counting loops over stack variables that read outer values, and syscalls that clobber registers while
values are live. ``ZIR_RANDOM_SEEDS`` raises the number of programs (default 40).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.air import AirInst, AirTag, Arg, Block, Br, CondBr, Loop, NoOp, Operand
from compiler.sema.types import Type, TypeTag

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
    exit_with,
    link_and_run,
    syscall_asm,
    unop,
)

U32 = Type.named(TypeTag.U32)
TYPES = (USIZE, U32, U8)
BITS = {USIZE: 64, U32: 32, U8: 8}
NAKED = Type.function((), NORETURN, "Naked")
FTY = Type.function((USIZE, USIZE, USIZE), USIZE)
GTY = Type.function((USIZE,) * 6, USIZE)
CMPS: dict[AirTag, Callable[[int, int], bool]] = {
    AirTag.CMP_LT: lambda x, y: x < y,
    AirTag.CMP_LTE: lambda x, y: x <= y,
    AirTag.CMP_EQ: lambda x, y: x == y,
    AirTag.CMP_GTE: lambda x, y: x >= y,
    AirTag.CMP_GT: lambda x, y: x > y,
    AirTag.CMP_NEQ: lambda x, y: x != y,
}
MASK_64 = (1 << 64) - 1
SEEDS = int(os.environ.get("ZIR_RANDOM_SEEDS", "40"))


def mask(ty: Type, v: int) -> int:
    return v & ((1 << BITS[ty]) - 1)


def helper(s: Src) -> list[AirInst]:
    """g(a, b, c, d, e, f) = a - b + c - d + e - f (usize)."""
    params = [Arg(AirTag.ARG, USIZE, s(), name=f"x{i}", index=i) for i in range(6)]
    body: list[AirInst] = list(params)
    acc: Operand = params[0]
    for i, p in enumerate(params[1:], 1):
        acc = binop(AirTag.SUB if i % 2 else AirTag.ADD, USIZE, acc, p, s())
        body.append(acc)
    body.append(unop(AirTag.RET, NORETURN, acc, s()))
    return body


def g_value(args: list[int]) -> int:
    a, b, c, d, e, f = args
    return mask(USIZE, a - b + c - d + e - f)


class Gen:
    """Builds one random function body and its expected value."""

    def __init__(self, rng: random.Random, s: Src, g: Decl) -> None:
        self.rng, self.s, self.g = rng, s, g
        self.pools: dict[Type, list[tuple[Operand, int]]] = {t: [] for t in TYPES}

    def pick(self, ty: Type) -> tuple[Operand, int]:
        pool = self.pools[ty]
        if not pool or self.rng.random() < 0.25:
            v = mask(ty, self.rng.choice([0, 1, 7, 127, 128, 255, 0x7FFF_FFFF, 0x8000_0000, self.rng.getrandbits(64)]))
            return const_int(ty, v), v
        return self.rng.choice(pool[-4:])

    def arith(self, body: list[AirInst], ty: Type) -> tuple[Operand, int]:
        (x, xv), (y, yv) = self.pick(ty), self.pick(ty)
        tag = self.rng.choice([AirTag.ADD, AirTag.SUB])
        inst = binop(tag, ty, x, y, self.s())
        body.append(inst)
        return inst, mask(ty, xv + yv if tag is AirTag.ADD else xv - yv)

    def branch_block(self, body: list[AirInst], ty: Type, depth: int) -> tuple[Operand, int]:
        (x, xv), (y, yv) = self.pick(ty), self.pick(ty)
        tag = self.rng.choice(list(CMPS))
        blk = Block(AirTag.BLOCK, ty, self.s(), body=[])
        c = binop(tag, BOOL, x, y, self.s())
        cond: Operand = c
        truth = CMPS[tag](xv, yv)
        blk.body.append(c)
        if self.rng.random() < 0.3:  # not: flags inverted for free
            n = unop(AirTag.NOT, BOOL, c, self.s())
            blk.body.append(n)
            cond, truth = n, not truth
        if self.rng.random() < 0.3:  # something in between: the bool must be materialised in a register
            self.arith(blk.body, ty)
        then_body: list[AirInst] = []
        else_body: list[AirInst] = []
        if depth < 2 and self.rng.random() < 0.3:
            tv_op, tv = self.branch_block(then_body, ty, depth + 1)
        else:
            k = self.rng.getrandbits(8)
            t = binop(AirTag.ADD, ty, x, const_int(ty, k), self.s())
            then_body.append(t)
            tv_op, tv = t, mask(ty, xv + k)
        k2 = self.rng.getrandbits(8)
        e = binop(AirTag.SUB, ty, y, const_int(ty, k2), self.s())
        else_body.append(e)
        then_body.append(Br(AirTag.BR, NORETURN, self.s(), block=blk, operand=tv_op))
        else_body.append(Br(AirTag.BR, NORETURN, self.s(), block=blk, operand=e))
        blk.body.append(
            CondBr(AirTag.CONDBR, NORETURN, self.s(), condition=cond, then_body=then_body, else_body=else_body)
        )
        body.append(blk)
        return blk, tv if truth else mask(ty, yv - k2)

    def counting_loop(self, body: list[AirInst]) -> tuple[Operand, int]:
        """acc = x; for i < n: acc += y — x and y are outer values read inside the loop."""
        s = self.s
        (x, xv), (y, yv) = self.pick(USIZE), self.pick(USIZE)
        n = self.rng.randint(0, 5)
        pty = Type.single_mut_pointer(USIZE)
        i_ptr, acc_ptr = NoOp(AirTag.ALLOC, pty, s()), NoOp(AirTag.ALLOC, pty, s())
        blk = Block(AirTag.BLOCK, USIZE, s(), body=[])
        i = unop(AirTag.LOAD, USIZE, i_ptr, s())
        c = binop(AirTag.CMP_LT, BOOL, i, const_int(USIZE, n), s())
        a = unop(AirTag.LOAD, USIZE, acc_ptr, s())
        a2 = binop(AirTag.ADD, USIZE, a, y, s())
        i2 = binop(AirTag.ADD, USIZE, i, const_int(USIZE, 1), s())
        r = unop(AirTag.LOAD, USIZE, acc_ptr, s())
        then_body: list[AirInst] = [
            a,
            a2,
            binop(AirTag.STORE, VOID, acc_ptr, a2, s()),
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
        body += [
            i_ptr,
            acc_ptr,
            binop(AirTag.STORE, VOID, i_ptr, const_int(USIZE, 0), s()),
            binop(AirTag.STORE, VOID, acc_ptr, x, s()),
            blk,
        ]
        return blk, mask(USIZE, xv + n * yv)

    def step(self, body: list[AirInst]) -> None:
        kind = self.rng.random()
        ty = self.rng.choice(TYPES)
        if kind < 0.4:
            self.pools[ty].append(self.arith(body, ty))
        elif kind < 0.55:
            picks = [self.pick(USIZE) for _ in range(6)]
            inst = call(self.g, GTY, [p for p, _ in picks], self.s())
            body.append(inst)
            self.pools[USIZE].append((inst, g_value([v for _, v in picks])))
        elif kind < 0.8:
            self.pools[ty].append(self.branch_block(body, ty, 0))
        elif kind < 0.9:
            self.pools[USIZE].append(self.counting_loop(body))
        elif kind < 0.95:  # getpid, result unused: clobbers rax, rcx, r11 while values are live
            body.append(syscall_asm(self.s(), ["{rax}"], [const_int(USIZE, 39)]))
        else:  # write(-1, 0, 0) = -EBADF: an asm output the allocator must track like any value
            asm = syscall_asm(
                self.s(),
                ["{rax}", "{rdi}", "{rsi}", "{rdx}"],
                [const_int(USIZE, 1), const_int(USIZE, MASK_64), const_int(USIZE, 0), const_int(USIZE, 0)],
            )
            body.append(asm)
            self.pools[USIZE].append((asm, mask(USIZE, -9)))


def random_program(rng: random.Random, s: Src, g: Decl, args: tuple[int, int, int]) -> tuple[list[AirInst], int]:
    gen = Gen(rng, s, g)
    params = [Arg(AirTag.ARG, USIZE, s(), name=f"p{i}", index=i) for i in range(3)]
    body: list[AirInst] = list(params)
    gen.pools[USIZE] += list(zip(params, args, strict=True))
    for _ in range(rng.randint(3, 16)):
        gen.step(body)
    # fold the last usize values together so several stay live to the end
    acc, accv = gen.pools[USIZE][-1]
    for v, vv in gen.pools[USIZE][-4:-1]:
        nxt = binop(AirTag.ADD, USIZE, acc, v, s())
        body.append(nxt)
        acc, accv = nxt, mask(USIZE, accv + vv)
    body.append(unop(AirTag.RET, NORETURN, acc, s()))
    return body, accv


@pytest.mark.parametrize("seed", range(SEEDS))
def test_random_program_matches_python(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    s = Src()
    f, g, start = Decl(2, "f"), Decl(3, "g"), Decl(1, "start")
    args = (rng.getrandbits(64), rng.getrandbits(8), rng.getrandbits(32))
    body, expected = random_program(rng, s, g, args)
    r = call(f, FTY, [const_int(USIZE, v) for v in args], s())
    ok = binop(AirTag.CMP_EQ, BOOL, r, const_int(USIZE, expected), s())
    start_body: list[AirInst] = [r, ok, *exit_with(ok, s())]
    program = Program(functions=[(start, NAKED, start_body), (f, FTY, body), (g, GTY, helper(s))])
    # more than nine values live at once spill (language-complete §11): every program compiles
    code, _ = link_and_run(str(tmp_path / "rand"), program, start)
    assert code == 1, f"seed {seed}: result differs from {expected:#x}"
