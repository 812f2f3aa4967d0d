"""Calls and inline assembly: saves around clobbers, parallel moves of arguments/inputs, results
(x86_64.md §7.4, §7.5, §9.4, §10)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.air import AirInst, Assembly, Block, Call, CondBr, Constant, Loop, Operand, nested_bodies
from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64 import encoder_ext as ex
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64 import memory, spill
from compiler.codegen.x86_64.abi import ReturnKind, resolve_calling_convention
from compiler.codegen.x86_64.encoder_ext import Mem
from compiler.codegen.x86_64.fail import Fail
from compiler.codegen.x86_64.inline_asm import AsmError, plan_assembly
from compiler.codegen.x86_64.mcvalue import MCKind, MCValue
from compiler.codegen.x86_64.regalloc import plan_parallel_move
from compiler.codegen.x86_64.registers import ALLOCATABLE, BY_ID, CALLEE_SAVED, Register
from compiler.link import DeclIndex
from compiler.sema.types import Type, TypeTag
from compiler.sema.values import FunctionValue

USIZE: Final = Type.named(TypeTag.USIZE)
_NESTING: Final = (Block, Loop, CondBr)
"""The instructions with nested bodies (``nested_bodies``)."""

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen


def save(fg: FunctionGen, inst: AirInst, clobbered: tuple[Register, ...]) -> list[Register]:
    """§7.5: store the live registers the instruction clobbers into their save slots."""
    if not fg.regs.owners:  # no register holds anything (owners lists are never left empty)
        return []
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


def parallel_move(
    fg: FunctionGen, moves: list[tuple[Register, MCValue, Type]], inst: AirInst, to_save: list[Register]
) -> None:
    """§7.4: emit the moves so that no source is overwritten before it is read. A cycle is broken through a
    free register, else one that only holds values dying here or saved around ``inst``, else a spill."""
    if not moves:
        return
    types = {dst.id: ty for dst, _, ty in moves}
    dying = {id(op) for i, op in enumerate(inst.operands()) if inst.operand_dies(i)}
    saved = {r.id for r in to_save}

    def expendable(reg: Register) -> bool:
        return reg.id in saved or all(id(o) in dying for o in fg.regs.owners_of(reg))

    def find_temp(used: set[int]) -> Register | None:
        exclude = tuple(BY_ID[i] for i in used)
        free = fg.regs.find_free(exclude)
        if free is not None:
            return free
        spare = next((r for r in ALLOCATABLE if r.id not in used and expendable(r)), None)
        return spare if spare is not None else spill.spill_one(fg, exclude)

    ordered = plan_parallel_move([(dst, src) for dst, src, _ in moves], find_temp)
    for dst, src in ordered:
        ty = types.get(dst.id)
        if ty is None:  # a cycle-breaking copy to a temporary: whole register
            fg.set_reg(dst.to64(), src)
        else:
            fg.set_reg(dst, src, ty)


def result_register(fg: FunctionGen, inst: AirInst, reg: Register, to_save: list[Register]) -> MCValue:
    """The clobbering instruction's result in ``reg``, moved away first if ``reg`` is being restored."""
    if not to_save:  # nothing is restored (the usual case): the result stays where it is
        fg.regs.add_owner(reg, inst)
        return mc.register(reg)
    if inst.is_unused and any(r.id == reg.id for r in to_save):
        return mc.DEAD
    if any(r.id == reg.id for r in to_save):
        new = fg.regs.allocate(inst, tuple(to_save))
        if new is None:
            # every register holds a value being restored: the result's home is a new stack slot (§11)
            if fg.naked:
                raise Fail(spill.NAKED_STACK_MSG)
            offset = fg.frame.alloc_mem(8, 8)
            fg.buf.emit(enc.mov_rbp_reg(offset + 8, reg.to64(), 8))
            return mc.stack_offset(offset + 8 - inst.ty.abi_size())
        fg.buf.emit(enc.mov_reg_reg(new, reg.to64(), inst.ty.abi_size()))
        return mc.register(new)
    fg.regs.add_owner(reg, inst)
    return mc.register(reg)


def eightbyte_sources(fg: FunctionGen, ty: Type, value: MCValue, n: int) -> list[MCValue]:
    """The ``n`` eightbytes of a value that lives in memory (or a register, for one eightbyte), as 8-byte
    loadable MCValues."""
    if n == 1 and value.kind is not MCKind.STACK_OFFSET and value.kind is not MCKind.MEMORY:
        return [value]
    size = ty.abi_size()
    if value.kind is MCKind.STACK_OFFSET:
        return [mc.stack_offset(value.payload + size - 8 * k - 8) for k in range(n)]
    if value.kind is MCKind.MEMORY:
        return [mc.memory(value.payload + 8 * k) for k in range(n)]
    if value.kind is MCKind.UNDEF:
        return [mc.UNDEF] * n
    # a value of more than 8 bytes always lives in memory; anything else is materialised into a slot
    offset = fg.alloc_mem(ty)
    fg.gen_set_stack(ty, offset, value)
    return eightbyte_sources(fg, ty, mc.stack_offset(offset), n)


def gen_call(fg: FunctionGen, inst: Call) -> MCValue:
    """§9.4 and language-complete §11: stack arguments, register arguments by parallel move, the hidden
    result pointer, ``call qword ptr [G(callee)]`` or ``call r/m64`` through a function value, the result
    in ``rax``/``rax:rdx``/memory, restores."""
    fn_ty = inst.func.ty
    cc = resolve_calling_convention(fn_ty)
    if isinstance(cc, str):
        raise Fail(cc)
    param_types = fn_ty.fn_param_types()
    func = inst.func
    direct = isinstance(func, Constant) and isinstance(func.val, FunctionValue)
    to_save = save(fg, inst, ALLOCATABLE)
    area = (cc.stack_size + 15) // 16 * 16
    if area:
        if fg.naked:
            raise Fail(spill.NAKED_STACK_MSG)
        fg.buf.emit(ex.sub_rsp(area))
    moves: list[tuple[Register, MCValue, Type]] = []
    for i, arg in enumerate(inst.args):
        loc = cc.params[i] if i < len(cc.params) else None
        pty = param_types[i] if i < len(param_types) else arg.ty
        if loc is None or not loc.has_bits:
            continue
        value = fg.mcv(arg)
        if loc.stack is not None:
            memory.store(fg, pty, Mem(Register.RSP, loc.stack), value)
            continue
        size = pty.abi_size()
        if (len(loc.regs) == 1 and size in (1, 2, 4, 8) and value.kind is not MCKind.MEMORY) or (
            len(loc.regs) == 1 and value.kind is MCKind.MEMORY and size in (1, 2, 4, 8)
        ):
            moves.append((loc.regs[0].to_size(size), value, pty))
            continue
        for reg, src in zip(loc.regs, eightbyte_sources(fg, pty, value, len(loc.regs)), strict=True):
            moves.append((reg, src, USIZE))
    result_slot: int | None = None
    ret_ty = fn_ty.fn_return_type()
    if cc.ret is ReturnKind.MEMORY:
        result_slot = fg.alloc_mem(ret_ty)
        moves.append((Register.RDI, mc.ptr_stack_offset(result_slot), Type.single_mut_pointer(ret_ty)))
    if not direct:
        # the function value travels in r11 (never an argument register), read before the moves overwrite
        moves.append((Register.R11, fg.mcv(func), USIZE))
    parallel_move(fg, moves, inst, to_save)
    if direct:
        assert isinstance(func, Constant) and isinstance(func.val, FunctionValue)
        fg.buf.emit(enc.call_abs32(fg.addresses.got_address(DeclIndex(func.val.fn.owner.index))))
    else:
        fg.buf.emit(ex.call_rm(Register.R11))
    if area:
        fg.buf.emit(enc.add_rsp_imm(area))
    result = cc.return_value
    if cc.ret is ReturnKind.REGS and len(cc.ret_regs) == 1:
        result = result_register(fg, inst, Register.RAX, to_save)
    elif cc.ret is ReturnKind.REGS:
        offset = fg.frame.alloc_mem(16, 8)
        fg.buf.emit(enc.mov_rbp_reg(offset + 16, Register.RAX, 8))
        fg.buf.emit(enc.mov_rbp_reg(offset + 8, Register.RDX, 8))
        result = mc.stack_offset(offset + 16 - ret_ty.abi_size())
    elif result_slot is not None:
        result = mc.stack_offset(result_slot)
    restore(fg, to_save)
    return result


def gen_return_value(fg: FunctionGen, operand: Operand) -> None:
    """The returned value into ``rax`` / ``rax:rdx``, or through the hidden result pointer (§11)."""
    cc = fg.cc
    ty = operand.ty
    if not ty.has_code_gen_bits():
        # `return` does not coerce its operand (Zig 2020): a comptime-only constant (e.g. a bare
        # `int(5)`) is materialised as the function's return type, else nothing reached rax.
        ty = fg.fn_type.fn_return_type()
    value = fg.const_mcv(ty, operand) if isinstance(operand, Constant) else fg.mcv(operand)
    if cc.ret is ReturnKind.REGS and len(cc.ret_regs) == 1:
        fg.set_reg_or_mem(ty, mc.register(Register.RAX), value)
    elif cc.ret is ReturnKind.REGS:
        srcs = eightbyte_sources(fg, ty, value, 2)
        fg.set_reg(Register.RAX, srcs[0])
        fg.set_reg(Register.RDX, srcs[1])
    elif cc.ret is ReturnKind.MEMORY:
        ptr = fg.temp_reg()
        fg.buf.emit(enc.mov_reg_rbp(ptr, fg.ret_ptr_slot + 8, 8))
        memory.store(fg, ty, Mem(ptr, 0), value)
        fg.buf.emit(enc.mov_reg_reg(Register.RAX, ptr, 8))
        fg.release(ptr)


def asm_callee_saved(body: list[AirInst]) -> list[Register]:
    """The callee-saved registers (rbx, r12–r15) that the function's asm names: pushed by the prologue."""
    found: set[int] = set()
    # An explicit stack, not a recursive closure: a closure naming itself is a reference cycle, one per
    # generated function, left for the cyclic collector (the server's heap held ~1.6 MiB of them at N = 10 000).
    pending = [body]
    while pending:
        for inst in pending.pop():
            if isinstance(inst, Assembly):
                try:
                    plan = plan_assembly(inst.asm_source, inst.output, inst.inputs, inst.clobbers, naked=False)
                except AsmError:
                    continue
                found.update(r.id for r in plan.clobbered if r.id in CALLEE_SAVED)
            elif isinstance(inst, _NESTING):
                pending.extend(nested_bodies(inst))
    return [BY_ID[i] for i in sorted(found)]


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
    parallel_move(fg, moves, inst, to_save)
    fg.buf.emit(enc.syscall())
    # without an output the result is ``none`` (x86_64.md §10); of a type with runtime bits it is undefined: a use
    # of it (``add(%x, %x)``) asserted "ALU source none", an internal compiler error
    result = mc.UNDEF if inst.ty.has_code_gen_bits() else mc.NONE
    if plan.output is not None:
        result = result_register(fg, inst, plan.output, to_save)
    restore(fg, to_save)
    return result
