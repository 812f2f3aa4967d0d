"""Spilling and merge-point reconciliation of the register allocator (docs/design/language-complete.md §11).

When no register is free, the unlocked register whose owners' next use is farthest is stored into its owner's
8-byte spill slot and the owners' MCValues become that slot. At every edge into a merge point (a ``br`` to a
block's end, a branch falling through to a ``condbr`` end, a loop's back-edge) the values that were in a
register when the merge point was entered and have been spilled since are reloaded there, so all edges agree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from compiler.air import AirInst, nested_bodies
from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64.fail import Fail
from compiler.codegen.x86_64.mcvalue import MCKind, MCValue
from compiler.codegen.x86_64.regalloc import plan_parallel_move
from compiler.codegen.x86_64.registers import ALLOCATABLE, Register

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen

NAKED_STACK_MSG: Final = "function with naked calling convention cannot use stack memory"
NO_REGISTER_MSG: Final = "unable to allocate a register: every register is in use by one instruction"

Snapshot = dict[Register, list[object]]


def number_uses(body: list[AirInst]) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Position of every instruction (pre-order) and the sorted positions where each operand is used."""
    positions: dict[int, int] = {}
    uses: dict[int, list[int]] = {}

    def walk(b: list[AirInst]) -> None:
        for inst in b:
            p = len(positions)
            positions[id(inst)] = p
            for op in inst.operands():
                uses.setdefault(id(op), []).append(p)
            for nested in nested_bodies(inst):
                walk(nested)

    walk(body)
    return positions, uses


def _next_use(fg: FunctionGen, owner: object, pos: int) -> int:
    lst = fg.uses.get(id(owner), [])
    i = bisect_right(lst, pos)
    return lst[i] if i < len(lst) else 1 << 30


def spillable(fg: FunctionGen, reg: Register) -> bool:
    """Every owner of ``reg`` is a generated value living there (not a scratch, a block reservation or the
    instruction being generated), and the register is not locked by the current instruction."""
    if reg.id in fg.locked:
        return False
    owners = fg.regs.owners_of(reg)
    if not owners:
        return False
    for o in owners:
        if not isinstance(o, AirInst):
            return False
        v = fg.values.get(o)
        if v is None or v.kind is not MCKind.REGISTER or v.register.id != reg.id:
            return False
    return True


def spill_register(fg: FunctionGen, reg: Register) -> None:
    """Store ``reg`` into its owners' spill slot; the owners now live there (a home changes once)."""
    if fg.naked:
        raise Fail(NAKED_STACK_MSG)
    reg = reg.to64()
    owners = [o for o in fg.regs.owners_of(reg) if isinstance(o, AirInst)]
    slot = next((fg.spill_slots[id(o)] for o in owners if id(o) in fg.spill_slots), None)
    if slot is None:
        slot = fg.frame.alloc_mem(8, 8)
    fg.buf.emit(enc.mov_rbp_reg(slot + 8, reg, 8))
    for o in owners:
        assert isinstance(o, AirInst)
        fg.spill_slots[id(o)] = slot
        fg.moved[id(o)] = o
        fg.values[o] = mc.stack_offset(slot + 8 - o.ty.abi_size())
    for o in owners:
        fg.regs.remove_owner(reg, o)


def spill_one(fg: FunctionGen, exclude: Iterable[Register] = ()) -> Register:
    """Free a register by spilling the one whose owners are used farthest ahead (ties: lowest register)."""
    excluded = {r.id for r in exclude}
    if not fg.positions:  # numbered on the first spill: most functions never spill
        fg.positions, fg.uses = number_uses(fg.body)
    pos = fg.positions.get(id(fg.lock_inst), 0)
    best: Register | None = None
    best_use = -1
    for reg in ALLOCATABLE:
        if reg.id in excluded or not spillable(fg, reg):
            continue
        use = min(_next_use(fg, o, pos) for o in fg.regs.owners_of(reg))
        if use > best_use:
            best, best_use = reg, use
    if best is None:
        raise Fail(NO_REGISTER_MSG)
    spill_register(fg, best)
    return best


def evict(fg: FunctionGen, reg: Register, keep_out: Iterable[Register] = ()) -> None:
    """Make ``reg`` free for a fixed use (rax/rdx of mul/div, rcx of shifts): its owners move to another free
    register (not in ``keep_out``), or to their spill slot."""
    reg = reg.to64()
    if any(o is fg.temp_owner for o in fg.regs.owners_of(reg)):
        raise Fail(NO_REGISTER_MSG)
    # a block's result reservation holds no value on this path (it is written by the ``br``): it stays
    owners = [o for o in fg.regs.owners_of(reg) if isinstance(o, AirInst)]
    if not owners:
        return
    if not all(fg.values.get(o) is not None for o in owners):
        raise Fail(NO_REGISTER_MSG)
    avoid = [reg, *keep_out]
    new = fg.regs.find_free(avoid)
    if new is None:
        spill_register(fg, reg)
        return
    fg.buf.emit(enc.mov_reg_reg(new, reg, 8))
    for o in list(owners):
        assert isinstance(o, AirInst)
        fg.moved[id(o)] = o
        fg.values[o] = mc.register(new)
        fg.regs.add_owner(new, o)
        fg.regs.remove_owner(reg, o)
    if reg.id in fg.locked:
        fg.locked.discard(reg.id)
        fg.locked.add(new.id)


def moved_locations(fg: FunctionGen) -> dict[int, MCValue]:
    """Where every value that ever changed location (spill, eviction, reload) is now: saved at a branch
    entry and put back for the other branch (:func:`restore_locations`)."""
    return {k: fg.values[o] for k, o in fg.moved.items() if o in fg.values}


def restore_locations(fg: FunctionGen, saved: dict[int, MCValue]) -> None:
    """Undo the location changes a sibling path made (the register table is restored separately)."""
    for k, v in saved.items():
        fg.values[fg.moved[k]] = v


def restore_values(fg: FunctionGen, snap: Snapshot) -> None:
    """After ``regs.restore(snap)``: the values owning a register in ``snap`` live there again (a sibling
    path may have spilled them or moved them to another register)."""
    for reg, owners in snap.items():
        for o in owners:
            if isinstance(o, AirInst) and o in fg.values:
                v = fg.values[o]
                if (v.kind is MCKind.STACK_OFFSET and id(o) in fg.spill_slots) or (
                    v.kind is MCKind.REGISTER and v.register.id != reg.id
                ):
                    fg.values[o] = mc.register(reg)


def reconcile(fg: FunctionGen, snap: Snapshot) -> None:
    """On an edge into a merge point: every value still live that was in a register of ``snap`` and has been
    spilled or moved since goes back there (one parallel move)."""
    moves: list[tuple[Register, MCValue]] = []
    moved: list[tuple[Register, AirInst]] = []
    for reg, owners in snap.items():
        for o in owners:
            if not isinstance(o, AirInst) or id(o) in fg.regs.dead or o not in fg.values:
                continue
            v = fg.values[o]
            if v.kind is MCKind.STACK_OFFSET and id(o) in fg.spill_slots:
                src = mc.stack_offset(fg.spill_slots[id(o)])
            elif v.kind is MCKind.REGISTER and v.register.id != reg.id:
                src = mc.register(v.register)
            else:
                continue
            if not any(d.id == reg.id for d, _ in moves):
                moves.append((reg, src))
            moved.append((reg, o))
    if not moves:
        return

    def find_temp(used: set[int]) -> Register | None:
        return fg.regs.find_free(tuple(r for r in ALLOCATABLE if r.id in used))

    try:
        ordered = plan_parallel_move(moves, find_temp)
    except LookupError:
        raise Fail(NO_REGISTER_MSG) from None
    for dst, src in ordered:
        fg.set_reg(dst.to64(), src)
    for reg, o in moved:
        old = fg.values[o]
        if old.kind is MCKind.REGISTER:
            fg.regs.remove_owner(old.register, o)
        fg.values[o] = mc.register(reg)
        fg.regs.add_owner(reg, o)
        fg.moved[id(o)] = o
