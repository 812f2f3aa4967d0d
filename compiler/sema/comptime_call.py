"""Compile-time function calls: the callee's body interpreted during the caller's analysis, with the quota.

docs/design/language-complete.md §7: ``call(…, modifier=compile_time)`` evaluates the callee with compile-time
arguments; ``alloc`` gives compile-time memory; whatever would need a runtime instruction fails with
``unable to evaluate constant expression`` at that instruction; errors keep their position in the callee and are
recorded on the caller's decl. Every loop back-edge and every call counts one backwards branch against 1000 per
outermost call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, NoReturn

from compiler.air import AirInst, Constant, Operand
from compiler.module.decl import fn_body
from compiler.runtime import run_with_deep_stack
from compiler.sema import coerce as co
from compiler.sema import memory
from compiler.sema import types as t
from compiler.sema import values as v
from compiler.sema.analyze import ANALYZERS, Handler, Sema
from compiler.sema.scope import BlockScope
from compiler.zir.tags import Tag

if TYPE_CHECKING:
    from compiler.module.decl import Fn
    from compiler.zir.ast import Inst

QUOTA: Final = 1000
NOT_CONSTANT: Final = "unable to evaluate constant expression"


@dataclass(slots=True)
class Quota:
    """The backwards branches of one outermost compile-time call."""

    branches: int = 0

    def count(self, s: Sema, src: int) -> None:
        self.branches += 1
        if self.branches > QUOTA:
            s.fail(src, f"evaluation exceeded {QUOTA} backwards branches")


# Plain exception classes, not slotted dataclasses: mypyc cannot make a dataclass of an exception class
# (docs/design/performance.md §8).
class _Return(Exception):
    def __init__(self, value: Operand) -> None:
        super().__init__()
        self.value = value


class _Break(Exception):
    def __init__(self, block: Inst, value: Operand) -> None:
        super().__init__()
        self.block = block
        self.value = value


@dataclass(slots=True)
class _Frame:
    quota: Quota
    args: list[Operand]
    blocks: list[Inst] = field(default_factory=list)
    next_arg: int = 0


class ComptimeSema(Sema):
    """Analysis of a callee's body at compile time: every result is a constant or the analysis fails."""

    __slots__ = ("frame",)

    def __init__(self, caller: Sema, callee: Fn, frame: _Frame) -> None:
        super().__init__(caller.m, caller.owner, caller.fn)
        self.home = callee.owner
        self.base = self.home.contents_start
        self.frame = frame
        self.block = BlockScope(callee)

    def add_inst(self, inst: AirInst) -> AirInst:
        self.fail(self.cur_src, NOT_CONSTANT)

    @property
    def comptime_quota(self) -> Quota | None:
        return self.frame.quota

    def analyze_inst(self, inst: Inst) -> Operand:
        handler = _OVERRIDES.get(inst.tag)
        if handler is None:
            return super().analyze_inst(inst)
        saved = self.cur_src
        self.cur_src = self.base + inst.src
        try:
            return handler(self, inst)
        finally:
            self.cur_src = saved


def call(s: Sema, inst: Inst, func: Operand, args: list[Operand]) -> Operand:
    """Evaluate ``func(args)`` now; ``s`` is the calling analysis (itself compile-time or not)."""
    own = s.own(inst)
    for a in args:
        if co.comptime_value(a) is None:
            s.fail(a.src, NOT_CONSTANT)
    fval = co.comptime_value(func)
    if not isinstance(fval, v.FunctionValue):
        s.fail(func.src, NOT_CONSTANT)
    outermost = s.comptime_quota is None
    quota = s.comptime_quota or Quota()
    quota.count(s, own)
    if outermost:
        # 1000 nested calls are some 15 000 Python frames: the outermost call runs on a deep stack.
        result: list[Operand] = []
        run_with_deep_stack(lambda: result.append(_evaluate(s, inst, func, args, quota)), deep=True)
        return result[0]
    return _evaluate(s, inst, func, args, quota)


def _evaluate(s: Sema, inst: Inst, func: Operand, args: list[Operand], quota: Quota) -> Operand:
    own = s.own(inst)
    fval = co.comptime_value(func)
    assert isinstance(fval, v.FunctionValue)
    callee: Fn = fval.fn  # type: ignore[assignment]
    ret_ty = func.ty.fn_return_type()
    if callee.owner is not s.owner:
        s.m.declare_dependency(s.owner, callee.owner)
    s.m.note_comptime_call(s.owner, callee.owner)  # an edit of the callee's body re-analyses the caller
    cs = ComptimeSema(s, callee, _Frame(quota, args))
    try:
        cs.analyze_body(fn_body(callee, s.m.source_decl))
    except _Return as r:
        return Constant(ret_ty, _value(cs, r.value), own)
    except _Break:
        raise AssertionError("break out of a function body") from None
    # The body ended without returning: a void function returns void; any other returns an undefined value, as at
    # runtime (zir-language.md §5.2). It returned void as a value of the return type: a later use asserted.
    return Constant(ret_ty, v.VOID_VALUE if ret_ty.zig_type_tag() is t.TypeClass.VOID else v.UNDEF, own)


def _value(s: Sema, x: Operand) -> v.Value:
    val = co.comptime_value(x)
    if val is None:
        s.fail(x.src, NOT_CONSTANT)
    return val


def _fail(s: Sema, inst: Inst) -> NoReturn:
    s.fail(s.own(inst), NOT_CONSTANT)


# ---- the instructions whose meaning differs at compile time --------------------------------------------


def _arg(s: Sema, inst: Inst) -> Operand:
    assert isinstance(s, ComptimeSema)
    frame = s.frame
    index = inst.integer("index") if inst.is_arg_index_form else frame.next_arg
    frame.next_arg += 1
    if index >= len(frame.args):
        s.fail(s.own(inst), f"parameter index {index} outside list of length {len(frame.args)}")
    a = frame.args[index]
    return Constant(a.ty, _value(s, a), s.own(inst))


def _dbg_stmt(s: Sema, inst: Inst) -> Operand:
    return s.const_void()


def _return(s: Sema, inst: Inst) -> Operand:
    x = co.coerce(s, s.fn_return_type(), s.resolve(inst.operand("operand")))
    raise _Return(x)


def _returnvoid(s: Sema, inst: Inst) -> Operand:
    raise _Return(co.coerce(s, s.fn_return_type(), s.const_void()))


def _block(s: Sema, inst: Inst) -> Operand:
    assert isinstance(s, ComptimeSema)
    s.frame.blocks.append(inst)
    try:
        s.analyze_body(inst.body("body"))
    except _Break as b:
        if b.block is not inst:
            raise
        return Constant(b.value.ty, _value(s, b.value), s.own(inst))
    finally:
        s.frame.blocks.pop()
    s.fail(s.own(inst), "block body must end with a noreturn instruction")


def _target(s: ComptimeSema, inst: Inst) -> Inst:
    label = inst.label("block")
    if label.block not in s.frame.blocks:
        text = label.text.decode("utf-8", "surrogateescape")
        s.fail(s.own(inst), f"break target '{text}' is not an enclosing block")
    return label.block


def _break(s: Sema, inst: Inst) -> Operand:
    assert isinstance(s, ComptimeSema)
    target = _target(s, inst)
    raise _Break(target, s.resolve(inst.operand("operand")))


def _breakvoid(s: Sema, inst: Inst) -> Operand:
    assert isinstance(s, ComptimeSema)
    raise _Break(_target(s, inst), s.const_void())


def _loop(s: Sema, inst: Inst) -> Operand:
    assert isinstance(s, ComptimeSema)
    while True:
        s.analyze_body(inst.body("body"))
        s.frame.quota.count(s, s.own(inst))


def _alloc(s: Sema, inst: Inst) -> Operand:
    elem = s.resolve_type(inst.operand("operand"))
    return s.const(t.Type.single_mut_pointer(elem), v.CellPtr(v.ComptimeCell(v.UNDEF, elem)))


def _alloc_inferred(s: Sema, inst: Inst) -> Operand:
    _fail(s, inst)


def _store(s: Sema, inst: Inst) -> Operand:
    ptr = s.require_pointer(inst.operand("lhs"))
    if ptr.ty.is_const_ptr():
        s.fail(s.own(inst), "cannot assign to constant")
    value = co.coerce(s, ptr.ty.elem_type(), s.resolve(inst.operand("rhs")))
    pval = co.comptime_value(ptr)
    if not memory.store_comptime(s, pval, _value(s, value)):
        _fail(s, inst)
    return s.const_void()


_OVERRIDES: Final[dict[Tag, Handler]] = {
    Tag.ARG: _arg,
    Tag.DBG_STMT: _dbg_stmt,
    Tag.RETURN: _return,
    Tag.RETURNVOID: _returnvoid,
    Tag.BLOCK: _block,
    Tag.BREAK: _break,
    Tag.BREAKVOID: _breakvoid,
    Tag.LOOP: _loop,
    Tag.ALLOC: _alloc,
    Tag.ALLOC_INFERRED: _alloc_inferred,
    Tag.STORE: _store,
}
assert set(_OVERRIDES) <= set(ANALYZERS)
