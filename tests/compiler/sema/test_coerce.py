"""Coercion, peer types, compile-time arithmetic and comparisons (zir-language.md §9, §6.3)."""

from __future__ import annotations

from typing import NoReturn

import pytest

from compiler.air import AirInst, AirTag, BinOp, Constant, UnOp
from compiler.sema import arith
from compiler.sema import coerce as c
from compiler.sema import types as t
from compiler.sema import values as v
from compiler.sema.types import Type, TypeTag


class Failed(Exception):
    def __init__(self, src: int, msg: str) -> None:
        super().__init__(msg)
        self.src = src
        self.msg = msg


class Block:
    """A minimal runtime block: collects appended instructions, records the failure."""

    def __init__(self, runtime: bool = True) -> None:
        self.insts: list[AirInst] = []
        self.runtime = runtime

    def fail(self, src: int, msg: str) -> NoReturn:
        raise Failed(src, msg)

    def add_inst(self, inst: AirInst) -> AirInst:
        if not self.runtime:
            self.fail(inst.src, "instruction illegal outside function body")
        self.insts.append(inst)
        return inst


def const(ty: Type, val: v.Value, src: int = 7) -> Constant:
    return Constant(ty, val, src)


def runtime(ty: Type, src: int = 9) -> AirInst:
    return UnOp(AirTag.LOAD, ty, src, operand=const(t.USIZE, v.IntValue(0)))


def failure(fn: object, *args: object) -> Failed:
    with pytest.raises(Failed) as info:
        fn(*args)  # type: ignore[operator]
    return info.value


def test_comptime_int_to_fixed_int_checks_range() -> None:
    out = c.coerce(Block(), t.U8, const(t.COMPTIME_INT, v.IntValue(255)))
    assert isinstance(out, Constant) and out.ty == t.U8 and out.val == v.IntValue(255)
    err = failure(c.coerce, Block(), t.U8, const(t.COMPTIME_INT, v.IntValue(256), src=3))
    assert (err.src, err.msg) == (3, "type comptime_int cannot represent integer value 256")


def test_mismatch_message_and_position() -> None:
    err = failure(c.coerce, Block(), t.BOOL, const(t.USIZE, v.IntValue(1), src=11))
    assert (err.src, err.msg) == (11, "expected bool, found usize")


def test_runtime_widening_appends_intcast() -> None:
    block = Block()
    x = runtime(t.U8)
    out = c.coerce(block, t.USIZE, x)
    assert isinstance(out, UnOp) and out.tag is AirTag.INTCAST and out.operand is x
    assert block.insts == [out]
    err = failure(c.coerce, Block(), t.U8, runtime(t.USIZE, src=4))
    assert err.msg == "expected u8, found usize"


def test_undefined_and_null_and_optional() -> None:
    out = c.coerce(Block(), t.USIZE, const(t.UNDEFINED_TYPE, v.UNDEF))
    assert isinstance(out, Constant) and out.val == v.UNDEF and out.ty == t.USIZE
    opt = Type.optional(t.U8)
    assert c.coerce(Block(), opt, const(t.NULL_TYPE, v.NULL_VALUE)).ty == opt
    block = Block()
    wrapped = c.coerce(block, opt, runtime(t.U8))
    assert isinstance(wrapped, UnOp) and wrapped.tag is AirTag.WRAP_OPTIONAL


def test_array_pointer_to_slice() -> None:
    ptr = Type.single_const_pointer(Type.array_u8_sentinel_0(3))
    out = c.coerce(Block(), t.CONST_SLICE_U8, const(ptr, v.Bytes(b"abc")))
    assert isinstance(out, Constant) and out.ty == t.CONST_SLICE_U8
    # At runtime the pointer keeps its bits; code generation adds the array's length (language-complete.md §6).
    block = Block()
    rt = runtime(ptr)
    out = c.coerce(block, t.CONST_SLICE_U8, rt)
    assert isinstance(out, UnOp) and out.tag is AirTag.BITCAST and out.operand is rt and out.ty == t.CONST_SLICE_U8
    many = Type.pointer(t.U8, "Many", const=True, sentinel=v.IntValue(0))
    assert c.coerce(Block(), many, runtime(ptr)).ty == many
    mut = Type.single_mut_pointer(Type.array(t.U8, 3))
    assert c.coerce(Block(), Type.pointer(t.U8, "Slice", const=False), runtime(mut)).ty.tag is TypeTag.MUT_SLICE
    err = failure(c.coerce, Block(), Type.pointer(t.U8, "Slice", const=False), runtime(ptr, 9))
    assert (err.src, err.msg) == (9, "expected []u8, found *const [3:0]u8")


def test_peer_types() -> None:
    block = Block()
    assert c.resolve_peer_types(block, []) == t.NORETURN
    assert c.resolve_peer_types(block, [runtime(t.U8), runtime(Type.named(TypeTag.U32))]) == Type.named(TypeTag.U32)
    assert c.resolve_peer_types(block, [runtime(t.NORETURN), runtime(t.U8)]) == t.U8
    err = failure(c.resolve_peer_types, block, [runtime(t.U8, 1), const(t.COMPTIME_INT, v.IntValue(1), 5)])
    assert (err.src, err.msg) == (5, "incompatible types: 'u8' and 'comptime_int'")


def test_comptime_add_folds_and_checks_overflow() -> None:
    out = arith.analyze_arithmetic(Block(), "add", const(t.U8, v.IntValue(58)), const(t.U8, v.IntValue(11)), 20)
    assert isinstance(out, Constant) and out.val == v.IntValue(69)
    err = failure(
        arith.analyze_arithmetic, Block(), "add", const(t.U8, v.IntValue(250)), const(t.U8, v.IntValue(6)), 20
    )
    assert (err.src, err.msg) == (20, "overflow of integer type 'u8' with value '256'")
    big = arith.analyze_arithmetic(
        Block(), "sub", const(t.COMPTIME_INT, v.IntValue(0)), const(t.COMPTIME_INT, v.IntValue(2**80)), 1
    )
    assert isinstance(big, Constant) and big.val == v.IntValue(-(2**80))


def test_rhs_zero_shortcut_only_for_add_and_sub() -> None:
    out = arith.analyze_arithmetic(Block(), "sub", const(t.U8, v.IntValue(3)), const(t.U8, v.IntValue(0)), 1)
    assert isinstance(out, Constant) and out.val == v.IntValue(3)
    out = arith.analyze_arithmetic(Block(), "mul", const(t.U8, v.IntValue(3)), const(t.U8, v.IntValue(0)), 1)
    assert isinstance(out, Constant) and out.val == v.IntValue(0)


def test_arithmetic_operand_classes_and_runtime() -> None:
    ptr = Type.single_const_pointer(t.U8)
    err = failure(arith.analyze_arithmetic, Block(), "add", runtime(ptr), runtime(ptr), 2)
    assert err.msg == "invalid operands to binary expression: 'Pointer' and 'Pointer'"
    block = Block()
    out = arith.analyze_arithmetic(block, "add", runtime(t.USIZE), runtime(t.USIZE), 2)
    assert isinstance(out, BinOp) and out.tag is AirTag.ADD and out.ty == t.USIZE
    assert not out.safety or out.tag is AirTag.ADD
    for tag, checked in (("mul", True), ("mulwrap", False), ("div", True), ("mod_rem", True), ("addwrap", False)):
        out = arith.analyze_arithmetic(Block(), tag, runtime(t.USIZE), runtime(t.USIZE), 2)
        assert isinstance(out, BinOp) and out.tag.value == tag and out.safety is checked
    err = failure(arith.analyze_arithmetic, Block(runtime=False), "add", runtime(t.USIZE), runtime(t.USIZE), 2)
    assert err.msg == "instruction illegal outside function body"


def test_cmp_comptime_and_runtime() -> None:
    out = c.analyze_cmp(Block(), "eq", const(t.U8, v.IntValue(69)), const(t.COMPTIME_INT, v.IntValue(69)), 1)
    assert isinstance(out, Constant) and out.val == v.TRUE
    block = Block()
    lhs, rhs = runtime(t.USIZE), runtime(t.USIZE)
    out = c.analyze_cmp(block, "lt", lhs, rhs, 3)
    assert isinstance(out, BinOp) and out.tag is AirTag.CMP_LT and out.ty == t.BOOL
    # Operands that already have the destination type are compared directly (x86_64.md §15.5).
    assert out.lhs is lhs and out.rhs is rhs and block.insts == [out]
    block = Block()
    out = c.analyze_cmp(block, "eq", lhs, const(t.COMPTIME_INT, v.IntValue(69)), 3)
    assert isinstance(out, BinOp) and out.lhs is lhs
    assert isinstance(out.rhs, Constant) and out.rhs.ty == t.USIZE and out.rhs.val == v.IntValue(69)


def test_cmp_mixed_widths_coerce_both_operands() -> None:
    block = Block()
    lhs, rhs = runtime(t.U8), runtime(t.USIZE)
    out = c.analyze_cmp(block, "lt", lhs, rhs, 3)
    assert isinstance(out, BinOp)
    # Both operands are coerced (Zig coerced lhs twice): the lhs is widened, the rhs kept as it is.
    assert isinstance(out.lhs, UnOp) and out.lhs.tag is AirTag.INTCAST and out.lhs.operand is lhs
    assert out.lhs.ty == t.USIZE and out.rhs is rhs


def test_cmp_signed_unsigned_widens_by_one_bit() -> None:
    out = c.analyze_cmp(Block(), "lt", runtime(t.U8), runtime(Type.named(TypeTag.I8)), 3)
    assert isinstance(out, BinOp) and out.lhs.ty == Type.int_type(True, 9)


def test_cmp_null_rules() -> None:
    out = c.analyze_cmp(Block(), "neq", const(t.NULL_TYPE, v.NULL_VALUE), const(t.NULL_TYPE, v.NULL_VALUE), 1)
    assert isinstance(out, Constant) and out.val == v.FALSE
    err = failure(c.analyze_cmp, Block(), "lt", runtime(t.U8), const(t.NULL_TYPE, v.NULL_VALUE), 4)
    assert (err.src, err.msg) == (4, "comparison of 'u8' with null")
    block = Block()
    out = c.analyze_cmp(block, "eq", runtime(Type.optional(t.U8)), const(t.NULL_TYPE, v.NULL_VALUE), 4)
    assert isinstance(out, UnOp) and out.tag is AirTag.ISNULL


def test_cmp_errors_and_fallback() -> None:
    err = failure(c.analyze_cmp, Block(), "lt", runtime(t.ANYERROR), runtime(t.ANYERROR), 1)
    assert err.msg == "lt operator not allowed for errors"
    out = c.analyze_cmp(Block(), "eq", runtime(t.BOOL), runtime(t.BOOL), 1)
    assert isinstance(out, BinOp) and out.tag is AirTag.CMP_EQ
    err = failure(c.analyze_cmp, Block(), "lt", runtime(t.BOOL), runtime(t.BOOL), 1)
    assert err.msg == "operator lt not allowed for type 'bool'"
    err = failure(c.analyze_cmp, Block(), "eq", runtime(t.BOOL), runtime(t.TYPE), 1)
    assert err.msg == "incompatible types: 'bool' and 'type'"
    mut, const_ptr = Type.single_mut_pointer(t.U8), Type.single_const_pointer(t.U8)
    out = c.analyze_cmp(Block(), "neq", runtime(mut), runtime(const_ptr), 1)
    assert isinstance(out, BinOp) and out.lhs.ty == const_ptr and out.rhs.ty == const_ptr
