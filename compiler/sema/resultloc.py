"""Result locations: ``ret_ptr``, ``coerce_result_ptr``, ``coerce_result_block_ptr``, the bitcast pointers and
``alloc_inferred`` (docs/design/language-complete.md §8)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.air import AirTag, BinOp, Constant, NoOp, Operand, UnOp
from compiler.sema import memory
from compiler.sema import types as t
from compiler.sema import values as v
from compiler.sema.types import Type, TypeClass

if TYPE_CHECKING:
    from compiler.sema.analyze import Sema
    from compiler.zir.ast import Inst

INFERRED_PLACEHOLDER: Final = Type.single_mut_pointer(t.U8)
"""The type an ``alloc_inferred`` carries until its first store gives it one (never observable)."""


def analyze_ret_ptr(s: Sema, inst: Inst) -> Operand:
    """The function's single return slot: one ``alloc`` of the return type, placed after the parameters."""
    b = s.require_block()
    if s.ret_slot is not None:
        return s.ret_slot
    ret_ty = b.fn.fn_type.fn_return_type()
    slot = NoOp(AirTag.ALLOC, Type.single_mut_pointer(ret_ty), s.own(inst))
    memory.check_runtime_types(s, slot)
    root = b
    while root.parent is not None:
        root = root.parent
    at = 0
    while at < len(root.insts) and root.insts[at].tag is AirTag.ARG:
        at += 1
    root.insts.insert(at, slot)
    s.ret_slot = slot
    return slot


def analyze_coerce_result_ptr(s: Sema, inst: Inst) -> Operand:
    dest = s.resolve_type(inst.operand("lhs"))
    ptr = s.require_pointer(inst.operand("rhs"))
    pointee = ptr.ty.elem_type()
    if pointee == dest:
        return ptr
    if pointee.zig_type_tag() is TypeClass.OPTIONAL and pointee.optional_child() == dest:
        return _optional_payload_ptr_set(s, inst, ptr, dest)
    s.fail(s.own(inst), f"expected {pointee}, found {dest}")


def _optional_payload_ptr_set(s: Sema, inst: Inst, ptr: Operand, payload: Type) -> Operand:
    """Zig's ``optional_payload_ptr_set``: the optional becomes non-null (payload undefined), then its payload."""
    own = s.own(inst)
    result_ty = Type.single_mut_pointer(payload)
    opt_ty = ptr.ty.elem_type()
    pval = ptr.val if isinstance(ptr, Constant) else None
    if isinstance(pval, v.CellPtr):
        pval.cell.value = v.UNDEF
        return s.const(result_ty, pval)
    wrapped = s.add_inst(UnOp(AirTag.WRAP_OPTIONAL, opt_ty, own, operand=Constant(payload, v.UNDEF, own)))
    s.add_inst(BinOp(AirTag.STORE, t.VOID, own, lhs=ptr, rhs=wrapped))
    return s.add_inst(UnOp(AirTag.UNWRAP_OPTIONAL, result_ty, own, operand=ptr))


def analyze_coerce_result_block_ptr(s: Sema, inst: Inst) -> Operand:
    dest = s.resolve_type(inst.operand("dest_type"))
    b = s.require_block()
    label = inst.label("block")
    if b.find_label(label.block) is None:
        text = label.text.decode("utf-8", "surrogateescape")
        s.fail(s.own(inst), f"break target '{text}' is not an enclosing block")
    return s.add_inst(NoOp(AirTag.ALLOC, Type.single_mut_pointer(dest), s.own(inst)))


def analyze_bitcast_ptr(s: Sema, inst: Inst) -> Operand:
    """``bitcast_result_ptr`` and ``bitcast_lvalue``: the pointer itself."""
    return s.require_pointer(inst.operand("operand"))


def analyze_alloc_inferred(s: Sema, inst: Inst) -> Operand:
    """A stack slot typed by its first store (``Sema.infer_alloc``)."""
    s.require_block()
    slot = s.add_inst(NoOp(AirTag.ALLOC, INFERRED_PLACEHOLDER, s.own(inst)))
    s.inferred_pending.add(slot)
    return slot


def infer_alloc(s: Sema, slot: Operand, value: Operand, store_src: int) -> None:
    """The first store through an inferred allocation fixes its element type."""
    if value.ty.tag is t.TypeTag.COMPTIME_INT:
        s.fail(store_src, "variable of type 'comptime_int' must be const or comptime")
    assert not isinstance(slot, Constant)
    slot.ty = Type.single_mut_pointer(value.ty)
    s.inferred_pending.discard(slot)
    memory.check_runtime_types(s, slot)
