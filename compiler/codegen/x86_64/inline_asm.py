"""The inline-assembly subset: constraint parsing and validation in the order of x86_64.md §10.

``plan_assembly`` checks an ``assembly`` instruction and returns the registers involved; the code itself
(saves, the parallel move of the inputs, ``syscall``, the result) is emitted by ``function.py``.
"""

from __future__ import annotations

from compiler.codegen.x86_64.registers import HIGH_BYTE, Register, parse_register
from compiler.record import frozen_delattr, frozen_setattr, record_repr


class AsmError(Exception):
    """An assembly instruction the backend cannot generate; ``msg`` is the exact message of §10/§13."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


class AsmPlan:
    """The registers of a validated assembly instruction."""

    inputs: tuple[Register, ...]
    """Input ``i``'s register (its own size), for ``args[i]``."""
    output: Register | None
    """The output register, if any."""
    clobbered: tuple[Register, ...]
    """Inputs, output and register-named clobbers: the registers the instruction overwrites (§7.5)."""

    __slots__ = ("clobbered", "inputs", "output")
    __match_args__ = ("inputs", "output", "clobbered")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, inputs: tuple[Register, ...], output: Register | None, clobbered: tuple[Register, ...]) -> None:
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "output", output)
        object.__setattr__(self, "clobbered", clobbered)

    def __repr__(self) -> str:
        return record_repr(self, ("inputs", "output", "clobbered"))

    def __eq__(self, other: object) -> bool:
        if type(other) is AsmPlan:
            return (self.inputs, self.output, self.clobbered) == (other.inputs, other.output, other.clobbered)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.inputs, self.output, self.clobbered))


def _text(b: bytes) -> str:
    return b.decode("utf-8", errors="replace")


def _register(name: bytes) -> Register:
    reg = parse_register(_text(name))
    if reg is None:
        raise AsmError(f"unrecognized register: '{_text(name)}'")
    return reg


def _check_allowed(reg: Register, name: str, naked: bool) -> None:
    """§10 step 4 as language-complete §12 has it: high-byte registers and aliases of rsp/rbp are never
    operands; rbx and r12–r15 are (the prologue of a non-Naked function saves them)."""
    del naked
    if reg in HIGH_BYTE or reg.id in (4, 5):
        raise AsmError(f"asm operand in register '{name}' is not supported")


def plan_assembly(
    asm_source: bytes,
    output: bytes | None,
    inputs: tuple[bytes, ...],
    clobbers: tuple[bytes, ...],
    *,
    naked: bool,
) -> AsmPlan:
    """Validate constraints and source in the order of §10 (inputs, output, restrictions, source)."""
    input_regs: list[Register] = []
    for constraint in inputs:
        if len(constraint) < 3 or constraint[:1] != b"{" or constraint[-1:] != b"}":
            raise AsmError(f"unrecognized asm input constraint: '{_text(constraint)}'")
        input_regs.append(_register(constraint[1:-1]))
    output_reg: Register | None = None
    if output is not None:
        if len(output) < 4 or output[:2] != b"={" or output[-1:] != b"}":
            raise AsmError(f"unrecognized asm output constraint: '{_text(output)}'")
        output_reg = _register(output[2:-1])
    clobber_regs = [r for r in (parse_register(_text(c)) for c in clobbers) if r is not None]
    for reg in input_regs:
        _check_allowed(reg, reg.asm_name, naked)
    if output_reg is not None:
        _check_allowed(output_reg, output_reg.asm_name, naked)
    for reg in clobber_regs:
        _check_allowed(reg, reg.asm_name, naked)
    if asm_source != b"syscall":
        raise AsmError("inline assembly other than 'syscall' is not supported")
    clobbered: list[Register] = []
    # ``syscall`` itself overwrites rcx (return address) and r11 (rflags), declared or not.
    implicit = (Register.RCX, Register.R11)
    for reg in (*input_regs, *([output_reg] if output_reg is not None else []), *clobber_regs, *implicit):
        if all(r.id != reg.id for r in clobbered):
            clobbered.append(reg.to64())
    return AsmPlan(tuple(input_regs), output_reg, tuple(clobbered))
