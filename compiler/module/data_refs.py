"""Pointers to compile-time values (``ref_val``) in a data decl become pointers to anonymous data decls that
hold those values, so the data decl's bytes are a relocated decl address (docs/design/language-complete.md §9)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.codegen.x86_64.consts import value_bytes
from compiler.errors import CodegenFailure, ErrorMsg
from compiler.sema.types import Type, TypeClass, TypeTag
from compiler.sema.values import Aggregate, Bytes, DeclRef, EmptyArray, RefVal, TypedValue, Value

if TYPE_CHECKING:
    from compiler.module.decl import Decl
    from compiler.module.module import Module

U8: Final = Type.named(TypeTag.U8)


def with_anon_refs(m: Module, owner: Decl, tv: TypedValue, src: int) -> TypedValue:
    """``tv`` with a top-level ``ref_val`` (a pointer, a slice or an optional pointer) replaced by a pointer to
    an anonymous decl of ``owner`` holding the value."""
    ty, val = tv.ty, tv.val
    if not isinstance(val, RefVal):
        return tv
    ptr_ty = ty.optional_child() if ty.zig_type_tag() is TypeClass.OPTIONAL else ty
    if ptr_ty.zig_type_tag() is not TypeClass.POINTER:
        return tv
    pointee = _pointee_type(ptr_ty, val.value)
    data = None if pointee is None else value_bytes(pointee, val.value)
    if pointee is None or data is None:
        raise CodegenFailure(ErrorMsg(src, f"unable to lay out the pointer {val.render()} in data"))
    target = TypedValue(pointee, val.value)
    anon = _reuse(owner, data, target)
    if anon is None:
        anon = m.anon_decl(owner, data, target)
    m.declare_dependency(owner, anon)
    return TypedValue(ty, DeclRef(anon))


def _pointee_type(ptr_ty: Type, val: Value) -> Type | None:
    """The type of the value a pointer of ``ptr_ty`` points at (a slice: the array of its elements)."""
    if ptr_ty.is_single_pointer():
        return ptr_ty.pointee()
    if not ptr_ty.is_slice():
        return None
    if isinstance(val, Bytes):
        n = len(val.data)
    elif isinstance(val, Aggregate):
        n = len(val.elems)
    elif isinstance(val, EmptyArray):
        n = 0
    else:
        return None
    elem = ptr_ty.elem_type()
    sentinel = ptr_ty.sentinel
    if elem == U8 and sentinel is not None and getattr(sentinel, "value", None) == 0:
        return Type.array_u8_sentinel_0(n)
    return Type.array(elem, n)


def _reuse(owner: Decl, data: bytes, target: TypedValue) -> Decl | None:
    """A live anonymous decl ``owner`` already made for this value (code generated again without analysis)."""
    for a in owner.anon_created:
        if not a.is_retired and not a.destroyed and a.bytes == data and a.typed_value == target:
            return a
    return None
