"""Optionals and element pointers at run time: ``isnull``/``isnonnull``, ``wrap_optional``,
``unwrap_optional`` (with its null check) and ``elemptr`` (with its bound check)
(docs/design/language-complete.md §5, §6, §10).

Layout: an optional of a pointer-like type is the pointer (null = 0); any other ``?C`` is ``C``'s bytes then
a non-null flag byte at offset ``abiSize(C)``; ``?C`` without runtime bits is the flag byte alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.air import BinOp, UnOp
from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64 import encoder_ext as ex
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64 import memory
from compiler.codegen.x86_64.encoder import AluOp, Cond
from compiler.codegen.x86_64.encoder_ext import Mem
from compiler.codegen.x86_64.mcvalue import CmpOp, MCKind, MCValue
from compiler.codegen.x86_64.registers import Register
from compiler.codegen.x86_64.safety import PanicId, panic_unless
from compiler.sema.types import Type, TypeClass, TypeTag

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen

USIZE: Final = Type.named(TypeTag.USIZE)


def pointer_like(opt: Type) -> bool:
    """``?*T``, ``?[*]T``, ``?fn``: pointer-sized, null = 0."""
    return opt.optional_child().is_pointer_like()


def _flag_offset(opt: Type) -> int:
    child = opt.optional_child()
    return child.abi_size() if child.has_code_gen_bits() else 0


def gen_is_null(fg: FunctionGen, inst: UnOp, want_null: bool) -> MCValue:
    """``isnull``/``isnonnull`` of an optional value: compare the pointer with 0, or test the flag byte."""
    opt = inst.operand.ty
    value = fg.mcv(inst.operand)
    op = CmpOp.EQ if want_null else CmpOp.NEQ
    if value.kind is MCKind.IMMEDIATE and (pointer_like(opt) or opt.abi_size() <= 8):
        flag = value.payload if pointer_like(opt) else (value.payload >> (8 * _flag_offset(opt))) & 0xFF
        return mc.immediate(int((flag == 0) == want_null))
    if pointer_like(opt):
        reg = value.register if value.kind is MCKind.REGISTER else None
        if reg is None:
            t = fg.temp_reg()
            fg.set_reg(t, value, opt)
            fg.buf.emit(ex.test_rm_r(t, t, 8))
            fg.release(t)
        else:
            fg.buf.emit(ex.test_rm_r(reg, reg, 8))
        return fg.flags_result(inst, mc.compare_flags(op, False))
    off = _flag_offset(opt)
    if value.kind is MCKind.REGISTER:
        t = fg.temp_reg()
        fg.buf.emit(enc.mov_reg_reg(t, value.register, 8))
        if off:
            fg.buf.emit(ex.shift_imm(ex.SHR, t, 8 * off, 8))
        fg.buf.emit(enc.test_r8_1(t))
        fg.release(t)
    else:
        mem, temp = memory.value_mem(fg, opt, value) if value.is_memory() else _in_slot(fg, opt, value)
        fg.buf.emit(ex.alu_rm_imm8(AluOp.CMP, memory.at(mem, off), 0, 1))
        if temp is not None:
            fg.release(temp)
    return fg.flags_result(inst, mc.compare_flags(op, False))


def _in_slot(fg: FunctionGen, ty: Type, value: MCValue) -> tuple[Mem, None]:
    offset = fg.alloc_mem(ty)
    fg.gen_set_stack(ty, offset, value)
    return memory.slot_mem(offset, ty.abi_size()), None


def gen_wrap_optional(fg: FunctionGen, inst: UnOp) -> MCValue:
    """``C → ?C``: the pointer itself, or the payload plus flag 1 (in a new stack slot)."""
    opt = inst.ty
    value = fg.mcv(inst.operand)
    if pointer_like(opt):
        if value.kind is MCKind.REGISTER:
            fg.regs.add_owner(value.register, inst)
        return value
    child = opt.optional_child()
    if not child.has_code_gen_bits():
        return mc.immediate(1)
    offset = fg.alloc_mem(opt)
    mem = memory.slot_mem(offset, opt.abi_size())
    memory.store(fg, child, mem, value)
    fg.buf.emit(ex.mov_rm_imm(memory.at(mem, child.abi_size()), 1, 1))
    return mc.stack_offset(offset)


def gen_unwrap_optional(fg: FunctionGen, inst: UnOp) -> MCValue:
    """``*?C → *C``: the same address (the payload is at offset 0); the null check with safety."""
    ptr_ty = inst.operand.ty
    opt = ptr_ty.pointee()
    ptr = fg.mcv(inst.operand)
    if fg.safety and inst.safety:
        mem, temp = memory.pointee_mem(fg, ptr_ty, ptr, opt.abi_size())
        if pointer_like(opt):
            fg.buf.emit(ex.alu_rm_imm8(AluOp.CMP, mem, 0, 8))
        else:
            fg.buf.emit(ex.alu_rm_imm8(AluOp.CMP, memory.at(mem, _flag_offset(opt)), 0, 1))
        if temp is not None:
            fg.release(temp)
        panic_unless(fg, Cond.NE, PanicId.NULL_UNWRAP)
    return fg.alias_pointer(inst, ptr)


def _bound(fg: FunctionGen, base_ty: Type, base: MCValue) -> tuple[MCValue, MCValue | None, Type]:
    """(the base address, the bound if any, the pointer type the base address has) of an elemptr operand."""
    if base_ty.is_single_pointer():
        pointee = base_ty.pointee()
        if pointee.zig_type_tag() is TypeClass.ARRAY:
            return base, mc.immediate(pointee.array_len()), base_ty
        # a pointer to a slice or many-pointer: index the pointee value
        mem, temp = memory.pointee_mem(fg, base_ty, base, pointee.abi_size())
        if temp is None:
            t = fg.temp_reg()
            fg.buf.emit(ex.lea(t, mem))
            mem = Mem(t, 0)
            temp = t
        addr = fg.temp_reg()
        fg.buf.emit(ex.mov_r_rm(addr, mem, 8))
        bound: MCValue | None = None
        if pointee.is_slice():
            ln = fg.temp_reg()
            fg.buf.emit(ex.mov_r_rm(ln, memory.at(mem, 8), 8))
            bound = mc.register(ln)
        fg.release(temp)
        return mc.register(addr), bound, USIZE
    if base_ty.is_slice():
        from compiler.codegen.x86_64.calls import eightbyte_sources

        ptr_src, len_src = eightbyte_sources(fg, base_ty, base, 2)
        return ptr_src, len_src, USIZE
    return base, None, base_ty


def gen_elemptr(fg: FunctionGen, inst: BinOp) -> MCValue:
    """``elemptr(p, i)`` = base + i * abiSize(T); with safety and a bound: ``i >= len`` panics."""
    base_ty = inst.lhs.ty
    elem = inst.ty.pointee()
    es = elem.abi_size() if elem.has_code_gen_bits() else 0
    base = fg.mcv(inst.lhs)
    index = fg.mcv(inst.rhs)
    checked = fg.safety and inst.safety
    if base.kind is MCKind.PTR_STACK_OFFSET and index.kind is MCKind.IMMEDIATE and base_ty.is_single_pointer():
        arr = base_ty.pointee()
        if arr.zig_type_tag() is TypeClass.ARRAY and index.payload < arr.array_len():
            return mc.ptr_stack_offset(base.payload + arr.abi_size() - index.payload * es - es)
    held: list[Register] = []
    base_addr, bound, addr_ty = _bound(fg, base_ty, base)
    for v in (base_addr, bound):
        if v is not None and v.kind is MCKind.REGISTER:
            held.append(v.register)
    r = fg.alloc_reg(inst)
    t = fg.temp_reg()
    fg.set_reg(t, fg.mcv(inst.rhs), USIZE)
    if checked and bound is not None:
        if bound.kind is MCKind.IMMEDIATE and bound.payload <= 0x7FFF_FFFF:
            fg.buf.emit(enc.alu_reg_imm(AluOp.CMP, t, bound.payload, 8))
        else:
            b = fg.temp_reg()
            fg.set_reg(b, bound, USIZE)
            fg.buf.emit(enc.alu_reg_reg(AluOp.CMP, t, b, 8))
            fg.release(b)
        panic_unless(fg, Cond.B, PanicId.INDEX_OUT_OF_BOUNDS)
    fg.set_reg(r, base_addr, addr_ty)
    if es != 1:
        if es & (es - 1) == 0:
            if es:
                fg.buf.emit(ex.shift_imm(ex.SHL, t, es.bit_length() - 1, 8))
            else:
                fg.buf.emit(enc.xor_r32_r32(t))
        else:
            m = fg.temp_reg()
            fg.set_reg(m, mc.immediate(es))
            fg.buf.emit(ex.imul_r_rm(t, m, 8))
            fg.release(m)
    fg.buf.emit(enc.alu_reg_reg(AluOp.ADD, r, t, 8))
    fg.release(t)
    for reg in held:
        fg.release(reg)
    return mc.register(r)
