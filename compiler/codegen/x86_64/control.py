"""Control flow: ``condbr``, ``block``/``br``/``brvoid`` and ``loop``, with the register snapshots and the
reconciliation of every edge into a merge point (x86_64.md §9, docs/design/language-complete.md §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.air import AirInst, Block, Br, BrVoid, CondBr, Loop, Operand
from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64 import encoder_ext as ex
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64 import spill
from compiler.codegen.x86_64.encoder import AluOp, Cond
from compiler.codegen.x86_64.encoder_ext import Mem
from compiler.codegen.x86_64.frame import Label
from compiler.codegen.x86_64.mcvalue import MCKind, MCValue
from compiler.codegen.x86_64.registers import ALLOCATABLE, Register
from compiler.sema.types import Type, TypeTag

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen


class BlockState:
    """Code generation state of one ``block``: its end label and its result location once chosen.

    While the block is open, the state object itself owns the result register (a reservation, §9.2): it keeps
    the register from other allocations in sibling branches but is not a live value to save around calls.
    """

    end: Label
    mcv: MCValue | None
    entry: dict[Register, list[object]]
    """The register state at the block's entry: every ``br`` to the block reconciles to it (§11)."""

    __slots__ = ("end", "entry", "mcv")

    def __init__(
        self, end: Label, mcv: MCValue | None = None, entry: dict[Register, list[object]] | None = None
    ) -> None:
        self.end = end
        self.mcv = mcv
        self.entry = {} if entry is None else entry


def noreturn(body: list[AirInst]) -> bool:
    """Control never reaches the end of ``body`` (a ``condbr`` only when neither branch falls through)."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, CondBr):
        return noreturn(last.then_body) and noreturn(last.else_body)
    if isinstance(last, Block):
        return False
    return last.ty.tag is TypeTag.NORETURN


def reserve_open_blocks(fg: FunctionGen) -> None:
    """Block locations chosen in a sibling branch stay reserved (§9.2)."""
    for block in fg.open_blocks:
        state = fg.blocks[block]
        if state.mcv is not None and state.mcv.kind is MCKind.REGISTER:
            fg.regs.add_owner(state.mcv.register, state)


def gen_condbr(fg: FunctionGen, inst: CondBr) -> MCValue:
    """§9.1: test, branch to ELSE, then-branch, jump over, else-branch; snapshots, entry deaths and the
    reconciliation of both edges into the end (docs/design/language-complete.md §11)."""
    cond = fg.mcv(inst.condition)
    else_label = Label("ELSE")
    if cond.is_flags():
        fg.buf.jcc(cond.cmp_op.inverted().cond(cond.kind is MCKind.COMPARE_FLAGS_SIGNED), else_label)
    elif cond.kind is MCKind.REGISTER:
        fg.buf.emit(enc.test_r8_1(cond.register))
        fg.buf.jcc(Cond.E, else_label)
    elif cond.kind is MCKind.STACK_OFFSET:
        fg.buf.emit(ex.alu_rm_imm8(AluOp.CMP, Mem(Register.RBP, -(cond.payload + 1)), 0, 1))
        fg.buf.jcc(Cond.E, else_label)
    else:
        temp = fg.temp_value(inst.condition.ty, cond)
        fg.buf.emit(enc.test_r8_1(temp))
        fg.release(temp)
        fg.buf.jcc(Cond.E, else_label)
    if inst.operand_dies(0):
        fg.regs.free(inst.condition)
    snapshot = fg.regs.snapshot()
    dead_before = set(fg.regs.dead)
    locations = spill.moved_locations(fg)
    fg.merge_snaps.append(snapshot)
    for dying in inst.then_entry_deaths:
        fg.regs.free(dying)
    fg.gen_body(inst.then_body)
    end_label: Label | None = None
    if not noreturn(inst.then_body):
        spill.reconcile(fg, snapshot)
        end_label = Label("END")
        fg.buf.jmp(end_label)
    fg.buf.bind(else_label)
    dead_then = fg.regs.dead
    fg.regs.dead = set(dead_before)
    fg.regs.restore(snapshot)
    spill.restore_locations(fg, locations)
    spill.restore_values(fg, snapshot)
    reserve_open_blocks(fg)
    for dying in inst.else_entry_deaths:
        fg.regs.free(dying)
    fg.gen_body(inst.else_body)
    if not noreturn(inst.else_body):
        spill.reconcile(fg, snapshot)
    fg.regs.dead |= dead_then
    fg.merge_snaps.pop()
    if end_label is not None:
        fg.buf.bind(end_label)
    return mc.UNREACH


def gen_block(fg: FunctionGen, inst: Block) -> MCValue:
    """§9.2: generate the body; at its end, ownership is the entry state minus what died, plus the result."""
    before = fg.regs.snapshot()
    state = BlockState(Label("BLOCK_END"), entry=before)
    fg.blocks[inst] = state
    fg.open_blocks.append(inst)
    fg.merge_snaps.append(before)
    log_start = len(fg.regs.freed_log)
    fg.gen_body(inst.body)
    if not noreturn(inst.body):
        spill.reconcile(fg, before)
    fg.buf.bind(state.end)
    fg.open_blocks.pop()
    fg.merge_snaps.pop()
    # Entry state minus what died inside; values of the body's straight-line part that are still owned
    # at the end (defined in the block, used after it) keep their registers too.
    freed = {id(o) for o in fg.regs.freed_log[log_start:]}
    after: dict[Register, list[object]] = {}
    for table in (before, fg.regs.owners):
        for reg, lst in table.items():
            for o in lst:
                if id(o) not in freed and not any(o is k for k in after.get(reg, [])):
                    after.setdefault(reg, []).append(o)
    fg.regs.restore(after)
    spill.restore_values(fg, {r: [o for o in lst if id(o) not in freed] for r, lst in before.items()})
    if state.mcv is not None and state.mcv.kind is MCKind.REGISTER:
        # the reservation ends; the block's result is now a value owned by the block instruction
        fg.regs.remove_owner(state.mcv.register, state)
        fg.regs.add_owner(state.mcv.register, inst)
    if not inst.ty.has_code_gen_bits():
        return mc.NONE
    return state.mcv if state.mcv is not None else mc.UNREACH


def merge_regs(fg: FunctionGen, allowed: Operand | None = None) -> set[int]:
    """Registers that a value live at an enclosing merge point may be reloaded into (§11): a block's
    result location must avoid them."""
    out: set[int] = set()
    for snap in fg.merge_snaps:
        for reg, owners in snap.items():
            if any(isinstance(o, AirInst) and o is not allowed and id(o) not in fg.regs.dead for o in owners):
                out.add(reg.id)
    return out


def gen_br(fg: FunctionGen, inst: Br) -> MCValue:
    """§9.2: the first ``br`` adopts or allocates the block's location; later ones store into it. Then the
    edge is reconciled with the block's entry state (§11)."""
    block = inst.block
    state = fg.blocks[block]
    ty = block.ty
    if ty.has_code_gen_bits():
        value = fg.mcv(inst.operand)
        if state.mcv is None:
            avoid = merge_regs(fg, inst.operand)
            if (
                value.is_mutable()
                and inst.operand_dies(0)
                and fg.owns_alone(value, inst.operand)
                and not (value.kind is MCKind.REGISTER and value.register.id in avoid)
            ):
                state.mcv = value
                if value.kind is MCKind.REGISTER:
                    fg.regs.add_owner(value.register, state)
            else:
                state.mcv = block_location(fg, state, ty, avoid | merge_regs(fg))
                fg.set_reg_or_mem(ty, state.mcv, value)
        else:
            fg.set_reg_or_mem(ty, state.mcv, value)
    spill.reconcile(fg, state.entry)
    fg.buf.jmp(state.end)
    return mc.NONE


def gen_brvoid(fg: FunctionGen, inst: BrVoid) -> MCValue:
    """Leave a block without a value, reconciling with its entry state (§11)."""
    state = fg.blocks[inst.block]
    spill.reconcile(fg, state.entry)
    fg.buf.jmp(state.end)
    return mc.NONE


def block_location(fg: FunctionGen, state: BlockState, ty: Type, avoid: set[int]) -> MCValue:
    """A register not reloaded by any merge edge, else a stack slot."""
    if ty.abi_size() <= 8:
        reg = fg.regs.allocate(state, tuple(r for r in ALLOCATABLE if r.id in avoid))
        if reg is not None:
            return mc.register(reg)
    return mc.stack_offset(fg.alloc_mem(ty))


def gen_loop(fg: FunctionGen, inst: Loop) -> MCValue:
    """§9.3: the body, then a jump back to its start; outer values read inside die on exit. The back-edge
    reconciles with the state at the loop's start (§11)."""
    start = fg.buf.offset
    fg.buf.mark()
    snapshot = fg.regs.snapshot()
    fg.merge_snaps.append(snapshot)
    fg.gen_body(inst.body)
    if not noreturn(inst.body):
        spill.reconcile(fg, snapshot)
    fg.buf.jmp_back(start)
    fg.merge_snaps.pop()
    for dying in inst.exit_deaths:
        fg.regs.free(dying)
    return mc.UNREACH
