"""Arithmetic, bitwise operations and shifts: exact compile-time results, runtime AIR with safety flags.

docs/design/language-complete.md §3 (replacing docs/design/zir-language.md §6.3 steps 3–4): peer typing and the
operand check are unchanged; every operation of every integer width has a compile-time result (big integers exact)
and a runtime AIR instruction whose ``safety`` flag says it carries a §10 check.
"""

from __future__ import annotations

from typing import Final

from compiler.air import AirTag, BinOp, Constant, Operand
from compiler.sema import types as t
from compiler.sema import values as v
from compiler.sema.coerce import SemaContext, coerce, comptime_value, int_fits, resolve_peer_types, round_float
from compiler.sema.types import Type, TypeClass, TypeTag

ARITHMETIC_TAGS: Final = ("add", "sub", "addwrap", "subwrap", "mul", "mulwrap", "div", "mod_rem")
BITWISE_TAGS: Final = ("bitand", "bitor", "xor")
SHIFT_TAGS: Final = ("shl", "shr")
MAX_COMPTIME_INT_BITS: Final = 1 << 24
"""The bound on what one ``shl`` or ``mul`` of ``comptime_int`` values may grow to (16 Mi bits, 2 MiB): the largest
left shift of a nonzero value, and the largest sum of a product's operand widths. ``1 << 10^12`` raised
``MemoryError`` (a traceback from ``zir build``) and forty squarings of ``int(3)`` never finished; the other
operations grow a result by a bit at most, and a right shift shrinks it."""

_AIR: Final[dict[str, AirTag]] = {
    "add": AirTag.ADD,
    "sub": AirTag.SUB,
    "addwrap": AirTag.ADDWRAP,
    "subwrap": AirTag.SUBWRAP,
    "mul": AirTag.MUL,
    "mulwrap": AirTag.MULWRAP,
    "div": AirTag.DIV,
    "mod_rem": AirTag.MOD_REM,
    "bitand": AirTag.BITAND,
    "bitor": AirTag.BITOR,
    "xor": AirTag.XOR,
    "shl": AirTag.SHL,
    "shr": AirTag.SHR,
}
_CHECKED: Final = frozenset({"add", "sub", "mul", "div", "mod_rem"})
"""Operations with a runtime safety check (§3 table, §10)."""
_INT_CLASSES: Final = (TypeClass.INT, TypeClass.COMPTIME_INT)
_FLOAT_CLASSES: Final = (TypeClass.FLOAT, TypeClass.COMPTIME_FLOAT)


# ---- integer helpers -----------------------------------------------------------------------------------


def wrap_int(value: int, ty: Type) -> int:
    """``value`` modulo 2^bits, re-extended to ``ty``'s signedness (two's complement)."""
    signed, bits = ty.int_info()
    if bits == 0:
        return 0
    low = value & ((1 << bits) - 1)
    if signed and low >> (bits - 1):
        return low - (1 << bits)
    return low


def div_trunc(a: int, b: int) -> int:
    """Quotient truncated toward zero (``@divTrunc``); ``b`` is not zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def rem_trunc(a: int, b: int) -> int:
    """Remainder of the truncated division (``@rem``: the sign of the dividend); ``b`` is not zero."""
    return a - b * div_trunc(a, b)


def log2_int_type(ty: Type) -> Type:
    """``Log2Int(T)``: the unsigned type of ⌈log2(bits)⌉ bits (``u6`` for 33…64 bits, ``u3`` for 8, ``u0`` for 1)."""
    _, bits = ty.int_info()
    width = max(0, (bits - 1).bit_length()) if bits > 1 else 0
    return Type.int_type_named(False, width)


# ---- arithmetic ----------------------------------------------------------------------------------------


def analyze_arithmetic(ctx: SemaContext, tag: str, lhs: Operand, rhs: Operand, src: int) -> Operand:
    """``add`` … ``mod_rem``: peer type, operand check, then the compile-time result or a runtime instruction."""
    assert tag in ARITHMETIC_TAGS
    peer = resolve_peer_types(ctx, [lhs, rhs])
    casted_lhs = coerce(ctx, peer, lhs)
    casted_rhs = coerce(ctx, peer, rhs)
    peer_class = peer.zig_type_tag()
    is_int = peer_class in _INT_CLASSES
    is_float = peer_class in _FLOAT_CLASSES
    if not is_int and not (is_float and tag in ("add", "sub")):
        ctx.fail(
            src,
            f"invalid operands to binary expression: '{lhs.ty.zig_type_tag().value}' and "
            f"'{rhs.ty.zig_type_tag().value}'",
        )
    lhs_val = comptime_value(casted_lhs)
    rhs_val = comptime_value(casted_rhs)
    if lhs_val is not None and rhs_val is not None:
        if isinstance(lhs_val, v.Undef) or isinstance(rhs_val, v.Undef):
            return Constant(peer, v.UNDEF, src)
        return Constant(peer, _comptime_arith(ctx, tag, peer, lhs_val, rhs_val, src), src)
    safety = tag in _CHECKED and peer.is_int()
    return ctx.add_inst(BinOp(_AIR[tag], peer, src, lhs=casted_lhs, rhs=casted_rhs, safety=safety))


def _comptime_arith(ctx: SemaContext, tag: str, ty: Type, lhs: v.Value, rhs: v.Value, src: int) -> v.Value:
    if tag in ("add", "sub") and ((isinstance(rhs, v.IntValue | v.FloatValue)) and rhs.value == 0):
        return lhs
    if isinstance(lhs, v.FloatValue) and isinstance(rhs, v.FloatValue):
        from fractions import Fraction  # only float arithmetic at compile time needs it (cold-start cost)

        exact = Fraction(lhs.value) + Fraction(rhs.value) if tag == "add" else Fraction(lhs.value) - Fraction(rhs.value)
        bits = 128 if ty.tag is TypeTag.COMPTIME_FLOAT else ty.float_bits()
        return v.FloatValue(round_float(exact, bits), bits)
    assert isinstance(lhs, v.IntValue) and isinstance(rhs, v.IntValue)
    a, b = lhs.value, rhs.value
    if tag in ("div", "mod_rem") and b == 0:
        ctx.fail(src, "division by zero here causes undefined behavior")
    match tag:
        case "add" | "addwrap":
            result = a + b
        case "sub" | "subwrap":
            result = a - b
        case "mul" | "mulwrap":
            bits = a.bit_length() + b.bit_length()
            if bits > MAX_COMPTIME_INT_BITS:  # only comptime_int operands can be this wide
                ctx.fail(
                    src, f"product of {bits} bits is too large for a comptime_int (at most {MAX_COMPTIME_INT_BITS})"
                )
            result = a * b
        case "div":
            result = div_trunc(a, b)
        case "mod_rem":
            result = rem_trunc(a, b)
        case _:
            raise AssertionError(tag)
    if ty.tag is TypeTag.COMPTIME_INT:
        return v.IntValue(result)
    if tag.endswith("wrap") or tag == "mod_rem":
        return v.IntValue(wrap_int(result, ty))
    if not int_fits(result, ty):
        ctx.fail(src, f"overflow of integer type '{ty}' with value '{result}'")
    return v.IntValue(result)


# ---- bitwise -------------------------------------------------------------------------------------------


def analyze_bitwise(ctx: SemaContext, tag: str, lhs: Operand, rhs: Operand, src: int) -> Operand:
    """``bitand``, ``bitor``, ``xor`` on integers (and ``comptime_int``): exact on the two's-complement pattern."""
    assert tag in BITWISE_TAGS
    peer = resolve_peer_types(ctx, [lhs, rhs])
    casted_lhs = coerce(ctx, peer, lhs)
    casted_rhs = coerce(ctx, peer, rhs)
    if peer.zig_type_tag() not in _INT_CLASSES:
        ctx.fail(
            src,
            f"invalid operands to binary bitwise expression: '{lhs.ty.zig_type_tag().value}' and "
            f"'{rhs.ty.zig_type_tag().value}'",
        )
    lhs_val = comptime_value(casted_lhs)
    rhs_val = comptime_value(casted_rhs)
    if lhs_val is not None and rhs_val is not None:
        if isinstance(lhs_val, v.Undef) or isinstance(rhs_val, v.Undef):
            return Constant(peer, v.UNDEF, src)
        assert isinstance(lhs_val, v.IntValue) and isinstance(rhs_val, v.IntValue)
        a, b = lhs_val.value, rhs_val.value
        result = a & b if tag == "bitand" else a | b if tag == "bitor" else a ^ b
        return Constant(peer, v.IntValue(result), src)
    return ctx.add_inst(BinOp(_AIR[tag], peer, src, lhs=casted_lhs, rhs=casted_rhs))


# ---- shifts --------------------------------------------------------------------------------------------


def analyze_shift(ctx: SemaContext, tag: str, lhs: Operand, rhs: Operand, src: int) -> Operand:
    """``shl``, ``shr``: the type is ``lhs``'s; the amount is a ``Log2Int(T)``."""
    assert tag in SHIFT_TAGS
    ty = lhs.ty
    if ty.zig_type_tag() not in _INT_CLASSES:
        ctx.fail(
            src,
            f"invalid operands to binary expression: '{ty.zig_type_tag().value}' and '{rhs.ty.zig_type_tag().value}'",
        )
    fixed = ty.is_int()
    rhs_val = comptime_value(rhs)
    if rhs_val is None:
        if not fixed:
            ctx.fail(src, "LHS of shift must be a fixed-width integer type, or RHS must be comptime-known")
        amount = coerce(ctx, log2_int_type(ty), rhs)
    else:
        if isinstance(rhs_val, v.IntValue) and rhs.ty.zig_type_tag() in _INT_CLASSES:
            if rhs_val.value < 0:
                ctx.fail(src, f"shift by negative amount '{rhs_val.value}'")
            if fixed and rhs_val.value >= ty.int_info()[1]:
                ctx.fail(src, f"shift amount '{rhs_val.value}' is too large for operand type '{ty}'")
        amount = coerce(ctx, log2_int_type(ty), rhs) if fixed else coerce(ctx, t.COMPTIME_INT, rhs)
    lhs_val = comptime_value(lhs)
    amount_val = comptime_value(amount)
    if lhs_val is not None and amount_val is not None:
        if isinstance(lhs_val, v.Undef) or isinstance(amount_val, v.Undef):
            return Constant(ty, v.UNDEF, src)
        assert isinstance(lhs_val, v.IntValue) and isinstance(amount_val, v.IntValue)
        a, n = lhs_val.value, amount_val.value
        if tag == "shl" and not fixed and a != 0 and n > MAX_COMPTIME_INT_BITS:
            ctx.fail(src, f"shift amount '{n}' is too large for a comptime_int (at most {MAX_COMPTIME_INT_BITS})")
        result = a << n if tag == "shl" else a >> n
        if fixed:
            result = wrap_int(result, ty)
        return Constant(ty, v.IntValue(result), src)
    bits = ty.int_info()[1]
    safety = bits & (bits - 1) != 0
    return ctx.add_inst(BinOp(_AIR[tag], ty, src, lhs=lhs, rhs=amount, safety=safety))
