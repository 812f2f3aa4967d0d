"""Byte encodings of the instruction forms the complete language adds: general memory operands, multiply,
divide, shifts, sign/zero extension, indirect calls, pushes (docs/design/language-complete.md §11).

Operands are a register or a ``Mem`` (``[base + disp]``). As in ``encoder``, REX bytes are minimal.
"""

from __future__ import annotations

import struct

from compiler.codegen.x86_64.encoder import AluOp, Cond, imm8, imm16, imm32, modrm, needs_rex8, rex
from compiler.codegen.x86_64.registers import Register
from compiler.record import frozen_delattr, frozen_setattr, record_repr


class Mem:
    """The memory operand ``[base + disp]`` (``disp`` a signed 32-bit displacement)."""

    base: Register
    disp: int

    __slots__ = ("base", "disp")
    __match_args__ = ("base", "disp")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, base: Register, disp: int = 0) -> None:
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "disp", disp)

    def __repr__(self) -> str:
        return record_repr(self, ("base", "disp"))

    def __eq__(self, other: object) -> bool:
        if type(other) is Mem:
            return (self.base, self.disp) == (other.base, other.disp)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.base, self.disp))


Rm = Register | Mem


def _rm_bytes(reg_field: int, rm: Rm) -> tuple[bool, bytes]:
    """(REX.B, ModRM [+ SIB] [+ disp]) of ``rm`` with ``reg_field`` in ModRM.reg."""
    if isinstance(rm, Register):
        return rm.is_extended, bytes((modrm(3, reg_field & 7, rm.lo),))
    base, disp = rm.base, rm.disp
    assert -(1 << 31) <= disp < 1 << 31
    sib_ = b"\x24" if base.lo == 4 else b""
    if disp == 0 and base.lo != 5:
        return base.is_extended, bytes((modrm(0, reg_field & 7, base.lo),)) + sib_
    if -128 <= disp <= 127:
        return base.is_extended, bytes((modrm(1, reg_field & 7, base.lo),)) + sib_ + struct.pack("<b", disp)
    return base.is_extended, bytes((modrm(2, reg_field & 7, base.lo),)) + sib_ + struct.pack("<i", disp)


def _op(
    opcode: bytes, reg_field: int, rm: Rm, *, w: bool, r_ext: bool = False, p66: bool = False, force: bool = False
) -> bytes:
    b, tail = _rm_bytes(reg_field, rm)
    return (b"\x66" if p66 else b"") + rex(w, r_ext, b, force=force) + opcode + tail


def _force8(*regs: Rm) -> bool:
    return any(isinstance(r, Register) and needs_rex8(r.to8()) for r in regs)


def mov_r_rm(reg: Register, rm: Rm, size: int) -> bytes:
    """``mov r, r/m`` of ``size`` bytes (8A / 8B)."""
    if size == 1:
        return _op(b"\x8a", reg.lo, rm, w=False, r_ext=reg.is_extended, force=_force8(reg, rm))
    return _op(b"\x8b", reg.lo, rm, w=size == 8, r_ext=reg.is_extended, p66=size == 2)


def mov_rm_r(rm: Rm, reg: Register, size: int) -> bytes:
    """``mov r/m, r`` of ``size`` bytes (88 / 89)."""
    if size == 1:
        return _op(b"\x88", reg.lo, rm, w=False, r_ext=reg.is_extended, force=_force8(reg, rm))
    return _op(b"\x89", reg.lo, rm, w=size == 8, r_ext=reg.is_extended, p66=size == 2)


def mov_rm_imm(rm: Rm, value: int, size: int) -> bytes:
    """``mov r/m, imm`` (C6 / C7; the 8-byte form takes a sign-extended imm32)."""
    if size == 1:
        return _op(b"\xc6", 0, rm, w=False, force=_force8(rm)) + imm8(value)
    if size == 2:
        return _op(b"\xc7", 0, rm, w=False, p66=True) + imm16(value)
    if size == 8:
        assert -(1 << 31) <= value < 1 << 31
    return _op(b"\xc7", 0, rm, w=size == 8) + imm32(value)


def lea(reg: Register, mem: Mem) -> bytes:
    """``lea r64, [base + disp]`` (8D)."""
    return _op(b"\x8d", reg.lo, mem, w=True, r_ext=reg.is_extended)


def load_ext(reg: Register, rm: Rm, size: int, signed: bool) -> bytes:
    """Load ``size`` bytes from ``rm`` into the 64-bit ``reg``, sign- or zero-extended: movsx/movzx (0F BE/BF,
    0F B6/B7), movsxd (63) or ``mov r32, r/m32`` (zero-extends), ``mov r64, r/m64``."""
    e = reg.is_extended
    if size == 8:
        return _op(b"\x8b", reg.lo, rm, w=True, r_ext=e)
    if size == 4:
        if signed:
            return _op(b"\x63", reg.lo, rm, w=True, r_ext=e)
        return _op(b"\x8b", reg.lo, rm, w=False, r_ext=e)
    if size == 2:
        return _op(b"\x0f\xbf" if signed else b"\x0f\xb7", reg.lo, rm, w=signed, r_ext=e)
    assert size == 1
    return _op(b"\x0f\xbe" if signed else b"\x0f\xb6", reg.lo, rm, w=signed, r_ext=e, force=_force8(rm))


def alu_r_rm(op: AluOp, reg: Register, rm: Rm, size: int) -> bytes:
    """``op r, r/m`` (the ``mr + 2`` / ``mr + 3`` opcodes: add/or/and/sub/xor/cmp with a memory source)."""
    if size == 1:
        return _op(bytes((op.mr + 2,)), reg.lo, rm, w=False, r_ext=reg.is_extended, force=_force8(reg, rm))
    return _op(bytes((op.mr + 3,)), reg.lo, rm, w=size == 8, r_ext=reg.is_extended, p66=size == 2)


def alu_rm_imm8(op: AluOp, rm: Rm, value: int, size: int) -> bytes:
    """``op r/m, imm8`` (80 for bytes, 83 sign-extended otherwise)."""
    if size == 1:
        return _op(b"\x80", op.opx, rm, w=False, force=_force8(rm)) + imm8(value)
    assert -128 <= value <= 127
    return _op(b"\x83", op.opx, rm, w=size == 8, p66=size == 2) + imm8(value)


def imul_r_rm(reg: Register, rm: Rm, size: int) -> bytes:
    """``imul r, r/m`` (0F AF), sizes 2/4/8."""
    assert size in (2, 4, 8)
    return _op(b"\x0f\xaf", reg.lo, rm, w=size == 8, r_ext=reg.is_extended, p66=size == 2)


# F7 /ext group: 2 not, 3 neg, 4 mul, 5 imul, 6 div, 7 idiv
NOT, NEG, MUL, IMUL, DIV, IDIV = 2, 3, 4, 5, 6, 7


def group3(ext: int, rm: Rm, size: int) -> bytes:
    """``not/neg/mul/imul/div/idiv r/m`` (F7 /ext), sizes 4/8."""
    assert size in (4, 8)
    return _op(b"\xf7", ext, rm, w=size == 8)


def cqo() -> bytes:
    """``cqo`` (48 99): sign-extend rax into rdx."""
    return b"\x48\x99"


def cdq() -> bytes:
    """``cdq`` (99): sign-extend eax into edx."""
    return b"\x99"


# Shift group: 4 shl, 5 shr, 7 sar
SHL, SHR, SAR = 4, 5, 7


def shift_cl(ext: int, rm: Rm, size: int) -> bytes:
    """``shl/shr/sar r/m, cl`` (D3 /ext), sizes 4/8."""
    assert size in (4, 8)
    return _op(b"\xd3", ext, rm, w=size == 8)


def shift_imm(ext: int, rm: Rm, count: int, size: int) -> bytes:
    """``shl/shr/sar r/m, imm8`` (C1 /ext ib), sizes 4/8."""
    assert size in (4, 8) and 0 <= count < 8 * size
    return _op(b"\xc1", ext, rm, w=size == 8) + imm8(count)


def test_rm_r(rm: Rm, reg: Register, size: int) -> bytes:
    """``test r/m, r`` (84 / 85)."""
    if size == 1:
        return _op(b"\x84", reg.lo, rm, w=False, r_ext=reg.is_extended, force=_force8(reg, rm))
    return _op(b"\x85", reg.lo, rm, w=size == 8, r_ext=reg.is_extended, p66=size == 2)


def setcc(cond: Cond, rm: Rm) -> bytes:
    """``setcc r/m8`` (0F 90+cc)."""
    return _op(bytes((0x0F, 0x90 + cond)), 0, rm, w=False, force=_force8(rm))


def call_rm(rm: Rm) -> bytes:
    """``call r/m64`` (FF /2): a call through a function value."""
    return _op(b"\xff", 2, rm, w=False)


def push(reg: Register) -> bytes:
    """``push r64`` (50+r)."""
    return rex(False, False, reg.is_extended) + bytes((0x50 + reg.lo,))


def pop(reg: Register) -> bytes:
    """``pop r64`` (58+r)."""
    return rex(False, False, reg.is_extended) + bytes((0x58 + reg.lo,))


def sub_rsp(value: int) -> bytes:
    """``sub rsp, imm32`` (48 81 EC): reserve a stack-argument area."""
    return b"\x48\x81\xec" + imm32(value)


def mov_edi_imm32(value: int) -> bytes:
    """``mov edi, imm32`` (BF id): the panic message id."""
    return b"\xbf" + imm32(value)
