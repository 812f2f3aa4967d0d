"""Optionals: ``isnull``/``isnonnull`` of an optional value and ``unwrap_optional_*`` of a pointer to one.

docs/design/language-complete.md §5: compile-time known optionals fold to constants; at runtime ``isnull`` /
``isnonnull`` take the optional *value* and ``unwrap_optional`` carries the null check as its safety flag
(``_safe`` only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.air import AirTag, Operand, UnOp
from compiler.sema import coerce as co
from compiler.sema import memory
from compiler.sema import types as t
from compiler.sema import values as v
from compiler.sema.types import Type, TypeClass

if TYPE_CHECKING:
    from compiler.sema.analyze import Sema
    from compiler.zir.ast import Inst


def _is_null_check(s: Sema, inst: Inst, want_null: bool) -> Operand:
    x = s.resolve(inst.operand("operand"))
    if x.ty.zig_type_tag() is not TypeClass.OPTIONAL:
        s.fail(s.own(inst), f"expected optional type, found {x.ty}")
    val = co.comptime_value(x)
    if val is not None and not isinstance(val, v.Undef):
        is_null = isinstance(val, v.NullValue)
        return s.const(t.BOOL, v.BoolValue(is_null == want_null))
    tag = AirTag.ISNULL if want_null else AirTag.ISNONNULL
    return s.add_inst(UnOp(tag, t.BOOL, s.own(inst), operand=x))


def analyze_isnull(s: Sema, inst: Inst) -> Operand:
    return _is_null_check(s, inst, True)


def analyze_isnonnull(s: Sema, inst: Inst) -> Operand:
    return _is_null_check(s, inst, False)


def _unwrap_optional(s: Sema, inst: Inst, safe: bool) -> Operand:
    ptr = s.require_pointer(inst.operand("operand"))
    opt = ptr.ty.elem_type()
    if opt.zig_type_tag() is not TypeClass.OPTIONAL:
        s.fail(s.own(inst), f"expected optional type, found {opt}")
    child = opt.optional_child()
    result_ty = Type.single_const_pointer(child) if ptr.ty.is_const_ptr() else Type.single_mut_pointer(child)
    pval = co.comptime_value(ptr)
    if pval is not None and not isinstance(pval, v.Undef):
        val = memory.pointer_deref(s, pval)
        if isinstance(val, v.NullValue):
            s.fail(s.own(inst), "unable to unwrap null")
        return s.const(result_ty, memory.payload_pointer(s, pval, val))
    s.require_block()
    return s.add_inst(UnOp(AirTag.UNWRAP_OPTIONAL, result_ty, s.own(inst), operand=ptr, safety=safe))


def analyze_unwrap_optional_safe(s: Sema, inst: Inst) -> Operand:
    return _unwrap_optional(s, inst, True)


def analyze_unwrap_optional_unsafe(s: Sema, inst: Inst) -> Operand:
    return _unwrap_optional(s, inst, False)
