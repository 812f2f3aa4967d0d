"""Codegen messages (x86_64.md §13): exact texts at exact byte offsets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compiler.air import AirInst, AirTag, Arg, Constant
from compiler.codegen.x86_64.spill import NAKED_STACK_MSG
from compiler.compilation import Compilation, Options
from compiler.errors import CodegenFailure
from compiler.sema.types import Type, TypeTag
from compiler.sema.values import IntValue
from compiler.source import BufferSource
from tests.compiler.link.elfcheck import assemble

from .support import (
    BOOL,
    NORETURN,
    U8,
    USIZE,
    VOID,
    Decl,
    binop,
    call,
    const_int,
    gen,
    noop,
    syscall_asm,
    unop,
)

NAKED = Type.function((), NORETURN, "Naked")
FN_VOID = Type.function((), VOID)
EXIT: list[AirInst] = []


def fails(fn_type: Type, body: list[AirInst], fn_src: int = 0) -> tuple[int, str]:
    with pytest.raises(CodegenFailure) as info:
        gen(fn_type, body, fn_src=fn_src)
    return info.value.error.byte_offset, info.value.error.msg


def ret_void(src: int = 900) -> AirInst:
    return noop(AirTag.RETVOID, src, NORETURN)


def test_naked_with_parameters() -> None:
    fty = Type.function((USIZE,), NORETURN, "Naked")
    assert fails(fty, [noop(AirTag.UNREACH, 5, NORETURN)], fn_src=42) == (
        42,
        "unable to use parameters with naked calling convention",
    )


@pytest.mark.parametrize("tag", [AirTag.RETVOID, AirTag.RET])
def test_return_in_naked(tag: AirTag) -> None:
    inst = noop(tag, 17, NORETURN) if tag is AirTag.RETVOID else unop(tag, NORETURN, const_int(USIZE, 1), 17)
    assert fails(NAKED, [inst]) == (17, "unable to return from a function with naked calling convention")


def test_stack_use_in_naked() -> None:
    alloc = noop(AirTag.ALLOC, 12, Type.single_mut_pointer(USIZE))
    assert fails(NAKED, [alloc, noop(AirTag.UNREACH, 20, NORETURN)]) == (12, NAKED_STACK_MSG)


def test_save_needed_in_naked() -> None:
    # a value live across a call in a Naked function would need a save slot
    v = binop(AirTag.ADD, USIZE, const_int(USIZE, 1), const_int(USIZE, 2), 10)
    c = call(Decl(3, "f"), FN_VOID, [], 20)
    use = syscall_asm(30, ["{rax}", "{rdi}"], [const_int(USIZE, 60), v], output=None)
    body: list[AirInst] = [v, c, use, noop(AirTag.UNREACH, 40, NORETURN)]
    from .support import Addresses

    with pytest.raises(CodegenFailure) as info:
        gen(NAKED, body, Addresses(got={3: 1}))
    assert (info.value.error.byte_offset, info.value.error.msg) == (20, NAKED_STACK_MSG)


def test_runtime_float_and_wide_int_parameters_are_permanent_errors() -> None:
    # language-complete §12 (formerly "TODO implement function parameters of type …")
    f32 = Type.named(TypeTag.F32)
    assert fails(Type.function((f32,), VOID), [ret_void()], fn_src=3) == (
        3,
        "floating-point type 'f32' is not supported at runtime",
    )
    wide = Type.int_type(False, 65)
    assert fails(Type.function((), wide), [ret_void()], fn_src=4) == (
        4,
        "integer type 'u65' wider than 64 bits is not supported at runtime",
    )


@pytest.mark.parametrize(
    ("inputs", "output", "clobbers", "source", "naked", "msg"),
    [
        (["rax"], "={rax}", (), b"syscall", False, "unrecognized asm input constraint: 'rax'"),
        (["{}"], "={rax}", (), b"syscall", False, "unrecognized asm input constraint: '{}'"),
        (["{foo}"], "={rax}", (), b"syscall", False, "unrecognized register: 'foo'"),
        (["{rax}"], "=rax", (), b"syscall", False, "unrecognized asm output constraint: '=rax'"),
        (["{rax}"], "={bar}", (), b"syscall", False, "unrecognized register: 'bar'"),
        (["{rax}"], "={rax}", (), b"int3", False, "inline assembly other than 'syscall' is not supported"),
        (["{ah}"], "={rax}", (), b"syscall", True, "asm operand in register 'ah' is not supported"),
        (["{rax}"], "={esp}", (), b"syscall", True, "asm operand in register 'esp' is not supported"),
        (["{ebp}"], "={rax}", (), b"syscall", False, "asm operand in register 'ebp' is not supported"),
        (["{rax}"], "={rax}", ("rbp",), b"syscall", False, "asm operand in register 'rbp' is not supported"),
        # checks come in order: inputs before the output before the source
        (["{foo}"], "=bad", (), b"nop", False, "unrecognized register: 'foo'"),
        (["{rax}"], "=bad", (), b"nop", False, "unrecognized asm output constraint: '=bad'"),
    ],
)
def test_asm_messages(
    inputs: list[str], output: str, clobbers: tuple[str, ...], source: bytes, naked: bool, msg: str
) -> None:
    asm = syscall_asm(50, inputs, [const_int(USIZE, 1)] * len(inputs), output=output, clobbers=clobbers, source=source)
    body: list[AirInst] = [asm, noop(AirTag.UNREACH, 60, NORETURN) if naked else ret_void()]
    assert fails(NAKED if naked else FN_VOID, body) == (50, msg)


def test_callee_saved_register_allowed_in_naked() -> None:
    """No error: a Naked function may use rbx/r12 (it saves nothing anyway); the unused output costs nothing."""
    asm = syscall_asm(50, ["{rbx}"], [const_int(USIZE, 1)], output="={r12}")
    code = gen(NAKED, [asm, noop(AirTag.UNREACH, 60, NORETURN)]).code
    assert code == assemble("mov ebx, 1\nsyscall")


def test_non_volatile_unused_asm_is_not_checked() -> None:
    asm = syscall_asm(50, ["{foo}"], [const_int(USIZE, 1)], volatile=False)
    assert gen(FN_VOID, [asm, ret_void()]).code.endswith(b"\x5d\xc3")


def test_runtime_floatcast_is_a_permanent_error() -> None:
    f64 = Type.named(TypeTag.F64)
    a = Arg(AirTag.ARG, USIZE, 1, name="a", index=0)
    u = unop(AirTag.FLOATCAST, f64, a, 70)
    use = syscall_asm(80, ["{rdi}"], [u], output=None)
    assert fails(Type.function((USIZE,), VOID), [a, u, use, ret_void()]) == (
        70,
        "floating-point type 'f64' is not supported at runtime",
    )


def test_unused_pure_instructions_generate_nothing() -> None:
    a = Arg(AirTag.ARG, USIZE, 1, name="a", index=0)
    body: list[AirInst] = [
        a,
        unop(AirTag.INTCAST, USIZE, a, 2),
        binop(AirTag.ADD, USIZE, a, a, 3),
        binop(AirTag.CMP_LT, BOOL, a, a, 4),
        ret_void(),
    ]
    sym = gen(Type.function((USIZE,), VOID), body)
    assert sym.code == bytes.fromhex("554889e54881ec00000000" + "5dc3")


def test_wrap_optional_of_size_one() -> None:
    """No error: ``?void`` wrapped is the immediate 1 (non-null), here passed to an asm input."""
    a = Arg(AirTag.ARG, BOOL, 1, name="a", index=0)
    w = unop(AirTag.WRAP_OPTIONAL, Type.optional(VOID), a, 2)
    use = syscall_asm(80, ["{rdi}"], [w], output=None)
    code = gen(Type.function((BOOL,), VOID), [a, w, use, ret_void()]).code
    # the prologue reserves the frame with an imm32 (patched once the frame size is known): here 0
    prologue, epilogue = assemble("push rbp\nmov rbp, rsp\nsub rsp, 0x7fffffff"), assemble("pop rbp\nret")
    assert code == prologue[:-4] + bytes(4) + assemble("mov edi, 1\nsyscall") + epilogue


def test_alloc_too_big() -> None:
    big = Type.array(U8, 1 << 32)
    alloc = noop(AirTag.ALLOC, 9, Type.single_mut_pointer(big))
    assert fails(FN_VOID, [alloc, ret_void()]) == (9, "type '[4294967296]u8' too big to fit into stack frame")


def test_wide_runtime_integers_are_a_permanent_error() -> None:
    # language-complete §12 (formerly "TODO const int bigger than ptr and signed int")
    wide = Constant(Type.int_type(True, 128), IntValue(5), 11)
    add = binop(AirTag.ADD, Type.int_type(True, 128), wide, wide, 12)
    fty = Type.function((), VOID)
    assert fails(fty, [add, unop(AirTag.RET, NORETURN, add, 13)]) == (
        12,
        "integer type 'i128' wider than 64 bits is not supported at runtime",
    )


def test_signed_constants_are_immediates() -> None:
    # [ZIR Live] signed constants up to 64 bits: -1 as i8 is 0xff
    i8 = Type.named(TypeTag.I8)
    a = Arg(AirTag.ARG, i8, 1, name="a", index=0)
    add = binop(AirTag.ADD, i8, a, Constant(i8, IntValue(-1), 2), 3)
    sym = gen(Type.function((i8,), i8), [a, add, unop(AirTag.RET, NORETURN, add, 4)])
    assert bytes.fromhex("40 80 c7 ff") in sym.code  # add dil, 0xff


@pytest.mark.parametrize(
    ("cc", "msg"),
    [
        ("Stdcall", "callconv 'Stdcall' is only available on x86, not x86_64"),
        ("Fastcall", "callconv 'Fastcall' is only available on x86, not x86_64"),
        ("Thiscall", "callconv 'Thiscall' is only available on x86, not x86_64"),
        ("APCS", "callconv 'APCS' is only available on ARM, not x86_64"),
        ("AAPCS", "callconv 'AAPCS' is only available on ARM, not x86_64"),
        ("AAPCSVFP", "callconv 'AAPCSVFP' is only available on ARM, not x86_64"),
        ("Vectorcall", "callconv 'Vectorcall' is only available on x86 and AArch64, not x86_64"),
        ("Interrupt", "callconv 'Interrupt' is not supported"),
        ("Signal", "callconv 'Signal' is not supported"),
        ("Async", "callconv 'Async' is not supported"),
    ],
)
def test_calling_conventions_of_other_architectures(cc: str, msg: str) -> None:
    # docs/design/language-complete.md §9, at the function
    assert fails(Type.function((), VOID, cc), [ret_void()], fn_src=7) == (7, msg)


def test_cold_is_unspecified() -> None:
    cold = gen(Type.function((), VOID, "Cold"), [ret_void()])
    assert cold.code == gen(Type.function((), VOID), [ret_void()]).code


def test_an_asm_result_without_an_output_is_undefined_not_an_internal_error(tmp_path: Path) -> None:
    """x86_64.md §10, step 7: without an output the result was ``none``; a ``usize`` one used by ``add`` asserted "ALU
    source none" (an internal compiler error; found by mutating the examples). It is undefined now: the program
    builds, and this one exits through its ``syscall`` before the sum is used."""
    text = (Path(__file__).parent / "asm_without_output.zir").read_bytes()
    out = tmp_path / "out"
    comp = Compilation(Options("a.zir", str(out)), BufferSource("a.zir", text), None)
    try:
        report = comp.update()
        assert [e.message for e in comp.all_errors()] == [] and report.committed
    finally:
        comp.close()
    assert subprocess.run([str(out)], timeout=60, check=False).returncode == 50
