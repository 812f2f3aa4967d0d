"""Semantic analysis of ZIR: the dispatch table Tag → analyze_<tag> and the Sema scope (zir-language.md §5–§6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final, NamedTuple, NoReturn

from compiler import air
from compiler.air import AirInst, AirTag, Constant, Operand
from compiler.errors import AnalysisFail, ErrorMsg, Note
from compiler.module.decl import DeclStatus, Fn, FnStatus, fn_body, pack_local_results
from compiler.sema import arith, memory, optionals, pointers, resultloc
from compiler.sema import coerce as co
from compiler.sema import types as t
from compiler.sema import values as v
from compiler.sema.scope import BlockLabel, BlockScope
from compiler.sema.types import Type, TypeClass, TypeTag
from compiler.zir.ast import Body, Inst, SourceDecl, decode_name
from compiler.zir.tags import Tag

if TYPE_CHECKING:
    from compiler.module.decl import Decl
    from compiler.module.module import Module
    from compiler.sema import comptime_call

Handler = Callable[["Sema", Inst], Operand]

ILLEGAL_OUTSIDE_FN: Final = "instruction illegal outside function body"
USED_HERE: Final = "used here"
"""The note of an error whose position is an operand's definition: where that operand was used."""


def analyze_decl_instruction(m: Module, d: Decl, sd: SourceDecl) -> v.TypedValue:
    """Analyse a top-level decl's instruction in a decl scope; the result must be compile-time known."""
    sema = Sema(m, d, None)
    own = sd.src
    sema.cur_src = own
    res = sema.analyze_inst(sd.inst)
    val = sema.resolve_const_value(res, own)
    return v.TypedValue(res.ty, val)


def analyze_fn_body(m: Module, d: Decl, fn: Fn) -> None:
    """Analyse ``fn``'s body into AIR (module.md §6.3); raises AnalysisFail (message already recorded)."""
    fn.analysis = FnStatus.IN_PROGRESS
    sema = Sema(m, d, fn)
    block = BlockScope(fn)
    sema.block = block
    try:
        sema.analyze_body(fn_body(fn, m.source_decl))
    except AnalysisFail:
        if fn.analysis is FnStatus.IN_PROGRESS:
            fn.analysis = FnStatus.DEPENDENCY_FAILURE
        raise
    finally:
        if m.record_locals and (
            m.locals_wanted is None or d.name in m.locals_wanted
        ):  # the editor's queries (module/local_types.py): each `%` local's result by name
            results = sema.results  # a runtime local's type only, not its AIR (docs/design/performance.md §9)
            fn.local_results = pack_local_results({i.name: _local(r) for i, r in results.items() if i.name is not None})
        fn_body(fn, m.source_decl).release()  # no syntax tree outlives its analysis (docs/design/performance.md §9)
    fn.air = block.insts
    fn.dependencies = tuple(d.dependencies)
    fn.performed_exports = d in m.export_owners
    fn.analysis = FnStatus.SUCCESS


def _local(res: Operand) -> Type | Constant:
    """What the editor shows of a local (module/local_types.py): a compile-time value, else only its type."""
    return res if isinstance(res, Constant) else res.ty


class Sema:
    """One analysis: a decl's instruction (decl scope) or a function body (block scopes).

    Implements coerce.SemaContext: ``fail`` records in the owner's table then raises; ``add_inst`` appends to
    the current block (or fails with ``instruction illegal outside function body``).
    """

    __slots__ = (
        "base",
        "block",
        "cur_inst",
        "cur_src",
        "fn",
        "home",
        "inferred_pending",
        "m",
        "owner",
        "result_block",
        "results",
        "ret_slot",
    )

    def __init__(self, m: Module, owner: Decl, fn: Fn | None) -> None:
        self.m = m
        self.owner = owner
        """The decl whose error table and dependencies this analysis records into."""
        self.fn = fn
        self.home = owner
        """The decl whose text is analysed (the callee's in a compile-time call, language-complete.md §7)."""
        self.base = owner.contents_start
        """Absolute offset that the owner decl's relative offsets are added to."""
        self.block: BlockScope | None = None
        """The current block; None in a decl scope."""
        self.cur_src = 0
        """*own* of the instruction being analysed."""
        self.cur_inst: Inst | None = None
        """The instruction being analysed (None in a decl scope before its instruction)."""
        self.results: dict[Inst, Operand] = {}
        self.result_block: dict[Inst, BlockScope] = {}
        """The block a runtime result was appended in (availability rule, §5.4)."""
        self.ret_slot: AirInst | None = None
        """The function's return slot, made by the first ``ret_ptr``."""
        self.inferred_pending: set[AirInst] = set()
        """``alloc_inferred`` slots not yet stored through (language-complete.md §8)."""

    @property
    def comptime_quota(self) -> comptime_call.Quota | None:
        """The backwards-branch quota of the compile-time call being evaluated; None at runtime."""
        return None

    # ------------------------------------------------------------------ SemaContext

    def fail(self, src: int, msg: str) -> NoReturn:
        # An error placed at an operand's definition (before the instruction being analysed) notes the use that
        # caused it, e.g. a coercion or a call's arity (editors show it as related information).
        notes = (Note(self.use_of(src), USED_HERE),) if src < self.cur_src else ()
        raise self.m.fail_decl(self.owner, ErrorMsg(src, msg, notes), fn=self.fn)

    def use_of(self, src: int) -> int:
        """Where the instruction being analysed uses the operand defined at ``src``: the ``@name`` operand whose
        *op.X* is ``src``, else the instruction itself (a ``%`` operand is named by its definition only)."""
        inst = self.cur_inst
        if inst is None or self.base + inst.src != self.cur_src:
            return self.cur_src
        for arg in inst.args.values():
            for op in arg if isinstance(arg, list) else (arg,):
                if isinstance(op, Inst) and op.hidden and self.op_src(op) == src:
                    return self.base + op.src
        return self.cur_src

    def add_inst(self, inst: AirInst) -> AirInst:
        b = self.require_block()
        memory.check_runtime_types(self, inst)
        b.insts.append(inst)
        return inst

    def require_block(self) -> BlockScope:
        if self.block is None:
            self.fail(self.cur_src, ILLEGAL_OUTSIDE_FN)
        return self.block

    # ------------------------------------------------------------------ positions and operands

    def own(self, inst: Inst) -> int:
        return self.base + inst.src

    def lookup_source_decl(self, name: str) -> Decl | None:
        d = self.m.decl_table.get(name)
        if d is None or d.is_anonymous:
            return None
        return d

    def op_src(self, op: Inst) -> int:
        """*op.X*: for an @name naming an earlier decl, that decl's instruction src; else the operand's own."""
        if op.hidden:
            d = self.lookup_source_decl(decode_name(op.string("name")))
            if d is not None:
                return self._decl_op_src(op, d)
        return self.base + op.src

    def _decl_op_src(self, op: Inst, d: Decl) -> int:
        """``op_src`` of the @name operand ``op``, which names the source decl ``d``."""
        if d.src_index < self.home.src_index:
            return self.m.decl_src(d)  # (a generated function's syntax is not parsed again for its position)
        return self.base + op.src

    def use_decl(self, d: Decl, src: int) -> Constant:
        """Operand rule §5.3 step 3: dependency first, analyse, require complete; the value as a constant."""
        m = self.m
        m.declare_dependency(self.owner, d)
        status = d.analysis
        if status is DeclStatus.IN_PROGRESS:
            self.fail(src, "dependency loop detected")
        if status is not DeclStatus.COMPLETE:  # (a complete decl is usable: ensure_decl_analyzed returns at once)
            m.ensure_decl_analyzed(d)
        tv = d.typed_value
        assert tv is not None
        return Constant(tv.ty, tv.val, src)

    def resolve(self, op: Inst) -> Operand:
        """The value of operand ``op`` for the instruction being analysed."""
        if op.hidden:
            name = decode_name(op.string("name"))
            d = self.lookup_source_decl(name)
            if d is None:
                self.m.note_missing_name(name, self.owner)
                self.fail(self.base + op.src, f"decl '{name}' not found")
            return self.use_decl(d, self._decl_op_src(op, d))
        res = self.results.get(op)
        if res is None:
            self.fail(self.cur_src, f"use of '%{op.name}' outside the body that defines it")
        if self.inferred_pending and res in self.inferred_pending:
            self.fail(self.cur_src, "use of inferred allocation before its first store")
        if isinstance(res, Constant):
            src = self.base + op.src
            return Constant(res.ty, res.val, src) if res.src != src else res
        defined_in = self.result_block.get(op)
        cur = self.block
        # defined in the current block: available (the common case, tested first: encloses() would say so too)
        if (
            defined_in is not None
            and defined_in is not cur
            and v.one_possible_value(res.ty) is None
            and (cur is None or not defined_in.encloses(cur))
        ):
            self.fail(self.cur_src, f"use of '%{op.name}' outside the body that defines it")
        return res

    def require_pointer(self, op: Inst) -> Operand:
        """The operand, which must be a pointer (``expected pointer, found '{}'`` @ op)."""
        x = self.resolve(op)
        if x.ty.zig_type_tag() is not TypeClass.POINTER:
            self.fail(self.op_src(op), f"expected pointer, found '{x.ty}'")
        return x

    def resolve_type(self, op: Inst) -> Type:
        x = co.coerce(self, t.TYPE, self.resolve(op))
        val = self.resolve_const_value(x, x.src)
        assert isinstance(val, v.TypeValue)
        return val.ty

    def resolve_const_value(self, x: Operand, src: int) -> v.Value:
        val = co.comptime_value(x)
        if val is None:
            self.fail(src, "unable to resolve comptime value")
        if isinstance(val, v.Undef):
            self.fail(src, "use of undefined value here causes undefined behavior")
        return val

    def resolve_const_string(self, op: Inst) -> bytes:
        x = co.coerce(self, t.CONST_SLICE_U8, self.resolve(op))
        val = self.resolve_const_value(x, x.src)
        data = self.bytes_of(val)
        if data is None:
            self.fail(x.src, "expected string value")
        return data

    def bytes_of(self, val: v.Value) -> bytes | None:
        if isinstance(val, v.Bytes):
            return val.data
        if isinstance(val, v.DeclRef):
            tv = getattr(val.decl, "typed_value", None)
            if isinstance(tv, v.TypedValue) and isinstance(tv.val, v.Bytes):
                return tv.val.data
        return None

    # ------------------------------------------------------------------ instructions and bodies

    def analyze_inst(self, inst: Inst) -> Operand:
        saved, saved_inst = self.cur_src, self.cur_inst
        self.cur_src = self.base + inst.src
        self.cur_inst = inst
        try:
            res = ANALYZERS[inst.tag](self, inst)
        finally:
            self.cur_src, self.cur_inst = saved, saved_inst
        return res

    def analyze_body(self, body: Body) -> bool:
        """Analyse ``body`` into the current block; True when it ended in a ``noreturn`` instruction."""
        insts = body.insts
        for i, inst in enumerate(insts):
            res = self.analyze_inst(inst)
            self.results[inst] = res
            if isinstance(res, AirInst) and self.block is not None:
                self.result_block[inst] = self.block
            if res.ty.tag is TypeTag.NORETURN:
                for rest in insts[i + 1 :]:
                    if rest.tag is Tag.DBG_STMT:
                        self.fail(self.own(rest), "unreachable code")
                return True
        return False

    def const(self, ty: Type, val: v.Value) -> Constant:
        return Constant(ty, val, self.cur_src)

    def const_type(self, ty: Type) -> Constant:
        return Constant(t.TYPE, v.TypeValue(ty), self.cur_src)

    def const_void(self) -> Constant:
        return Constant(t.VOID, v.VOID_VALUE, self.cur_src)

    def fn_return_type(self) -> Type:
        b = self.require_block()
        return b.fn.fn_type.fn_return_type()


# ---------------------------------------------------------------------- §6.1 constants, decls, types


_PRIMITIVE_VALUES: Final[dict[str, tuple[Type, v.Value]]] = {
    "true": (t.BOOL, v.TRUE),
    "false": (t.BOOL, v.FALSE),
    "null": (t.NULL_TYPE, v.NULL_VALUE),
    "undefined": (t.UNDEFINED_TYPE, v.UNDEF),
    "void_value": (t.VOID, v.VOID_VALUE),
}


def analyze_primitive(s: Sema, inst: Inst) -> Operand:
    word = inst.word("tag")
    if word in _PRIMITIVE_VALUES:
        ty, val = _PRIMITIVE_VALUES[word]
        return s.const(ty, val)
    return s.const_type(Type.named(TypeTag(word)))


def analyze_int(s: Sema, inst: Inst) -> Operand:
    return s.const(t.COMPTIME_INT, v.IntValue(inst.integer("int")))


def analyze_str(s: Sema, inst: Inst) -> Operand:
    data = inst.string("bytes")
    array_ty = Type.array_u8_sentinel_0(len(data))
    a = s.m.anon_decl(s.owner, data, v.TypedValue(array_ty, v.Bytes(data)))
    s.m.declare_dependency(s.owner, a)
    return s.const(Type.single_const_pointer(array_ty), v.DeclRef(a))


def _declref(s: Sema, name: str, src: int) -> Operand:
    d = s.m.decl_table.get(name)
    if d is None:
        s.m.note_missing_name(name, s.owner)
        s.fail(src, f"decl '{name}' not found")
    if d.is_anonymous:
        s.m.note_anon_named()
    c = s.use_decl(d, src)
    return s.const(Type.single_const_pointer(c.ty), v.DeclRef(d))


def analyze_declref(s: Sema, inst: Inst) -> Operand:
    return _declref(s, decode_name(inst.string("name")), s.own(inst))


def analyze_declref_str(s: Sema, inst: Inst) -> Operand:
    name = s.resolve_const_string(inst.operand("name"))
    return _declref(s, decode_name(name), s.own(inst))


def analyze_declval(s: Sema, inst: Inst) -> Operand:
    name = decode_name(inst.string("name"))
    if inst.hidden:
        return s.resolve(inst)
    d = s.lookup_source_decl(name)
    if d is None:
        s.m.note_missing_name(name, s.owner)
        s.fail(s.own(inst), f"use of undeclared identifier '{name}'")
    return s.use_decl(d, s.own(inst))


def analyze_special(s: Sema, inst: Inst) -> Operand:
    s.fail(s.own(inst), f"'{inst.tag.value}' is a special instruction; not legal in ZIR text")


def analyze_fntype(s: Sema, inst: Inst) -> Operand:
    ret = s.resolve_type(inst.operand("return_type"))
    params = tuple(s.resolve_type(p) for p in inst.operands("param_types"))
    return s.const_type(Type.function(params, ret, inst.word("cc")))


def analyze_fn(s: Sema, inst: Inst) -> Operand:
    if s.block is not None or s.fn is not None:
        s.fail(s.own(inst), "fn instruction must be a top-level declaration")
    fn_type = s.resolve_type(inst.operand("fn_type"))
    if not fn_type.is_fn():
        s.fail(s.op_src(inst.operand("fn_type")), f"expected function type, found '{fn_type}'")
    ret = fn_type.fn_return_type()
    if ret.is_fn():  # a function body type has no runtime representation to return (issue 11 item 15)
        s.fail(s.op_src(inst.operand("fn_type")), f"return type '{ret}' not allowed")
    fn = Fn(s.owner, inst.body("body"), fn_type)
    return s.const(fn_type, v.FunctionValue(fn))


def analyze_export(s: Sema, inst: Inst) -> Operand:
    name = s.resolve_const_string(inst.operand("symbol_name"))
    decl_name = decode_name(inst.string("decl_name"))
    s.m.analyze_export(s.owner, name, decl_name, s.own(inst))
    return s.const_void()


def analyze_compileerror(s: Sema, inst: Inst) -> Operand:
    s.fail(s.own(inst), inst.string("msg").decode("utf-8", "surrogateescape"))


def analyze_as(s: Sema, inst: Inst) -> Operand:
    dest = s.resolve_type(inst.operand("lhs"))
    return co.coerce(s, dest, s.resolve(inst.operand("rhs")))


def analyze_typeof(s: Sema, inst: Inst) -> Operand:
    return s.const_type(s.resolve(inst.operand("operand")).ty)


def analyze_single_const_ptr_type(s: Sema, inst: Inst) -> Operand:
    return s.const_type(Type.single_const_pointer(s.resolve_type(inst.operand("operand"))))


def analyze_single_mut_ptr_type(s: Sema, inst: Inst) -> Operand:
    return s.const_type(Type.single_mut_pointer(s.resolve_type(inst.operand("operand"))))


def analyze_optional_type(s: Sema, inst: Inst) -> Operand:
    return s.const_type(Type.optional(s.resolve_type(inst.operand("operand"))))


def analyze_param_type(s: Sema, inst: Inst) -> Operand:
    func_op = inst.operand("func")
    func = s.resolve(func_op)
    if not func.ty.is_fn():
        s.fail(s.op_src(func_op), f"expected function, found '{func.ty}'")
    params = func.ty.fn_param_types()
    index = inst.integer("arg_index")
    if index >= len(params):
        s.fail(s.own(inst), f"arg index {index} out of bounds; '{func.ty}' has {len(params)} arguments")
    return s.const_type(params[index])


def analyze_ret_type(s: Sema, inst: Inst) -> Operand:
    return s.const_type(s.fn_return_type())


# ---------------------------------------------------------------------- §6.2 function-body instructions


def analyze_arg(s: Sema, inst: Inst) -> Operand:
    b = s.require_block()
    fn_ty = b.fn.fn_type
    params = fn_ty.fn_param_types()
    if inst.is_arg_index_form:
        index = inst.integer("index")
        name = inst.name or ""
    else:
        index = len(b.insts)
        name = inst.string("name").decode("utf-8", "surrogateescape")
    if index >= len(params):
        s.fail(s.own(inst), f"parameter index {index} outside list of length {len(params)}")
    msg = memory.param_type_error(params[index])
    if msg is not None:
        s.fail(s.own(inst), msg)
    return s.add_inst(air.Arg(AirTag.ARG, params[index], s.own(inst), name=name, index=index))


def _noop(s: Sema, tag: AirTag, ty: Type, src: int) -> AirInst:
    return s.add_inst(air.NoOp(tag, ty, src))


def analyze_breakpoint(s: Sema, inst: Inst) -> Operand:
    return _noop(s, AirTag.BREAKPOINT, t.VOID, s.own(inst))


def analyze_dbg_stmt(s: Sema, inst: Inst) -> Operand:
    return _noop(s, AirTag.DBG_STMT, t.VOID, s.own(inst))


def analyze_unreachable(s: Sema, inst: Inst) -> Operand:
    s.require_block()
    if s.m.optimize_mode.has_safety:
        # The safety flag: with safety on, code generation panics "reached unreachable code" here (outside Naked
        # functions), docs/design/language-complete.md §10.
        s.add_inst(air.NoOp(AirTag.BREAKPOINT, t.VOID, s.own(inst), safety=True))
    return _noop(s, AirTag.UNREACH, t.NORETURN, s.own(inst))


def analyze_unreach_nocheck(s: Sema, inst: Inst) -> Operand:
    return _noop(s, AirTag.UNREACH, t.NORETURN, s.own(inst))


def analyze_return(s: Sema, inst: Inst) -> Operand:
    operand = s.resolve(inst.operand("operand"))
    return s.add_inst(air.UnOp(AirTag.RET, t.NORETURN, s.own(inst), operand=operand))


def analyze_returnvoid(s: Sema, inst: Inst) -> Operand:
    ret_ty = s.fn_return_type()
    void = s.const_void()
    casted = co.coerce(s, ret_ty, void)
    if casted.ty.tag is not TypeTag.VOID:
        return s.add_inst(air.UnOp(AirTag.RET, t.NORETURN, s.own(inst), operand=casted))
    return _noop(s, AirTag.RETVOID, t.NORETURN, s.own(inst))


def analyze_call(s: Sema, inst: Inst) -> Operand:
    func_op = inst.operand("func")
    func = s.resolve(func_op)
    fty = func.ty
    if not fty.is_fn():
        s.fail(s.op_src(func_op), f"type '{fty}' not a function")
    if fty.fn_calling_convention() == "Naked":
        s.fail(s.op_src(func_op), "unable to call function with naked calling convention")
    params = fty.fn_param_types()
    arg_ops = inst.operands("args")
    if len(arg_ops) != len(params):
        s.fail(s.op_src(func_op), f"expected {len(params)} arguments, found {len(arg_ops)}")
    modifier = inst.word("modifier")
    if modifier == "async_kw":
        s.fail(s.own(inst), "async calls are not supported")
    args = [co.coerce(s, p, s.resolve(a)) for p, a in zip(params, arg_ops, strict=True)]
    if modifier == "compile_time" or s.comptime_quota is not None:
        from compiler.sema import comptime_call  # the interpreter is a Sema subclass: imported on first use

        return comptime_call.call(s, inst, func, args)
    # Every other modifier behaves as ``auto`` (language-complete.md §7).
    ret_ty = fty.fn_return_type()
    for param in params:
        msg = memory.param_type_error(param)
        if msg is not None:
            s.fail(s.op_src(func_op), msg)
    if ret_ty.tag in memory.COMPTIME_ONLY:
        s.fail(s.own(inst), f"function with comptime-only return type '{ret_ty}' must be called at compile time")
    s.require_block()
    return s.add_inst(air.Call(AirTag.CALL, ret_ty, s.own(inst), func=func, args=args))


def analyze_asm(s: Sema, inst: Inst) -> Operand:
    ret_ty = s.resolve_type(inst.operand("return_type"))
    source = s.resolve_const_string(inst.operand("asm_source"))
    out_op = inst.opt_operand("output")
    output = s.resolve_const_string(out_op) if out_op is not None else None
    inputs = tuple(s.resolve_const_string(i) for i in inst.operands("inputs"))
    clobbers = tuple(s.resolve_const_string(c) for c in inst.operands("clobbers"))
    args = [co.coerce(s, t.USIZE, s.resolve(a)) for a in inst.operands("args")]
    if len(args) < len(inputs):
        s.fail(s.own(inst), f"asm has {len(inputs)} inputs but only {len(args)} args")
    s.require_block()
    return s.add_inst(
        air.Assembly(
            AirTag.ASSEMBLY,
            ret_ty,
            s.own(inst),
            asm_source=source,
            is_volatile=inst.boolean("volatile"),
            output=output,
            inputs=inputs,
            clobbers=clobbers,
            args=list(args),
        )
    )


def analyze_alloc(s: Sema, inst: Inst) -> Operand:
    elem = s.resolve_type(inst.operand("operand"))
    return _noop(s, AirTag.ALLOC, Type.single_mut_pointer(elem), s.own(inst))


def _require_pointer(s: Sema, op: Inst) -> Operand:
    return s.require_pointer(op)


def analyze_store(s: Sema, inst: Inst) -> Operand:
    lhs_op = inst.operand("lhs")
    pending = s.results.get(lhs_op) if not lhs_op.hidden else None
    value = s.resolve(inst.operand("rhs"))
    if pending is not None and pending in s.inferred_pending:
        resultloc.infer_alloc(s, pending, value, s.own(inst))
    ptr = _require_pointer(s, lhs_op)
    if ptr.ty.is_const_ptr():
        s.fail(s.own(inst), "cannot assign to constant")
    elem = ptr.ty.elem_type()
    casted = co.coerce(s, elem, value)
    if v.one_possible_value(elem) is not None:
        return s.const_void()
    return s.add_inst(air.BinOp(AirTag.STORE, t.VOID, s.own(inst), lhs=ptr, rhs=casted))


def analyze_deref(s: Sema, inst: Inst) -> Operand:
    ptr = _require_pointer(s, inst.operand("operand"))
    elem = ptr.ty.elem_type()
    val = co.comptime_value(ptr)
    if val is not None and not isinstance(val, v.Undef):
        return s.const(elem, memory.pointer_deref(s, val))
    return s.add_inst(air.UnOp(AirTag.LOAD, elem, s.own(inst), operand=ptr))


def analyze_ref(s: Sema, inst: Inst) -> Operand:
    x = s.resolve(inst.operand("operand"))
    ptr_ty = Type.single_const_pointer(x.ty)
    val = co.comptime_value(x)
    if val is not None:
        return s.const(ptr_ty, v.RefVal(val))
    return s.add_inst(air.UnOp(AirTag.REF, ptr_ty, s.own(inst), operand=x))


def analyze_ptrtoint(s: Sema, inst: Inst) -> Operand:
    ptr = _require_pointer(s, inst.operand("operand"))
    return s.add_inst(air.UnOp(AirTag.PTRTOINT, t.USIZE, s.own(inst), operand=ptr))


def analyze_bitcast(s: Sema, inst: Inst) -> Operand:
    dest = s.resolve_type(inst.operand("lhs"))
    x = s.resolve(inst.operand("rhs"))
    val = co.comptime_value(x)
    if val is not None:
        return s.const(dest, val)
    return s.add_inst(air.UnOp(AirTag.BITCAST, dest, s.own(inst), operand=x))


class _NumericCast(NamedTuple):
    """The rules of ``intcast`` / ``floatcast`` (zir-language.md §6.2), which differ only in these words."""

    kind: str
    """``integer`` or ``float``, as the messages spell it."""
    dest_classes: tuple[TypeClass, ...]
    operand_classes: tuple[TypeClass, ...]
    comptime: TypeTag
    """The compile-time type a runtime value cannot be cast to."""


_INTCAST: Final = _NumericCast(
    "integer",
    (TypeClass.INT, TypeClass.COMPTIME_INT),
    (TypeClass.INT, TypeClass.COMPTIME_INT),
    TypeTag.COMPTIME_INT,
)
_FLOATCAST: Final = _NumericCast(
    "float",
    (TypeClass.FLOAT, TypeClass.COMPTIME_FLOAT),
    (TypeClass.FLOAT, TypeClass.COMPTIME_FLOAT, TypeClass.COMPTIME_INT),
    TypeTag.COMPTIME_FLOAT,
)


def _analyze_numeric_cast(s: Sema, inst: Inst, rule: _NumericCast) -> Operand:
    lhs_op, rhs_op = inst.operand("lhs"), inst.operand("rhs")
    dest = s.resolve_type(lhs_op)
    if dest.zig_type_tag() not in rule.dest_classes:
        s.fail(s.op_src(lhs_op), f"expected {rule.kind} type, found '{dest}'")
    x = s.resolve(rhs_op)
    if x.ty.zig_type_tag() not in rule.operand_classes:
        s.fail(s.op_src(rhs_op), f"expected {rule.kind} type, found '{x.ty}'")
    if co.comptime_value(x) is not None:
        return co.coerce(s, dest, x)
    if dest.tag is rule.comptime:
        s.fail(s.own(inst), f"unable to cast runtime value to '{dest}'")
    if dest == x.ty:
        return x
    if rule is _FLOATCAST:
        s.fail(s.own(inst), f"floating-point type '{dest}' is not supported at runtime")
    # Runtime intcast (docs/design/language-complete.md §4): the range check is needed unless every value fits.
    s_signed, s_bits = x.ty.int_info()
    d_signed, d_bits = dest.int_info()
    widening = (s_signed == d_signed and d_bits >= s_bits) or (d_signed and not s_signed and d_bits > s_bits)
    return s.add_inst(air.UnOp(AirTag.INTCAST, dest, s.own(inst), operand=x, safety=not widening))


def analyze_intcast(s: Sema, inst: Inst) -> Operand:
    return _analyze_numeric_cast(s, inst, _INTCAST)


def analyze_floatcast(s: Sema, inst: Inst) -> Operand:
    return _analyze_numeric_cast(s, inst, _FLOATCAST)


def analyze_boolnot(s: Sema, inst: Inst) -> Operand:
    x = co.coerce(s, t.BOOL, s.resolve(inst.operand("operand")))
    val = co.comptime_value(x)
    if val is not None:
        if isinstance(val, v.Undef):
            s.fail(x.src, "use of undefined value here causes undefined behavior")
        assert isinstance(val, v.BoolValue)
        return s.const(t.BOOL, v.BoolValue(not val.value))
    return s.add_inst(air.UnOp(AirTag.NOT, t.BOOL, s.own(inst), operand=x))


def analyze_ensure_result_used(s: Sema, inst: Inst) -> Operand:
    op = inst.operand("operand")
    x = s.resolve(op)
    if x.ty.tag in (TypeTag.VOID, TypeTag.NORETURN):
        return s.const_void()
    s.fail(s.op_src(op), "expression value is ignored")


def analyze_ensure_result_non_error(s: Sema, inst: Inst) -> Operand:
    op = inst.operand("operand")
    x = s.resolve(op)
    if x.ty.zig_type_tag() is TypeClass.ERROR_SET:
        s.fail(s.op_src(op), "error is discarded")
    return s.const_void()


def analyze_coerce_to_ptr_elem(s: Sema, inst: Inst) -> Operand:
    ptr = _require_pointer(s, inst.operand("ptr"))
    return co.coerce(s, ptr.ty.elem_type(), s.resolve(inst.operand("value")))


# ---------------------------------------------------------------------- §6.3 arithmetic, comparison


def _binary(rule: Callable[[Sema, str, Operand, Operand, int], Operand], tag: str) -> Handler:
    def handler(s: Sema, inst: Inst) -> Operand:
        lhs = s.resolve(inst.operand("lhs"))
        rhs = s.resolve(inst.operand("rhs"))
        return rule(s, tag, lhs, rhs, s.own(inst))

    return handler


def _arith(tag: str) -> Handler:
    return _binary(arith.analyze_arithmetic, tag)


def _cmp(op: str) -> Handler:
    def handler(s: Sema, inst: Inst) -> Operand:
        lhs = s.resolve(inst.operand("lhs"))
        rhs = s.resolve(inst.operand("rhs"))
        return co.analyze_cmp(s, op, lhs, rhs, s.own(inst))

    return handler


# ---------------------------------------------------------------------- §6.4 control flow


def analyze_condbr(s: Sema, inst: Inst) -> Operand:
    cond = co.coerce(s, t.BOOL, s.resolve(inst.operand("condition")))
    val = co.comptime_value(cond)
    if val is not None:
        if isinstance(val, v.Undef):
            s.fail(cond.src, "use of undefined value here causes undefined behavior")
        assert isinstance(val, v.BoolValue)
        s.analyze_body(inst.body("then_body" if val.value else "else_body"))
        return s.const_void()
    parent = s.require_block()
    then_block = parent.child()
    else_block = parent.child()
    s.block = then_block
    try:
        s.analyze_body(inst.body("then_body"))
        s.block = else_block
        s.analyze_body(inst.body("else_body"))
    finally:
        s.block = parent
    return s.add_inst(
        air.CondBr(
            AirTag.CONDBR,
            t.NORETURN,
            s.own(inst),
            condition=cond,
            then_body=then_block.insts,
            else_body=else_block.insts,
        )
    )


def analyze_block(s: Sema, inst: Inst) -> Operand:
    parent = s.require_block()
    air_block = air.Block(AirTag.BLOCK, t.NORETURN, s.own(inst), body=[])
    label = BlockLabel(inst, air_block)
    child = parent.child(label)
    air_block.body = child.insts
    s.block = child
    try:
        ended = s.analyze_body(inst.body("body"))
    finally:
        s.block = parent
    if not ended:
        s.fail(s.own(inst), "block body must end with a noreturn instruction")
    air_block.ty = co.resolve_peer_types(s, label.results)
    parent.insts.append(air_block)
    return air_block


def _break_target(s: Sema, inst: Inst) -> BlockLabel:
    b = s.require_block()
    label = inst.label("block")
    target = b.find_label(label.block)
    if target is None:
        text = label.text.decode("utf-8", "surrogateescape")
        s.fail(s.own(inst), f"break target '{text}' is not an enclosing block")
    return target


def analyze_break(s: Sema, inst: Inst) -> Operand:
    target = _break_target(s, inst)
    operand = s.resolve(inst.operand("operand"))
    target.results.append(operand)
    return s.add_inst(air.Br(AirTag.BR, t.NORETURN, s.own(inst), block=target.air_block, operand=operand))


def analyze_breakvoid(s: Sema, inst: Inst) -> Operand:
    target = _break_target(s, inst)
    target.results.append(s.const_void())
    return s.add_inst(air.BrVoid(AirTag.BRVOID, t.NORETURN, s.own(inst), block=target.air_block))


def analyze_loop(s: Sema, inst: Inst) -> Operand:
    parent = s.require_block()
    child = parent.child()
    s.block = child
    try:
        s.analyze_body(inst.body("body"))
    finally:
        s.block = parent
    return s.add_inst(air.Loop(AirTag.LOOP, t.NORETURN, s.own(inst), body=child.insts))


# ---------------------------------------------------------------------- the dispatch table


ANALYZERS: Final[dict[Tag, Handler]] = {
    Tag.PRIMITIVE: analyze_primitive,
    Tag.INT: analyze_int,
    Tag.STR: analyze_str,
    Tag.DECLREF: analyze_declref,
    Tag.DECLREF_STR: analyze_declref_str,
    Tag.DECLVAL: analyze_declval,
    Tag.DECLVAL_IN_MODULE: analyze_special,
    Tag.CONST: analyze_special,
    Tag.FNTYPE: analyze_fntype,
    Tag.FN: analyze_fn,
    Tag.EXPORT: analyze_export,
    Tag.COMPILEERROR: analyze_compileerror,
    Tag.AS: analyze_as,
    Tag.TYPEOF: analyze_typeof,
    Tag.SINGLE_CONST_PTR_TYPE: analyze_single_const_ptr_type,
    Tag.SINGLE_MUT_PTR_TYPE: analyze_single_mut_ptr_type,
    Tag.OPTIONAL_TYPE: analyze_optional_type,
    Tag.PTR_TYPE: pointers.analyze_ptr_type,
    Tag.INTTYPE: pointers.analyze_inttype,
    Tag.PARAM_TYPE: analyze_param_type,
    Tag.RET_TYPE: analyze_ret_type,
    Tag.ARG: analyze_arg,
    Tag.BREAKPOINT: analyze_breakpoint,
    Tag.DBG_STMT: analyze_dbg_stmt,
    Tag.UNREACHABLE: analyze_unreachable,
    Tag.UNREACH_NOCHECK: analyze_unreach_nocheck,
    Tag.RETURN: analyze_return,
    Tag.RETURNVOID: analyze_returnvoid,
    Tag.CALL: analyze_call,
    Tag.ASM: analyze_asm,
    Tag.ALLOC: analyze_alloc,
    Tag.ALLOC_INFERRED: resultloc.analyze_alloc_inferred,
    Tag.STORE: analyze_store,
    Tag.DEREF: analyze_deref,
    Tag.REF: analyze_ref,
    Tag.PTRTOINT: analyze_ptrtoint,
    Tag.FIELDPTR: pointers.analyze_fieldptr,
    Tag.ELEMPTR: pointers.analyze_elemptr,
    Tag.BITCAST: analyze_bitcast,
    Tag.INTCAST: analyze_intcast,
    Tag.FLOATCAST: analyze_floatcast,
    Tag.BOOLNOT: analyze_boolnot,
    Tag.ISNULL: optionals.analyze_isnull,
    Tag.ISNONNULL: optionals.analyze_isnonnull,
    Tag.UNWRAP_OPTIONAL_SAFE: optionals.analyze_unwrap_optional_safe,
    Tag.UNWRAP_OPTIONAL_UNSAFE: optionals.analyze_unwrap_optional_unsafe,
    Tag.ENSURE_RESULT_USED: analyze_ensure_result_used,
    Tag.ENSURE_RESULT_NON_ERROR: analyze_ensure_result_non_error,
    Tag.COERCE_TO_PTR_ELEM: analyze_coerce_to_ptr_elem,
    Tag.COERCE_RESULT_PTR: resultloc.analyze_coerce_result_ptr,
    Tag.COERCE_RESULT_BLOCK_PTR: resultloc.analyze_coerce_result_block_ptr,
    Tag.BITCAST_LVALUE: resultloc.analyze_bitcast_ptr,
    Tag.BITCAST_RESULT_PTR: resultloc.analyze_bitcast_ptr,
    Tag.RET_PTR: resultloc.analyze_ret_ptr,
    Tag.ADD: _arith("add"),
    Tag.SUB: _arith("sub"),
    Tag.ADDWRAP: _arith("addwrap"),
    Tag.SUBWRAP: _arith("subwrap"),
    Tag.MUL: _arith("mul"),
    Tag.MULWRAP: _arith("mulwrap"),
    Tag.DIV: _arith("div"),
    Tag.MOD_REM: _arith("mod_rem"),
    Tag.BITAND: _binary(arith.analyze_bitwise, "bitand"),
    Tag.BITOR: _binary(arith.analyze_bitwise, "bitor"),
    Tag.XOR: _binary(arith.analyze_bitwise, "xor"),
    Tag.SHL: _binary(arith.analyze_shift, "shl"),
    Tag.SHR: _binary(arith.analyze_shift, "shr"),
    Tag.ARRAY_CAT: pointers.analyze_array_cat,
    Tag.ARRAY_MUL: pointers.analyze_array_mul,
    Tag.CMP_LT: _cmp("lt"),
    Tag.CMP_LTE: _cmp("lte"),
    Tag.CMP_EQ: _cmp("eq"),
    Tag.CMP_GTE: _cmp("gte"),
    Tag.CMP_GT: _cmp("gt"),
    Tag.CMP_NEQ: _cmp("neq"),
    Tag.CONDBR: analyze_condbr,
    Tag.BLOCK: analyze_block,
    Tag.BREAK: analyze_break,
    Tag.BREAKVOID: analyze_breakvoid,
    Tag.LOOP: analyze_loop,
}

assert set(ANALYZERS) == set(Tag), "every Tag has an analysis handler"
