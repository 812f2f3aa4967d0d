"""The System V calling convention as ZIR Live uses it, the linker-address view, and DWARF types
(x86_64.md §4.3; elf-linker.md §14.3)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import lru_cache
from typing import Final, Generic, Protocol, TypeVar

from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64.mcvalue import MCValue
from compiler.codegen.x86_64.registers import PARAM_REGS, Register
from compiler.link import BaseTypeEncoding, DebugType, DeclIndex
from compiler.record import frozen_delattr, frozen_setattr, record_eq, record_hash, record_repr
from compiler.sema.types import Type, TypeClass, TypeTag


class AddressView(Protocol):
    """What code generation asks the linker; the linker satisfies it (architecture.md §4)."""

    def got_address(self, decl: DeclIndex) -> int:
        """``0x4000000 + 8 * got_index`` of ``decl`` (reserved before any code referring to it)."""
        ...

    def decl_address(self, decl: DeclIndex) -> int | None:
        """The current address of ``decl``'s block, or None before it is placed."""
        ...


class ReturnKind(enum.Enum):
    """How a function returns its value (docs/design/language-complete.md §11)."""

    NONE = "none"
    """No runtime bits."""
    UNREACH = "unreach"
    """``noreturn``, or a Naked function."""
    REGS = "regs"
    """In ``rax`` (≤ 8 bytes) or ``rax``:``rdx`` (9–16 bytes)."""
    MEMORY = "memory"
    """Through the hidden result pointer passed in ``rdi`` (and returned in ``rax``)."""


class ParamLoc:
    """Where one parameter travels: its eightbytes' registers, or at ``stack`` bytes into the stack-argument
    area (the callee sees it at ``[rbp + 16 + stack]``); neither for a parameter without runtime bits."""

    regs: tuple[Register, ...]
    stack: int | None

    __slots__ = ("regs", "stack")
    __match_args__ = ("regs", "stack")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, regs: tuple[Register, ...] = (), stack: int | None = None) -> None:
        object.__setattr__(self, "regs", regs)
        object.__setattr__(self, "stack", stack)

    def __repr__(self) -> str:
        return record_repr(self, ("regs", "stack"))

    def __eq__(self, other: object) -> bool:
        if type(other) is ParamLoc:
            return (self.regs, self.stack) == (other.regs, other.stack)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.regs, self.stack))

    @property
    def has_bits(self) -> bool:
        """The parameter takes a register or stack space."""
        return bool(self.regs) or self.stack is not None


_CALLING_CONVENTION_FIELDS: Final = ("params", "ret", "ret_regs", "stack_size")


class CallingConvention:
    """Where a function's parameters and return value live (System V, §11)."""

    params: tuple[ParamLoc, ...]
    ret: ReturnKind
    ret_regs: tuple[Register, ...]
    stack_size: int
    """Bytes of stack arguments (each rounded to 8), before the 16-byte alignment of the area."""

    __slots__ = ("params", "ret", "ret_regs", "stack_size")
    __match_args__ = ("params", "ret", "ret_regs", "stack_size")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self, params: tuple[ParamLoc, ...], ret: ReturnKind, ret_regs: tuple[Register, ...] = (), stack_size: int = 0
    ) -> None:
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "ret", ret)
        object.__setattr__(self, "ret_regs", ret_regs)
        object.__setattr__(self, "stack_size", stack_size)

    def __repr__(self) -> str:
        return record_repr(self, _CALLING_CONVENTION_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _CALLING_CONVENTION_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _CALLING_CONVENTION_FIELDS)

    @property
    def return_value(self) -> MCValue:
        """The MCValue of a returned value as x86_64.md §4.3 names it (first register, ``none``, ``unreach``)."""
        match self.ret:
            case ReturnKind.NONE:
                return mc.NONE
            case ReturnKind.UNREACH:
                return mc.UNREACH
            case ReturnKind.REGS | ReturnKind.MEMORY:
                return mc.register(Register.RAX)


def runtime_type_error(ty: Type) -> str | None:
    """The permanent error of §12 for a runtime value of ``ty``, or None."""
    t = ty
    while t.zig_type_tag() in (TypeClass.OPTIONAL, TypeClass.ARRAY):
        t = t.optional_child() if t.zig_type_tag() is TypeClass.OPTIONAL else t.elem_type()
    if t.zig_type_tag() in (TypeClass.FLOAT, TypeClass.COMPTIME_FLOAT):
        return f"floating-point type '{ty}' is not supported at runtime"
    if t.is_int() and t.int_info()[1] > 64:
        return f"integer type '{ty}' wider than 64 bits is not supported at runtime"
    return None


def eightbytes(ty: Type) -> int | None:
    """The number of INTEGER eightbytes of ``ty`` (0 without runtime bits), None for MEMORY (> 16 bytes)."""
    if not ty.has_code_gen_bits():
        return 0
    size = ty.abi_size()
    if size > 16:
        return None
    return (size + 7) // 8


def unsupported_calling_convention(cc: str) -> str:
    """The message for a calling convention x86_64 has no code for (docs/design/language-complete.md §9)."""
    if cc in ("Stdcall", "Fastcall", "Thiscall"):
        return f"callconv '{cc}' is only available on x86, not x86_64"
    if cc in ("APCS", "AAPCS", "AAPCSVFP"):
        return f"callconv '{cc}' is only available on ARM, not x86_64"
    if cc == "Vectorcall":
        return "callconv 'Vectorcall' is only available on x86 and AArch64, not x86_64"
    return f"callconv '{cc}' is not supported"


_IDENTITY_CACHE_MAX: Final = 4096
"""Entries of an identity cache before it is emptied (a long session keeps making new type objects)."""

R = TypeVar("R")


class _IdentityCache(Generic[R]):
    """Results by the type object's identity, checked before a by-value cache (hashing a function type hashes
    its parameter and return types). An entry keeps its type alive, so its id cannot be reused while cached."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: dict[int, tuple[Type, R]] = {}

    def get(self, ty: Type, compute: Callable[[Type], R]) -> R:
        hit = self.entries.get(id(ty))
        if hit is not None and hit[0] is ty:
            return hit[1]
        if len(self.entries) >= _IDENTITY_CACHE_MAX:
            self.entries.clear()
        found = compute(ty)
        self.entries[id(ty)] = (ty, found)
        return found


_CC_BY_ID: Final[_IdentityCache[CallingConvention | str]] = _IdentityCache()
_DEBUG_TYPE_BY_ID: Final[_IdentityCache[DebugType]] = _IdentityCache()


def resolve_calling_convention(fn_type: Type) -> CallingConvention | str:
    """The calling convention of ``fn_type`` (System V for Unspecified, C and Cold), or the message
    explaining why there is none.

    Asked twice per call site and function: looked up by the type object's identity first, then by value
    (``_IdentityCache``)."""
    return _CC_BY_ID.get(fn_type, _resolve_calling_convention)


@lru_cache(maxsize=1024)
def _resolve_calling_convention(fn_type: Type) -> CallingConvention | str:
    """``resolve_calling_convention`` by value. Cached: types are immutable values and so is the result."""
    cc = fn_type.fn_calling_convention()
    params = fn_type.fn_param_types()
    ret_ty = fn_type.fn_return_type()
    if cc == "Naked":
        if params:
            return "unable to use parameters with naked calling convention"
        return CallingConvention((), ReturnKind.UNREACH)
    if cc not in ("Unspecified", "C", "Cold"):
        return unsupported_calling_convention(cc)
    for ty in (*params, ret_ty):
        msg = runtime_type_error(ty)
        if msg is not None:
            return msg
    ret_regs: tuple[Register, ...]
    if ret_ty.zig_type_tag() is TypeClass.NO_RETURN:
        ret, ret_regs = ReturnKind.UNREACH, ()
    elif not ret_ty.has_code_gen_bits():
        ret, ret_regs = ReturnKind.NONE, ()
    else:
        n = eightbytes(ret_ty)
        if n is None:
            ret, ret_regs = ReturnKind.MEMORY, ()
        else:
            ret, ret_regs = ReturnKind.REGS, (Register.RAX, Register.RDX)[:n]
    free = list(PARAM_REGS[1:] if ret is ReturnKind.MEMORY else PARAM_REGS)
    locs: list[ParamLoc] = []
    stack = 0
    for ty in params:
        n = eightbytes(ty)
        if n == 0:
            locs.append(ParamLoc())
        elif n is not None and n <= len(free):
            locs.append(ParamLoc(regs=tuple(free[:n])))
            del free[:n]
        else:
            locs.append(ParamLoc(stack=stack))
            stack += (ty.abi_size() + 7) // 8 * 8
    return CallingConvention(tuple(locs), ret, ret_regs, stack)


def debug_type(ty: Type) -> DebugType:
    """How DWARF describes ``ty`` (elf-linker.md §14.3): by identity first, as ``resolve_calling_convention``."""
    return _DEBUG_TYPE_BY_ID.get(ty, _debug_type)


@lru_cache(maxsize=1024)
def _debug_type(ty: Type) -> DebugType:
    """``debug_type`` by value. Cached: both are immutable values."""
    if ty.tag is TypeTag.BOOL:
        return DebugType("bool", BaseTypeEncoding.BOOLEAN, 1)
    if ty.is_int():
        signed, _ = ty.int_info()
        enc_ = BaseTypeEncoding.SIGNED if signed else BaseTypeEncoding.UNSIGNED
        return DebugType(str(ty), enc_, ty.abi_size())
    return DebugType(str(ty), None, 0)
