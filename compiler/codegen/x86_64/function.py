"""Per-instruction x86-64 code generation of one function body (x86_64.md §4, §5, §7–§11).

``FunctionGen(...).generate()`` turns an analysed, liveness-annotated AIR body into machine code plus debug
info. Every value has one home for its whole life (§4.2); calls and asm save and restore the live
registers they clobber (§7.5); control flow uses labels resolved at the end (§5.4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NoReturn

from compiler.air import (
    ARITH_TAGS,
    CMP_TAGS,
    MAX_TRACKED_OPERAND_BITS,
    UNUSED_BIT,
    AirInst,
    AirTag,
    Arg,
    Assembly,
    BinOp,
    Block,
    Br,
    BrVoid,
    Call,
    CondBr,
    Constant,
    Loop,
    Operand,
    UnOp,
)
from compiler.codegen.x86_64 import consts, memory, spill
from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64 import encoder_ext as ex
from compiler.codegen.x86_64 import mcvalue as mc
from compiler.codegen.x86_64.abi import (
    AddressView,
    CallingConvention,
    ParamLoc,
    ReturnKind,
    debug_type,
    resolve_calling_convention,
    runtime_type_error,
)
from compiler.codegen.x86_64.arith import gen_arith, gen_cmp, gen_intcast, gen_not
from compiler.codegen.x86_64.calls import asm_callee_saved, gen_asm, gen_call, gen_return_value
from compiler.codegen.x86_64.control import (
    BlockState,
    gen_block,
    gen_br,
    gen_brvoid,
    gen_condbr,
    gen_loop,
)
from compiler.codegen.x86_64.fail import Fail
from compiler.codegen.x86_64.frame import JUMP_TOO_FAR, CodeBuffer, JumpTooFar, Label, StackFrame
from compiler.codegen.x86_64.mcvalue import CmpOp, MCKind, MCValue
from compiler.codegen.x86_64.memory import gen_alloc, gen_load, gen_ref, gen_store
from compiler.codegen.x86_64.optionals import gen_elemptr, gen_is_null, gen_unwrap_optional, gen_wrap_optional
from compiler.codegen.x86_64.regalloc import RegisterFile
from compiler.codegen.x86_64.registers import Register
from compiler.codegen.x86_64.safety import PanicId, call_panic
from compiler.codegen.x86_64.slices import gen_array_to_slice, is_array_to_slice
from compiler.errors import CodegenFailure, ErrorMsg
from compiler.link import DebugInfo, DebugParam, LineRow, RowKind
from compiler.sema.types import Type, TypeClass

__all__ = ["AddressView", "CallingConvention", "FunctionGen", "resolve_calling_convention"]

PROLOGUE_SIZE: Final = 11
_PROLOGUE: Final = enc.push_rbp() + enc.mov_rbp_rsp() + enc.sub_rsp_imm32(0)
"""``push rbp; mov rbp, rsp; sub rsp, imm32`` with a zero frame size (§5): one template, patched per function."""
_EPILOGUE_TAIL: Final = enc.pop_rbp() + enc.ret()
assert len(_PROLOGUE) == PROLOGUE_SIZE
MAX_DISP: Final = 1 << 31

_CMP_OPS: Final[dict[AirTag, CmpOp]] = {
    AirTag.CMP_LT: CmpOp.LT,
    AirTag.CMP_LTE: CmpOp.LTE,
    AirTag.CMP_EQ: CmpOp.EQ,
    AirTag.CMP_GTE: CmpOp.GTE,
    AirTag.CMP_GT: CmpOp.GT,
    AirTag.CMP_NEQ: CmpOp.NEQ,
}
# Tags whose unused results produce no code (§8.1); loads and non-volatile asm are handled by their tags.
_PURE_TAGS: Final = ARITH_TAGS | frozenset(
    {
        AirTag.ELEMPTR,
        AirTag.ISNULL,
        AirTag.ISNONNULL,
        AirTag.NOT,
        AirTag.INTCAST,
        AirTag.FLOATCAST,
        AirTag.UNWRAP_OPTIONAL,
        AirTag.WRAP_OPTIONAL,
        AirTag.LOAD,
    }
    | CMP_TAGS
)
# Result type classes that may be out of scope at runtime (floats, integers wider than 64 bits).
_CHECKED_CLASSES: Final = frozenset({TypeClass.INT, TypeClass.FLOAT, TypeClass.OPTIONAL, TypeClass.ARRAY})
# The death bits of operands 0..13 in a death mask (bit 15 is the unused-result bit).
_OPERAND_DEATH_BITS: Final = (1 << MAX_TRACKED_OPERAND_BITS) - 1
# Instructions that may keep a compare-flags operand in the flags (§8.3).
_FLAGS_CONSUMERS: Final = frozenset({AirTag.CONDBR, AirTag.NOT, AirTag.BR, AirTag.RET})


def _pointee_size(ty: Type) -> int:
    """The size ``ptr_stack_offset`` payloads of a value of ``ty`` are relative to (8 for non-pointers)."""
    return ty.pointee().abi_size() if ty.is_single_pointer() else 8


def _undef_pattern(size: int) -> int:
    return int.from_bytes(b"\xaa" * size, "little")


class FunctionGen:
    """Generates one function. Construct, then call :meth:`generate` once."""

    __slots__ = ("addresses", "blocks", "body", "buf", "cc", "epilogue", "fn_src", "fn_type", "frame", "last_row_line",
                 "line_of", "lock_inst", "locked_ids", "locked_ready", "merge_snaps", "moved", "naked", "next_inst",
                 "open_blocks", "panic", "params", "positions", "regs", "ret_ptr_slot", "rows", "safety", "spill_slots",
                 "src", "uses", "values")  # fmt: skip

    def __init__(self, fn_type: Type, body: list[AirInst], addresses: AddressView, line_of: Callable[[int], int],
                 fn_src: int = 0, safety: bool = True, panic: Callable[[], int] | None = None) -> None:  # fmt: skip
        self.fn_type, self.body, self.addresses, self.line_of = fn_type, body, addresses, line_of
        self.fn_src, self.safety = fn_src, safety
        self.panic = panic
        """Returns the GOT address of ``__zirlive_panic``, creating the decl on first use (§10)."""
        self.naked = False
        self.buf = CodeBuffer()
        self.frame = StackFrame()
        self.regs = RegisterFile()
        self.values: dict[Operand, MCValue] = {}
        self.blocks: dict[Block, BlockState] = {}
        self.open_blocks: list[Block] = []
        self.epilogue = Label("EPILOGUE")
        self.cc = CallingConvention((), ReturnKind.NONE)
        self.ret_ptr_slot = self.last_row_line = self.src = 0
        self.rows: list[LineRow] = []
        self.params: list[DebugParam] = []
        self.next_inst: AirInst | None = None
        # spilling (docs/design/language-complete.md §11)
        self.locked_ids: set[int] = set()
        self.lock_inst: AirInst | None = None
        self.locked_ready = False
        self.spill_slots: dict[int, int] = {}
        self.positions: dict[int, int] = {}
        self.uses: dict[int, list[int]] = {}
        self.merge_snaps: list[dict[Register, list[object]]] = []
        self.moved: dict[int, AirInst] = {}
        """Values whose location changed at least once (spilled, evicted, reloaded), by id."""

    # ---- driver ---------------------------------------------------------------------------------------

    def fail(self, msg: str, src: int | None = None) -> NoReturn:
        """Raise the codegen error ``msg`` at ``src`` (default: the instruction being generated)."""
        raise CodegenFailure(ErrorMsg(self.src if src is None else src, msg))

    def generate(self) -> tuple[bytes, DebugInfo]:
        """Generate the whole function: prologue, body, epilogue (§5); returns code and debug info."""
        self.naked = self.fn_type.fn_calling_convention() == "Naked"
        cc = resolve_calling_convention(self.fn_type)
        if isinstance(cc, str):
            self.fail(cc, self.fn_src)
        self.cc = cc
        if self.naked and cc.params:
            self.fail("unable to use parameters with naked calling convention", self.fn_src)
        pushed = [] if self.naked else asm_callee_saved(self.body)
        fn_line = self.line_of(self.fn_src)
        self.last_row_line = fn_line
        if not self.naked:
            self.buf.emit(_PROLOGUE)  # the frame size is patched in at the end
            # callee-saved registers the function's asm uses (language-complete §12), rsp kept 16-aligned
            for reg in pushed:
                self.buf.emit(ex.push(reg))
            if len(pushed) % 2:
                self.buf.emit(ex.sub_rsp(8))
            if cc.ret is ReturnKind.MEMORY:
                # the hidden result pointer arrives in rdi (§11): kept in a slot until the return
                self.ret_ptr_slot = self.frame.alloc_mem(8, 8)
                self.buf.emit(enc.mov_rbp_reg(self.ret_ptr_slot + 8, Register.RDI, 8))
            self._row(fn_line, RowKind.PROLOGUE_END)
        # Parameter registers are owned by their ``arg`` from the start, so nothing else is put there.
        for inst in self.body:
            if isinstance(inst, Arg) and inst.index < len(cc.params):
                for reg in cc.params[inst.index].regs:
                    self.regs.add_owner(reg, inst)
        try:
            self.gen_body(self.body)
            if not self.naked:
                self.buf.bind(self.epilogue)
                self._row(self.last_row_line, RowKind.EPILOGUE_BEGIN)
                n = self.frame.frame_size()
                if n > (1 << 31) - 1:
                    self.fail("too much stack used in call parameters", self.fn_src)
                self.buf.code[7:11] = enc.imm32(n)
                if len(pushed) % 2:
                    self.buf.emit(enc.add_rsp_imm(8))
                for reg in reversed(pushed):
                    self.buf.emit(ex.pop(reg))
                if n:
                    self.buf.emit(enc.add_rsp_imm(n))
                self.buf.emit(_EPILOGUE_TAIL)
            code = self.buf.finish()
        except JumpTooFar:
            self.fail(JUMP_TOO_FAR, self.fn_src)
        ret_ty = self.fn_type.fn_return_type()
        return_type = debug_type(ret_ty) if ret_ty.has_code_gen_bits() else None
        # built as the tuple it is: a NamedTuple's own __new__ is interpreted Python even under mypyc
        info = tuple.__new__(DebugInfo, (fn_line, tuple(self.rows), tuple(self.params), return_type))
        return code, info

    def _row(self, line: int, kind: RowKind = RowKind.STMT) -> None:
        """A line-table row at the current offset. Instructions without code would leave several rows at
        one address; they are merged into one (the latest line, the special kind if any)."""
        buf = self.buf
        offset = len(buf.code)
        rows = self.rows
        if rows and rows[-1].code_offset == offset:
            prev = rows.pop()
            kind = prev.kind if kind is RowKind.STMT else kind
        # one per row, built as the tuple it is: a NamedTuple's own __new__ is interpreted even under mypyc
        rows.append(tuple.__new__(LineRow, (offset, line, kind)))
        buf.mark()
        self.last_row_line = line

    def gen_body(self, body: list[AirInst]) -> None:
        """Generate ``body`` in order, recording each result and freeing what dies (§4.2)."""
        # Hot loop of every build (one pass per instruction): attribute lookups hoisted, the death mask
        # tested as an int before any operand list is built (most instructions kill nothing or one value).
        line_of = self.line_of
        regs = self.regs
        values = self.values
        count = len(body)
        for i in range(count):
            inst = body[i]
            self.next_inst = body[i + 1] if i + 1 < count else None
            src = inst.src
            self.src = src
            self.lock_inst = inst
            self.locked_ready = False
            line = line_of(src)
            if line != self.last_row_line or inst.tag is AirTag.DBG_STMT:
                self._row(line)
            try:
                mcv = self.gen_inst(inst)
            except Fail as e:
                self.fail(e.msg, src)
            values[inst] = mcv
            deaths = inst.deaths
            if deaths:
                if deaths & UNUSED_BIT:
                    regs.free(inst)
                if deaths & _OPERAND_DEATH_BITS:
                    for j, operand in enumerate(inst.operands()):
                        if j < MAX_TRACKED_OPERAND_BITS and deaths >> j & 1:
                            regs.free(operand)

    @property
    def locked(self) -> set[int]:
        """Ids of the registers the current instruction's operands hold: never spilled while it is generated
        (computed on the first need: most instructions never spill)."""
        if not self.locked_ready:
            self.locked_ids = self._operand_regs(self.lock_inst) if self.lock_inst is not None else set()
            self.locked_ready = True
        return self.locked_ids

    def _operand_regs(self, inst: AirInst) -> set[int]:
        """Ids of the registers holding ``inst``'s operands: locked while it is generated (§11)."""
        out: set[int] = set()
        for op in inst.operands():
            v = self.values.get(op)
            if v is not None and v.kind is MCKind.REGISTER:
                out.add(v.register.id)
        return out

    # ---- values -----------------------------------------------------------------------------------------

    def mcv(self, operand: Operand) -> MCValue:
        """The MCValue of an operand; constants are materialised on first use (§11)."""
        found = self.values.get(operand)
        if found is not None:
            return found
        assert isinstance(operand, Constant), "operand used before it was generated"
        value = self.const_mcv(operand.ty, operand)
        if value.kind in consts.CACHEABLE:
            self.values[operand] = value
        return value

    def const_mcv(self, ty: Type, c: Constant) -> MCValue:
        """§11: a constant's MCValue (see consts.py)."""
        try:
            return consts.const_mcv(self, ty, c)
        except Fail as e:
            self.fail(e.msg, c.src)

    def alloc_reg(self, owner: object, exclude: tuple[Register, ...] = ()) -> Register:
        """``alloc_reg``: the lowest free allocatable register, or the spilling message."""
        reg = self.regs.allocate(owner, exclude)
        if reg is None:
            reg = spill.spill_one(self, exclude)
            self.regs.add_owner(reg, owner)
        return reg

    def alloc_mem(self, ty: Type) -> int:
        """A new stack slot for a value of ``ty`` (Naked functions have none)."""
        if self.naked:
            raise Fail(spill.NAKED_STACK_MSG)
        return self.frame.alloc_mem(ty.abi_size(), ty.abi_alignment())

    def alloc_reg_or_mem(self, owner: object, ty: Type) -> MCValue:
        """A register if ``ty`` fits and one is free, else a stack slot (§4.2)."""
        if ty.abi_size() <= 8:
            reg = self.regs.allocate(owner)
            if reg is not None:
                return mc.register(reg)
        return mc.stack_offset(self.alloc_mem(ty))

    def temp_value(self, ty: Type, value: MCValue) -> Register:
        """Copy ``value`` into a temporary register (sized alias); release it with :meth:`_release`."""
        reg = self.alloc_reg(_TEMP)
        self.gen_set_reg(ty, reg, value)
        return reg

    def _release(self, reg: Register) -> None:
        self.regs.remove_owner(reg, _TEMP)

    @property
    def temp_owner(self) -> object:
        """The owner key of scratch registers."""
        return _TEMP

    def panic_got_address(self) -> int:
        """The GOT slot of the panic routine (this function now references it)."""
        assert self.panic is not None, "code with safety checks needs the panic routine"
        return self.panic()

    def temp_reg(self) -> Register:
        """A scratch register held until :meth:`release` (it may spill another value, §11)."""
        return self.alloc_reg(_TEMP)

    def release(self, reg: Register) -> None:
        """End a scratch register."""
        self.regs.remove_owner(reg, _TEMP)

    # ---- moves (§7) -------------------------------------------------------------------------------------

    def gen_set_reg(self, ty: Type, reg: Register, value: MCValue) -> None:
        """§7.1: load ``value`` (of type ``ty``) into ``reg`` at ``ty``'s width."""
        size = min(ty.abi_size(), 8) if ty.has_code_gen_bits() else 8
        r = reg.to_size(size if size in (1, 2, 4, 8) else 8)
        self.set_reg(r, value, ty)

    def set_reg(self, r: Register, value: MCValue, ty: Type | None = None) -> None:
        size = r.size
        match value.kind:
            case MCKind.NONE | MCKind.UNREACH | MCKind.DEAD:
                return
            case MCKind.UNDEF:
                if not self.safety:
                    return
                pattern = _undef_pattern(size)
                self.buf.emit(enc.mov_r32_imm32(r, pattern) if size < 8 else enc.mov_r64_imm64(r, pattern))
            case MCKind.IMMEDIATE:
                x = value.payload
                if x == 0:
                    self.buf.emit(enc.xor_r32_r32(r))
                elif x <= 0xFFFF_FFFF:
                    self.buf.emit(enc.mov_r32_imm32(r, x))
                else:
                    self.buf.emit(enc.mov_r64_imm64(r, x))
            case MCKind.REGISTER:
                if value.register.id != r.id:
                    self.buf.emit(enc.mov_reg_reg(r, value.register, size))
            case MCKind.MEMORY:
                a = value.payload
                if a <= 0x7FFF_FFFF:  # disp32 is sign-extended: [abs32] reaches only the low 2 GiB
                    self.buf.emit(enc.mov_reg_abs32(r, a, size))
                elif r.id == 0:
                    self.buf.emit(enc.movabs_rax_moffs64(a))
                else:
                    self.buf.emit(enc.mov_r64_imm64(r, a))
                    self.buf.emit(enc.mov_reg_indirect(r, size))
            case MCKind.STACK_OFFSET:
                d = value.payload + size
                if d > MAX_DISP:
                    raise Fail("stack offset too large")
                self.buf.emit(enc.mov_reg_rbp(r, d, size))
            case MCKind.PTR_STACK_OFFSET:
                pointee = ty.pointee().abi_size() if ty is not None and ty.is_single_pointer() else 8
                d = value.payload + pointee
                if d > MAX_DISP:
                    raise Fail("stack offset too large")
                self.buf.emit(enc.lea_reg_rbp(r, d))
            case MCKind.COMPARE_FLAGS_UNSIGNED | MCKind.COMPARE_FLAGS_SIGNED:
                self.buf.emit(enc.setcc_r8(value.flags_cond(), r))
                self.buf.emit(enc.movzx_r32_r8(r))
            case MCKind.EMBEDDED_IN_CODE | MCKind.PTR_EMBEDDED_IN_CODE:
                raise AssertionError("embedded_in_code is never produced on x86_64")

    def gen_set_stack(self, ty: Type, offset: int, value: MCValue) -> None:
        """§7.2: store ``value`` of type ``ty`` into the slot at ``offset``."""
        if not ty.has_code_gen_bits():
            return
        size = ty.abi_size()
        d = offset + size
        match value.kind:
            case MCKind.NONE | MCKind.UNREACH | MCKind.DEAD:
                return
            case MCKind.UNDEF:
                if not self.safety:
                    return
                if size not in (1, 2, 4, 8):
                    memory.store(self, ty, memory.slot_mem(offset, size), value)
                    return
                self._check_disp(d)
                self.buf.emit(enc.mov_rbp_imm(d, _undef_pattern(size), size))
            case MCKind.IMMEDIATE:
                if size not in (1, 2, 4, 8):
                    memory.store(self, ty, memory.slot_mem(offset, size), value)
                    return
                self._check_disp(d)
                self.buf.emit(enc.mov_rbp_imm(d, value.payload, size))
            case MCKind.REGISTER:
                self._check_disp(d)
                self.buf.emit(enc.mov_rbp_reg(d, value.register.to_size(size), size))
            case MCKind.STACK_OFFSET:
                if value.payload != offset:
                    memory.store(self, ty, memory.slot_mem(offset, size), value)
            case MCKind.PTR_STACK_OFFSET:
                temp = self.temp_value(ty, value)
                self._check_disp(d)
                self.buf.emit(enc.mov_rbp_reg(d, temp, 8))
                self._release(temp)
            case (
                MCKind.MEMORY
                | MCKind.EMBEDDED_IN_CODE
                | MCKind.PTR_EMBEDDED_IN_CODE
                | MCKind.COMPARE_FLAGS_UNSIGNED
                | MCKind.COMPARE_FLAGS_SIGNED
            ):
                memory.store(self, ty, memory.slot_mem(offset, size), value)

    @staticmethod
    def _check_disp(d: int) -> None:
        if d > MAX_DISP:
            raise Fail("stack offset too large")

    def set_reg_or_mem(self, ty: Type, loc: MCValue, value: MCValue) -> None:
        """§7.3: store ``value`` into the location ``loc``."""
        match loc.kind:
            case MCKind.NONE:
                return
            case MCKind.REGISTER:
                self.gen_set_reg(ty, loc.register, value)
            case MCKind.STACK_OFFSET:
                self.gen_set_stack(ty, loc.payload, value)
            case MCKind.MEMORY:
                dst, temp = memory.value_mem(self, ty, loc)
                memory.store(self, ty, dst, value)
                if temp is not None:
                    self.release(temp)
            case _:
                raise AssertionError(f"set_reg_or_mem into {loc.kind.value}")

    # ---- instructions (§8) ------------------------------------------------------------------------------

    def gen_inst(self, inst: AirInst) -> MCValue:
        """Generate one instruction and return its MCValue."""
        tag = inst.tag
        ty = inst.ty
        type_class = ty.zig_type_tag()
        # language-complete §12; integers of at most 64 bits (nearly every value) are decided here
        if type_class in _CHECKED_CLASSES and not (type_class is TypeClass.INT and ty.int_info()[1] <= 64):
            msg = runtime_type_error(ty)
            if msg is not None:
                raise Fail(msg)
        if inst.deaths & UNUSED_BIT and tag in _PURE_TAGS and not (inst.safety and self.safety):
            return mc.DEAD
        # The most frequent tags are matched first (a match tests its cases in order).
        match tag:
            case AirTag.CALL:
                assert isinstance(inst, Call)
                return gen_call(self, inst)
            case AirTag.RET:
                assert isinstance(inst, UnOp)
                return self.gen_ret(inst)
            case AirTag.ARG:
                assert isinstance(inst, Arg)
                return self.gen_arg(inst)
            case AirTag.BREAKPOINT:
                if inst.safety and self.safety and not self.naked:
                    call_panic(self, PanicId.REACHED_UNREACHABLE)
                else:
                    self.buf.emit(enc.int3())
                return mc.NONE
            case AirTag.UNREACH:
                return mc.UNREACH
            case AirTag.DBG_STMT:
                return mc.NONE
            case AirTag.PTRTOINT | AirTag.BITCAST:
                assert isinstance(inst, UnOp)
                if is_array_to_slice(inst):
                    return gen_array_to_slice(self, inst)
                return self.alias_pointer(inst, self.mcv(inst.operand))
            case AirTag.ALLOC:
                return gen_alloc(self, inst)
            case AirTag.REF:
                assert isinstance(inst, UnOp)
                return gen_ref(self, inst)
            case AirTag.LOAD:
                assert isinstance(inst, UnOp)
                return gen_load(self, inst)
            case AirTag.STORE:
                assert isinstance(inst, BinOp)
                return gen_store(self, inst)
            case (
                AirTag.ADD
                | AirTag.SUB
                | AirTag.MUL
                | AirTag.DIV
                | AirTag.MOD_REM
                | AirTag.ADDWRAP
                | AirTag.SUBWRAP
                | AirTag.MULWRAP
                | AirTag.BITAND
                | AirTag.BITOR
                | AirTag.XOR
                | AirTag.SHL
                | AirTag.SHR
            ):
                assert isinstance(inst, BinOp)
                return gen_arith(self, inst)
            case AirTag.NOT:
                assert isinstance(inst, UnOp)
                return gen_not(self, inst)
            case AirTag.CMP_LT | AirTag.CMP_LTE | AirTag.CMP_EQ | AirTag.CMP_GTE | AirTag.CMP_GT | AirTag.CMP_NEQ:
                assert isinstance(inst, BinOp)
                return gen_cmp(self, inst, _CMP_OPS[tag])
            case AirTag.CONDBR:
                assert isinstance(inst, CondBr)
                return gen_condbr(self, inst)
            case AirTag.BLOCK:
                assert isinstance(inst, Block)
                return gen_block(self, inst)
            case AirTag.BR:
                assert isinstance(inst, Br)
                return gen_br(self, inst)
            case AirTag.BRVOID:
                assert isinstance(inst, BrVoid)
                return gen_brvoid(self, inst)
            case AirTag.LOOP:
                assert isinstance(inst, Loop)
                return gen_loop(self, inst)
            case AirTag.RETVOID:
                return self.gen_ret(None)
            case AirTag.ASSEMBLY:
                assert isinstance(inst, Assembly)
                return gen_asm(self, inst)
            case AirTag.INTCAST:
                assert isinstance(inst, UnOp)
                return gen_intcast(self, inst)
            case AirTag.FLOATCAST:
                raise Fail(f"floating-point type '{inst.ty}' is not supported at runtime")
            case AirTag.ISNULL | AirTag.ISNONNULL:
                assert isinstance(inst, UnOp)
                return gen_is_null(self, inst, tag is AirTag.ISNULL)
            case AirTag.UNWRAP_OPTIONAL:
                assert isinstance(inst, UnOp)
                return gen_unwrap_optional(self, inst)
            case AirTag.WRAP_OPTIONAL:
                assert isinstance(inst, UnOp)
                return gen_wrap_optional(self, inst)
            case AirTag.ELEMPTR:
                assert isinstance(inst, BinOp)
                return gen_elemptr(self, inst)

    def gen_arg(self, inst: Arg) -> MCValue:
        """A parameter: its calling-convention register, owned by the ``arg`` (§8.2)."""
        loc = self.cc.params[inst.index] if inst.index < len(self.cc.params) else ParamLoc()
        ty = inst.ty
        size = ty.abi_size() if ty.has_code_gen_bits() else 0
        if loc.stack is not None:
            # the caller's stack-argument area: [rbp + 16 + offset], used in place as the parameter's slot
            return mc.stack_offset(-(16 + loc.stack + size))
        if not loc.regs:
            return mc.NONE
        if len(loc.regs) == 1 and size in (1, 2, 4, 8):
            reg = loc.regs[0]
            self.regs.add_owner(reg, inst)
            self.params.append(DebugParam(inst.name, reg.dwarf_number(), debug_type(ty)))
            return mc.register(reg)
        # two eightbytes (or an odd size): stored into a slot of whole eightbytes, value at its start
        if self.naked:
            raise Fail(spill.NAKED_STACK_MSG)
        n = 8 * len(loc.regs)
        slot = self.frame.alloc_mem(n, 8)
        for k, reg in enumerate(loc.regs):
            self.buf.emit(enc.mov_rbp_reg(slot + n - 8 * k, reg, 8))
            self.regs.remove_owner(reg, inst)
        return mc.stack_offset(slot + n - size)

    def owns_alone(self, value: MCValue, owner: Operand | None) -> bool:
        """A mutable value that no other live value shares (registers may be shared by aliases)."""
        if value.kind is not MCKind.REGISTER:
            return True
        return owner is not None and self.regs.is_exclusive(value.register, owner)

    def alias_pointer(self, inst: AirInst, value: MCValue) -> MCValue:
        """``inst``'s value is ``value`` under another type (ptrtoint, bitcast, a payload pointer): the same
        register (shared), or the same address."""
        if value.kind is MCKind.REGISTER:
            self.regs.add_owner(value.register, inst)
        if value.kind is MCKind.PTR_STACK_OFFSET:
            operand = inst.operands()[0]
            # the payload is relative to the pointee's size: keep the address under the new type
            shift = _pointee_size(operand.ty) - _pointee_size(inst.ty)
            value = mc.ptr_stack_offset(value.payload + shift)
        return value

    def flags_result(self, inst: AirInst, flags: MCValue) -> MCValue:
        """The compare-flags rule for an instruction producing a bool in the flags."""
        return self._flags_result(inst, flags)

    def _flags_result(self, inst: AirInst, flags: MCValue) -> MCValue:
        """The compare-flags rule [ZIR Live]: keep ``flags`` only if the next instruction consumes and kills
        it; otherwise materialise it into a new register right away."""
        nxt = self.next_inst
        if nxt is not None and nxt.tag in _FLAGS_CONSUMERS:
            ops = nxt.operands()
            if ops and ops[0] is inst and nxt.operand_dies(0):
                return flags
        reg = self.alloc_reg(inst)
        self.set_reg(reg.to32(), flags)
        return mc.register(reg)

    # ---- control flow (§9) ------------------------------------------------------------------------------

    def gen_ret(self, inst: UnOp | None) -> MCValue:
        """``ret``/``retvoid``: the value into the return register, then jump to the epilogue."""
        if self.naked:
            raise Fail("unable to return from a function with naked calling convention")
        if inst is not None:
            gen_return_value(self, inst.operand)
        self.buf.jmp(self.epilogue)
        return mc.UNREACH

    # ---- calls and asm (§9.4, §10, §7.5): see calls.py ---------------------------------------------

    def live_after(self, reg: Register, dying: set[int]) -> bool:
        """``reg`` holds a value still live after the current instruction (block reservations and scratch
        registers do not count)."""
        return any(
            not isinstance(o, BlockState) and o is not _TEMP and id(o) not in dying for o in self.regs.owners_of(reg)
        )


class _Temp:
    """Owner key of scratch registers held only while one instruction is generated."""


_TEMP: Final = _Temp()
