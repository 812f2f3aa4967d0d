"""A small builder of hand-made AIR functions for the run tests of the complete language (codegen side)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from compiler.air import AirInst, AirTag, Arg, BinOp, Call, Constant, NoOp, Operand, UnOp
from compiler.sema.types import Type, TypeTag
from compiler.sema.values import FunctionValue, IntValue

from .support import NORETURN, USIZE, VOID, Decl, Fn, Program, Src, const_int, exit_with, syscall_asm

NAKED = Type.function((), NORETURN, "Naked")
START = Decl(1, "start")
MAIN = Decl(2, "main")


@dataclass
class Body:
    """Appends instructions; every method returns the new instruction."""

    s: Src
    insts: list[AirInst] = field(default_factory=list)

    def add(self, inst: AirInst) -> AirInst:
        self.insts.append(inst)
        return inst

    def arg(self, ty: Type, index: int) -> AirInst:
        return self.add(Arg(AirTag.ARG, ty, self.s(), name=f"p{index}", index=index))

    def bin(self, tag: AirTag, ty: Type, lhs: Operand, rhs: Operand, *, safety: bool = False) -> AirInst:
        return self.add(BinOp(tag, ty, self.s(), lhs=lhs, rhs=rhs, safety=safety))

    def un(self, tag: AirTag, ty: Type, operand: Operand, *, safety: bool = False) -> AirInst:
        return self.add(UnOp(tag, ty, self.s(), operand=operand, safety=safety))

    def alloc(self, elem: Type) -> AirInst:
        return self.add(NoOp(AirTag.ALLOC, Type.single_mut_pointer(elem), self.s()))

    def store(self, ptr: Operand, value: Operand) -> AirInst:
        return self.bin(AirTag.STORE, VOID, ptr, value)

    def load(self, ptr: Operand) -> AirInst:
        return self.un(AirTag.LOAD, ptr.ty.pointee(), ptr)

    def call(self, callee: Decl | Operand, fty: Type, args: Sequence[Operand]) -> AirInst:
        func = Constant(fty, FunctionValue(Fn(callee)), self.s()) if isinstance(callee, Decl) else callee
        return self.add(Call(AirTag.CALL, fty.fn_return_type(), self.s(), func=func, args=list(args)))

    def ret(self, value: Operand | None = None) -> AirInst:
        if value is None:
            return self.add(NoOp(AirTag.RETVOID, NORETURN, self.s()))
        return self.un(AirTag.RET, NORETURN, value)

    def write(self, slot: Operand, size: int) -> None:
        """write(1, slot, size): the bytes of a stack variable to stdout."""
        p = self.un(AirTag.PTRTOINT, USIZE, slot)
        self.add(
            syscall_asm(self.s(), ["{rax}", "{rdi}", "{rsi}", "{rdx}"], [c(USIZE, 1), c(USIZE, 1), p, c(USIZE, size)])
        )

    def out(self, ty: Type, value: Operand) -> None:
        """Write ``value`` (its whole container) to stdout through a new stack slot."""
        slot = self.alloc(ty)
        self.store(slot, value)
        self.write(slot, ty.abi_size())


def c(ty: Type, value: int) -> Constant:
    return const_int(ty, value)


def named(tag: TypeTag) -> Type:
    return Type.named(tag)


def program_with_main(s: Src, main: Body, others: list[tuple[Decl, Type, list[AirInst]]]) -> Program:
    """``_start`` calls ``main() void`` then exits 0."""
    mty = Type.function((), VOID)
    start = Body(s)
    start.call(MAIN, mty, [])
    start.insts += exit_with(c(USIZE, 0), s())
    return Program(functions=[(START, NAKED, start.insts), (MAIN, mty, main.insts), *others])


def ints(out: bytes, sizes: list[tuple[int, bool]]) -> list[int]:
    """Decode consecutive little-endian integers of the given (size, signed)."""
    vals = []
    pos = 0
    for size, signed in sizes:
        vals.append(int.from_bytes(out[pos : pos + size], "little", signed=signed))
        pos += size
    assert pos == len(out), (pos, len(out))
    return vals


__all__ = ["MAIN", "NAKED", "START", "Body", "IntValue", "c", "ints", "named", "program_with_main"]
