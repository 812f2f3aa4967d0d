"""Constants of every runtime type as machine values: integers and small aggregates as immediates, bigger
values stored into a stack slot at their use, pointers to decls through their GOT slot, element pointers
(GOT load + add), pointers to constant values (docs/design/language-complete.md §9, §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.air import Constant
from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64 import memory
from compiler.codegen.x86_64.encoder import AluOp
from compiler.codegen.x86_64.fail import Fail
from compiler.codegen.x86_64.mcvalue import MCKind, MCValue
from compiler.codegen.x86_64.slices import slice_array_len, store_slice
from compiler.link import DeclIndex
from compiler.sema.types import Type, TypeClass, TypeTag
from compiler.sema.values import (
    Aggregate,
    BoolValue,
    Bytes,
    DeclRef,
    ElemPtr,
    EmptyArray,
    FunctionValue,
    IntValue,
    NullValue,
    RefVal,
    Repeated,
    Undef,
    Value,
)

U8: Final = Type.named(TypeTag.U8)

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen

CACHEABLE: Final = frozenset({MCKind.NONE, MCKind.UNDEF, MCKind.IMMEDIATE, MCKind.MEMORY})
"""Constant MCValues that need no code: computed once per function. The others emit code at each use."""


def value_bytes(ty: Type, val: Value) -> bytes | None:
    """The memory image of a constant without pointers, or None."""
    size = ty.abi_size() if ty.has_code_gen_bits() else 0
    if isinstance(val, Undef):
        return b"\xaa" * size
    cls = ty.zig_type_tag()
    out: bytes | None = None
    if cls is TypeClass.INT and isinstance(val, IntValue) and ty.int_info()[1] <= 64:
        out = (val.value % (1 << (8 * size))).to_bytes(size, "little") if size else b""
    elif cls is TypeClass.BOOL and isinstance(val, BoolValue):
        out = b"\x01" if val.value else b"\x00"
    elif cls is TypeClass.OPTIONAL:
        child = ty.optional_child()
        if child.is_pointer_like():
            return bytes(8) if isinstance(val, NullValue) else None
        if not child.has_code_gen_bits():
            out = b"\x00" if isinstance(val, NullValue) else b"\x01"
        elif isinstance(val, NullValue):
            out = bytes(size)
        else:
            payload = value_bytes(child, val)
            out = None if payload is None else payload + b"\x01"
    elif cls is TypeClass.ARRAY:
        elem = ty.elem_type()
        n = ty.array_len()
        if isinstance(val, Bytes):
            out = val.data
        elif isinstance(val, EmptyArray):
            out = b""
        elif isinstance(val, Repeated):
            one = value_bytes(elem, val.value)
            out = None if one is None else one * n
        elif isinstance(val, Aggregate):
            parts = [value_bytes(elem, e) for e in val.elems]
            out = None if any(p is None for p in parts) else b"".join(p for p in parts if p is not None)
        if out is not None and ty.array_sentinel() is not None and len(out) < size:
            out += bytes(1)
    if out is None:
        return None
    return out[:size].ljust(size, b"\x00")


def _in_slot(fg: FunctionGen, ty: Type, data: bytes) -> MCValue:
    offset = fg.alloc_mem(ty)
    memory.store_bytes(fg, memory.slot_mem(offset, ty.abi_size()), data)
    return mc.stack_offset(offset)


def pointer_value(fg: FunctionGen, ty: Type, val: Value, src: int) -> MCValue:
    """A constant pointer (or function value) of type ``ty``."""
    if isinstance(val, DeclRef):
        return mc.memory(fg.addresses.got_address(DeclIndex(val.decl.index)))
    if isinstance(val, FunctionValue):
        return mc.memory(fg.addresses.got_address(DeclIndex(val.fn.owner.index)))
    if isinstance(val, IntValue):
        return mc.immediate(val.value % (1 << 64))
    if isinstance(val, NullValue):
        return mc.immediate(0)
    if isinstance(val, RefVal) and ty.is_single_pointer():
        pointee = ty.pointee()
        data = value_bytes(pointee, val.value)
        if data is not None:
            return mc.ptr_stack_offset(_in_slot(fg, pointee, data).payload)
    if isinstance(val, ElemPtr) and ty.is_single_pointer():
        elem = ty.pointee()
        es = elem.abi_size() if elem.has_code_gen_bits() else 0
        base = pointer_value(fg, ty, val.array_ptr, src)
        if base.kind is MCKind.IMMEDIATE:
            return mc.immediate((base.payload + val.index * es) % (1 << 64))
        t = fg.temp_reg()
        fg.set_reg(t, base, ty)
        off = val.index * es
        if off:
            if off <= 0x7FFF_FFFF:
                fg.buf.emit(enc.alu_reg_imm(AluOp.ADD, t, off, 8))
            else:
                u = fg.temp_reg()
                fg.set_reg(u, mc.immediate(off))
                fg.buf.emit(enc.alu_reg_reg(AluOp.ADD, t, u, 8))
                fg.release(u)
        offset = fg.alloc_mem(ty)
        fg.gen_set_stack(ty, offset, mc.register(t))
        fg.release(t)
        return mc.stack_offset(offset)
    raise Fail(f"unable to materialise a constant of type '{ty}' at runtime")


def _slice_value(fg: FunctionGen, ty: Type, val: Value, src: int) -> MCValue:
    """A compile-time slice (language-complete §9): ptr + len in a stack slot."""
    n = slice_array_len(val)
    if n is None:
        raise Fail(f"unable to materialise a constant of type '{ty}' at runtime")
    elem = ty.elem_type()
    sentinel_0 = elem == U8 and isinstance(ty.sentinel, IntValue) and ty.sentinel.value == 0
    arr_ptr = Type.single_const_pointer(Type.array_u8_sentinel_0(n) if sentinel_0 else Type.array(elem, n))
    return store_slice(fg, ty, arr_ptr, pointer_value(fg, arr_ptr, val, src), n)


def const_mcv(fg: FunctionGen, ty: Type, c: Constant) -> MCValue:
    """§11: a constant's MCValue (code is emitted at the use for values that need it)."""
    val = c.val
    if not ty.has_code_gen_bits():
        return mc.NONE
    if isinstance(val, Undef):
        return mc.UNDEF
    cls = ty.zig_type_tag()
    if ty.is_slice():
        return _slice_value(fg, ty, val, c.src)
    if cls in (TypeClass.POINTER, TypeClass.FN):
        return pointer_value(fg, ty, val, c.src)
    if cls is TypeClass.OPTIONAL and ty.optional_child().is_pointer_like():
        return pointer_value(fg, ty.optional_child(), val, c.src)
    if cls is TypeClass.INT:
        _, bits = ty.int_info()
        if bits > 64 or not isinstance(val, IntValue):
            raise Fail(f"integer type '{ty}' wider than 64 bits is not supported at runtime")
        # the two's-complement pattern of the whole container (§2: extended above the b bits)
        return mc.immediate(val.value % (1 << (8 * min(ty.abi_size(), 8))))
    data = value_bytes(ty, val)
    if data is None:
        raise Fail(f"unable to materialise a constant of type '{ty}' at runtime")
    if len(data) <= 8:
        return mc.immediate(int.from_bytes(data, "little"))
    return _in_slot(fg, ty, data)
