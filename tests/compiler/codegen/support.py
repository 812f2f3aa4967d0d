"""Test support for codegen tests: decl handles, an address view with the linker's GOT formula, AIR builders."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

from compiler.air import AirInst, AirTag, Assembly, BinOp, Call, Constant, NoOp, Operand, UnOp
from compiler.codegen import generate_function
from compiler.link import GOT_VADDR, DeclIndex, GeneratedSymbol
from compiler.liveness import analyze
from compiler.sema.types import Type, TypeTag
from compiler.sema.values import DeclRef, FunctionValue, IntValue, TypedValue

USIZE = Type.named(TypeTag.USIZE)
VOID = Type.named(TypeTag.VOID)
NORETURN = Type.named(TypeTag.NORETURN)
BOOL = Type.named(TypeTag.BOOL)
U8 = Type.named(TypeTag.U8)


@dataclass(frozen=True, slots=True)
class Decl:
    """A decl handle (``index``, ``name``) as values and codegen see it."""

    index: int
    name: str


@dataclass(frozen=True, slots=True)
class Fn:
    """A function handle: the decl that owns it."""

    owner: Decl


@dataclass(slots=True)
class Addresses:
    """GOT slot addresses by the linker's formula (elf-linker.md §6): ``0x4000000 + 8 * got_index``."""

    got: dict[int, int] = field(default_factory=dict)
    placed: dict[int, int] = field(default_factory=dict)

    def got_address(self, decl: DeclIndex) -> int:
        return GOT_VADDR + 8 * self.got[decl]

    def decl_address(self, decl: DeclIndex) -> int | None:
        return self.placed.get(decl)


class Src:
    """Hands out increasing source offsets, one line (100 bytes) apart."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> int:
        self.n += 100
        return self.n


def line_of(offset: int) -> int:
    return offset // 100


def const_int(ty: Type, value: int, src: int = 0) -> Constant:
    return Constant(ty, IntValue(value), src)


def fn_const(decl: Decl, fn_type: Type, src: int = 0) -> Constant:
    return Constant(fn_type, FunctionValue(Fn(decl)), src)


def decl_ptr(decl: Decl, pointee: Type, src: int = 0) -> Constant:
    return Constant(Type.single_const_pointer(pointee), DeclRef(decl), src)


def syscall_asm(
    src: int,
    inputs: list[str],
    args: Sequence[Operand],
    *,
    output: str | None = "={rax}",
    clobbers: tuple[str, ...] = ("rcx", "r11", "memory"),
    ty: Type = USIZE,
    volatile: bool = True,
    source: bytes = b"syscall",
) -> Assembly:
    return Assembly(
        AirTag.ASSEMBLY,
        ty,
        src,
        asm_source=source,
        is_volatile=volatile,
        output=output.encode() if output is not None else None,
        inputs=tuple(i.encode() for i in inputs),
        clobbers=tuple(c.encode() for c in clobbers),
        args=list(args),
    )


def noop(tag: AirTag, src: int, ty: Type = VOID) -> NoOp:
    return NoOp(tag, ty, src)


def unop(tag: AirTag, ty: Type, operand: Operand, src: int) -> UnOp:
    return UnOp(tag, ty, src, operand=operand)


def binop(tag: AirTag, ty: Type, lhs: Operand, rhs: Operand, src: int) -> BinOp:
    return BinOp(tag, ty, src, lhs=lhs, rhs=rhs)


def call(callee: Decl, fn_type: Type, args: list[Operand], src: int) -> Call:
    return Call(AirTag.CALL, fn_type.fn_return_type(), src, func=fn_const(callee, fn_type, src), args=args)


def gen(
    fn_type: Type,
    body: list[AirInst],
    addresses: Addresses | None = None,
    fn_src: int = 0,
    *,
    safety: bool = True,
) -> GeneratedSymbol:
    """Liveness, then code generation, as the Module does it (the panic routine in GOT slot 90)."""
    analyze(body)
    return generate_function(
        Decl(99, "f"),
        fn_type,
        body,
        addresses or Addresses(),
        line_of=line_of,
        fn_src=fn_src,
        safety=safety,
        panic=lambda: GOT_VADDR + 8 * 90,
    )


def hexbytes(text: str) -> bytes:
    """``"55 48 89 E5"`` → bytes (ignores whitespace)."""
    return bytes.fromhex("".join(text.split()))


# ---- running generated code for real ---------------------------------------------------------------------


@dataclass(slots=True)
class Program:
    """Decls to link with the real ElfLinker: functions (type + AIR body) and data (typed values)."""

    functions: list[tuple[Decl, Type, list[AirInst]]] = field(default_factory=list)
    data: list[tuple[Decl, TypedValue]] = field(default_factory=list)


def exit_with(value: Operand, src: int) -> list[AirInst]:
    """A Naked tail: ``exit_group(value)``, then ``unreachable``."""
    return [
        syscall_asm(src, ["{rax}", "{rdi}"], [const_int(USIZE, 231), value], output=None),
        noop(AirTag.BREAKPOINT, src),
        noop(AirTag.UNREACH, src, NORETURN),
    ]


PANIC = Decl(90, "__zirlive_panic")


def link_and_run(path: str, program: Program, entry: Decl) -> tuple[int, bytes]:
    """Generate every decl, link with ElfLinker (``entry`` exported as ``_start``), run; (exit code, stdout)."""
    proc = link_and_run_full(path, program, entry)
    return proc.returncode, proc.stdout


def link_and_run_full(
    path: str, program: Program, entry: Decl, *, safety: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """As ``link_and_run``, with the build mode's safety; the panic routine is linked when code needs it."""
    from compiler.codegen import generate_data, generate_panic_routine
    from compiler.link import ExportRequest
    from compiler.link.elf.linker import ElfLinker

    linker = ElfLinker(path)
    for decl in [d for d, _ in program.data] + [f[0] for f in program.functions]:
        linker.allocate_decl(DeclIndex(decl.index), decl.name)
    panic_used: list[bool] = []

    def panic() -> int:
        if not panic_used:
            linker.allocate_decl(DeclIndex(PANIC.index), PANIC.name)
            panic_used.append(True)
        return linker.got_address(DeclIndex(PANIC.index))

    for decl, tv in program.data:
        linker.update_decl(DeclIndex(decl.index), decl.name, generate_data(decl, tv, linker))
    for decl, fn_type, body in program.functions:
        analyze(body)
        sym = generate_function(decl, fn_type, body, linker, line_of=line_of, safety=safety, panic=panic)
        linker.update_decl(DeclIndex(decl.index), decl.name, sym)
    if panic_used:
        linker.update_decl(DeclIndex(PANIC.index), PANIC.name, generate_panic_routine())
    linker.update_decl_exports(DeclIndex(entry.index), [ExportRequest(1, b"_start")])
    linker.flush()
    assert not linker.error_flags().no_entry_point_found
    report = linker.commit()
    assert report.error is None, report.error
    return subprocess.run([path], capture_output=True, timeout=10)
