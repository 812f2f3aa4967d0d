"""A function's code buffer and frame: labels, jump relocations, jump elision and stack slots (x86_64.md §5)."""

from __future__ import annotations

import struct
from typing import Final

from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64.encoder import Cond

JUMP_TOO_FAR: Final = "unable to perform relocation: jump too far"


class JumpTooFar(Exception):
    """A resolved jump displacement does not fit in 32 bits (the caller reports it at its position)."""


class Label:
    """A code position that jumps target; ``offset`` is None until bound."""

    name: str
    offset: int | None

    __slots__ = ("name", "offset")

    def __init__(self, name: str, offset: int | None = None) -> None:
        self.name = name
        self.offset = offset


class _JumpReloc:
    """A ``rel32`` at ``at`` (the first byte of the displacement) that must reach ``label``."""

    at: int
    label: Label

    __slots__ = ("at", "label")

    def __init__(self, at: int, label: Label) -> None:
        self.at = at
        self.label = label


class CodeBuffer:
    """Bytes of one function plus its labels and pending jump relocations.

    Forward jumps are emitted with a zero ``rel32`` and resolved in :meth:`finish`. The elision rule of
    §5.4: binding a label right after an unconditional ``E9`` jump to that label removes the jump, unless
    another label or a line-table row is already bound at that position.
    """

    code: bytearray
    relocs: list[_JumpReloc]
    # (start offset, label) of the last instruction when it is an unconditional jmp rel32 to a label.
    _last_jump: tuple[int, Label] | None
    # Code offsets at which a label was bound or a line row recorded (the elision rule must not cross them).
    _anchors: set[int]

    __slots__ = ("_anchors", "_last_jump", "code", "relocs")

    def __init__(
        self,
        code: bytearray | None = None,
        relocs: list[_JumpReloc] | None = None,
        _last_jump: tuple[int, Label] | None = None,
        _anchors: set[int] | None = None,
    ) -> None:
        self.code = bytearray() if code is None else code
        self.relocs = [] if relocs is None else relocs
        self._last_jump = _last_jump
        self._anchors = set() if _anchors is None else _anchors

    @property
    def offset(self) -> int:
        """The current end of the code."""
        return len(self.code)

    def emit(self, data: bytes) -> None:
        """Append one instruction's bytes."""
        self.code += data
        self._last_jump = None

    def jmp(self, label: Label) -> None:
        """J1 ``jmp rel32`` to ``label`` (resolved at :meth:`finish`)."""
        start = self.offset
        self.code += enc.jmp_rel32(0)
        self.relocs.append(_JumpReloc(start + 1, label))
        self._last_jump = (start, label)

    def jcc(self, cond: Cond, label: Label) -> None:
        """J3 ``jcc rel32`` to ``label``; never elided."""
        start = self.offset
        self.emit(enc.jcc_rel32(cond, 0))
        self.relocs.append(_JumpReloc(start + 2, label))

    def jmp_back(self, target: int) -> None:
        """J2 (``rel8``) or J1 jump to the already known offset ``target`` (loop back-edges)."""
        d8 = target - (self.offset + 2)
        if -128 <= d8 <= 127:
            self.emit(enc.jmp_rel8(d8))
            return
        d32 = target - (self.offset + 5)
        if not -(1 << 31) <= d32 < 1 << 31:
            raise JumpTooFar
        self.emit(enc.jmp_rel32(d32))

    def mark(self) -> None:
        """Record that a line-table row is bound at the current offset (blocks elision across it)."""
        self._anchors.add(self.offset)
        self._last_jump = None

    def bind(self, label: Label) -> None:
        """Bind ``label`` at the current offset, eliding a final jump to it (§5.4)."""
        assert label.offset is None, f"label {label.name} bound twice"
        p = self.offset
        last = self._last_jump
        if last is not None and last[1] is label and last[0] + 5 == p and p not in self._anchors:
            del self.code[last[0] :]
            self.relocs.pop()
            p = last[0]
        label.offset = p
        self._anchors.add(p)
        self._last_jump = None

    def finish(self) -> bytes:
        """Resolve every jump relocation and return the code."""
        for r in self.relocs:
            assert r.label.offset is not None, f"label {r.label.name} never bound"
            rel = r.label.offset - (r.at + 4)
            if not -(1 << 31) <= rel < 1 << 31:
                raise JumpTooFar
            self.code[r.at : r.at + 4] = struct.pack("<i", rel)
        return bytes(self.code)


def align_forward(value: int, align: int) -> int:
    """The smallest multiple of ``align`` that is >= ``value``."""
    return (value + align - 1) // align * align


class StackFrame:
    """Stack slots of one function (§5.3): never reused, except the per-register save slots of §7.5."""

    next_stack_offset: int
    max_end_stack: int
    save_slots: dict[int, int]

    __slots__ = ("max_end_stack", "next_stack_offset", "save_slots")

    def __init__(
        self, next_stack_offset: int = 0, max_end_stack: int = 0, save_slots: dict[int, int] | None = None
    ) -> None:
        self.next_stack_offset = next_stack_offset
        self.max_end_stack = max_end_stack
        self.save_slots = {} if save_slots is None else save_slots

    def alloc_mem(self, size: int, align: int) -> int:
        """Allocate a slot of ``size`` bytes aligned to ``align``; returns its offset ``o`` (memory
        ``[rbp - (o + size)]``)."""
        offset = align_forward(self.next_stack_offset, max(align, 1))
        self.next_stack_offset = offset + size
        self.max_end_stack = max(self.max_end_stack, self.next_stack_offset)
        return offset

    def save_slot(self, reg_id: int) -> int:
        """The 8-byte save slot of register ``reg_id``, allocated on first use."""
        if reg_id not in self.save_slots:
            self.save_slots[reg_id] = self.alloc_mem(8, 8)
        return self.save_slots[reg_id]

    def frame_size(self) -> int:
        """``N = align_forward(max_end_stack, 16)``."""
        return align_forward(self.max_end_stack, 16)
