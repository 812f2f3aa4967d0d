"""Integer arithmetic of every width 1–64: mul/div/mod_rem, wrapping and checked add/sub/mul, bitwise ops,
shifts and runtime ``intcast``, keeping the value invariant (docs/design/language-complete.md §2–§4, §10).

Operands are loaded sign- or zero-extended to 64 bits, the operation runs on 64 bits, and the result is
re-extended from its ``b`` bits (``shl``/``sar|shr`` by ``64 - b``). A checked result is compared with its
re-extension (or the CPU's overflow/carry flag at 64 bits); a failed check calls the panic routine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.air import SAFETY_TAGS, AirInst, AirTag, BinOp, Operand, UnOp
from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64 import encoder_ext as ex
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64 import spill
from compiler.codegen.x86_64.encoder import AluOp, Cond
from compiler.codegen.x86_64.encoder_ext import Mem
from compiler.codegen.x86_64.frame import Label
from compiler.codegen.x86_64.mcvalue import CmpOp, MCKind, MCValue
from compiler.codegen.x86_64.registers import Register
from compiler.codegen.x86_64.safety import PanicId, panic_unless
from compiler.sema.types import Type

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen

RAX, RCX, RDX, RBP = Register.RAX, Register.RCX, Register.RDX, Register.RBP
_ALU: Final = {
    AirTag.ADD: AluOp.ADD,
    AirTag.ADDWRAP: AluOp.ADD,
    AirTag.SUB: AluOp.SUB,
    AirTag.SUBWRAP: AluOp.SUB,
    AirTag.BITAND: AluOp.AND,
    AirTag.BITOR: AluOp.OR,
    AirTag.XOR: AluOp.XOR,
}


def int_info(ty: Type) -> tuple[bool, int]:
    """(signed, bits) of an integer type (``bool`` is ``u1``)."""
    if ty.is_int():
        return ty.int_info()
    return False, 8 * max(ty.abi_size(), 1)


def load_extended(fg: FunctionGen, ty: Type, value: MCValue, dst: Register) -> None:
    """``dst`` (64-bit) = the value of ``ty`` extended to 64 bits by its signedness (§2)."""
    signed, bits = int_info(ty)
    size = ty.abi_size()
    match value.kind:
        case MCKind.IMMEDIATE:
            x = value.payload % (1 << bits) if bits < 64 else value.payload
            if signed and bits < 64 and x >> (bits - 1):
                x -= 1 << bits
            fg.set_reg(dst, mc.immediate(x % (1 << 64)))
        case MCKind.REGISTER:
            src = value.register
            if size == 8 and src.id == dst.id:
                return
            fg.buf.emit(ex.load_ext(dst, src.to_size(size), size, signed))
        case MCKind.STACK_OFFSET:
            fg.buf.emit(ex.load_ext(dst, Mem(RBP, -(value.payload + size)), size, signed))
        case _:
            fg.gen_set_reg(ty, dst, value)
            if size < 8:
                fg.buf.emit(ex.load_ext(dst, dst.to_size(size), size, signed))


def reextend(fg: FunctionGen, reg: Register, signed: bool, bits: int) -> None:
    """Re-extend ``reg`` from its low ``bits`` bits (nothing for 64)."""
    if bits >= 64:
        return
    fg.buf.emit(ex.shift_imm(ex.SHL, reg, 64 - bits, 8))
    fg.buf.emit(ex.shift_imm(ex.SAR if signed else ex.SHR, reg, 64 - bits, 8))


def check_fits(fg: FunctionGen, reg: Register, signed: bool, bits: int, msg: PanicId) -> None:
    """Panic with ``msg`` unless the 64-bit value in ``reg`` equals its re-extension from ``bits`` bits."""
    t = fg.temp_reg()
    fg.buf.emit(enc.mov_reg_reg(t, reg, 8))
    reextend(fg, t, signed, bits)
    fg.buf.emit(enc.alu_reg_reg(AluOp.CMP, t, reg, 8))
    fg.release(t)
    panic_unless(fg, Cond.E, msg)


def _operands(fg: FunctionGen, inst: BinOp) -> tuple[MCValue, MCValue]:
    return fg.mcv(inst.lhs), fg.mcv(inst.rhs)


def gen_arith(fg: FunctionGen, inst: BinOp) -> MCValue:
    """Every integer ``BinOp`` of ``ARITH_TAGS``."""
    ty = inst.ty
    tag = inst.tag
    signed, bits = int_info(ty)
    size = ty.abi_size()
    checked = fg.safety and inst.safety and tag in SAFETY_TAGS
    alu = _ALU.get(tag)
    if alu is not None and (tag in (AirTag.BITAND, AirTag.BITOR, AirTag.XOR) or bits == 8 * size):
        # bitwise results of extended operands are extended; full-width add/sub: one ALU op at the type's
        # width (§8.4), whose carry/overflow flag is exactly the check
        lhs, rhs = _operands(fg, inst)
        result = gen_binop(
            fg, inst, alu, lhs, rhs, inst.lhs, inst.rhs, tag is not AirTag.SUB and tag is not AirTag.SUBWRAP
        )
        if checked:
            panic_unless(fg, Cond.NO if signed else Cond.AE, PanicId.INTEGER_OVERFLOW)
        return result
    if tag in (AirTag.DIV, AirTag.MOD_REM):
        return _gen_div(fg, inst, signed, bits, checked)
    if tag in (AirTag.SHL, AirTag.SHR):
        return _gen_shift(fg, inst, signed, bits, checked)
    if tag is AirTag.MUL and checked and bits == 64 and not signed:
        return _gen_mul_u64_checked(fg, inst)
    r = fg.alloc_reg(inst)
    t = fg.temp_reg()
    lhs, rhs = _operands(fg, inst)
    load_extended(fg, ty, lhs, r)
    load_extended(fg, inst.rhs.ty, rhs, t)
    is_mul = tag in (AirTag.MUL, AirTag.MULWRAP)
    if is_mul:
        fg.buf.emit(ex.imul_r_rm(r, t, 8))
    else:
        op = AluOp.ADD if tag in (AirTag.ADD, AirTag.ADDWRAP) else AluOp.SUB
        fg.buf.emit(enc.alu_reg_reg(op, r, t, 8))
    fg.release(t)
    if checked:
        if bits == 64:
            panic_unless(fg, Cond.NO if signed or is_mul else Cond.AE, PanicId.INTEGER_OVERFLOW)
        else:
            if is_mul and bits > 32:
                panic_unless(fg, Cond.NO, PanicId.INTEGER_OVERFLOW)
            check_fits(fg, r, signed, bits, PanicId.INTEGER_OVERFLOW)
    else:
        reextend(fg, r, signed, bits)
    return mc.register(r)


def _fixed(fg: FunctionGen, regs: tuple[Register, ...]) -> None:
    """Evict and hold the fixed registers ``regs`` for this instruction."""
    for reg in regs:
        spill.evict(fg, reg, regs)
        fg.regs.add_owner(reg, fg.temp_owner)


def _gen_mul_u64_checked(fg: FunctionGen, inst: BinOp) -> MCValue:
    _fixed(fg, (RAX, RDX))
    t = fg.temp_reg()
    lhs, rhs = _operands(fg, inst)
    load_extended(fg, inst.ty, lhs, RAX)
    load_extended(fg, inst.ty, rhs, t)
    fg.buf.emit(ex.group3(ex.MUL, t, 8))
    fg.release(t)
    panic_unless(fg, Cond.NO, PanicId.INTEGER_OVERFLOW)
    fg.release(RDX)
    fg.release(RAX)
    fg.regs.add_owner(RAX, inst)
    return mc.register(RAX)


def _gen_div(fg: FunctionGen, inst: BinOp, signed: bool, bits: int, checked: bool) -> MCValue:
    """``div`` (truncated) and ``mod_rem`` through rdx:rax; checks divisor 0 and signed ``minInt / -1``."""
    _fixed(fg, (RAX, RDX))
    t = fg.temp_reg()
    lhs, rhs = _operands(fg, inst)
    load_extended(fg, inst.ty, lhs, RAX)
    load_extended(fg, inst.ty, rhs, t)
    is_div = inst.tag is AirTag.DIV
    if checked:
        fg.buf.emit(ex.test_rm_r(t, t, 8))
        panic_unless(fg, Cond.NE, PanicId.DIVISION_BY_ZERO)
    done: Label | None = None
    if signed and bits == 64:
        # minInt / -1 faults in idiv: a checked div panics, mod_rem is 0 (and -1 never changes a quotient
        # but for minInt, so every x / -1 is handled here as 0 - x)
        do = Label("IDIV")
        # every register this instruction needs is taken before its first jump: a spill made on one
        # path only would leave the other path with the value's old home
        m = fg.temp_reg() if is_div and checked else None
        fg.buf.emit(ex.alu_rm_imm8(AluOp.CMP, t, -1, 8))
        fg.buf.jcc(Cond.NE, do)
        if is_div:
            if m is not None:
                fg.set_reg(m, mc.immediate(1 << 63))
                fg.buf.emit(enc.alu_reg_reg(AluOp.CMP, RAX, m, 8))
                fg.release(m)
                panic_unless(fg, Cond.NE, PanicId.INTEGER_OVERFLOW)
            fg.buf.emit(ex.group3(ex.NEG, RAX, 8))
        else:
            fg.buf.emit(enc.xor_r32_r32(RDX))
        done = Label("IDIV_DONE")
        fg.buf.jmp(done)
        fg.buf.bind(do)
    if signed:
        fg.buf.emit(ex.cqo())
        fg.buf.emit(ex.group3(ex.IDIV, t, 8))
    else:
        fg.buf.emit(enc.xor_r32_r32(RDX))
        fg.buf.emit(ex.group3(ex.DIV, t, 8))
    if done is not None:
        fg.buf.bind(done)
    fg.release(t)
    out = RAX if is_div else RDX
    if is_div and signed and bits < 64:
        if checked:
            check_fits(fg, RAX, True, bits, PanicId.INTEGER_OVERFLOW)
        else:
            reextend(fg, RAX, True, bits)
    fg.release(RDX)
    fg.release(RAX)
    fg.regs.add_owner(out, inst)
    return mc.register(out)


def _gen_shift(fg: FunctionGen, inst: BinOp, signed: bool, bits: int, checked: bool) -> MCValue:
    """``shl``/``shr`` by a Log2Int amount; the amount check when ``bits`` is not a power of two."""
    amount_ty = inst.rhs.ty
    rhs = fg.mcv(inst.rhs)
    is_shl = inst.tag is AirTag.SHL
    ext = ex.SHL if is_shl else (ex.SAR if signed else ex.SHR)
    if rhs.kind is MCKind.IMMEDIATE or not amount_ty.has_code_gen_bits():
        count = rhs.payload if rhs.kind is MCKind.IMMEDIATE else 0
        r = fg.alloc_reg(inst)
        load_extended(fg, inst.ty, fg.mcv(inst.lhs), r)
        if 0 < count < 64:
            fg.buf.emit(ex.shift_imm(ext, r, count, 8))
        if is_shl:
            reextend(fg, r, signed, bits)
        return mc.register(r)
    _fixed(fg, (RCX,))
    load_extended(fg, amount_ty, fg.mcv(inst.rhs), RCX)
    if checked and bits & (bits - 1):
        fg.buf.emit(ex.alu_rm_imm8(AluOp.CMP, RCX, bits, 8))
        panic_unless(fg, Cond.B, PanicId.SHIFT_AMOUNT)
    r = fg.alloc_reg(inst)
    load_extended(fg, inst.ty, fg.mcv(inst.lhs), r)
    fg.buf.emit(ex.shift_cl(ext, r, 8))
    if is_shl:
        reextend(fg, r, signed, bits)
    fg.release(RCX)
    return mc.register(r)


def gen_intcast(fg: FunctionGen, inst: UnOp) -> MCValue:
    """Runtime ``intcast`` (§4): the value kept if it fits the destination, else a panic (safety) or the low
    bits re-extended."""
    src_ty, dst_ty = inst.operand.ty, inst.ty
    value = fg.mcv(inst.operand)
    if src_ty == dst_ty:
        if value.kind is MCKind.REGISTER:
            fg.regs.add_owner(value.register, inst)
        return value
    s_signed, s_bits = int_info(src_ty)
    d_signed, d_bits = int_info(dst_ty)
    r = fg.alloc_reg(inst)
    load_extended(fg, src_ty, fg.mcv(inst.operand), r)
    if fg.safety and inst.safety:
        if s_signed and not d_signed:
            fg.buf.emit(ex.test_rm_r(r, r, 8))
            panic_unless(fg, Cond.NS, PanicId.CAST_NEGATIVE)
        elif not s_signed and d_signed and s_bits == 64:
            fg.buf.emit(ex.test_rm_r(r, r, 8))
            panic_unless(fg, Cond.NS, PanicId.CAST_TRUNCATED)
        if s_signed and not d_signed:
            fits = d_bits >= s_bits - 1  # after the negative check
        elif not s_signed and d_signed:
            fits = d_bits > s_bits
        else:
            fits = d_bits >= s_bits
        if not fits:
            check_fits(fg, r, d_signed, d_bits, PanicId.CAST_TRUNCATED)
    else:
        reextend(fg, r, d_signed, d_bits)
    return mc.register(r)


def gen_binop(
    fg: FunctionGen,
    inst: AirInst,
    op: AluOp,
    lhs: MCValue,
    rhs: MCValue,
    lhs_op: Operand | None,
    rhs_op: Operand | None,
    commutative: bool,
) -> MCValue:
    """``add``/``sub``/``xor`` (§8.4): choose the destination, then one ALU instruction at the type's width."""
    ty = inst.ty
    lhs_dies = lhs_op is not None and inst.operand_dies(0)
    rhs_dies = rhs_op is not None and inst.operand_dies(1)
    if lhs_dies and lhs.kind is MCKind.REGISTER and fg.owns_alone(lhs, lhs_op):
        dst, src = lhs, rhs
    elif commutative and rhs_dies and rhs.kind is MCKind.REGISTER and fg.owns_alone(rhs, rhs_op):
        dst, src = rhs, lhs
    else:
        reg = fg.alloc_reg(inst)
        fg.gen_set_reg(ty, reg, lhs)
        dst, src = mc.register(reg), rhs
    if dst.kind is MCKind.REGISTER:
        fg.regs.add_owner(dst.register, inst)
    alu(fg, op, ty, dst, src)
    return dst


def alu(fg: FunctionGen, op: AluOp, ty: Type, dst: MCValue, src: MCValue) -> None:
    """``op dst, src`` at the width of ``ty`` (A1–A4), or the message for unsupported operands."""
    assert dst.kind is MCKind.REGISTER, f"ALU destination {dst.kind.value}"
    size = ty.abi_size()
    d = dst.register.to_size(size)
    match src.kind:
        case MCKind.REGISTER:
            fg.buf.emit(enc.alu_reg_reg(op, d, src.register.to_size(size), size))
        case MCKind.IMMEDIATE:
            if src.payload > 0x7FFF_FFFF:
                temp = fg.temp_value(ty, src)
                fg.buf.emit(enc.alu_reg_reg(op, d, temp.to_size(size), size))
                fg._release(temp)
            else:
                fg.buf.emit(enc.alu_reg_imm(op, d, src.payload, size))
        case MCKind.UNDEF:
            fg.gen_set_reg(ty, dst.register, src)
        case MCKind.STACK_OFFSET:
            fg.buf.emit(ex.alu_r_rm(op, d, Mem(Register.RBP, -(src.payload + size)), size))
        case (
            MCKind.MEMORY
            | MCKind.EMBEDDED_IN_CODE
            | MCKind.COMPARE_FLAGS_UNSIGNED
            | MCKind.COMPARE_FLAGS_SIGNED
            | MCKind.PTR_STACK_OFFSET
        ):
            temp = fg.temp_value(ty, src)
            fg.buf.emit(enc.alu_reg_reg(op, d, temp.to_size(size), size))
            fg._release(temp)
        case _:
            raise AssertionError(f"ALU source {src.kind.value}")


def gen_not(fg: FunctionGen, inst: UnOp) -> MCValue:
    """``not``: invert a flags value for free, otherwise ``xor`` with 1 (§8.2, §8.4)."""
    value = fg.mcv(inst.operand)
    if value.is_flags():
        flipped = MCValue(value.kind, op=value.cmp_op.inverted())
        return fg._flags_result(inst, flipped)
    return gen_binop(fg, inst, AluOp.XOR, value, mc.immediate(1), inst.operand, None, True)


def gen_cmp(fg: FunctionGen, inst: BinOp, op: CmpOp) -> MCValue:
    """``cmp_*`` (§8.3): one ``cmp``, then the compare-flags rule."""
    ty = inst.lhs.ty
    lhs = fg.mcv(inst.lhs)
    rhs = fg.mcv(inst.rhs)
    temps: list[Register] = []
    if lhs.kind is not MCKind.REGISTER:
        temps.append(fg.temp_value(ty, lhs))
        lhs = mc.register(temps[-1])
    alu(fg, AluOp.CMP, ty, lhs, rhs)
    for t in temps:
        fg._release(t)
    signed = ty.is_int() and ty.int_info()[0]
    return fg._flags_result(inst, mc.compare_flags(op, signed))
