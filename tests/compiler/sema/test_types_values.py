"""Types and values: printing, classes, layout, normalisation and equality (zir-language.md §7, §8)."""

from __future__ import annotations

import pytest

from compiler.sema import types as t
from compiler.sema import values as v
from compiler.sema.types import Type, TypeClass, TypeTag


@pytest.mark.parametrize(
    ("ty", "printed"),
    [
        (t.USIZE, "usize"),
        (t.NULL_TYPE, "@TypeOf(null)"),
        (t.UNDEFINED_TYPE, "@TypeOf(undefined)"),
        (t.CONST_SLICE_U8, "[]const u8"),
        (Type.function((), t.NORETURN), "fn() noreturn"),
        (Type.function((), t.VOID), "fn() void"),
        (Type.function((), t.NORETURN, "Naked"), "fn() callconv(.Naked) noreturn"),
        (Type.function((), t.VOID, "C"), "fn() callconv(.C) void"),
        (Type.function((t.USIZE, t.U8), t.BOOL, "C"), "fn(usize, u8) bool"),
        (Type.single_const_pointer(t.COMPTIME_INT), "*const comptime_int"),
        (Type.array_u8_sentinel_0(5), "[5:0]u8"),
        (Type.array(t.USIZE, 3), "[3]usize"),
        (Type.single_const_pointer(Type.array_u8_sentinel_0(2)), "*const [2:0]u8"),
        (Type.single_mut_pointer(t.U8), "*u8"),
        (Type.int_type(True, 7), "i7"),
        (Type.int_type(False, 64), "u64"),
        (Type.optional(t.U8), "?u8"),
        (Type.optional(Type.single_const_pointer(t.U8)), "?*const u8"),
        (Type.optional(Type.single_mut_pointer(t.U8)), "?*u8"),
    ],
)
def test_printing(ty: Type, printed: str) -> None:
    assert str(ty) == printed


def test_function_types_normalise_to_the_special_tags() -> None:
    assert Type.function((), t.VOID, "C").tag is TypeTag.FN_CCC_VOID_NO_ARGS
    assert Type.function((), t.NORETURN, "Naked").tag is TypeTag.FN_NAKED_NORETURN_NO_ARGS
    assert Type.function((), t.VOID, "Cold").tag is TypeTag.FUNCTION
    assert Type.function((), t.VOID, "C") == Type.function((), t.VOID, "C")
    assert Type.function((), t.VOID, "C").fn_calling_convention() == "C"


def test_named_integers_equal_only_themselves() -> None:
    assert Type.named(TypeTag.U64) != t.USIZE
    assert Type.int_type(False, 8) != t.U8
    assert Type.int_type(False, 8) == Type.int_type(False, 8)


def test_arrays_compare_length_element_and_sentinel() -> None:
    assert Type.array(t.U8, 3) == Type.array(t.U8, 3)
    assert Type.array(t.U8, 3) != Type.array(t.U8, 4)
    assert Type.array(t.U8, 3) != Type.array_u8_sentinel_0(3)


@pytest.mark.parametrize(
    ("ty", "cls"),
    [
        (t.U8, TypeClass.INT),
        (Type.int_type(True, 3), TypeClass.INT),
        (Type.named(TypeTag.C_LONGDOUBLE), TypeClass.FLOAT),
        (Type.named(TypeTag.C_VOID), TypeClass.OPAQUE),
        (Type.function((), t.VOID), TypeClass.FN),
        (Type.array_u8_sentinel_0(1), TypeClass.ARRAY),
        (t.CONST_SLICE_U8, TypeClass.POINTER),
        (Type.optional(t.U8), TypeClass.OPTIONAL),
        (t.ANYERROR, TypeClass.ERROR_SET),
        (t.COMPTIME_INT, TypeClass.COMPTIME_INT),
    ],
)
def test_type_classes(ty: Type, cls: TypeClass) -> None:
    assert ty.zig_type_tag() is cls


def test_code_gen_bits() -> None:
    assert not t.VOID.has_code_gen_bits()
    assert not t.COMPTIME_INT.has_code_gen_bits()
    assert Type.array_u8_sentinel_0(0).has_code_gen_bits()
    assert not Type.array(t.U8, 0).has_code_gen_bits()
    assert Type.int_type(False, 1).has_code_gen_bits()  # Zig had this inverted
    assert not Type.int_type(False, 0).has_code_gen_bits()
    assert Type.function((), t.VOID).has_code_gen_bits()
    assert not Type.single_const_pointer(t.VOID).has_code_gen_bits()


def test_layout() -> None:
    assert (t.U8.abi_size(), t.U8.abi_alignment()) == (1, 1)
    assert (t.USIZE.abi_size(), t.USIZE.abi_alignment()) == (8, 8)
    assert Type.array_u8_sentinel_0(14).abi_size() == 14
    assert Type.array(Type.named(TypeTag.U32), 3).abi_size() == 12
    assert t.CONST_SLICE_U8.abi_size() == 16
    assert Type.int_type(False, 24).abi_alignment() == 4
    assert Type.optional(t.U8).abi_size() == 2
    assert Type.optional(Type.single_const_pointer(t.U8)).abi_size() == 8
    assert t.ANYERROR.abi_alignment() == 2


def test_one_possible_value() -> None:
    assert v.one_possible_value(t.VOID) == v.VOID_VALUE
    assert v.one_possible_value(t.NORETURN) == v.UNREACHABLE_VALUE
    assert v.one_possible_value(Type.int_type(True, 0)) == v.IntValue(0)
    assert v.one_possible_value(Type.array(t.U8, 0)) == v.EMPTY_ARRAY
    assert v.one_possible_value(t.U8) is None


def test_value_printing() -> None:
    assert v.Bytes(bytes([0x32, 0x08, 0x01, 0x0A])).render() == '"2\\x08\\x01\\n"'
    assert v.Bytes(b'a"\\\t\r\x7f').render() == '"a\\"\\\\\\t\\r\\x7f"'
    assert v.VOID_VALUE.render() == "{}"
    assert v.UNREACHABLE_VALUE.render() == "unreachable"
    assert v.IntValue(-5).render() == "-5"
    assert v.RefVal(v.IntValue(3)).render() == "&const 3"
    assert v.ElemPtr(v.Bytes(b"ab"), 1).render() == '&[1] "ab"'
    assert v.TypeValue(t.USIZE).render() == "usize"


class _Decl:
    def __init__(self, name: str) -> None:
        self.index = 0
        self.name = name


def test_value_equality() -> None:
    a, b = _Decl("a"), _Decl("a")
    assert v.DeclRef(a) == v.DeclRef(a)
    assert v.DeclRef(a) != v.DeclRef(b)
    assert v.IntValue(2**70) == v.IntValue(2**70)
    assert v.Bytes(b"x") == v.Bytes(b"x")
    assert v.TypeValue(Type.function((), t.VOID, "C")) == v.TypeValue(Type.function((), t.VOID, "C"))
