"""Coercion, peer type resolution and comparisons (zir-language.md §9, §6.3; language-complete.md §4–§6, §9).

Every function takes a ``SemaContext``: the analysis scope that records errors (``fail`` never returns) and
appends runtime instructions to the current block (``add_inst`` fails with ``instruction illegal outside function
body`` at the instruction's ``src`` in a decl scope). Operands are AIR operands (``AirInst | Constant``) whose
``src`` is the absolute byte offset used for error positions.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, NoReturn, Protocol

from compiler.air import AirInst, AirTag, BinOp, Constant, Operand, UnOp
from compiler.sema import types as t
from compiler.sema import values as v
from compiler.sema.types import Type, TypeClass, TypeTag

if TYPE_CHECKING:
    from fractions import Fraction
from compiler.zir.bigint import format_decimal

CMP_OPS: Final = ("lt", "lte", "eq", "gte", "gt", "neq")
MAX_INT_BITS: Final = 65535


class SemaContext(Protocol):
    """The analysis scope coercion works in."""

    def fail(self, src: int, msg: str) -> NoReturn:
        """Record ``msg`` at absolute offset ``src`` in the owner's table and raise ``AnalysisFail``."""
        ...

    def add_inst(self, inst: AirInst) -> AirInst:
        """Append a runtime instruction to the current block (fails in a decl scope) and return it."""
        ...


# ---- compile-time knowledge ------------------------------------------------------------------------------


def comptime_value(op: Operand) -> v.Value | None:
    """The operand's compile-time value: a constant's, or the only value of its type (zir-language.md §7.4)."""
    if isinstance(op, Constant):
        return op.val
    return v.one_possible_value(op.ty)


def is_undef(op: Operand) -> bool:
    """Compile-time known and undefined."""
    return isinstance(comptime_value(op), v.Undef)


def int_fits(value: int, ty: Type) -> bool:
    """Whether integer ``value`` is representable in ``ty`` (``comptime_int`` holds everything)."""
    if ty.tag is TypeTag.COMPTIME_INT:
        return True
    signed, bits = ty.int_info()
    if signed:
        if bits == 0:
            return value == 0
        return -(1 << (bits - 1)) <= value < (1 << (bits - 1))
    return 0 <= value < (1 << bits)


def bit_count_twos_comp(value: int) -> int:
    """Bits needed to hold ``value`` in two's complement (Zig's ``intBitCountTwosComp``)."""
    if value >= 0:
        return value.bit_length()
    return (~value).bit_length() + 1


def round_float(value: float | Fraction | int, bits: int) -> float:
    """``value`` rounded to nearest-even in the IEEE format of ``bits`` (16, 32, 64; 128 is held at 64 bits)."""
    try:
        as_float = value if isinstance(value, float) else float(value)
    except OverflowError:
        return math.copysign(math.inf, value)
    fmt = {16: "<e", 32: "<f"}.get(bits)
    if fmt is None:
        return as_float
    try:
        return float(struct.unpack(fmt, struct.pack(fmt, as_float))[0])
    except OverflowError:
        return math.copysign(math.inf, as_float)


def _number(val: v.Value) -> int | float | None:
    if isinstance(val, v.IntValue):
        return val.value
    if isinstance(val, v.FloatValue):
        return val.value
    return None


# ---- coercion (§9.1) -----------------------------------------------------------------------------------


def coerce(ctx: SemaContext, dest: Type, x: Operand) -> Operand:
    """``coerce(dest, x)``; errors are positioned at ``x.src``."""
    src_ty = x.ty
    # 1, 2: equal types (in-memory coercible means equal here).
    if dest is src_ty or dest == src_ty:  # identity first: no method call for the common case
        return x
    value = comptime_value(x)
    # 3: undefined coerces to anything.
    if isinstance(value, v.Undef) or src_ty.tag is TypeTag.UNDEFINED:
        return Constant(dest, v.UNDEF, x.src)
    dest_class = dest.zig_type_tag()
    # 4, 5: optionals.
    if dest_class is TypeClass.OPTIONAL:
        if src_ty.tag is TypeTag.NULL:
            return Constant(dest, v.NULL_VALUE, x.src)
        child = dest.optional_child()
        if child == src_ty:
            return _wrap_optional(ctx, dest, x)
        num = coerce_num(ctx, child, x)
        if num is not None:
            return _wrap_optional(ctx, dest, num)
    # 6: *[N]T -> []T, *[N]T -> [*]T, and adding const to a pointer or slice (language-complete.md §6); a
    # runtime operand keeps its bits: a ``bitcast`` (code generation builds the slice from the array's length).
    if _pointer_coercible(dest, src_ty):
        if value is not None:
            return Constant(dest, value, x.src)
        return ctx.add_inst(UnOp(AirTag.BITCAST, dest, x.src, operand=x))
    # 7: compile-time numbers.
    num = coerce_num(ctx, dest, x)
    if num is not None:
        return num
    # 8: runtime integer widening.
    if value is None and dest.is_int() and src_ty.is_int():
        d_signed, d_bits = dest.int_info()
        s_signed, s_bits = src_ty.int_info()
        if (d_signed == s_signed and d_bits >= s_bits) or (d_signed and not s_signed and d_bits > s_bits):
            return ctx.add_inst(UnOp(AirTag.INTCAST, dest, x.src, operand=x))
    # 9: runtime float widening.
    if value is None and dest.is_float() and src_ty.is_float() and dest.float_bits() >= src_ty.float_bits():
        return ctx.add_inst(UnOp(AirTag.FLOATCAST, dest, x.src, operand=x))
    ctx.fail(x.src, f"expected {dest}, found {src_ty}")


def _pointer_coercible(dest: Type, src: Type) -> bool:
    """The pointer coercions of language-complete.md §6 (array pointer to slice / many-pointer, adding const)."""
    if dest.zig_type_tag() is not TypeClass.POINTER or src.zig_type_tag() is not TypeClass.POINTER:
        return False
    if src.is_const_ptr() and not dest.is_const_ptr():
        return False
    if dest.ptr_size() == src.ptr_size():
        return (
            dest.elem_type() == src.elem_type()
            and dest.sentinel == src.sentinel
            and dest.is_volatile == src.is_volatile
            and dest.is_const_ptr()
        )
    if src.is_single_pointer() and dest.ptr_size() in ("Many", "Slice"):
        pointee = src.pointee()
        if pointee.zig_type_tag() is not TypeClass.ARRAY or pointee.elem_type() != dest.elem_type():
            return False
        if dest.sentinel is None:
            return True
        return isinstance(dest.sentinel, v.IntValue) and pointee.array_sentinel() == dest.sentinel.value
    return False


def _wrap_optional(ctx: SemaContext, dest: Type, x: Operand) -> Operand:
    value = comptime_value(x)
    if value is not None:
        return Constant(dest, value, x.src)
    return ctx.add_inst(UnOp(AirTag.WRAP_OPTIONAL, dest, x.src, operand=x))


def coerce_num(ctx: SemaContext, dest: Type, x: Operand) -> Operand | None:
    """``coerceNum``: compile-time numbers only; None when it does not apply (§9.1 step 7)."""
    value = comptime_value(x)
    if value is None:
        return None
    src_class = x.ty.zig_type_tag()
    dest_class = dest.zig_type_tag()
    int_classes = (TypeClass.INT, TypeClass.COMPTIME_INT)
    float_classes = (TypeClass.FLOAT, TypeClass.COMPTIME_FLOAT)
    if src_class in int_classes and dest_class in int_classes:
        assert isinstance(value, v.IntValue)
        if not int_fits(value.value, dest):
            ctx.fail(x.src, f"type {x.ty} cannot represent integer value {format_decimal(value.value)}")
        return Constant(dest, value, x.src)
    if src_class in float_classes and dest_class in int_classes:
        assert isinstance(value, v.FloatValue)
        if value.value != math.floor(value.value):
            ctx.fail(
                x.src, f"fractional component prevents float value {value.render()} from being casted to type '{dest}'"
            )
        if math.isinf(value.value) or not int_fits(int(value.value), dest):
            ctx.fail(x.src, f"float value {value.render()} cannot be stored in integer type '{dest}'")
        return Constant(dest, v.IntValue(int(value.value)), x.src)
    if src_class in float_classes and dest_class in float_classes:
        assert isinstance(value, v.FloatValue)
        if dest_class is TypeClass.COMPTIME_FLOAT:
            return Constant(dest, v.FloatValue(value.value, 128), x.src)
        bits = dest.float_bits()
        converted = round_float(value.value, bits)
        if (math.isinf(converted) and not math.isinf(value.value)) or (bits == 16 and abs(value.value) > 65504.0):
            ctx.fail(x.src, f"cast of value {value.render()} to type '{dest}' loses information")
        return Constant(dest, v.FloatValue(converted, bits), x.src)
    if src_class in int_classes and dest_class in float_classes:
        assert isinstance(value, v.IntValue)
        bits = 128 if dest_class is TypeClass.COMPTIME_FLOAT else dest.float_bits()
        return Constant(dest, v.FloatValue(round_float(value.value, bits), bits), x.src)
    return None


# ---- peer types (§9.2) ---------------------------------------------------------------------------------


def resolve_peer_types(ctx: SemaContext, operands: Sequence[Operand]) -> Type:
    """Fold the operands' types left; ``incompatible types`` at the later element's ``src``."""
    if not operands:
        return t.NORETURN
    chosen = operands[0].ty
    for op in operands[1:]:
        candidate = op.ty
        if candidate == chosen:
            continue
        if chosen.tag is TypeTag.NORETURN:
            chosen = candidate
            continue
        if candidate.tag is TypeTag.NORETURN:
            continue
        if chosen.is_int() and candidate.is_int():
            c_signed, c_bits = chosen.int_info()
            n_signed, n_bits = candidate.int_info()
            if c_signed == n_signed:
                if n_bits > c_bits:
                    chosen = candidate
                continue
        if chosen.is_float() and candidate.is_float():
            if candidate.float_bits() > chosen.float_bits():
                chosen = candidate
            continue
        ctx.fail(op.src, f"incompatible types: '{chosen}' and '{candidate}'")
    return chosen


# ---- comparison (§6.3) ---------------------------------------------------------------------------------

_CMP_TAG: Final = {
    "lt": AirTag.CMP_LT,
    "lte": AirTag.CMP_LTE,
    "eq": AirTag.CMP_EQ,
    "gte": AirTag.CMP_GTE,
    "gt": AirTag.CMP_GT,
    "neq": AirTag.CMP_NEQ,
}


def compare(a: int | float, op: str, b: int | float) -> bool:
    """``a op b`` for one of the six comparison operators."""
    match op:
        case "lt":
            return a < b
        case "lte":
            return a <= b
        case "eq":
            return a == b
        case "gte":
            return a >= b
        case "gt":
            return a > b
        case "neq":
            return a != b
    raise AssertionError(op)


def analyze_cmp(ctx: SemaContext, op: str, lhs: Operand, rhs: Operand, src: int) -> Operand:
    """``cmp_<op>(lhs, rhs)``; every message at ``src`` (*own*)."""
    assert op in CMP_OPS
    equality = op in ("eq", "neq")
    lhs_class = lhs.ty.zig_type_tag()
    rhs_class = rhs.ty.zig_type_tag()
    null = TypeClass.NULL
    if equality and lhs_class is null and rhs_class is null:
        return Constant(t.BOOL, v.BoolValue(op == "eq"), src)
    if equality and (
        (lhs_class is null and rhs_class is TypeClass.OPTIONAL)
        or (rhs_class is null and lhs_class is TypeClass.OPTIONAL)
    ):
        optional = lhs if lhs_class is TypeClass.OPTIONAL else rhs
        opt_val = comptime_value(optional)
        if opt_val is not None:
            is_null = isinstance(opt_val, v.NullValue)
            return Constant(t.BOOL, v.BoolValue(is_null if op == "eq" else not is_null), src)
        tag = AirTag.ISNULL if op == "eq" else AirTag.ISNONNULL
        return ctx.add_inst(UnOp(tag, t.BOOL, src, operand=optional))
    if lhs_class is null or rhs_class is null:
        non_null = rhs.ty if lhs_class is null else lhs.ty
        ctx.fail(src, f"comparison of '{non_null}' with null")
    if lhs_class is TypeClass.ERROR_SET and rhs_class is TypeClass.ERROR_SET:
        if not equality:
            ctx.fail(src, f"{op} operator not allowed for errors")
        return _cmp_equality(ctx, op, lhs, rhs, src)
    if lhs.ty.is_numeric() and rhs.ty.is_numeric():
        return cmp_numeric(ctx, op, lhs, rhs, src)
    return _cmp_other(ctx, op, lhs, rhs, src)


_EQUALITY_CLASSES: Final = (TypeClass.BOOL, TypeClass.POINTER, TypeClass.FN, TypeClass.TYPE, TypeClass.VOID)


def _cmp_other(ctx: SemaContext, op: str, lhs: Operand, rhs: Operand, src: int) -> Operand:
    """Equality of bools, pointers, function values, optional pointers, types and void (language-complete.md §9)."""
    lty, rty = lhs.ty, rhs.ty
    cls = lty.zig_type_tag()
    same_class = cls is rty.zig_type_tag()
    comparable = same_class and (
        cls in _EQUALITY_CLASSES
        or (
            cls is TypeClass.OPTIONAL
            and lty.optional_child().is_pointer_like()
            and rty.optional_child().is_pointer_like()
        )
    )
    if comparable and cls is TypeClass.POINTER and lty != rty:
        if lty.with_const() != rty.with_const():
            comparable = False
        else:
            lhs = coerce(ctx, lty.with_const(), lhs)
            rhs = coerce(ctx, rty.with_const(), rhs)
    elif comparable and cls in (TypeClass.FN, TypeClass.OPTIONAL) and lty != rty:
        comparable = False
    if not comparable:
        ctx.fail(src, f"incompatible types: '{lty}' and '{rty}'")
    if op not in ("eq", "neq"):
        ctx.fail(src, f"operator {op} not allowed for type '{lty}'")
    return _cmp_equality(ctx, op, lhs, rhs, src)


def _cmp_equality(ctx: SemaContext, op: str, lhs: Operand, rhs: Operand, src: int) -> Operand:
    lhs_val = comptime_value(lhs)
    rhs_val = comptime_value(rhs)
    if lhs_val is not None and rhs_val is not None:
        if isinstance(lhs_val, v.Undef) or isinstance(rhs_val, v.Undef):
            return Constant(t.BOOL, v.UNDEF, src)
        return Constant(t.BOOL, v.BoolValue((lhs_val == rhs_val) == (op == "eq")), src)
    return ctx.add_inst(BinOp(_CMP_TAG[op], t.BOOL, src, lhs=lhs, rhs=rhs))


def cmp_numeric(ctx: SemaContext, op: str, lhs: Operand, rhs: Operand, src: int) -> Operand:
    """Zig's ``cmpNumeric``, with both operands (not ``lhs`` twice) coerced to the destination type."""
    lhs_val = comptime_value(lhs)
    rhs_val = comptime_value(rhs)
    if lhs_val is not None and rhs_val is not None:
        if isinstance(lhs_val, v.Undef) or isinstance(rhs_val, v.Undef):
            return Constant(t.BOOL, v.UNDEF, src)
        a, b = _number(lhs_val), _number(rhs_val)
        assert a is not None and b is not None
        return Constant(t.BOOL, v.BoolValue(compare(a, op, b)), src)
    # A runtime comparison: this needs a block, as in Zig, before the destination type is computed.
    float_classes = (TypeClass.FLOAT, TypeClass.COMPTIME_FLOAT)
    lhs_is_float = lhs.ty.zig_type_tag() in float_classes
    rhs_is_float = rhs.ty.zig_type_tag() in float_classes
    if lhs_is_float and rhs_is_float:
        if lhs.ty.tag is TypeTag.COMPTIME_FLOAT:
            dest = rhs.ty
        elif rhs.ty.tag is TypeTag.COMPTIME_FLOAT:
            dest = lhs.ty
        else:
            dest = lhs.ty if lhs.ty.float_bits() >= rhs.ty.float_bits() else rhs.ty
        casted_lhs = coerce(ctx, dest, lhs)
        casted_rhs = coerce(ctx, dest, rhs)
        return ctx.add_inst(BinOp(_CMP_TAG[op], t.BOOL, src, lhs=casted_lhs, rhs=casted_rhs))

    def is_signed(x: Operand, val: v.Value | None) -> bool:
        if val is not None:
            num = _number(val)
            return num is not None and num < 0
        return x.ty.is_float() or (x.ty.is_int() and x.ty.int_info()[0])

    dest_signed = is_signed(lhs, lhs_val) or is_signed(rhs, rhs_val)
    dest_float: Type | None = None
    bits: list[int] = []
    for x, val, x_is_float in ((lhs, lhs_val, lhs_is_float), (rhs, rhs_val, rhs_is_float)):
        if val is not None:
            if isinstance(val, v.Undef):
                return Constant(t.BOOL, v.UNDEF, src)
            num = _number(val)
            assert num is not None
            if isinstance(num, float):
                if num != math.floor(num):
                    if op == "eq":
                        return Constant(t.BOOL, v.FALSE, src)
                    if op == "neq":
                        return Constant(t.BOOL, v.TRUE, src)
                    as_int = math.floor(num) - 1 if num < 0 else math.floor(num) + 1
                else:
                    as_int = int(num)
                count = bit_count_twos_comp(as_int)
            else:
                count = bit_count_twos_comp(num)
            is_unsigned = num >= 0
            bits.append(count + (1 if is_unsigned and dest_signed else 0))
        elif x_is_float:
            dest_float = x.ty
            bits.append(0)
        else:
            signed, width = x.ty.int_info()
            bits.append(width + (1 if not signed and dest_signed else 0))
    if dest_float is not None:
        dest = dest_float
    else:
        max_bits = max(bits)
        if max_bits > MAX_INT_BITS:
            ctx.fail(src, f"{max_bits} exceeds maximum integer bit count")
        dest = Type.int_type(dest_signed, max_bits)
        # [ZIR Live] A runtime operand whose type already is that integer (by signedness and bits) lends its
        # own type, so two ``usize`` operands compare directly (x86_64.md §15.5) instead of through ``intcast``
        # to an equal-width ``u64`` that code generation cannot lower.
        for x, val in ((lhs, lhs_val), (rhs, rhs_val)):
            if val is None and x.ty.is_int() and x.ty.int_info() == (dest_signed, max_bits):
                dest = x.ty
                break
    casted_lhs = coerce(ctx, dest, lhs)
    casted_rhs = coerce(ctx, dest, rhs)
    return ctx.add_inst(BinOp(_CMP_TAG[op], t.BOOL, src, lhs=casted_lhs, rhs=casted_rhs))
