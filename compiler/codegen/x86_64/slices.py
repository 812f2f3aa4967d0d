"""Slices built at run time: a ``*[N]T → []T`` coercion and a compile-time slice constant become a 16-byte
stack slot holding the element address then the length (docs/design/language-complete.md §6, §9)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.air import UnOp
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64.mcvalue import MCValue
from compiler.sema.types import Type, TypeClass, TypeTag
from compiler.sema.values import Aggregate, Bytes, DeclRef, EmptyArray, RefVal, TypedValue, Value

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen

USIZE: Final = Type.named(TypeTag.USIZE)


def is_array_to_slice(inst: UnOp) -> bool:
    """A ``bitcast`` from a single pointer to an array into a slice (sema's runtime coercion)."""
    src = inst.operand.ty
    return inst.ty.is_slice() and src.is_single_pointer() and src.pointee().zig_type_tag() is TypeClass.ARRAY


def store_slice(fg: FunctionGen, slice_ty: Type, ptr_ty: Type, ptr: MCValue, length: int) -> MCValue:
    """A new slot of ``slice_ty`` holding ``ptr`` (of type ``ptr_ty``) at offset 0 and ``length`` at 8."""
    offset = fg.alloc_mem(slice_ty)
    # the slot is [rbp - (offset + 16)]: its first eightbyte is the 8-byte slot at offset + 8
    fg.gen_set_stack(ptr_ty, offset + 8, ptr)
    fg.gen_set_stack(USIZE, offset, mc.immediate(length))
    return mc.stack_offset(offset)


def gen_array_to_slice(fg: FunctionGen, inst: UnOp) -> MCValue:
    """``*[N]T → []T``: ptr = the array's address, len = N (the sentinel is not an element)."""
    arr_ptr = inst.operand.ty
    return store_slice(fg, inst.ty, arr_ptr, fg.mcv(inst.operand), arr_ptr.pointee().array_len())


def slice_array_len(val: Value) -> int | None:
    """The element count of the array a compile-time slice points at (sema keeps the array pointer as the
    slice's value; language-complete §6), or None when it is not known here."""
    if isinstance(val, DeclRef):
        tv = getattr(val.decl, "typed_value", None)
        if isinstance(tv, TypedValue) and tv.ty.zig_type_tag() is TypeClass.ARRAY:
            return tv.ty.array_len()
    if isinstance(val, RefVal):
        if isinstance(val.value, Bytes):
            return len(val.value.data)
        if isinstance(val.value, Aggregate):
            return len(val.value.elems)
        if isinstance(val.value, EmptyArray):
            return 0
    return None
