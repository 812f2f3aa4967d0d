"""Type constructors ``inttype``/``ptr_type``, element and field pointers, and ``array_cat``/``array_mul``.

docs/design/language-complete.md §2 (``inttype``) and §6 (pointers of every size, ``elemptr`` with its bound,
slices' ``len``/``ptr``, compile-time array concatenation and repetition).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.air import AirTag, BinOp, Constant, Operand, UnOp
from compiler.sema import coerce as co
from compiler.sema import memory
from compiler.sema import types as t
from compiler.sema import values as v
from compiler.sema.types import Type, TypeClass, TypeTag

if TYPE_CHECKING:
    from compiler.sema.analyze import Sema
    from compiler.zir.ast import Inst

U16: Final = Type.named(TypeTag.U16)


def _const_int(s: Sema, op: Inst, ty: Type) -> int:
    x = co.coerce(s, ty, s.resolve(op))
    val = s.resolve_const_value(x, x.src)
    assert isinstance(val, v.IntValue)
    return val.value


def analyze_inttype(s: Sema, inst: Inst) -> Operand:
    signed_x = co.coerce(s, t.BOOL, s.resolve(inst.operand("signed")))
    signed = s.resolve_const_value(signed_x, signed_x.src)
    bits = _const_int(s, inst.operand("bits"), U16)
    assert isinstance(signed, v.BoolValue)
    return s.const_type(Type.int_type_named(signed.value, bits))


def analyze_ptr_type(s: Sema, inst: Inst) -> Operand:
    child = s.resolve_type(inst.operand("child_type"))
    size = inst.word("size")
    own = s.own(inst)
    if size == "C":
        s.fail(own, "C pointers are not supported")
    if inst.boolean("allowzero"):
        s.fail(own, "allowzero pointers are not supported")
    align_op = inst.opt_operand("align")
    if align_op is not None and _const_int(s, align_op, t.COMPTIME_INT) != child.abi_alignment():
        s.fail(s.op_src(align_op), "pointer alignment other than the natural alignment is not supported")
    if inst.opt_operand("align_bit_start") is not None or inst.opt_operand("align_bit_end") is not None:
        s.fail(own, "bit-pointers are not supported")
    sentinel: v.Value | None = None
    sentinel_op = inst.opt_operand("sentinel")
    if sentinel_op is not None:
        if size == "One":
            s.fail(s.op_src(sentinel_op), "sentinels are only allowed on slices and unknown-length pointers")
        x = co.coerce(s, child, s.resolve(sentinel_op))
        sentinel = s.resolve_const_value(x, x.src)
    const = inst.boolean("const")
    return s.const_type(Type.pointer(child, size, const=const, volatile=inst.boolean("volatile"), sentinel=sentinel))


# ---- elemptr -------------------------------------------------------------------------------------------


def _indexable(ty: Type) -> tuple[Type, bool, int | None, bool] | None:
    """(element type, const, compile-time bound, has a bound) of an operand ``elemptr`` can index, else None."""
    if ty.is_single_pointer():
        pointee = ty.pointee()
        if pointee.zig_type_tag() is TypeClass.ARRAY:
            return pointee.elem_type(), ty.is_const_ptr(), pointee.array_len(), True
        if pointee.is_slice() or pointee.is_many_pointer():
            return pointee.elem_type(), pointee.is_const_ptr(), None, pointee.is_slice()
        return None
    if ty.is_slice() or ty.is_many_pointer():
        return ty.elem_type(), ty.is_const_ptr(), None, ty.is_slice()
    return None


def analyze_elemptr(s: Sema, inst: Inst) -> Operand:
    base_op = inst.operand("array_ptr")
    base = s.resolve(base_op)
    index = co.coerce(s, t.USIZE, s.resolve(inst.operand("index")))
    info = _indexable(base.ty)
    if info is None:
        s.fail(s.op_src(base_op), f"element access of non-indexable type '{base.ty}'")
    elem, const, bound, has_bound = info
    result_ty = Type.single_const_pointer(elem) if const else Type.single_mut_pointer(elem)
    ival = co.comptime_value(index)
    if isinstance(ival, v.IntValue) and bound is not None and ival.value >= bound:
        s.fail(s.own(inst), f"index {ival.value} outside array of length {bound}")
    pval = co.comptime_value(base)
    if pval is not None and isinstance(ival, v.IntValue) and not isinstance(pval, v.Undef):
        if base.ty.is_single_pointer() and base.ty.pointee().zig_type_tag() is not TypeClass.ARRAY:
            pval = memory.pointer_deref(s, pval)  # a pointer to a slice or many-pointer: index the pointee
        if isinstance(pval, v.ElemPtr):
            return s.const(result_ty, v.ElemPtr(pval.array_ptr, pval.index + ival.value))
        return s.const(result_ty, v.ElemPtr(pval, ival.value))
    return s.add_inst(BinOp(AirTag.ELEMPTR, result_ty, s.own(inst), lhs=base, rhs=index, safety=has_bound))


# ---- fieldptr ------------------------------------------------------------------------------------------


def analyze_fieldptr(s: Sema, inst: Inst) -> Operand:
    name_op = inst.operand("field_name")
    field_name = s.resolve_const_string(name_op)
    obj = s.require_pointer(inst.operand("object_ptr"))
    pointee = obj.ty.elem_type()
    text = field_name.decode("utf-8", "surrogateescape")
    if pointee.zig_type_tag() is TypeClass.ARRAY:
        if field_name == b"len":
            return s.const(Type.single_const_pointer(t.COMPTIME_INT), v.RefVal(v.IntValue(pointee.array_len())))
        s.fail(s.op_src(name_op), f"no member named '{text}' in '{pointee}'")
    if pointee.is_slice() and field_name in (b"len", b"ptr"):
        return _slice_field(s, inst, obj, pointee, field_name == b"len")
    if pointee.is_slice():
        s.fail(s.op_src(name_op), f"no member named '{text}' in '{pointee}'")
    s.fail(s.own(inst), f"type '{pointee}' does not support field access")


def _slice_field(s: Sema, inst: Inst, obj: Operand, slice_ty: Type, want_len: bool) -> Operand:
    """``*[]T`` → ``*const usize`` (``len``, at offset 8) or ``*const [*]T`` (``ptr``, at offset 0)."""
    many = Type.pointer(slice_ty.elem_type(), "Many", const=slice_ty.is_const_ptr(), sentinel=slice_ty.sentinel)
    field_ty = t.USIZE if want_len else many
    result_ty = Type.single_const_pointer(field_ty)
    pval = co.comptime_value(obj)
    if pval is not None and not isinstance(pval, v.Undef):
        slice_val = memory.pointer_deref(s, pval)
        if want_len:
            return s.const(result_ty, v.RefVal(v.IntValue(memory.array_length_of(s, slice_val))))
        return s.const(result_ty, v.RefVal(slice_val))
    # A slice is two usize words: ptr at 0, len at 8; the field pointer is an element pointer into that pair.
    words_ty = Type.single_const_pointer(Type.array(t.USIZE, 2))
    words = s.add_inst(UnOp(AirTag.BITCAST, words_ty, s.own(inst), operand=obj))
    if not want_len:
        return s.add_inst(UnOp(AirTag.BITCAST, result_ty, s.own(inst), operand=words))
    one = Constant(t.USIZE, v.IntValue(1), s.own(inst))
    return s.add_inst(BinOp(AirTag.ELEMPTR, result_ty, s.own(inst), lhs=words, rhs=one))


# ---- array_cat / array_mul -----------------------------------------------------------------------------

MAX_COMPTIME_ARRAY_LEN: Final = 1 << 24
"""The longest array ``array_cat`` and ``array_mul`` build at compile time (16 Mi elements, each a value):
``array_mul`` by 10^11 raised ``MemoryError`` (a traceback from ``zir build``), and a count that still fits in
memory took all of it (10^9 elements: some 16 GB)."""


def _check_length(s: Sema, inst: Inst, length: int) -> None:
    if length > MAX_COMPTIME_ARRAY_LEN:
        s.fail(
            s.own(inst),
            f"array of {length} elements is too large to build at compile time (at most {MAX_COMPTIME_ARRAY_LEN})",
        )


def _array_operand(s: Sema, op: Inst) -> tuple[Operand, Type, bool]:
    """The operand, its array type and whether it was a pointer to the array."""
    x = s.resolve(op)
    ty = x.ty
    if ty.zig_type_tag() is TypeClass.ARRAY:
        return x, ty, False
    if ty.is_single_pointer() and ty.pointee().zig_type_tag() is TypeClass.ARRAY:
        return x, ty.pointee(), True
    s.fail(s.op_src(op), f"expected array, found '{ty}'")


def _elements(s: Sema, x: Operand, array_ty: Type, is_ptr: bool) -> list[v.Value]:
    val = s.resolve_const_value(x, x.src)
    if is_ptr:
        val = memory.pointer_deref(s, val)
    return memory.array_elements(s, val, array_ty.array_len())


def _array_result(s: Sema, elem: Type, elems: list[v.Value], sentinel: bool, as_ptr: bool) -> Operand:
    if elem.tag is TypeTag.U8 and all(isinstance(e, v.IntValue) for e in elems):
        data = bytes(e.value for e in elems if isinstance(e, v.IntValue))
        array_ty = Type.array_u8_sentinel_0(len(data)) if sentinel else Type.array(elem, len(data))
        value: v.Value = v.Bytes(data)
        if as_ptr and sentinel:
            a = s.m.anon_decl(s.owner, data, v.TypedValue(array_ty, value))
            s.m.declare_dependency(s.owner, a)
            return s.const(Type.single_const_pointer(array_ty), v.DeclRef(a))
    else:
        array_ty = Type.array(elem, len(elems))
        value = v.Aggregate(tuple(elems)) if elems else v.EMPTY_ARRAY
    if as_ptr:
        return s.const(Type.single_const_pointer(array_ty), v.RefVal(value))
    return s.const(array_ty, value)


def analyze_array_cat(s: Sema, inst: Inst) -> Operand:
    lhs_op, rhs_op = inst.operand("lhs"), inst.operand("rhs")
    lhs, lty, lptr = _array_operand(s, lhs_op)
    rhs, rty, rptr = _array_operand(s, rhs_op)
    if lty.elem_type() != rty.elem_type():
        s.fail(s.op_src(rhs_op), f"expected array of '{lty.elem_type()}', found '{rty.elem_type()}'")
    _check_length(s, inst, lty.array_len() + rty.array_len())
    elems = _elements(s, lhs, lty, lptr) + _elements(s, rhs, rty, rptr)
    sentinel = lty.array_sentinel() is not None and rty.array_sentinel() is not None
    return _array_result(s, lty.elem_type(), elems, sentinel, lptr or rptr)


def analyze_array_mul(s: Sema, inst: Inst) -> Operand:
    lhs, lty, lptr = _array_operand(s, inst.operand("lhs"))
    count_x = co.coerce(s, t.USIZE, s.resolve(inst.operand("rhs")))
    count = s.resolve_const_value(count_x, count_x.src)
    assert isinstance(count, v.IntValue)
    _check_length(s, inst, lty.array_len() * count.value)
    elems = _elements(s, lhs, lty, lptr) * count.value
    return _array_result(s, lty.elem_type(), elems, lty.array_sentinel() is not None, lptr)
