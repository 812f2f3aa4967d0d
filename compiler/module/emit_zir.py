"""Emitted ZIR: the analysed Module printed back as ZIR text, byte for byte as Zig's zir.emit (zir-language.md §10.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, assert_never

from compiler import air
from compiler.air import AirInst, AirTag, Constant, Operand
from compiler.module.decl import DeclStatus, FnStatus
from compiler.sema import values as v
from compiler.sema.types import Type, TypeClass, TypeTag
from compiler.zir.bigint import format_decimal

if TYPE_CHECKING:
    from compiler.module.decl import Decl, Fn
    from compiler.module.module import Module


# ---------------------------------------------------------------------- the emitted ZIR tree


@dataclass(frozen=True, slots=True)
class Raw:
    """Argument text printed verbatim (a string literal, an integer, a bool, an enum word)."""

    text: str


@dataclass(frozen=True, slots=True)
class DeclVal:
    """``@name`` of a decl that is not in the emitted module (a function constant's owner)."""

    name: str


@dataclass(eq=False, slots=True)
class ZBody:
    insts: list[ZInst] = field(default_factory=list)
    entry_deaths: list[ZArg] = field(default_factory=list)
    """Liveness mode: the ``; deaths={…}`` line of a condbr branch."""


@dataclass(frozen=True, slots=True)
class LabelRef:
    """A ``break``/``breakvoid`` target: printed as ``"label_{k}"`` of the block instruction."""

    block: ZInst


@dataclass(eq=False, slots=True)
class ZInst:
    """One emitted instruction: tag, positional arguments, always-printed keyword arguments."""

    tag: str
    pos: list[ZArg]
    kw: list[tuple[str, ZArg]] = field(default_factory=list)
    deaths: int | None = None
    """The AIR death mask (printed only in liveness mode)."""


@dataclass(eq=False, slots=True)
class EDecl:
    """A top-level emitted decl; renaming it renames every reference (printing is deferred)."""

    name: str
    inst: ZInst


ZArg = EDecl | ZInst | Raw | DeclVal | ZBody | LabelRef | list["ZArg"]


def _bytes(text: str) -> bytes:
    """A name or message as the source's bytes (non-UTF-8 bytes are held as surrogate escapes)."""
    return text.encode("utf-8", "surrogateescape")


def _str_lit(data: bytes) -> Raw:
    return Raw(v.render_string(data))


# ---------------------------------------------------------------------- the emitter


class Emitter:
    """Builds the emitted decl list with Zig's naming (``unnamed$N``) and ordering rules."""

    def __init__(self, m: Module) -> None:
        self.m = m
        self.names: set[str] = set(m.decl_table)
        self.next_auto = 0
        self.decls: list[EDecl] = []
        self.primitives: dict[str, EDecl] = {}

    def auto_name(self) -> str:
        while True:
            name = f"unnamed${self.next_auto}"
            self.next_auto += 1
            if name not in self.names:
                self.names.add(name)
                return name

    def unnamed(self, inst: ZInst) -> EDecl:
        d = EDecl(self.auto_name(), inst)
        self.decls.append(d)
        return d

    def primitive(self, tag: str) -> EDecl:
        d = self.primitives.get(tag)
        if d is None:
            d = self.unnamed(ZInst("primitive", [Raw(tag)]))
            self.primitives[tag] = d
        return d

    def string(self, data: bytes) -> EDecl:
        return self.unnamed(ZInst("str", [_str_lit(data)]))

    def comptime_int(self, value: int) -> EDecl:
        return self.unnamed(ZInst("int", [Raw(format_decimal(value))]))

    # ------------------------------------------------------------------ module level

    def run(self) -> None:
        m = self.m
        for d in sorted(m.decl_table.values(), key=_order_key):
            status = d.analysis
            if status is DeclStatus.UNREFERENCED:
                continue
            if status in (
                DeclStatus.SEMA_FAILURE,
                DeclStatus.SEMA_FAILURE_RETRYABLE,
                DeclStatus.DEPENDENCY_FAILURE,
            ):
                err = m.failed_decls.get(d)
                if err is not None:
                    self.decls.append(EDecl(d.name, ZInst("compileerror", [_str_lit(_bytes(err.msg))])))
                    continue
                if d.typed_value is None:
                    continue
            if status in (DeclStatus.IN_PROGRESS, DeclStatus.OUTDATED):
                continue
            exports = m.export_owners.get(d)
            if exports is not None:
                for exp in exports:
                    s = self.string(exp.name)
                    self.unnamed(ZInst("export", [s, _str_lit(_bytes(exp.exported.name))]))
                continue
            tv = d.typed_value
            if tv is None:
                continue
            e = self.typed_value(tv.ty, tv.val, d)
            e.name = d.name

    # ------------------------------------------------------------------ values and types

    def typed_value(self, ty: Type, val: v.Value, owner: Decl | None = None) -> EDecl:
        if isinstance(val, v.DeclRef):
            return self.unnamed(ZInst("declref", [_str_lit(_bytes(val.decl.name))]))
        if isinstance(val, v.Undef):
            lhs = self.type(ty)
            rhs = self.primitive("undefined")
            return self.unnamed(ZInst("as", [lhs, rhs]))
        cls = ty.zig_type_tag()
        if cls in (TypeClass.POINTER, TypeClass.ARRAY):
            data = self.bytes_of(val)
            if data is not None:
                return self.string(data)
        if cls is TypeClass.COMPTIME_INT and isinstance(val, v.IntValue):
            return self.comptime_int(val.value)
        if cls is TypeClass.INT and isinstance(val, v.IntValue):
            lhs = self.type(ty)
            rhs = self.comptime_int(val.value)
            return self.unnamed(ZInst("as", [lhs, rhs]))
        if cls is TypeClass.TYPE and isinstance(val, v.TypeValue):
            return self.type(val.ty)
        if cls is TypeClass.FN and isinstance(val, v.FunctionValue):
            fn = val.fn
            return self.function(fn, ty)  # type: ignore[arg-type]
        if cls is TypeClass.VOID:
            return self.primitive("void_value")
        if cls is TypeClass.BOOL and isinstance(val, v.BoolValue):
            return self.primitive("true" if val.value else "false")
        if cls is TypeClass.NULL or (cls is TypeClass.OPTIONAL and isinstance(val, v.NullValue)):
            return self.primitive("null")
        if cls is TypeClass.OPTIONAL:
            payload = self.typed_value(ty.optional_child(), val)
            return self.unnamed(ZInst("as", [self.type(ty), payload]))
        # A value without a spelling (Zig panicked in emitTypedValue): a compile error keeps the file parseable.
        return self.unnamed(ZInst("compileerror", [_str_lit(_bytes(f"unable to emit value of type '{ty}'"))]))

    def bytes_of(self, val: v.Value) -> bytes | None:
        if isinstance(val, v.Bytes):
            return val.data
        if isinstance(val, v.RefVal):
            return self.bytes_of(val.value)
        return None

    def type(self, ty: Type) -> EDecl:
        tag = ty.tag
        cls = ty.zig_type_tag()
        if tag in _PRIMITIVE_TYPE_TAGS:
            return self.primitive(tag.value)
        if cls is TypeClass.FN:
            params = [self.type(p) for p in ty.fn_param_types()]
            ret = self.type(ty.fn_return_type())
            return self.unnamed(ZInst("fntype", [list[ZArg](params), ret], [("cc", Raw(ty.fn_calling_convention()))]))
        if cls is TypeClass.INT:
            signed, bits = ty.int_info()
            s = self.primitive("true" if signed else "false")
            b = self.comptime_int(bits)
            return self.unnamed(ZInst("inttype", [s, b]))
        if cls is TypeClass.POINTER and ty.is_single_pointer() and not ty.is_volatile:
            elem = self.type(ty.elem_type())
            tag_name = "single_const_ptr_type" if ty.is_const_ptr() else "single_mut_ptr_type"
            return self.unnamed(ZInst(tag_name, [elem]))
        if cls is TypeClass.POINTER:
            return self.ptr_type(ty)
        if cls is TypeClass.OPTIONAL:
            child = self.type(ty.optional_child())
            return self.unnamed(ZInst("optional_type", [child]))
        if ty.tag is TypeTag.ARRAY_U8_SENTINEL_0:
            # ZIR has no array type constructor: the type of a string value of that length.
            value = self.unnamed(ZInst("deref", [self.string(b" " * ty.array_len())]))
            return self.unnamed(ZInst("typeof", [value]))
        return self.unnamed(ZInst("compileerror", [_str_lit(_bytes(f"unable to emit type '{ty}'"))]))

    def ptr_type(self, ty: Type) -> EDecl:
        """``ptr_type(T, …)`` with only the keywords that differ from their defaults (language-complete.md §13)."""
        elem = self.type(ty.elem_type())
        kw: list[tuple[str, ZArg]] = []
        if not ty.is_const_ptr():
            kw.append(("const", Raw("0")))
        if ty.is_volatile:
            kw.append(("volatile", Raw("1")))
        if ty.sentinel is not None:
            kw.append(("sentinel", self.typed_value(ty.elem_type(), ty.sentinel)))
        if ty.ptr_size() != "One":
            kw.append(("size", Raw(ty.ptr_size())))
        return self.unnamed(ZInst("ptr_type", [elem], kw))

    def function(self, fn: Fn, ty: Type) -> EDecl:
        body = ZBody()
        m = self.m
        match fn.analysis:
            case FnStatus.SUCCESS:
                assert fn.air is not None
                BodyEmitter(self).emit_body(fn.air, body)
            case FnStatus.SEMA_FAILURE:
                err = m.failed_decls.get(fn.owner)
                msg = err.msg if err is not None else ""
                body.insts.append(ZInst("compileerror", [_str_lit(_bytes(msg))]))
            case FnStatus.DEPENDENCY_FAILURE:
                body.insts.append(ZInst("compileerror", [_str_lit(b"depends on another failed Decl")]))
            case FnStatus.QUEUED | FnStatus.IN_PROGRESS:
                pass
            case _:
                assert_never(fn.analysis)
        fn_type = self.type(ty)
        return self.unnamed(ZInst("fn", [fn_type, body]))


_PRIMITIVE_TYPE_TAGS: Final = frozenset(
    TypeTag(n)
    for n in (
        "i8 u8 i16 u16 i32 u32 i64 u64 isize usize c_short c_ushort c_int c_uint c_long c_ulong c_longlong "
        "c_ulonglong c_longdouble c_void f16 f32 f64 f128 bool void noreturn type anyerror comptime_int "
        "comptime_float"
    ).split()
)


def _order_key(d: Decl) -> tuple[int, int, int]:
    if d.is_anonymous and d.owner is not None:
        counter = int(d.name.rsplit("__anon_", 1)[1])
        return (d.owner.src_index, 1, counter)
    return (d.src_index, 0, 0)


class BodyEmitter:
    """AIR body → emitted ZIR body (Zig's emitBody), with per-body constant caching."""

    def __init__(self, e: Emitter) -> None:
        self.e = e
        self.table: dict[int, ZArg] = {}
        self.blocks: dict[int, ZInst] = {}

    def operand(self, op: Operand, body: ZBody) -> ZArg:
        key = id(op)
        found = self.table.get(key)
        if found is not None:
            return found
        if isinstance(op, Constant):
            new: ZArg
            if isinstance(op.val, v.FunctionValue):
                new = DeclVal(op.val.fn.owner.name)
            elif isinstance(op.val, v.DeclRef):
                zi = ZInst("declref", [_str_lit(_bytes(op.val.decl.name))])
                body.insts.append(zi)
                new = zi
            elif op.ty.tag is TypeTag.ARRAY_U8_SENTINEL_0 and isinstance(op.val, v.Bytes):
                # An array value: its str decl, dereferenced (docs/design/language-complete.md §13).
                new = self.e.unnamed(ZInst("deref", [self.e.string(op.val.data)]))
            else:
                new = self.e.typed_value(op.ty, op.val)
            self.table[key] = new
            return new
        raise AssertionError(f"operand {op} used before its definition")

    def _resolved(self, x: ZArg | AirInst) -> ZArg:
        if isinstance(x, AirInst):
            return self.table[id(x)]
        return x

    def emit_body(self, insts: list[AirInst], body: ZBody) -> None:
        for inst in insts:
            zi = self.emit_inst(inst, body)
            zi.deaths = inst.deaths
            body.insts.append(zi)
            self.table[id(inst)] = zi

    def _un(self, name: str, inst: air.UnOp, body: ZBody) -> ZInst:
        return ZInst(name, [self.operand(inst.operand, body)])

    def emit_inst(self, inst: AirInst, body: ZBody) -> ZInst:
        e = self.e
        match inst.tag:
            case AirTag.BREAKPOINT:
                return ZInst("breakpoint", [])
            case AirTag.UNREACH:
                return ZInst("unreach_nocheck", [])
            case AirTag.RETVOID:
                return ZInst("returnvoid", [])
            case AirTag.DBG_STMT:
                return ZInst("dbg_stmt", [])
            case AirTag.ALLOC:
                return ZInst("alloc", [e.type(inst.ty.elem_type())])
            case AirTag.ARG:
                assert isinstance(inst, air.Arg)
                return ZInst("arg", [_str_lit(_bytes(inst.name))])
            case AirTag.NOT | AirTag.RET | AirTag.PTRTOINT | AirTag.ISNULL | AirTag.ISNONNULL:
                assert isinstance(inst, air.UnOp)
                return self._un(_UN_NAMES[inst.tag], inst, body)
            case AirTag.LOAD | AirTag.REF:
                assert isinstance(inst, air.UnOp)
                return self._un(_UN_NAMES[inst.tag], inst, body)
            case AirTag.UNWRAP_OPTIONAL:
                assert isinstance(inst, air.UnOp)
                return self._un("unwrap_optional_safe" if inst.safety else "unwrap_optional_unsafe", inst, body)
            case AirTag.BITCAST | AirTag.INTCAST | AirTag.FLOATCAST | AirTag.WRAP_OPTIONAL:
                assert isinstance(inst, air.UnOp)
                ty = e.type(inst.ty)
                operand = self.operand(inst.operand, body)
                name = "as" if inst.tag is AirTag.WRAP_OPTIONAL else inst.tag.value
                return ZInst(name, [ty, operand])
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
                | AirTag.ELEMPTR
                | AirTag.STORE
                | AirTag.CMP_LT
                | AirTag.CMP_LTE
                | AirTag.CMP_EQ
                | AirTag.CMP_GTE
                | AirTag.CMP_GT
                | AirTag.CMP_NEQ
            ):
                assert isinstance(inst, air.BinOp)
                lhs = self.operand(inst.lhs, body)
                rhs = self.operand(inst.rhs, body)
                return ZInst(inst.tag.value, [lhs, rhs])
            case AirTag.CALL:
                assert isinstance(inst, air.Call)
                args = [self.operand(a, body) for a in inst.args]
                func = self.operand(inst.func, body)
                return ZInst("call", [func, list[ZArg](args)], [("modifier", Raw("auto"))])
            case AirTag.ASSEMBLY:
                assert isinstance(inst, air.Assembly)
                inputs = [e.string(i) for i in inst.inputs]
                clobbers = [e.string(c) for c in inst.clobbers]
                asm_args = [self.operand(a, body) for a in inst.args]
                source = e.string(inst.asm_source)
                ret = e.type(inst.ty)
                kw: list[tuple[str, ZArg]] = [("volatile", Raw("1" if inst.is_volatile else "0"))]
                if inst.output is not None:
                    kw.append(("output", e.string(inst.output)))
                kw += [
                    ("inputs", list[ZArg](inputs)),
                    ("clobbers", list[ZArg](clobbers)),
                    ("args", list[ZArg](asm_args)),
                ]
                return ZInst("asm", [source, ret], kw)
            case AirTag.BLOCK:
                assert isinstance(inst, air.Block)
                zi = ZInst("block", [])
                self.blocks[id(inst)] = zi
                inner = ZBody()
                self.emit_body(inst.body, inner)
                zi.pos.append(inner)
                return zi
            case AirTag.LOOP:
                assert isinstance(inst, air.Loop)
                inner = ZBody()
                self.emit_body(inst.body, inner)
                return ZInst("loop", [inner])
            case AirTag.BR:
                assert isinstance(inst, air.Br)
                operand = self.operand(inst.operand, body)
                return ZInst("break", [LabelRef(self.blocks[id(inst.block)]), operand])
            case AirTag.BRVOID:
                assert isinstance(inst, air.BrVoid)
                return ZInst("breakvoid", [LabelRef(self.blocks[id(inst.block)])])
            case AirTag.CONDBR:
                assert isinstance(inst, air.CondBr)
                # Constants among the entry deaths are emitted first (Zig's order); instructions may be
                # defined inside the other branch, so they are looked up once both bodies exist.
                then_deaths = [self.operand(o, body) if isinstance(o, Constant) else o for o in inst.then_entry_deaths]
                else_deaths = [self.operand(o, body) if isinstance(o, Constant) else o for o in inst.else_entry_deaths]
                then_body = ZBody()
                else_body = ZBody()
                self.emit_body(inst.then_body, then_body)
                self.emit_body(inst.else_body, else_body)
                then_body.entry_deaths = [self._resolved(o) for o in then_deaths]
                else_body.entry_deaths = [self._resolved(o) for o in else_deaths]
                cond = self.operand(inst.condition, body)
                return ZInst("condbr", [cond, then_body, else_body])
        raise AssertionError(f"unhandled AIR tag {inst.tag}")


_UN_NAMES: Final = {
    AirTag.NOT: "boolnot",
    AirTag.RET: "return",
    AirTag.PTRTOINT: "ptrtoint",
    AirTag.ISNULL: "isnull",
    AirTag.ISNONNULL: "isnonnull",
    AirTag.LOAD: "deref",
    AirTag.REF: "ref",
}


# ---------------------------------------------------------------------- the printer (writeToStream, §10.2)


class Printer:
    """Zig's writeToStream: ``@name = tag(args)`` per decl; bodies numbered ``%k`` in pre-order per decl."""

    def __init__(self, liveness: bool) -> None:
        self.liveness = liveness
        self.numbers: dict[int, int] = {}
        self.next_index = 0
        self.out: list[str] = []

    def print_decls(self, decls: list[EDecl]) -> str:
        for d in decls:
            self.next_index = 0
            self.number(d.inst)
            self.next_index = 0
            self.out.append(f"@{d.name} = ")
            self.inst(d.inst, 2)
            self.out.append("\n")
        return "".join(self.out)

    def number(self, zi: ZInst) -> None:
        """Give every body instruction under ``zi`` its ``%k``: a per-decl counter in pre-order (§10.2)."""
        for a in zi.pos:
            if isinstance(a, ZBody):
                for inner in a.insts:
                    self.numbers[id(inner)] = self.next_index
                    self.next_index += 1
                    self.number(inner)

    def inst(self, zi: ZInst, indent: int) -> None:
        self.out.append(f"{zi.tag}(")
        first = True
        for a in zi.pos:
            if not first:
                self.out.append(", ")
            first = False
            self.arg(a, indent)
        for name, a in zi.kw:
            if not first:
                self.out.append(", ")
            first = False
            self.out.append(f"{name}=")
            self.arg(a, indent)
        self.out.append(")")

    def arg(self, a: ZArg, indent: int) -> None:
        out = self.out
        if isinstance(a, Raw):
            out.append(a.text)
        elif isinstance(a, (EDecl, DeclVal)):
            out.append(f"@{a.name}")
        elif isinstance(a, ZInst):
            out.append(f"%{self.numbers[id(a)]}")
        elif isinstance(a, LabelRef):
            out.append(f'"label_{self.numbers[id(a.block)]}"')
        elif isinstance(a, list):
            out.append("[")
            for i, x in enumerate(a):
                if i:
                    out.append(", ")
                self.arg(x, indent)
            out.append("]")
        else:
            self.body(a, indent)

    def body(self, b: ZBody, indent: int) -> None:
        out = self.out
        out.append("{\n")
        if self.liveness and b.entry_deaths:
            out.append(" " * indent + "; deaths={")
            for i, x in enumerate(b.entry_deaths):
                if i:
                    out.append(", ")
                self.arg(x, indent)
            out.append("}\n")
        for zi in b.insts:
            k = self.numbers[id(zi)]
            out.append(" " * indent + f"%{k} = ")
            self.inst(zi, indent + 2)
            if self.liveness and zi.deaths is not None:
                out.append(f" ; deaths=0b{zi.deaths:b}")
            out.append("\n")
        out.append(" " * (indent - 2) + "}")


def emit_module(m: Module, *, liveness: bool = False) -> bytes:
    """The emitted ZIR text of ``m``'s analysed state."""
    e = Emitter(m)
    e.run()
    return Printer(liveness).print_decls(e.decls).encode("utf-8", "surrogateescape")
