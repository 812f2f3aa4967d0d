"""Calls and inline assembly: saves around clobbers, parallel moves of arguments/inputs, results
(x86_64.md §7.4, §7.5, §9.4, §10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.air import AirInst, Assembly, Call, Constant
from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64 import spill
from compiler.codegen.x86_64.abi import resolve_calling_convention
from compiler.codegen.x86_64.fail import Fail
from compiler.codegen.x86_64.inline_asm import AsmError, plan_assembly
from compiler.codegen.x86_64.mcvalue import MCKind, MCValue
from compiler.codegen.x86_64.regalloc import plan_parallel_move
from compiler.codegen.x86_64.registers import ALLOCATABLE, BY_ID, Register
from compiler.link import DeclIndex
from compiler.sema.types import Type
from compiler.sema.values import FunctionValue

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen


def save(fg: FunctionGen, inst: AirInst, clobbered: tuple[Register, ...]) -> list[Register]:
    """§7.5: store the live registers the instruction clobbers into their save slots."""
    dying = {id(op) for i, op in enumerate(inst.operands()) if inst.operand_dies(i)}
    ids = {r.id for r in clobbered}
    owned = fg.regs.owners  # most registers have no owner at all: skip them before the liveness test
    to_save = [BY_ID[i] for i in range(16) if i in ids and owned.get(BY_ID[i]) and fg.live_after(BY_ID[i], dying)]
    if to_save and fg.naked:
        raise Fail(spill.NAKED_STACK_MSG)
    for reg in to_save:
        fg.buf.emit(enc.mov_rbp_reg(fg.frame.save_slot(reg.id) + 8, reg, 8))
    return to_save


def restore(fg: FunctionGen, to_save: list[Register]) -> None:
    """§7.5: reload the saved registers (8 bytes each) after the clobbering instruction."""
    for reg in to_save:
        fg.buf.emit(enc.mov_reg_rbp(reg, fg.frame.save_slot(reg.id) + 8, 8))


def parallel_move(fg: FunctionGen, moves: list[tuple[Register, MCValue, Type]]) -> None:
    """§7.4: emit the moves so that no source is overwritten before it is read."""
    types = {dst.id: ty for dst, _, ty in moves}

    def find_temp(used: set[int]) -> Register | None:
        exclude = tuple(BY_ID[i] for i in used)
        free = fg.regs.find_free(exclude)
        return free if free is not None else spill.spill_one(fg, exclude)

    ordered = plan_parallel_move([(dst, src) for dst, src, _ in moves], find_temp)
    for dst, src in ordered:
        ty = types.get(dst.id)
        if ty is None:  # a cycle-breaking copy to a temporary: whole register
            fg.set_reg(dst.to64(), src)
        else:
            fg.set_reg(dst, src, ty)


def result_register(fg: FunctionGen, inst: AirInst, reg: Register, to_save: list[Register]) -> MCValue:
    """The clobbering instruction's result in ``reg``, moved away first if ``reg`` is being restored."""
    if inst.is_unused and any(r.id == reg.id for r in to_save):
        return mc.DEAD
    if any(r.id == reg.id for r in to_save):
        new = fg.alloc_reg(inst, tuple(to_save))
        fg.buf.emit(enc.mov_reg_reg(new, reg.to64(), inst.ty.abi_size()))
        return mc.register(new)
    fg.regs.add_owner(reg, inst)
    return mc.register(reg)


def gen_call(fg: FunctionGen, inst: Call) -> MCValue:
    """§9.4: arguments by parallel move, ``call qword ptr [G(callee)]``, result, restores."""
    cc = resolve_calling_convention(inst.func.ty)
    if isinstance(cc, str):
        raise Fail(cc)
    param_types = inst.func.ty.fn_param_types()
    moves: list[tuple[Register, MCValue, Type]] = []
    for i, arg in enumerate(inst.args):
        loc = cc.args[i] if i < len(cc.args) else None
        if loc is None:
            raise Fail("TODO implement calling with parameters in memory")
        value = fg.mcv(arg)
        if value.kind is MCKind.PTR_STACK_OFFSET:
            raise Fail("TODO implement calling with MCValue.ptr_stack_offset arg")
        if value.kind is MCKind.PTR_EMBEDDED_IN_CODE:
            raise Fail("TODO implement calling with MCValue.ptr_embedded_in_code arg")
        pty = param_types[i]
        moves.append((loc.register.to_size(pty.abi_size()), value, pty))
    func = inst.func
    if not isinstance(func, Constant):
        raise Fail("TODO implement calling runtime known function pointer")
    if not isinstance(func.val, FunctionValue):
        raise Fail("TODO implement calling bitcasted functions")
    to_save = save(fg, inst, ALLOCATABLE)
    parallel_move(fg, moves)
    fg.buf.emit(enc.call_abs32(fg.addresses.got_address(DeclIndex(func.val.fn.owner.index))))
    result = cc.return_value
    if result.kind is MCKind.REGISTER:
        result = result_register(fg, inst, result.register, to_save)
    restore(fg, to_save)
    return result


def gen_asm(fg: FunctionGen, inst: Assembly) -> MCValue:
    """§10: validate, save, parallel move of the inputs, ``syscall``, result, restore."""
    if not inst.is_volatile and inst.is_unused:
        return mc.DEAD
    try:
        plan = plan_assembly(inst.asm_source, inst.output, inst.inputs, inst.clobbers, naked=fg.naked)
    except AsmError as e:
        raise Fail(e.msg) from None
    moves = [(reg, fg.mcv(arg), arg.ty) for reg, arg in zip(plan.inputs, inst.args, strict=False)]
    to_save = save(fg, inst, plan.clobbered)
    parallel_move(fg, moves)
    fg.buf.emit(enc.syscall())
    result = mc.NONE
    if plan.output is not None:
        result = result_register(fg, inst, plan.output, to_save)
    restore(fg, to_save)
    return result
