"""Machine values (MCValue): where a value lives at run time (x86_64.md §3)."""

from __future__ import annotations

import enum
from typing import Final

from compiler.codegen.x86_64.encoder import Cond
from compiler.codegen.x86_64.registers import Register
from compiler.record import frozen_delattr, frozen_setattr, record_repr


class MCKind(enum.Enum):
    """The kinds of machine value; the value is the name messages print (``MCValue.{kind}``)."""

    NONE = "none"
    """No runtime bits (void, types, comptime values, ``noreturn`` calls)."""
    UNREACH = "unreach"
    """Control never gets here."""
    DEAD = "dead"
    """The value was not computed (unused result) or was freed."""
    UNDEF = "undef"
    """Undefined."""
    IMMEDIATE = "immediate"
    """A constant that fits in a register (``payload`` = the unsigned 64-bit value)."""
    REGISTER = "register"
    """In ``reg`` (stored as the 64-bit alias; the width comes from the value's type)."""
    MEMORY = "memory"
    """In memory at the absolute address ``payload`` (for a decl pointer: the decl's GOT slot)."""
    STACK_OFFSET = "stack_offset"
    """In the frame at ``[rbp - (payload + size)]``."""
    PTR_STACK_OFFSET = "ptr_stack_offset"
    """A pointer to the stack slot at offset ``payload``."""
    COMPARE_FLAGS_UNSIGNED = "compare_flags_unsigned"
    """A bool in the CPU flags, true when ``op`` holds for the last unsigned comparison."""
    COMPARE_FLAGS_SIGNED = "compare_flags_signed"
    """A bool in the CPU flags, true when ``op`` holds for the last signed comparison."""
    EMBEDDED_IN_CODE = "embedded_in_code"
    """Bytes inside the function's own code (never produced on x86-64)."""
    PTR_EMBEDDED_IN_CODE = "ptr_embedded_in_code"
    """A pointer to bytes inside the function's code (never produced on x86-64)."""


class CmpOp(enum.Enum):
    """A comparison operator; ``true_cc`` / ``opposite`` by signedness (§6.1)."""

    LT = "lt"
    """Less than."""
    LTE = "lte"
    """Less than or equal."""
    EQ = "eq"
    """Equal."""
    GTE = "gte"
    """Greater than or equal."""
    GT = "gt"
    """Greater than."""
    NEQ = "neq"
    """Not equal."""

    def cond(self, signed: bool) -> Cond:
        """The condition code that is true when the comparison holds."""
        match self:
            case CmpOp.LT:
                return Cond.L if signed else Cond.B
            case CmpOp.LTE:
                return Cond.LE if signed else Cond.BE
            case CmpOp.EQ:
                return Cond.E
            case CmpOp.GTE:
                return Cond.GE if signed else Cond.AE
            case CmpOp.GT:
                return Cond.G if signed else Cond.A
            case CmpOp.NEQ:
                return Cond.NE

    def inverted(self) -> CmpOp:
        """The operator that holds exactly when this one does not."""
        match self:
            case CmpOp.LT:
                return CmpOp.GTE
            case CmpOp.LTE:
                return CmpOp.GT
            case CmpOp.EQ:
                return CmpOp.NEQ
            case CmpOp.GTE:
                return CmpOp.LT
            case CmpOp.GT:
                return CmpOp.LTE
            case CmpOp.NEQ:
                return CmpOp.EQ


class MCValue:
    """A machine value: its kind plus the payload the kind needs."""

    kind: MCKind
    payload: int
    reg: Register | None
    op: CmpOp | None

    __slots__ = ("kind", "op", "payload", "reg")
    __match_args__ = ("kind", "payload", "reg", "op")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, kind: MCKind, payload: int = 0, reg: Register | None = None, op: CmpOp | None = None) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "payload", payload)
        object.__setattr__(self, "reg", reg)
        object.__setattr__(self, "op", op)

    def __repr__(self) -> str:
        return record_repr(self, ("kind", "payload", "reg", "op"))

    def __eq__(self, other: object) -> bool:
        if type(other) is MCValue:
            return (self.kind, self.payload, self.reg, self.op) == (other.kind, other.payload, other.reg, other.op)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.kind, self.payload, self.reg, self.op))

    @property
    def register(self) -> Register:
        """The (64-bit) register of a ``register`` value."""
        assert self.kind is MCKind.REGISTER and self.reg is not None
        return self.reg

    @property
    def cmp_op(self) -> CmpOp:
        """The operator of a compare-flags value."""
        assert self.op is not None
        return self.op

    def is_flags(self) -> bool:
        """A bool held in the CPU flags."""
        return self.kind in (MCKind.COMPARE_FLAGS_UNSIGNED, MCKind.COMPARE_FLAGS_SIGNED)

    def is_mutable(self) -> bool:
        """May be overwritten in place by an arithmetic instruction (``register`` or ``stack_offset``)."""
        return self.kind in (MCKind.REGISTER, MCKind.STACK_OFFSET)

    def is_memory(self) -> bool:
        """Lives in memory (absolute, frame or code)."""
        return self.kind in (MCKind.MEMORY, MCKind.STACK_OFFSET, MCKind.EMBEDDED_IN_CODE)

    def flags_cond(self) -> Cond:
        """The condition code true for a compare-flags value."""
        return self.cmp_op.cond(self.kind is MCKind.COMPARE_FLAGS_SIGNED)


NONE: Final = MCValue(MCKind.NONE)
UNREACH: Final = MCValue(MCKind.UNREACH)
DEAD: Final = MCValue(MCKind.DEAD)
UNDEF: Final = MCValue(MCKind.UNDEF)


def immediate(value: int) -> MCValue:
    """``immediate(value)`` (unsigned, below 2^64)."""
    assert 0 <= value < 1 << 64
    return MCValue(MCKind.IMMEDIATE, value)


_REGISTER_VALUES: Final[dict[Register, MCValue]] = {}
"""One ``register(reg)`` value per register: the values are immutable, and making one per use cost a frozen
dataclass construction on every instruction's operands."""


def register(reg: Register) -> MCValue:
    """``register(reg)``, normalised to the 64-bit alias."""
    r = reg.to64()
    value = _REGISTER_VALUES.get(r)
    if value is None:
        value = _REGISTER_VALUES[r] = MCValue(MCKind.REGISTER, reg=r)
    return value


def memory(address: int) -> MCValue:
    """``memory(address)``."""
    return MCValue(MCKind.MEMORY, address)


def stack_offset(offset: int) -> MCValue:
    """``stack_offset(offset)``."""
    return MCValue(MCKind.STACK_OFFSET, offset)


def ptr_stack_offset(offset: int) -> MCValue:
    """``ptr_stack_offset(offset)``."""
    return MCValue(MCKind.PTR_STACK_OFFSET, offset)


def compare_flags(op: CmpOp, signed: bool) -> MCValue:
    """``compare_flags_signed(op)`` or ``compare_flags_unsigned(op)``."""
    return MCValue(MCKind.COMPARE_FLAGS_SIGNED if signed else MCKind.COMPARE_FLAGS_UNSIGNED, op=op)
