"""Byte encodings of every x86-64 instruction form the backend emits (x86_64.md §6), named after Intel's fields.

Each function returns the instruction's bytes; none writes anywhere. Illegal forms (a size the form does not
have, an immediate out of range) are programming errors and fail an assertion. REX prefixes are minimal: a REX
byte is emitted only when one of its bits is set, or when an 8-bit operand has id 4-7 (``spl bpl sil dil``).
"""

from __future__ import annotations

import enum
import struct
from typing import Final

from compiler.codegen.x86_64.registers import Register


class Cond(enum.IntEnum):
    """Condition codes (the low nibble of ``jcc``/``setcc`` opcodes)."""

    O = 0x0  # noqa: E741 (the Intel mnemonic suffix)
    NO = 0x1
    B = 0x2
    AE = 0x3
    E = 0x4
    NE = 0x5
    BE = 0x6
    A = 0x7
    S = 0x8
    NS = 0x9
    P = 0xA
    NP = 0xB
    L = 0xC
    GE = 0xD
    LE = 0xE
    G = 0xF


class AluOp(enum.Enum):
    """The ALU operations: ``(opx, mr)`` = the ModRM.reg extension of 80/81/83 and the 8-bit MR opcode."""

    ADD = (0, 0x00)
    OR = (1, 0x08)
    AND = (4, 0x20)
    SUB = (5, 0x28)
    XOR = (6, 0x30)
    CMP = (7, 0x38)

    @property
    def opx(self) -> int:
        """ModRM.reg extension for the immediate forms."""
        return self.value[0]

    @property
    def mr(self) -> int:
        """Opcode of the 8-bit ``op r/m8, r8`` form; +1 is the 16/32/64-bit form."""
        return self.value[1]


# ---- prefix and operand bytes -------------------------------------------------------------------------

# Precomputed pieces (every build encodes about ten instructions per function): the packers of the immediate
# widths, the sixteen REX bytes, and the ModRM (+ SIB) heads of the ``[rbp - d]`` and ``[abs32]`` operands.
_PACK_U8: Final = struct.Struct("<B").pack
_PACK_U16: Final = struct.Struct("<H").pack
_PACK_U32: Final = struct.Struct("<I").pack
_PACK_U64: Final = struct.Struct("<Q").pack
_PACK_I32: Final = struct.Struct("<i").pack
_REX: Final = tuple(bytes((0x40 | bits,)) for bits in range(16))
_RBP_DISP8: Final = tuple(bytes(((1 << 6) | (reg << 3) | 5,)) for reg in range(8))
_RBP_DISP32: Final = tuple(bytes(((2 << 6) | (reg << 3) | 5,)) for reg in range(8))
_ABS32_HEAD: Final = tuple(bytes(((reg << 3) | 4, 0x25)) for reg in range(8))


def rex(w: bool, r: bool, b: bool, *, force: bool = False, x: bool = False) -> bytes:
    """``REX = 0100WRXB``; empty when no bit is set, unless ``force`` (8-bit operand with id 4-7)."""
    bits = (w << 3) | (r << 2) | (x << 1) | b
    if bits == 0 and not force:
        return b""
    return _REX[bits]


def modrm(mod: int, reg: int, rm: int) -> int:
    """``ModRM = mod<<6 | reg<<3 | rm`` (each field already masked to its width)."""
    assert 0 <= mod <= 3 and 0 <= reg <= 7 and 0 <= rm <= 7
    return (mod << 6) | (reg << 3) | rm


def sib(scale: int, index: int, base: int) -> int:
    """``SIB = scale<<6 | index<<3 | base``; ``sib(0, 4, 5)`` = 0x25 is "no base, no index, disp32"."""
    assert 0 <= scale <= 3 and 0 <= index <= 7 and 0 <= base <= 7
    return (scale << 6) | (index << 3) | base


def needs_rex8(reg: Register) -> bool:
    """An 8-bit operand with id 4-7 must carry a REX byte to mean ``spl bpl sil dil``."""
    return reg.size == 1 and 4 <= reg.id <= 7


def imm8(v: int) -> bytes:
    """An 8-bit immediate (signed or unsigned range)."""
    assert -0x80 <= v <= 0xFF
    return _PACK_U8(v & 0xFF)


def imm16(v: int) -> bytes:
    """A 16-bit immediate."""
    assert -0x8000 <= v <= 0xFFFF
    return _PACK_U16(v & 0xFFFF)


def imm32(v: int) -> bytes:
    """A 32-bit immediate (signed or unsigned range)."""
    assert -0x8000_0000 <= v <= 0xFFFF_FFFF
    return _PACK_U32(v & 0xFFFF_FFFF)


def imm64(v: int) -> bytes:
    """A 64-bit immediate."""
    assert -(1 << 63) <= v < (1 << 64)
    return _PACK_U64(v & 0xFFFF_FFFF_FFFF_FFFF)


def rbp_disp(reg_field: int, d: int) -> bytes:
    """ModRM + displacement of ``[rbp - d]``: disp8 when ``-127 <= d <= 128``, disp32 when ``|d| <= 2^31``
    (a negative ``d`` reaches the caller's frame: stack parameters at ``[rbp + 16 + …]``)."""
    assert -(1 << 31) < d <= 1 << 31 and 0 <= reg_field <= 7
    if -127 <= d <= 128:
        return _RBP_DISP8[reg_field] + _PACK_U8(-d & 0xFF)
    return _RBP_DISP32[reg_field] + _PACK_U32(-d & 0xFFFF_FFFF)


def abs32_operand(reg_field: int, address: int) -> bytes:
    """ModRM + SIB + disp32 of the absolute address ``[address]``.

    The disp32 is sign-extended in 64-bit mode, so only addresses below 2^31 can be reached this way (the
    spec's "below 2^32" would turn 0x80000000-0xFFFFFFFF into negative addresses; GOT slots are far below).
    """
    assert 0 <= address <= 0x7FFF_FFFF and 0 <= reg_field <= 7
    return _ABS32_HEAD[reg_field] + _PACK_U32(address)


# ---- moves --------------------------------------------------------------------------------------------


def xor_r32_r32(reg: Register) -> bytes:
    """M1 ``xor r32, r32`` (loads 0): ``[REX(0,E,E)] 31 modrm(3, lo, lo)``."""
    e = reg.is_extended
    return rex(False, e, e) + bytes((0x31, modrm(3, reg.lo, reg.lo)))


def mov_r32_imm32(reg: Register, value: int) -> bytes:
    """M2 ``mov r32, imm32`` (zero-extends): ``[41] (B8+lo) imm32``."""
    assert 0 <= value <= 0xFFFF_FFFF
    return rex(False, False, reg.is_extended) + bytes((0xB8 + reg.lo,)) + imm32(value)


def mov_r64_imm64(reg: Register, value: int) -> bytes:
    """M3 ``mov r64, imm64``: ``REX(1,0,E) (B8+lo) imm64``."""
    return rex(True, False, reg.is_extended) + bytes((0xB8 + reg.lo,)) + imm64(value)


def mov_reg_reg(dst: Register, src: Register, size: int) -> bytes:
    """M4 ``mov dst, src``: ``[REX(W,E(dst),E(src))] 8B modrm(3, lo(dst), lo(src))``; 64-bit for size 8,
    otherwise a 32-bit move (which zero-extends)."""
    w = size == 8
    return rex(w, dst.is_extended, src.is_extended) + bytes((0x8B, modrm(3, dst.lo, src.lo)))


def _load_opcode(size: int) -> tuple[bool, bytes]:
    """(REX.W, opcode) of a load of ``size`` bytes into a register (movzx for 1 and 2)."""
    if size == 8:
        return True, b"\x8b"
    if size == 4:
        return False, b"\x8b"
    if size == 2:
        return False, b"\x0f\xb7"
    if size == 1:
        return False, b"\x0f\xb6"
    raise AssertionError(f"load size {size}")


def mov_reg_abs32(reg: Register, address: int, size: int) -> bytes:
    """M5 ``mov r, [abs32]`` of ``size`` bytes (movzx for 1 and 2): ``[REX(W,E,0)] op modrm(0,lo,4) 25 abs32``."""
    w, op = _load_opcode(size)
    return rex(w, reg.is_extended, False) + op + abs32_operand(reg.lo, address)


def movabs_rax_moffs64(address: int) -> bytes:
    """M6 ``movabs rax, [moffs64]``: ``48 A1 imm64``."""
    return b"\x48\xa1" + imm64(address)


def mov_reg_indirect(reg: Register, size: int) -> bytes:
    """``mov r, [r]`` after M3 for addresses >= 2^32: ``REX(W,E,E) 8B modrm(0, lo, lo)`` (lo 4/5 illegal)."""
    assert reg.lo not in (4, 5)
    w, op = _load_opcode(size)
    e = reg.is_extended
    return rex(w, e, e) + op + bytes((modrm(0, reg.lo, reg.lo),))


def mov_reg_rbp(reg: Register, d: int, size: int) -> bytes:
    """M7 ``mov r, [rbp - d]`` of ``size`` bytes (movzx for 1 and 2)."""
    w, op = _load_opcode(size)
    return rex(w, reg.is_extended, False) + op + rbp_disp(reg.lo, d)


def lea_reg_rbp(reg: Register, d: int) -> bytes:
    """M8 ``lea r64, [rbp - d]``: ``REX(1,E,0) 8D modrm(1|2, lo, 5) disp``."""
    return rex(True, reg.is_extended, False) + b"\x8d" + rbp_disp(reg.lo, d)


def setcc_r8(cond: Cond, reg: Register) -> bytes:
    """M9 ``setcc r8``: ``[REX(0,0,E)*] 0F (90+cc) modrm(3, 0, lo)``."""
    r8 = reg.to8()
    return rex(False, False, r8.is_extended, force=needs_rex8(r8)) + bytes((0x0F, 0x90 + cond, modrm(3, 0, r8.lo)))


def movzx_r32_r8(reg: Register) -> bytes:
    """M10 ``movzx r32, r8`` (same id): ``[REX(0,E,E)*] 0F B6 modrm(3, lo, lo)``."""
    r8 = reg.to8()
    e = r8.is_extended
    return rex(False, e, e, force=needs_rex8(r8)) + bytes((0x0F, 0xB6, modrm(3, r8.lo, r8.lo)))


# ---- stores to the frame ------------------------------------------------------------------------------


def mov_rbp_reg(d: int, reg: Register, size: int) -> bytes:
    """S1 ``mov [rbp - d], r`` of ``size`` bytes."""
    e = reg.is_extended
    if size == 8:
        return rex(True, e, False) + b"\x89" + rbp_disp(reg.lo, d)
    if size == 4:
        return rex(False, e, False) + b"\x89" + rbp_disp(reg.lo, d)
    if size == 2:
        return b"\x66" + rex(False, e, False) + b"\x89" + rbp_disp(reg.lo, d)
    if size == 1:
        return rex(False, e, False, force=needs_rex8(reg.to8())) + b"\x88" + rbp_disp(reg.lo, d)
    raise AssertionError(f"store size {size}")


def mov_rbp_imm(d: int, value: int, size: int) -> bytes:
    """S2 ``mov [rbp - d], imm`` of ``size`` bytes; an 8-byte value >= 2^31 becomes two 4-byte stores
    (low half at ``rbp - d``, high half at ``rbp - d + 4``)."""
    if size == 4:
        return b"\xc7" + rbp_disp(0, d) + imm32(value)
    if size == 8:
        if value < 0x8000_0000:
            return b"\x48\xc7" + rbp_disp(0, d) + imm32(value)
        return mov_rbp_imm(d, value & 0xFFFF_FFFF, 4) + mov_rbp_imm(d - 4, value >> 32, 4)
    if size == 2:
        return b"\x66\xc7" + rbp_disp(0, d) + imm16(value)
    if size == 1:
        return b"\xc6" + rbp_disp(0, d) + imm8(value)
    raise AssertionError(f"immediate store size {size}")


# ---- arithmetic and tests -----------------------------------------------------------------------------


def _size_prefix(size: int) -> bytes:
    return b"\x66" if size == 2 else b""


def alu_reg_reg(op: AluOp, dst: Register, src: Register, size: int) -> bytes:
    """A1 ``op dst, src``: ``[66] [REX(W,E(src),E(dst))] (mr | mr+1) modrm(3, lo(src), lo(dst))``."""
    force = size == 1 and (needs_rex8(dst.to8()) or needs_rex8(src.to8()))
    opcode = op.mr if size == 1 else op.mr + 1
    return (
        _size_prefix(size)
        + rex(size == 8, src.is_extended, dst.is_extended, force=force)
        + bytes((opcode, modrm(3, src.lo, dst.lo)))
    )


def alu_reg_imm8(op: AluOp, reg: Register, value: int, size: int) -> bytes:
    """A2 ``op r, imm8`` (sizes 2/4/8, ``0 <= imm <= 127``): ``[66] [REX(W,0,E)] 83 modrm(3, opx, lo) imm8``."""
    assert size in (2, 4, 8) and 0 <= value <= 127
    return (
        _size_prefix(size)
        + rex(size == 8, False, reg.is_extended)
        + bytes((0x83, modrm(3, op.opx, reg.lo)))
        + imm8(value)
    )


def alu_reg_imm32(op: AluOp, reg: Register, value: int, size: int) -> bytes:
    """A3 ``op r, imm32`` (sizes 4/8; size 2 takes an imm16): ``[66] [REX(W,0,E)] 81 modrm(3, opx, lo) imm``."""
    assert size in (2, 4, 8)
    imm = imm16(value) if size == 2 else imm32(value)
    if size == 8:
        assert 0 <= value <= 0x7FFF_FFFF
    return _size_prefix(size) + rex(size == 8, False, reg.is_extended) + bytes((0x81, modrm(3, op.opx, reg.lo))) + imm


def alu_r8_imm8(op: AluOp, reg: Register, value: int) -> bytes:
    """A4 ``op r8, imm8`` (size 1, 0-255): ``[REX(0,0,E)*] 80 modrm(3, opx, lo) imm8``."""
    r8 = reg.to8()
    return (
        rex(False, False, r8.is_extended, force=needs_rex8(r8)) + bytes((0x80, modrm(3, op.opx, r8.lo))) + imm8(value)
    )


def alu_reg_imm(op: AluOp, reg: Register, value: int, size: int) -> bytes:
    """The immediate ALU form for ``size``: A4 for bytes, A2 for ``imm <= 127``, else A3."""
    if size == 1:
        return alu_r8_imm8(op, reg, value)
    if value <= 127:
        return alu_reg_imm8(op, reg, value, size)
    return alu_reg_imm32(op, reg, value, size)


def test_r8_1(reg: Register) -> bytes:
    """T1 ``test r8, 1``: ``[REX(0,0,E)*] F6 modrm(3, 0, lo) 01``."""
    r8 = reg.to8()
    return rex(False, False, r8.is_extended, force=needs_rex8(r8)) + bytes((0xF6, modrm(3, 0, r8.lo), 0x01))


# ---- control flow -------------------------------------------------------------------------------------


def jmp_rel32(rel: int) -> bytes:
    """J1 ``jmp rel32``: ``E9 rel32``."""
    return b"\xe9" + _PACK_I32(rel)


def jmp_rel8(rel: int) -> bytes:
    """J2 ``jmp rel8`` (backward loop jumps): ``EB rel8``."""
    return b"\xeb" + struct.pack("<b", rel)


def jcc_rel32(cond: Cond, rel: int) -> bytes:
    """J3 ``jcc rel32``: ``0F (80+cc) rel32``."""
    return bytes((0x0F, 0x80 + cond)) + _PACK_I32(rel)


def call_abs32(address: int) -> bytes:
    """C1 ``call qword ptr [abs32]``: ``FF 14 25 abs32`` (through a GOT slot)."""
    assert 0 <= address <= 0x7FFF_FFFF
    return b"\xff\x14\x25" + _PACK_U32(address)


def ret() -> bytes:
    """R1 ``ret``."""
    return b"\xc3"


def int3() -> bytes:
    """B1 ``int3``."""
    return b"\xcc"


def syscall() -> bytes:
    """Y1 ``syscall``."""
    return b"\x0f\x05"


def push_rbp() -> bytes:
    """F1 ``push rbp``."""
    return b"\x55"


def mov_rbp_rsp() -> bytes:
    """F1 ``mov rbp, rsp``."""
    return b"\x48\x89\xe5"


def pop_rbp() -> bytes:
    """F1 ``pop rbp``."""
    return b"\x5d"


def sub_rsp_imm32(value: int) -> bytes:
    """F2 ``sub rsp, imm32``: ``48 81 EC imm32``."""
    return b"\x48\x81\xec" + imm32(value)


def add_rsp_imm(value: int) -> bytes:
    """F3 ``add rsp, imm8`` (``value <= 127``) or ``add rsp, imm32``."""
    if value <= 127:
        return b"\x48\x83\xc4" + imm8(value)
    return b"\x48\x81\xc4" + imm32(value)
