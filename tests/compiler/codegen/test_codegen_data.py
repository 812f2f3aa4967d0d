"""Data decls (x86_64.md §12): strings with their sentinel, integers, bools, decl pointers with relocations."""

from __future__ import annotations

import pytest

from compiler.codegen import generate_data
from compiler.link import DeclIndex, Relocation, SymbolType
from compiler.sema.types import Type, TypeTag
from compiler.sema.values import (
    Aggregate,
    BoolValue,
    Bytes,
    DeclRef,
    ElemPtr,
    FloatValue,
    IntValue,
    NullValue,
    Repeated,
    TypedValue,
    Value,
)

from .support import U8, Addresses, Decl

HOLDER = Decl(10, "holder")


def data(ty: Type, val: Value, addresses: Addresses | None = None) -> tuple[bytes, int, tuple[Relocation, ...]]:
    sym = generate_data(HOLDER, TypedValue(ty, val), addresses or Addresses())
    assert sym.symbol_type is SymbolType.OBJECT
    return sym.code, sym.alignment, sym.relocations


def test_string_with_sentinel() -> None:
    assert data(Type.array_u8_sentinel_0(14), Bytes(b"Hello, world!\n")) == (b"Hello, world!\n\x00", 1, ())


def test_array_without_sentinel() -> None:
    assert data(Type.array(U8, 3), Bytes(b"abc"))[0] == b"abc"


def test_pointer_to_placed_decl_has_address_and_relocation() -> None:
    # elf-linker.md §16: the pointer decl `9` holds 00 00 00 08 00 00 00 00
    target = Decl(1, "9__anon_0")
    code, align, relocs = data(
        Type.single_const_pointer(Type.array_u8_sentinel_0(6)), DeclRef(target), Addresses(placed={1: 0x8000000})
    )
    assert code == bytes.fromhex("0000000800000000")
    assert align == 8
    assert relocs == (Relocation(0, DeclIndex(1), 8),)


def test_pointer_to_unplaced_decl_is_zero_until_the_linker_places_it() -> None:
    code, _, relocs = data(Type.single_const_pointer(U8), DeclRef(Decl(2, "later")))
    assert code == bytes(8) and relocs == (Relocation(0, DeclIndex(2), 8),)


def test_element_pointer_is_relocated_with_its_offset_as_addend() -> None:
    # language-complete §9: &array[3] of a u32 array = the array's address + 12, rewritten when it moves
    target = Decl(1, "arr")
    u32 = Type.named(TypeTag.U32)
    code, _, relocs = data(
        Type.single_const_pointer(u32), ElemPtr(DeclRef(target), 3), Addresses(placed={1: 0x8000000})
    )
    assert code == (0x800000C).to_bytes(8, "little")
    assert relocs == (Relocation(0, DeclIndex(1), 8, 12),)


def test_relocation_image_adds_the_addend_and_is_zero_while_unplaced() -> None:
    reloc = Relocation(0, DeclIndex(1), 8, 5)
    assert reloc.image(0x1000) == (0x1005).to_bytes(8, "little")
    assert reloc.image(None) == bytes(8)


@pytest.mark.parametrize(
    ("ty", "value", "expected"),
    [
        (Type.named(TypeTag.U8), 200, "c8"),
        (Type.named(TypeTag.I8), -1, "ff"),
        (Type.named(TypeTag.U16), 0x1234, "3412"),
        (Type.named(TypeTag.I32), -2, "feffffff"),
        (Type.named(TypeTag.USIZE), 0x0102030405060708, "0807060504030201"),
        (Type.int_type(False, 24), 0x123456, "56341200"),
    ],
)
def test_integers_of_any_width_up_to_64(ty: Type, value: int, expected: str) -> None:
    code, align, _ = data(ty, IntValue(value))
    assert code == bytes.fromhex(expected)
    assert align == ty.abi_alignment()


def test_bool() -> None:
    assert data(Type.named(TypeTag.BOOL), BoolValue(True))[0] == b"\x01"
    assert data(Type.named(TypeTag.BOOL), BoolValue(False))[0] == b"\x00"


@pytest.mark.parametrize(
    ("ty", "val", "expected"),
    [
        # language-complete §9 (formerly "TODO implement generateSymbol for …")
        (Type.int_type(False, 128), IntValue(1), "01" + "00" * 15),
        (Type.array(U8, 3), Repeated(IntValue(7)), "070707"),
        (Type.named(TypeTag.F64), IntValue(1), "000000000000f03f"),
        (Type.named(TypeTag.F32), FloatValue(1.5, 32), "0000c03f"),
        (Type.named(TypeTag.F16), FloatValue(-2.0, 16), "00c0"),
        (Type.named(TypeTag.F128), FloatValue(1.0, 128), "00" * 14 + "ff3f"),
        (Type.optional(Type.named(TypeTag.U32)), IntValue(5), "0500000001000000"),
        (Type.optional(Type.named(TypeTag.U32)), NullValue(), "00" * 8),
        (Type.array(Type.named(TypeTag.U16), 2), Aggregate((IntValue(1), IntValue(0x203))), "01000302"),
    ],
)
def test_values_of_every_runtime_type(ty: Type, val: Value, expected: str) -> None:
    code, _, _ = data(ty, val)
    assert code == bytes.fromhex(expected)
