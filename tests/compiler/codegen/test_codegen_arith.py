"""Integer arithmetic of every width, run for real and compared with an independent Python evaluator: each
new AIR op at several widths and both signednesses, results written to stdout as their whole container (so
the value invariant above the ``b`` bits is checked too) (docs/design/language-complete.md §2–§4)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.air import AirInst, AirTag, Arg, Constant
from compiler.sema.types import Type, TypeTag

from .support import (
    NORETURN,
    USIZE,
    VOID,
    Decl,
    Program,
    Src,
    binop,
    call,
    const_int,
    exit_with,
    link_and_run_full,
    noop,
    syscall_asm,
    unop,
)

NAKED = Type.function((), NORETURN, "Naked")
START, MAIN = Decl(1, "start"), Decl(2, "main")


def wrap(v: int, signed: bool, bits: int) -> int:
    v %= 1 << bits
    if signed and bits and v >> (bits - 1):
        v -= 1 << bits
    return v


def fits(v: int, signed: bool, bits: int) -> bool:
    return wrap(v, signed, bits) == v


def trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


# op -> (python result or None when the pair is not a valid input, needs a checked fit)
EVAL: dict[AirTag, Callable[[int, int, bool, int], int | None]] = {
    AirTag.ADD: lambda a, b, s, n: a + b if fits(a + b, s, n) else None,
    AirTag.SUB: lambda a, b, s, n: a - b if fits(a - b, s, n) else None,
    AirTag.MUL: lambda a, b, s, n: a * b if fits(a * b, s, n) else None,
    AirTag.ADDWRAP: lambda a, b, s, n: wrap(a + b, s, n),
    AirTag.SUBWRAP: lambda a, b, s, n: wrap(a - b, s, n),
    AirTag.MULWRAP: lambda a, b, s, n: wrap(a * b, s, n),
    AirTag.DIV: lambda a, b, s, n: None if b == 0 or not fits(trunc_div(a, b), s, n) else trunc_div(a, b),
    AirTag.MOD_REM: lambda a, b, s, n: None if b == 0 else a - b * trunc_div(a, b),
    AirTag.BITAND: lambda a, b, s, n: a & b,
    AirTag.BITOR: lambda a, b, s, n: a | b,
    AirTag.XOR: lambda a, b, s, n: a ^ b,
    AirTag.SHL: lambda a, b, s, n: wrap(a << b, s, n),
    AirTag.SHR: lambda a, b, s, n: a >> b,
}
WIDTHS = [(False, 8), (True, 8), (False, 16), (True, 16), (False, 32), (True, 32), (False, 64), (True, 64)]
WIDTHS += [(False, 7), (True, 7), (False, 33), (True, 33), (False, 1), (True, 12), (False, 63)]


def int_ty(signed: bool, bits: int) -> Type:
    named = {(False, 8): TypeTag.U8, (True, 8): TypeTag.I8, (False, 16): TypeTag.U16, (True, 16): TypeTag.I16}
    named |= {(False, 32): TypeTag.U32, (True, 32): TypeTag.I32, (False, 64): TypeTag.U64, (True, 64): TypeTag.I64}
    tag = named.get((signed, bits))
    return Type.named(tag) if tag is not None else Type.int_type(signed, bits)


def interesting(rng: random.Random, signed: bool, bits: int) -> int:
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    pick = rng.choice([lo, hi, 0, 1, -1, 2, 3, rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(-50, 50)])
    return max(lo, min(hi, pick))


def run_op_cases(tmp_path: Path, name: str, ty: Type, cases: list[tuple[AirTag, int, int, Type]]) -> list[int]:
    """One program: f_op(a, b) per op, main calls each case and writes the result's container bytes."""
    s = Src()
    signed = ty.int_info()[0]
    size = ty.abi_size()
    funcs: dict[tuple[AirTag, Type], tuple[Decl, Type]] = {}
    program = Program()
    for tag, _, _, rty in cases:
        if (tag, rty) in funcs:
            continue
        d = Decl(10 + len(funcs), f"f_{tag.value}")
        fty = Type.function((ty, rty), ty)
        a = Arg(AirTag.ARG, ty, s(), name="a", index=0)
        b = Arg(AirTag.ARG, rty, s(), name="b", index=1)
        r = binop(tag, ty, a, b, s())
        r.safety = True
        program.functions.append((d, fty, [a, b, r, unop(AirTag.RET, NORETURN, r, s())]))
        funcs[(tag, rty)] = (d, fty)
    slot = noop(AirTag.ALLOC, s(), Type.single_mut_pointer(ty))
    main: list[AirInst] = [slot]
    for tag, x, y, rty in cases:
        d, fty = funcs[(tag, rty)]
        res = call(d, fty, [const_int(ty, x), const_int(rty, y)], s())
        ptr = unop(AirTag.PTRTOINT, USIZE, slot, s())
        main += [
            res,
            binop(AirTag.STORE, VOID, slot, res, s()),
            ptr,
            syscall_asm(
                s(),
                ["{rax}", "{rdi}", "{rsi}", "{rdx}"],
                [const_int(USIZE, 1), const_int(USIZE, 1), ptr, const_int(USIZE, size)],
            ),
        ]
    main.append(noop(AirTag.RETVOID, s(), NORETURN))
    mty = Type.function((), VOID)
    start = [call(MAIN, mty, [], s()), *exit_with(const_int(USIZE, 0), s())]
    program.functions += [(START, NAKED, start), (MAIN, mty, main)]
    proc = link_and_run_full(str(tmp_path / name), program, START)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert len(out) == size * len(cases)
    return [int.from_bytes(out[i * size : (i + 1) * size], "little", signed=signed) for i in range(len(cases))]


@pytest.mark.parametrize(("signed", "bits"), WIDTHS)
def test_every_op_at_this_width_matches_python(signed: bool, bits: int, tmp_path: Path) -> None:
    rng = random.Random(bits * 2 + signed)
    ty = int_ty(signed, bits)
    amount_bits = (bits - 1).bit_length()
    amount_ty = Type.int_type(False, amount_bits)
    cases: list[tuple[AirTag, int, int, Type]] = []
    want: list[int] = []
    for tag, fn in EVAL.items():
        shift = tag in (AirTag.SHL, AirTag.SHR)
        if shift and amount_bits == 0:
            continue
        found = 0
        for _ in range(400):
            x = interesting(rng, signed, bits)
            y = rng.randrange(min(bits, 1 << amount_bits)) if shift else interesting(rng, signed, bits)
            expected = fn(x, y, signed, bits)
            if expected is None:
                continue
            cases.append((tag, x, y, amount_ty if shift else ty))
            want.append(expected)
            found += 1
            if found == 6:
                break
    got = run_op_cases(tmp_path, f"w{bits}{'s' if signed else 'u'}", ty, cases)
    for (tag, x, y, _), g, w in zip(cases, got, want, strict=True):
        assert g == w, f"{tag.value}({x}, {y}) at {ty}: got {g}, want {w}"


def test_constants_of_odd_signed_widths_are_extended_in_their_container() -> None:
    # i7 -1 is the byte 0xFF (sign-extended above bit 6), not 0x7F
    from compiler.codegen.x86_64.function import FunctionGen

    ty = Type.int_type(True, 7)
    c = Constant(ty, const_int(ty, -1).val, 0)
    fg = FunctionGen(Type.function((), VOID), [], None, lambda o: 0)  # type: ignore[arg-type]
    assert fg.const_mcv(ty, c).payload == 0xFF
