"""The x86-64 register set: the 64 named registers, their hardware ids and sized aliases (x86_64.md §4.1)."""

from __future__ import annotations

import enum
from typing import Final


class Register(enum.IntEnum):
    """A register name as asm constraints spell it; ``value >> 4`` selects the size, ``value & 15`` the id."""

    # 64-bit
    RAX = 0
    RCX = 1
    RDX = 2
    RBX = 3
    RSP = 4
    RBP = 5
    RSI = 6
    RDI = 7
    R8 = 8
    R9 = 9
    R10 = 10
    R11 = 11
    R12 = 12
    R13 = 13
    R14 = 14
    R15 = 15
    # 32-bit
    EAX = 16
    ECX = 17
    EDX = 18
    EBX = 19
    ESP = 20
    EBP = 21
    ESI = 22
    EDI = 23
    R8D = 24
    R9D = 25
    R10D = 26
    R11D = 27
    R12D = 28
    R13D = 29
    R14D = 30
    R15D = 31
    # 16-bit
    AX = 32
    CX = 33
    DX = 34
    BX = 35
    SP = 36
    BP = 37
    SI = 38
    DI = 39
    R8W = 40
    R9W = 41
    R10W = 42
    R11W = 43
    R12W = 44
    R13W = 45
    R14W = 46
    R15W = 47
    # 8-bit (ids 4-7 are spl/bpl/sil/dil under a REX prefix, which ZIR Live's 8-bit forms always carry)
    AL = 48
    CL = 49
    DL = 50
    BL = 51
    AH = 52
    CH = 53
    DH = 54
    BH = 55
    R8B = 56
    R9B = 57
    R10B = 58
    R11B = 59
    R12B = 60
    R13B = 61
    R14B = 62
    R15B = 63

    __hash__ = int.__hash__  # the C-level int hash: registers key the allocator's tables (Enum's hashes the name)

    @property
    def id(self) -> int:
        """Hardware register number 0-15."""
        return self & 15

    @property
    def lo(self) -> int:
        """The low three bits of the id (the ModRM/opcode field)."""
        return self & 7

    @property
    def is_extended(self) -> bool:
        """True for r8-r15 and their aliases (needs REX.R/X/B)."""
        return self & 8 != 0

    @property
    def size(self) -> int:
        """Operand size in bytes: 8, 4, 2 or 1."""
        return (8, 4, 2, 1)[self >> 4]

    @property
    def asm_name(self) -> str:
        """The lower-case name (``rax``, ``r8d``, ``al`` …)."""
        return self.name.lower()

    def to_size(self, size: int) -> Register:
        """The alias of the same id with ``size`` bytes (8, 4, 2 or 1)."""
        return _BY_VALUE[(self & 15) + _SIZE_BASE[size]]

    def to64(self) -> Register:
        """The 64-bit alias."""
        return _BY_VALUE[self & 15]

    def to32(self) -> Register:
        """The 32-bit alias."""
        return _BY_VALUE[(self & 15) + 16]

    def to16(self) -> Register:
        """The 16-bit alias."""
        return _BY_VALUE[(self & 15) + 32]

    def to8(self) -> Register:
        """The 8-bit alias (``spl``… for ids 4-7 under REX)."""
        return _BY_VALUE[(self & 15) + 48]

    def dwarf_number(self) -> int:
        """DWARF register number: rax 0, rdx 1, rcx 2, rbx 3, rsi 4, rdi 5, rbp 6, rsp 7, r8-r15 8-15."""
        return _DWARF[self & 15]


_DWARF: Final = (0, 2, 1, 3, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15)

_BY_VALUE: Final[tuple[Register, ...]] = tuple(sorted(Register))
"""Every register indexed by its value: alias lookups without ``Register(…)``'s enum machinery (hot path)."""

_SIZE_BASE: Final[dict[int, int]] = {8: 0, 4: 16, 2: 32, 1: 48}
"""Value of the first register of each operand size."""

BY_ID: Final[tuple[Register, ...]] = _BY_VALUE[:16]
"""The 64-bit register of each hardware id 0-15."""

R = Register

ALLOCATABLE: Final[tuple[Register, ...]] = (R.RAX, R.RCX, R.RDX, R.RSI, R.RDI, R.R8, R.R9, R.R10, R.R11)
"""Allocatable registers in allocation order (all caller-saved, §4.2)."""

PARAM_REGS: Final[tuple[Register, ...]] = (R.RDI, R.RSI, R.RDX, R.RCX, R.R8, R.R9)
"""System V integer parameter registers, in order (§4.3)."""

CALLEE_SAVED: Final[frozenset[int]] = frozenset({R.RBX.id, R.RBP.id, R.R12.id, R.R13.id, R.R14.id, R.R15.id})
"""Ids the caller expects preserved: asm may not name them in non-Naked functions (§10 step 4)."""

HIGH_BYTE: Final[frozenset[Register]] = frozenset({R.AH, R.CH, R.DH, R.BH})
"""The legacy high-byte registers, not encodable in ZIR Live's REX-prefixed 8-bit forms."""

BY_NAME: Final[dict[str, Register]] = {r.asm_name: r for r in Register}
"""Register lookup by asm name (``{NAME}`` constraints)."""


def parse_register(name: str) -> Register | None:
    """The register named ``name`` (lower-case, as in constraints), or None."""
    return BY_NAME.get(name)
