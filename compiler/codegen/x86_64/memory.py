"""Memory operations of every kind: stores of any value into any address, copies of any size, and the
address a pointer value points at (docs/design/language-complete.md §6, §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.air import AirInst, BinOp, UnOp
from compiler.codegen.x86_64 import encoder_ext as ex
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64 import spill
from compiler.codegen.x86_64.encoder_ext import Mem
from compiler.codegen.x86_64.fail import Fail
from compiler.codegen.x86_64.mcvalue import MCKind, MCValue
from compiler.codegen.x86_64.registers import Register
from compiler.sema.types import Type

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen

RBP: Final = Register.RBP


def _chunks(size: int) -> list[tuple[int, int]]:
    """(offset, width) pieces of 8/4/2/1 bytes covering ``size`` bytes."""
    out: list[tuple[int, int]] = []
    off = 0
    while off < size:
        n = next(w for w in (8, 4, 2, 1) if size - off >= w)
        out.append((off, n))
        off += n
    return out


def at(m: Mem, off: int) -> Mem:
    """``m`` moved by ``off`` bytes."""
    return Mem(m.base, m.disp + off)


def slot_mem(offset: int, size: int) -> Mem:
    """The memory of the frame slot at ``offset`` holding ``size`` bytes: ``[rbp - (offset + size)]``."""
    d = offset + size
    if d > 1 << 31:
        raise Fail("stack offset too large")
    return Mem(RBP, -d)


def value_mem(fg: FunctionGen, ty: Type, value: MCValue) -> tuple[Mem, Register | None]:
    """The memory holding a value that lives in memory (frame slot or absolute address), plus a temporary
    address register to release."""
    if value.kind is MCKind.STACK_OFFSET:
        return slot_mem(value.payload, ty.abi_size()), None
    assert value.kind is MCKind.MEMORY, value.kind
    temp = fg.temp_reg()
    fg.set_reg(temp, _imm(value.payload))
    return Mem(temp, 0), temp


def _imm(x: int) -> MCValue:
    return MCValue(MCKind.IMMEDIATE, x)


def pointee_mem(fg: FunctionGen, ptr_ty: Type, ptr: MCValue, elem_size: int) -> tuple[Mem, Register | None]:
    """The memory a pointer value points at (``elem_size`` bytes there), plus a temporary to release."""
    match ptr.kind:
        case MCKind.PTR_STACK_OFFSET:
            return slot_mem(ptr.payload, elem_size), None
        case MCKind.REGISTER:
            return Mem(ptr.register, 0), None
        case MCKind.IMMEDIATE | MCKind.STACK_OFFSET | MCKind.MEMORY | MCKind.UNDEF:
            temp = fg.temp_reg()
            fg.set_reg(temp, ptr, ptr_ty)
            return Mem(temp, 0), temp
        case _:
            raise AssertionError(f"pointer in {ptr.kind.value}")


def copy(fg: FunctionGen, dst: Mem, src: Mem, size: int) -> None:
    """Copy ``size`` bytes through a scratch register."""
    if dst == src:
        return
    temp = fg.temp_reg()
    for off, n in _chunks(size):
        fg.buf.emit(ex.mov_r_rm(temp.to_size(n), at(src, off), n))
        fg.buf.emit(ex.mov_rm_r(at(dst, off), temp.to_size(n), n))
    fg.release(temp)


def store_bytes(fg: FunctionGen, dst: Mem, data: bytes) -> None:
    """Store constant bytes (immediates that fit a sign-extended imm32, else through a scratch register)."""
    for off, n in _chunks(len(data)):
        v = int.from_bytes(data[off : off + n], "little")
        if n < 8 or v < 0x8000_0000:
            fg.buf.emit(ex.mov_rm_imm(at(dst, off), v, n))
        else:
            temp = fg.temp_reg()
            fg.set_reg(temp, _imm(v))
            fg.buf.emit(ex.mov_rm_r(at(dst, off), temp, 8))
            fg.release(temp)


def store(fg: FunctionGen, ty: Type, dst: Mem, value: MCValue) -> None:
    """Store ``value`` of type ``ty`` into the memory ``dst`` (every MCValue kind, every size)."""
    if not ty.has_code_gen_bits():
        return
    size = ty.abi_size()
    match value.kind:
        case MCKind.NONE | MCKind.UNREACH | MCKind.DEAD:
            return
        case MCKind.UNDEF:
            if fg.safety:
                store_bytes(fg, dst, b"\xaa" * size)
        case MCKind.IMMEDIATE:
            store_bytes(fg, dst, value.payload.to_bytes(8, "little")[:size].ljust(size, b"\x00"))
        case MCKind.REGISTER:
            assert size in (1, 2, 4, 8), size
            fg.buf.emit(ex.mov_rm_r(dst, value.register.to_size(size), size))
        case MCKind.STACK_OFFSET | MCKind.MEMORY:
            src, temp = value_mem(fg, ty, value)
            copy(fg, dst, src, size)
            if temp is not None:
                fg.release(temp)
        case MCKind.PTR_STACK_OFFSET | MCKind.COMPARE_FLAGS_SIGNED | MCKind.COMPARE_FLAGS_UNSIGNED:
            temp = fg.temp_reg()
            fg.set_reg(temp.to_size(8 if size == 8 else 4), value, ty)
            fg.buf.emit(ex.mov_rm_r(dst, temp.to_size(size), size))
            fg.release(temp)
        case MCKind.EMBEDDED_IN_CODE | MCKind.PTR_EMBEDDED_IN_CODE:
            raise AssertionError("embedded_in_code is never produced on x86_64")


def load(fg: FunctionGen, ty: Type, loc: MCValue, src: Mem) -> None:
    """Load ``ty`` from ``src`` into the location ``loc`` (a register or a frame slot)."""
    size = ty.abi_size()
    if loc.kind is MCKind.REGISTER:
        signed = ty.is_int() and ty.int_info()[0]
        fg.buf.emit(ex.load_ext(loc.register, src, size, signed) if size < 8 else ex.mov_r_rm(loc.register, src, 8))
    else:
        assert loc.kind is MCKind.STACK_OFFSET
        copy(fg, slot_mem(loc.payload, size), src, size)


def gen_alloc(fg: FunctionGen, inst: AirInst) -> MCValue:
    """``alloc``: a new stack slot of the element type (§8.2, §5.3)."""
    elem = inst.ty.pointee()
    if not elem.has_code_gen_bits():
        return mc.NONE
    if fg.naked:
        raise Fail(spill.NAKED_STACK_MSG)
    size = elem.abi_size()
    if size > 0xFFFF_FFFF:
        raise Fail(f"type '{elem}' too big to fit into stack frame")
    return mc.ptr_stack_offset(fg.frame.alloc_mem(size, elem.abi_alignment()))


def gen_ref(fg: FunctionGen, inst: UnOp) -> MCValue:
    """``ref``: a pointer to the operand (§8.2)."""
    value = fg.mcv(inst.operand)
    ty = inst.operand.ty
    match value.kind:
        case MCKind.REGISTER | MCKind.IMMEDIATE | MCKind.COMPARE_FLAGS_UNSIGNED | MCKind.COMPARE_FLAGS_SIGNED:
            offset = fg.alloc_mem(ty)
            fg.gen_set_stack(ty, offset, value)
            return mc.ptr_stack_offset(offset)
        case MCKind.STACK_OFFSET:
            return mc.ptr_stack_offset(value.payload)
        case MCKind.MEMORY:
            return mc.immediate(value.payload)
        case MCKind.NONE:
            return mc.NONE
        case _:
            offset = fg.alloc_mem(ty)
            fg.gen_set_stack(ty, offset, value)
            return mc.ptr_stack_offset(offset)


def gen_load(fg: FunctionGen, inst: UnOp) -> MCValue:
    """``load`` through a pointer (§8.2)."""
    elem = inst.ty
    if not elem.has_code_gen_bits():
        return mc.NONE
    ptr = fg.mcv(inst.operand)
    match ptr.kind:
        case MCKind.IMMEDIATE:
            src = mc.memory(ptr.payload)
        case MCKind.PTR_STACK_OFFSET:
            src = mc.stack_offset(ptr.payload)
        case _:
            mem, temp = pointee_mem(fg, inst.operand.ty, ptr, elem.abi_size())
            dst = fg.alloc_reg_or_mem(inst, elem)
            load(fg, elem, dst, mem)
            if temp is not None:
                fg.release(temp)
            return dst
    dst = fg.alloc_reg_or_mem(inst, elem)
    fg.set_reg_or_mem(elem, dst, src)
    return dst


def gen_store(fg: FunctionGen, inst: BinOp) -> MCValue:
    """``store(pointer, value)`` (§8.2)."""
    ptr = fg.mcv(inst.lhs)
    value = fg.mcv(inst.rhs)
    match ptr.kind:
        case MCKind.PTR_STACK_OFFSET:
            fg.gen_set_stack(inst.rhs.ty, ptr.payload, value)
        case MCKind.IMMEDIATE:
            fg.set_reg_or_mem(inst.rhs.ty, mc.memory(ptr.payload), value)
        case _:
            mem, temp = pointee_mem(fg, inst.lhs.ty, ptr, inst.rhs.ty.abi_size())
            store(fg, inst.rhs.ty, mem, value)
            if temp is not None:
                fg.release(temp)
    return mc.NONE
