"""Bytes of data decls of every runtime type: integers of any width, floats, bools, optionals, arrays, decl
pointers and function values with their relocations (x86_64.md §12, docs/design/language-complete.md §9)."""

from __future__ import annotations

import struct
from typing import Final, NoReturn

from compiler.codegen.x86_64.abi import AddressView
from compiler.codegen.x86_64.slices import slice_array_len
from compiler.errors import CodegenFailure, ErrorMsg
from compiler.link import DeclIndex, GeneratedSymbol, Relocation, SymbolType
from compiler.sema.types import Type, TypeClass
from compiler.sema.values import (
    Aggregate,
    BoolValue,
    Bytes,
    DeclRef,
    ElemPtr,
    EmptyArray,
    FloatValue,
    FunctionValue,
    IntValue,
    NullValue,
    Repeated,
    TypedValue,
    Undef,
    Value,
)

POINTER_SIZE: Final = 8


def _fail(src: int, msg: str) -> NoReturn:
    raise CodegenFailure(ErrorMsg(src, msg))


def _float_bytes(bits: int, x: float) -> bytes:
    """IEEE bytes of a compile-time float: f16/f32/f64 via struct; f128 binary128 and c_longdouble x87
    80-bit (in 16 bytes) widened exactly from the double."""
    if bits == 16:
        return struct.pack("<e", x)
    if bits == 32:
        return struct.pack("<f", x)
    if bits == 64:
        return struct.pack("<d", x)
    raw: int = struct.unpack("<Q", struct.pack("<d", x))[0]
    sign, exp, frac = raw >> 63, (raw >> 52) & 0x7FF, raw & ((1 << 52) - 1)
    if bits == 128:
        if exp == 0x7FF:
            e = 0x7FFF
        elif exp == 0 and frac == 0:
            e = 0
        elif exp == 0:  # subnormal double: normalise
            shift = 53 - frac.bit_length()
            frac = (frac << shift) & ((1 << 52) - 1)
            e = 1 - 1023 - shift + 16383 + 0
        else:
            e = exp - 1023 + 16383
        value = (sign << 127) | (e << 112) | (frac << 60)
        return value.to_bytes(16, "little")
    # x87 extended: 15-bit exponent, explicit integer bit, 63-bit fraction, padded to 16 bytes
    if exp == 0x7FF:
        e, mant = 0x7FFF, (1 << 63) | (frac << 11)
    elif exp == 0 and frac == 0:
        e, mant = 0, 0
    elif exp == 0:
        shift = 53 - frac.bit_length()
        e, mant = 1 - 1023 - shift + 16383 + 0, (frac << shift) << 11
    else:
        e, mant = exp - 1023 + 16383, (1 << 63) | (frac << 11)
    return (mant | (((sign << 15) | e) << 64)).to_bytes(16, "little")


def _serialize(ty: Type, val: Value, addresses: AddressView, at: int, relocs: list[Relocation], src: int) -> bytes:
    """The memory image of ``val`` (language-complete §9), appending relocations for decl addresses."""
    size = ty.abi_size() if ty.has_code_gen_bits() else 0
    if isinstance(val, Undef):
        return b"\xaa" * size
    cls = ty.zig_type_tag()
    out: bytes
    if cls is TypeClass.INT and isinstance(val, IntValue):
        out = (val.value % (1 << (8 * size))).to_bytes(size, "little")
    elif cls is TypeClass.BOOL and isinstance(val, BoolValue):
        out = b"\x01" if val.value else b"\x00"
    elif cls is TypeClass.FLOAT and isinstance(val, FloatValue | IntValue):
        out = _float_bytes(ty.float_bits(), float(val.value))
    elif cls is TypeClass.POINTER and ty.is_slice():
        n = slice_array_len(val)
        if n is None:
            _fail(src, f"unable to lay out the value {val.render()} of type '{ty}' in data")
        out = _pointer(ty, val, addresses, at, relocs, src) + n.to_bytes(POINTER_SIZE, "little")
    elif cls in (TypeClass.POINTER, TypeClass.FN):
        out = _pointer(ty, val, addresses, at, relocs, src)
    elif cls is TypeClass.OPTIONAL:
        child = ty.optional_child()
        if child.is_pointer_like():
            out = bytes(8) if isinstance(val, NullValue) else _pointer(child, val, addresses, at, relocs, src)
        elif not child.has_code_gen_bits():
            out = b"\x00" if isinstance(val, NullValue) else b"\x01"
        elif isinstance(val, NullValue):
            out = bytes(size)
        else:
            out = _serialize(child, val, addresses, at, relocs, src) + b"\x01"
    elif cls is TypeClass.ARRAY:
        elem = ty.elem_type()
        stride = max(elem.abi_size(), elem.abi_alignment()) if elem.has_code_gen_bits() else 0
        n = ty.array_len()
        if isinstance(val, Bytes):
            out = val.data
        elif isinstance(val, EmptyArray):
            out = b""
        elif isinstance(val, Repeated | Aggregate):
            elems = [val.value] * n if isinstance(val, Repeated) else list(val.elems)
            out = b"".join(
                _serialize(elem, e, addresses, at + i * stride, relocs, src).ljust(stride, b"\x00")
                for i, e in enumerate(elems)
            )
        else:
            _fail(src, f"unable to lay out the value {val.render()} of type '{ty}' in data")
        if ty.array_sentinel() is not None:
            out += b"\x00"
    else:
        _fail(src, f"unable to lay out the value {val.render()} of type '{ty}' in data")
    return out[: max(size, len(out) if cls is TypeClass.ARRAY else size)].ljust(size, b"\x00")


def _pointer(ty: Type, val: Value, addresses: AddressView, at: int, relocs: list[Relocation], src: int) -> bytes:
    """A pointer (or slice's ptr) or function value ``val`` of type ``ty`` in data: a decl's address plus an
    element offset (relocated with that addend), or a plain address."""
    target: int | None = None
    addend = 0
    if isinstance(val, DeclRef):
        target = val.decl.index
    elif isinstance(val, FunctionValue):
        target = val.fn.owner.index
    elif isinstance(val, ElemPtr) and isinstance(val.array_ptr, DeclRef):
        target = val.array_ptr.decl.index
        elem = ty.elem_type()
        stride = max(elem.abi_size(), elem.abi_alignment()) if elem.has_code_gen_bits() else 0
        addend = val.index * stride
    elif isinstance(val, IntValue):
        return (val.value % (1 << 64)).to_bytes(POINTER_SIZE, "little")
    if target is None:
        _fail(src, f"unable to lay out the pointer {val.render()} in data: only decl addresses are relocated")
    reloc = Relocation(at, DeclIndex(target), POINTER_SIZE, addend)
    relocs.append(reloc)
    return reloc.image(addresses.decl_address(DeclIndex(target)))


def generate_data(decl_index: int, tv: TypedValue, addresses: AddressView, *, src: int = 0) -> GeneratedSymbol:
    """The text block of a data decl whose type has runtime bits (§12, language-complete §9).

    A pointer to decl ``T`` holds ``T``'s current address and an absolute relocation, so the linker rewrites
    it whenever ``T`` moves (if ``T`` is not placed yet, the bytes are zero until the linker places it).
    Whether ``T`` is complete is the Module's check (an incomplete target makes the holder a dependency
    failure before it gets here).
    """
    del decl_index  # the bytes do not depend on the holder itself
    ty = tv.ty
    if ty.zig_type_tag() is TypeClass.FN:
        raise AssertionError("functions are generated by generate_function")
    relocations: list[Relocation] = []
    code = _serialize(ty, tv.val, addresses, 0, relocations, src)
    return GeneratedSymbol(
        code=code,
        alignment=ty.abi_alignment(),
        symbol_type=SymbolType.OBJECT,
        relocations=tuple(relocations),
    )
