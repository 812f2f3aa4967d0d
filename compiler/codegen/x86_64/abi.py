"""The System V calling convention as ZIR Live uses it, the linker-address view, and DWARF types
(x86_64.md §4.3; elf-linker.md §14.3)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64.mcvalue import MCValue
from compiler.codegen.x86_64.registers import PARAM_REGS, Register
from compiler.link import BaseTypeEncoding, DebugType, DeclIndex
from compiler.sema.types import Type, TypeClass, TypeTag


class AddressView(Protocol):
    """What code generation asks the linker; the linker satisfies it (architecture.md §4)."""

    def got_address(self, decl: DeclIndex) -> int:
        """``0x4000000 + 8 * got_index`` of ``decl`` (reserved before any code referring to it)."""
        ...

    def decl_address(self, decl: DeclIndex) -> int | None:
        """The current address of ``decl``'s block, or None before it is placed."""
        ...


@dataclass(frozen=True, slots=True)
class CallingConvention:
    """Where a function's parameters and return value live (§4.3). ``args[i]`` is None for a parameter
    passed in memory (the seventh and later)."""

    args: tuple[MCValue | None, ...]
    return_value: MCValue


@lru_cache(maxsize=1024)
def resolve_calling_convention(fn_type: Type) -> CallingConvention | str:
    """The calling-convention values of ``fn_type``, or the message explaining why there are none.

    Cached: types are immutable values and the result is immutable (asked twice per call site and function)."""
    cc = fn_type.fn_calling_convention()
    params = fn_type.fn_param_types()
    ret_ty = fn_type.fn_return_type()
    if cc == "Naked":
        if params:
            return "unable to use parameters with naked calling convention"
        return CallingConvention((), mc.UNREACH)
    if cc not in ("Unspecified", "C"):
        return f"TODO implement function parameters for {cc}"
    args: list[MCValue | None] = []
    for i, ty in enumerate(params):
        cls = ty.zig_type_tag()
        if cls not in (TypeClass.INT, TypeClass.BOOL):
            return f"TODO implement function parameters of type {cls.value}"
        args.append(mc.register(PARAM_REGS[i]) if i < len(PARAM_REGS) else None)
    if ret_ty.zig_type_tag() is TypeClass.NO_RETURN:
        ret = mc.UNREACH
    elif not ret_ty.has_code_gen_bits():
        ret = mc.NONE
    elif ret_ty.abi_size() > 8:
        return f"TODO implement function return values for {cc}"
    else:
        ret = mc.register(Register.RAX)
    return CallingConvention(tuple(args), ret)


@lru_cache(maxsize=1024)
def debug_type(ty: Type) -> DebugType:
    """How DWARF describes ``ty`` (elf-linker.md §14.3). Cached: both are immutable values."""
    if ty.tag is TypeTag.BOOL:
        return DebugType("bool", BaseTypeEncoding.BOOLEAN, 1)
    if ty.is_int():
        signed, _ = ty.int_info()
        enc_ = BaseTypeEncoding.SIGNED if signed else BaseTypeEncoding.UNSIGNED
        return DebugType(str(ty), enc_, ty.abi_size())
    return DebugType(str(ty), None, 0)
