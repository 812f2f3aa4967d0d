"""Runtime safety, run for real: each check panics with its message on stderr and SIGABRT in Debug, and is
absent without safety (docs/design/language-complete.md §3–§6, §10)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.air import AirInst, AirTag, Constant, NoOp, Operand
from compiler.codegen.x86_64.safety import MESSAGES, PANIC_ASM, PanicId, panic_routine_code
from compiler.sema.types import Type, TypeTag
from compiler.sema.values import NullValue
from tests.compiler.link.elfcheck import assemble

from .builder import Body, c, named, program_with_main
from .support import USIZE, VOID, Decl, Src, link_and_run_full

U8, I8, I16, U16, U32, I64 = (
    named(t) for t in (TypeTag.U8, TypeTag.I8, TypeTag.I16, TypeTag.U16, TypeTag.U32, TypeTag.I64)
)
F = Decl(10, "f")

Case = Callable[[Body, list[Operand]], AirInst]


def _program(
    s: Src, params: tuple[Type, ...], ret: Type, args: list[int], make: Case
) -> tuple[Body, list[tuple[Decl, Type, list[AirInst]]]]:
    fty = Type.function(params, ret)
    f = Body(s)
    ops: list[Operand] = [f.arg(t, i) for i, t in enumerate(params)]
    r = make(f, ops)
    if ret is not VOID:
        f.ret(r)
    else:
        f.ret()
    main = Body(s)
    res = main.call(F, fty, [c(t, v) for t, v in zip(params, args, strict=True)])
    if ret is not VOID:
        main.out(ret, res)
    main.ret()
    return main, [(F, fty, f.insts)]


CASES: list[tuple[str, PanicId, tuple[Type, ...], Type, list[int], Case]] = [
    (
        "add",
        PanicId.INTEGER_OVERFLOW,
        (U8, U8),
        U8,
        [255, 1],
        lambda b, o: b.bin(AirTag.ADD, U8, o[0], o[1], safety=True),
    ),
    (
        "sub",
        PanicId.INTEGER_OVERFLOW,
        (U8, U8),
        U8,
        [1, 2],
        lambda b, o: b.bin(AirTag.SUB, U8, o[0], o[1], safety=True),
    ),
    (
        "mul",
        PanicId.INTEGER_OVERFLOW,
        (I8, I8),
        I8,
        [-128, -1],
        lambda b, o: b.bin(AirTag.MUL, I8, o[0], o[1], safety=True),
    ),
    (
        "div0",
        PanicId.DIVISION_BY_ZERO,
        (U32, U32),
        U32,
        [5, 0],
        lambda b, o: b.bin(AirTag.DIV, U32, o[0], o[1], safety=True),
    ),
    (
        "rem0",
        PanicId.DIVISION_BY_ZERO,
        (U32, U32),
        U32,
        [5, 0],
        lambda b, o: b.bin(AirTag.MOD_REM, U32, o[0], o[1], safety=True),
    ),
    (
        "divmin",
        PanicId.INTEGER_OVERFLOW,
        (I64, I64),
        I64,
        [-(1 << 63), -1],
        lambda b, o: b.bin(AirTag.DIV, I64, o[0], o[1], safety=True),
    ),
    ("neg", PanicId.CAST_NEGATIVE, (I16,), U8, [-1], lambda b, o: b.un(AirTag.INTCAST, U8, o[0], safety=True)),
    ("trunc", PanicId.CAST_TRUNCATED, (U16,), U8, [300], lambda b, o: b.un(AirTag.INTCAST, U8, o[0], safety=True)),
    (
        "shift",
        PanicId.SHIFT_AMOUNT,
        (Type.int_type(False, 7), Type.int_type(False, 3)),
        Type.int_type(False, 7),
        [1, 7],
        lambda b, o: b.bin(AirTag.SHL, Type.int_type(False, 7), o[0], o[1], safety=True),
    ),
]


def _null_case(b: Body, o: list[Operand]) -> AirInst:
    opt = Type.optional(U32)
    slot = b.alloc(opt)
    b.store(slot, Constant(opt, NullValue(), 0))
    return b.load(b.un(AirTag.UNWRAP_OPTIONAL, Type.single_mut_pointer(U32), slot, safety=True))


def _index_case(b: Body, o: list[Operand]) -> AirInst:
    arr = b.alloc(Type.array(U8, 3))
    return b.load(b.bin(AirTag.ELEMPTR, Type.single_mut_pointer(U8), arr, o[0], safety=True))


def _unreachable_case(b: Body, o: list[Operand]) -> AirInst:
    return b.add(NoOp(AirTag.BREAKPOINT, VOID, b.s(), safety=True))


CASES += [
    ("null", PanicId.NULL_UNWRAP, (USIZE,), U32, [0], _null_case),
    ("index", PanicId.INDEX_OUT_OF_BOUNDS, (USIZE,), U8, [3], _index_case),
    ("unreachable", PanicId.REACHED_UNREACHABLE, (USIZE,), VOID, [0], _unreachable_case),
]


@pytest.mark.parametrize(("name", "msg", "params", "ret", "args", "make"), CASES, ids=[c[0] for c in CASES])
def test_failed_check_panics_with_its_message(
    name: str, msg: PanicId, params: tuple[Type, ...], ret: Type, args: list[int], make: Case, tmp_path: Path
) -> None:
    s = Src()
    main, others = _program(s, params, ret, args, make)
    proc = link_and_run_full(str(tmp_path / name), program_with_main(s, main, others), Decl(1, "start"))
    assert proc.returncode == -signal.SIGABRT
    assert proc.stderr == f"panic: {MESSAGES[msg]}\n".encode()
    assert proc.stdout == b""


def test_without_safety_the_checks_are_gone(tmp_path: Path) -> None:
    # ReleaseFast: 255 + 1 wraps to 0; 300 as u8 is 44; the unwrap of null reads the unspecified payload
    s = Src()
    main, others = _program(s, (U8, U8), U8, [255, 1], CASES[0][5])
    proc = link_and_run_full(str(tmp_path / "fast"), program_with_main(s, main, others), Decl(1, "start"), safety=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"\x00", b"")
    s = Src()
    main, others = _program(s, (U16,), U8, [300], CASES[7][5])
    proc = link_and_run_full(
        str(tmp_path / "fast2"), program_with_main(s, main, others), Decl(1, "start"), safety=False
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, bytes([300 % 256]), b"")


def test_passing_checks_cost_no_panic(tmp_path: Path) -> None:
    s = Src()
    main, others = _program(s, (U8, U8), U8, [200, 55], CASES[0][5])
    proc = link_and_run_full(str(tmp_path / "ok"), program_with_main(s, main, others), Decl(1, "start"))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, bytes([255]), b"")


def test_panic_routine_bytes_match_gnu_as() -> None:
    code = panic_routine_code()

    head = assemble(PANIC_ASM)
    assert code[: len(head)] == head
    # then the table: (offset from the table, length) per message id, then the texts in id order
    table = code[len(head) :]
    for m in PanicId:
        off = int.from_bytes(table[8 * m : 8 * m + 4], "little")
        ln = int.from_bytes(table[8 * m + 4 : 8 * m + 8], "little")
        assert table[off : off + ln] == f"panic: {MESSAGES[m]}\n".encode()
