"""Compile-time memory and the runtime-type rule: dereferencing, indexing and storing through compile-time
pointers (docs/design/language-complete.md §6–§7), and the permanent errors of §12 for runtime instructions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler import air
from compiler.air import AirInst, AirTag
from compiler.errors import AnalysisFail
from compiler.sema import values as v
from compiler.sema.types import Type, TypeClass, TypeTag

if TYPE_CHECKING:
    from compiler.sema.analyze import Sema


def payload_pointer(s: Sema, ptr: v.Value, val: v.Value) -> v.Value:
    """A compile-time pointer to the payload of the optional that ``ptr`` points at (value ``val``).

    A non-null optional's value is its payload's, so a pointer into compile-time memory serves for both."""
    if isinstance(ptr, v.CellPtr):
        return ptr
    return v.RefVal(val)


def pointer_deref(s: Sema, val: v.Value) -> v.Value:
    """The compile-time value a compile-time pointer points at (§8.2); fails without message if unknown."""
    if isinstance(val, v.RefVal):
        return val.value
    if isinstance(val, v.CellPtr):
        return val.cell.value
    if isinstance(val, v.DeclRef):
        tv = getattr(val.decl, "typed_value", None)
        if not isinstance(tv, v.TypedValue):
            raise AnalysisFail()
        return tv.val
    if isinstance(val, v.ElemPtr):
        arr = pointer_deref(s, val.array_ptr)
        if isinstance(arr, v.Bytes):
            if 0 <= val.index < len(arr.data):
                return v.IntValue(arr.data[val.index])
            if val.index == len(arr.data):
                return v.IntValue(0)
        if isinstance(arr, v.Repeated):
            return arr.value
        if isinstance(arr, v.Aggregate) and 0 <= val.index < len(arr.elems):
            return arr.elems[val.index]
        if isinstance(arr, v.Undef):
            return arr
    s.fail(s.cur_src, "unable to dereference a comptime value")


def array_elements(s: Sema, val: v.Value, length: int) -> list[v.Value]:
    """The elements of a compile-time array value of ``length`` elements."""
    if isinstance(val, v.Bytes):
        return [v.IntValue(b) for b in val.data[:length]]
    if isinstance(val, v.Aggregate):
        return list(val.elems)
    if isinstance(val, v.Repeated | v.Undef):
        return [val.value if isinstance(val, v.Repeated) else val] * length
    if isinstance(val, v.EmptyArray):
        return []
    s.fail(s.cur_src, "unable to resolve comptime value")


def array_length_of(s: Sema, ptr: v.Value) -> int:
    """The length of the compile-time array a compile-time slice or array pointer points at."""
    if isinstance(ptr, v.DeclRef):
        tv = getattr(ptr.decl, "typed_value", None)
        if isinstance(tv, v.TypedValue) and tv.ty.zig_type_tag() is TypeClass.ARRAY:
            return tv.ty.array_len()
    if isinstance(ptr, v.CellPtr) and ptr.cell.ty.zig_type_tag() is TypeClass.ARRAY:
        return ptr.cell.ty.array_len()
    target = pointer_deref(s, ptr)
    if isinstance(target, v.Bytes):
        return len(target.data)
    if isinstance(target, v.Aggregate):
        return len(target.elems)
    s.fail(s.cur_src, "unable to resolve comptime value")


def store_comptime(s: Sema, ptr: v.Value | None, value: v.Value) -> bool:
    """Store ``value`` through a pointer into compile-time memory; False when ``ptr`` is not one."""
    if isinstance(ptr, v.CellPtr):
        ptr.cell.value = value
        return True
    if isinstance(ptr, v.ElemPtr) and isinstance(ptr.array_ptr, v.CellPtr):
        cell = ptr.array_ptr.cell
        elems = array_elements(s, cell.value, cell.ty.array_len())
        if not 0 <= ptr.index < len(elems):
            return False
        elems[ptr.index] = value
        cell.value = v.Aggregate(tuple(elems))
        return True
    return False


def check_runtime_types(s: Sema, inst: AirInst) -> None:
    """The permanent errors of language-complete.md §12 for a runtime instruction's types."""
    types = [inst.ty, *[op.ty for op in inst.operands()]]
    if inst.tag is AirTag.ALLOC:
        types.append(inst.ty.elem_type())
    if isinstance(inst, air.Call):
        fty = inst.func.ty
        types += fty.fn_param_types()
        types.append(fty.fn_return_type())
    for ty in types:
        if ty.tag in _MAY_BE_REJECTED:  # the common case (ints, pointers, void) costs one set lookup
            msg = _rejection(ty)
            if msg is not None:
                s.fail(inst.src, msg)


_MAY_BE_REJECTED: Final = frozenset(
    {
        TypeTag.F16,
        TypeTag.F32,
        TypeTag.F64,
        TypeTag.F128,
        TypeTag.C_LONGDOUBLE,
        TypeTag.COMPTIME_FLOAT,
        TypeTag.INT_SIGNED,
        TypeTag.INT_UNSIGNED,
        TypeTag.ARRAY,
        TypeTag.ARRAY_U8_SENTINEL_0,
        TypeTag.OPTIONAL,
        TypeTag.OPTIONAL_SINGLE_CONST_POINTER,
        TypeTag.OPTIONAL_SINGLE_MUT_POINTER,
    }
)
"""Tags of the types §12 can reject (floats, integers of any width) or looks inside (arrays, optionals); the
rule passes every type of any other tag (tests/compiler/sema/test_runtime_types.py checks this)."""


def runtime_type_error(ty: Type) -> str | None:
    """The §12 message when values of ``ty`` cannot exist at runtime (floats, integers wider than 64 bits)."""
    return _rejection(ty) if ty.tag in _MAY_BE_REJECTED else None


def _rejection(ty: Type) -> str | None:
    """``runtime_type_error`` without its shortcut."""
    inner = ty
    while inner.zig_type_tag() in (TypeClass.OPTIONAL, TypeClass.ARRAY):
        inner = inner.optional_child() if inner.zig_type_tag() is TypeClass.OPTIONAL else inner.elem_type()
    if inner.is_float() or inner.tag is TypeTag.COMPTIME_FLOAT:
        return f"floating-point type '{ty}' is not supported at runtime"
    if inner.is_int() and inner.int_info()[1] > 64:
        return f"integer type '{ty}' wider than 64 bits is not supported at runtime"
    return None


COMPTIME_ONLY: Final = frozenset(
    {TypeTag.TYPE, TypeTag.COMPTIME_INT, TypeTag.COMPTIME_FLOAT, TypeTag.NULL, TypeTag.UNDEFINED}
)
"""Types whose values exist only during analysis (language-complete.md §9)."""


def param_type_error(ty: Type) -> str | None:
    """The §9 message for a runtime parameter of ``ty`` (opaque or compile-time-only), or None."""
    if ty.tag is TypeTag.C_VOID:
        return f"parameter of opaque type '{ty}' not allowed"
    if ty.tag in COMPTIME_ONLY:
        return f"parameter of type '{ty}' must be declared comptime"
    return None
