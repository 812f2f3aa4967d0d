"""Every ZIR instruction tag and its field schema: names, kinds, enum members, defaults (zir-language §6)."""

from __future__ import annotations

import enum
from typing import Final

from compiler.record import frozen_delattr, frozen_setattr, record_eq, record_hash, record_repr


class Tag(enum.Enum):
    """A ZIR instruction kind; the value is its spelling in ZIR text.

    The compatibility tag ``cmp`` (zir-language.md §3.5) has no member: the parser turns it into ``CMP_*``.
    """

    __hash__ = object.__hash__  # members are singletons: identity hash (dispatch tables), not Enum's name hash

    # §6.1 constants, declarations, references, types
    PRIMITIVE = "primitive"
    INT = "int"
    STR = "str"
    DECLREF = "declref"
    DECLREF_STR = "declref_str"
    DECLVAL = "declval"
    DECLVAL_IN_MODULE = "declval_in_module"
    CONST = "const"
    FNTYPE = "fntype"
    FN = "fn"
    EXPORT = "export"
    COMPILEERROR = "compileerror"
    AS = "as"
    TYPEOF = "typeof"
    SINGLE_CONST_PTR_TYPE = "single_const_ptr_type"
    SINGLE_MUT_PTR_TYPE = "single_mut_ptr_type"
    OPTIONAL_TYPE = "optional_type"
    PTR_TYPE = "ptr_type"
    INTTYPE = "inttype"
    PARAM_TYPE = "param_type"
    RET_TYPE = "ret_type"
    # §6.2 function-body instructions
    ARG = "arg"
    BREAKPOINT = "breakpoint"
    DBG_STMT = "dbg_stmt"
    UNREACHABLE = "unreachable"
    UNREACH_NOCHECK = "unreach_nocheck"
    RETURN = "return"
    RETURNVOID = "returnvoid"
    CALL = "call"
    ASM = "asm"
    ALLOC = "alloc"
    ALLOC_INFERRED = "alloc_inferred"
    STORE = "store"
    DEREF = "deref"
    REF = "ref"
    PTRTOINT = "ptrtoint"
    FIELDPTR = "fieldptr"
    ELEMPTR = "elemptr"
    BITCAST = "bitcast"
    INTCAST = "intcast"
    FLOATCAST = "floatcast"
    BOOLNOT = "boolnot"
    ISNULL = "isnull"
    ISNONNULL = "isnonnull"
    UNWRAP_OPTIONAL_SAFE = "unwrap_optional_safe"
    UNWRAP_OPTIONAL_UNSAFE = "unwrap_optional_unsafe"
    ENSURE_RESULT_USED = "ensure_result_used"
    ENSURE_RESULT_NON_ERROR = "ensure_result_non_error"
    COERCE_TO_PTR_ELEM = "coerce_to_ptr_elem"
    COERCE_RESULT_PTR = "coerce_result_ptr"
    COERCE_RESULT_BLOCK_PTR = "coerce_result_block_ptr"
    BITCAST_LVALUE = "bitcast_lvalue"
    BITCAST_RESULT_PTR = "bitcast_result_ptr"
    RET_PTR = "ret_ptr"
    # §6.3 arithmetic, bitwise and comparison
    ADD = "add"
    SUB = "sub"
    ADDWRAP = "addwrap"
    SUBWRAP = "subwrap"
    MUL = "mul"
    MULWRAP = "mulwrap"
    DIV = "div"
    MOD_REM = "mod_rem"
    BITAND = "bitand"
    BITOR = "bitor"
    XOR = "xor"
    SHL = "shl"
    SHR = "shr"
    ARRAY_CAT = "array_cat"
    ARRAY_MUL = "array_mul"
    CMP_LT = "cmp_lt"
    CMP_LTE = "cmp_lte"
    CMP_EQ = "cmp_eq"
    CMP_GTE = "cmp_gte"
    CMP_GT = "cmp_gt"
    CMP_NEQ = "cmp_neq"
    # §6.4 control flow
    CONDBR = "condbr"
    BLOCK = "block"
    BREAK = "break"
    BREAKVOID = "breakvoid"
    LOOP = "loop"


class FieldKind(enum.Enum):
    """The type of one instruction field (zir-language.md §3.4)."""

    INST = "inst"  # an operand: @name or %name
    INST_LIST = "[inst]"  # [ operand, ... ]
    BODY = "body"  # { %name = instruction ... }
    STR = "str"  # a string literal, decoded to bytes
    LABEL = "label"  # a string literal naming an enclosing block
    ENUM = "enum"  # a bare word, one of FieldSpec.members
    BOOL = "bool"  # 0 or 1
    USIZE = "usize"  # decimal integer fitting in 64 bits unsigned
    BIGINT = "bigint"  # arbitrary-precision decimal integer
    TYPED_VALUE = "typed_value"  # const only: never legal in text
    DECL = "decl"  # declval_in_module only: never legal in text


_FIELD_SPEC_FIELDS: Final = ("name", "kind", "enum_name", "members", "default", "optional")


class FieldSpec:
    """One field of an instruction: its spec name (used in error messages), kind, enum and default."""

    name: str
    kind: FieldKind
    enum_name: str | None
    members: tuple[str, ...] | None
    default: object | None
    optional: bool

    __slots__ = ("default", "enum_name", "kind", "members", "name", "optional")
    __match_args__ = ("name", "kind", "enum_name", "members", "default", "optional")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self,
        name: str,
        kind: FieldKind,
        enum_name: str | None = None,
        members: tuple[str, ...] | None = None,
        default: object | None = None,
        optional: bool = False,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "enum_name", enum_name)
        object.__setattr__(self, "members", members)
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "optional", optional)

    def __repr__(self) -> str:
        return record_repr(self, _FIELD_SPEC_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _FIELD_SPEC_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _FIELD_SPEC_FIELDS)


_TAG_SCHEMA_FIELDS: Final = ("positionals", "keywords", "writable")


class TagSchema:
    """The positional fields (in order), keyword fields (declaration order) and writability of a tag."""

    positionals: tuple[FieldSpec, ...]
    keywords: tuple[FieldSpec, ...]
    writable: bool

    __slots__ = ("keywords", "positionals", "writable")
    __match_args__ = ("positionals", "keywords", "writable")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self, positionals: tuple[FieldSpec, ...], keywords: tuple[FieldSpec, ...] = (), writable: bool = True
    ) -> None:
        object.__setattr__(self, "positionals", positionals)
        object.__setattr__(self, "keywords", keywords)
        object.__setattr__(self, "writable", writable)

    def __repr__(self) -> str:
        return record_repr(self, _TAG_SCHEMA_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _TAG_SCHEMA_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _TAG_SCHEMA_FIELDS)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PRIMITIVE_ENUM: Final = "zir.Inst.Primitive.Builtin"
PRIMITIVE_MEMBERS: Final[tuple[str, ...]] = _words(
    "i8 u8 i16 u16 i32 u32 i64 u64 isize usize c_short c_ushort c_int c_uint c_long c_ulong c_longlong "
    "c_ulonglong c_longdouble c_void f16 f32 f64 f128 bool void noreturn type anyerror comptime_int "
    "comptime_float true false null undefined void_value"
)
CC_ENUM: Final = "std.builtin.CallingConvention"
CC_MEMBERS: Final[tuple[str, ...]] = _words(
    "Unspecified C Cold Naked Async Interrupt Signal Stdcall Fastcall Vectorcall Thiscall APCS AAPCS AAPCSVFP"
)
MODIFIER_ENUM: Final = "std.builtin.CallOptions.Modifier"
MODIFIER_MEMBERS: Final[tuple[str, ...]] = _words(
    "auto async_kw never_tail never_inline no_async always_tail always_inline compile_time"
)
POINTER_SIZE_ENUM: Final = "PointerSize"
POINTER_SIZE_MEMBERS: Final[tuple[str, ...]] = ("One", "Many", "Slice", "C")
"""[ZIR Live] ``ptr_type``'s keyword ``size`` (docs/design/language-complete.md §6)."""
COMPARE_ENUM: Final = "std.math.CompareOperator"
COMPARE_MEMBERS: Final[tuple[str, ...]] = ("lt", "lte", "eq", "gte", "gt", "neq")

CMP_TAGS: Final[dict[str, Tag]] = {
    "lt": Tag.CMP_LT,
    "lte": Tag.CMP_LTE,
    "eq": Tag.CMP_EQ,
    "gte": Tag.CMP_GTE,
    "gt": Tag.CMP_GT,
    "neq": Tag.CMP_NEQ,
}
"""Compatibility ``cmp(lhs, op, rhs)``: the operator word → the August tag."""


def _inst(name: str) -> FieldSpec:
    return FieldSpec(name, FieldKind.INST)


def _opt_inst(name: str) -> FieldSpec:
    return FieldSpec(name, FieldKind.INST, optional=True)


def _list(name: str, default: object = None) -> FieldSpec:
    return FieldSpec(name, FieldKind.INST_LIST, default=default)


def _str(name: str) -> FieldSpec:
    return FieldSpec(name, FieldKind.STR)


def _bool(name: str, default: bool) -> FieldSpec:
    return FieldSpec(name, FieldKind.BOOL, default=default)


def _body(name: str) -> FieldSpec:
    return FieldSpec(name, FieldKind.BODY)


_NOOP: Final = TagSchema(())
_UNOP: Final = TagSchema((_inst("operand"),))
_BINOP: Final = TagSchema((_inst("lhs"), _inst("rhs")))

SCHEMAS: Final[dict[Tag, TagSchema]] = {
    Tag.PRIMITIVE: TagSchema((FieldSpec("tag", FieldKind.ENUM, PRIMITIVE_ENUM, PRIMITIVE_MEMBERS),)),
    Tag.INT: TagSchema((FieldSpec("int", FieldKind.BIGINT),)),
    Tag.STR: TagSchema((_str("bytes"),)),
    Tag.DECLREF: TagSchema((_str("name"),)),
    Tag.DECLREF_STR: TagSchema((_inst("name"),)),
    Tag.DECLVAL: TagSchema((_str("name"),)),
    Tag.DECLVAL_IN_MODULE: TagSchema((FieldSpec("decl", FieldKind.DECL),), writable=False),
    Tag.CONST: TagSchema((FieldSpec("typed_value", FieldKind.TYPED_VALUE),), writable=False),
    Tag.FNTYPE: TagSchema(
        (_list("param_types"), _inst("return_type")),
        (FieldSpec("cc", FieldKind.ENUM, CC_ENUM, CC_MEMBERS, default="Unspecified"),),
    ),
    Tag.FN: TagSchema((_inst("fn_type"), _body("body"))),
    Tag.EXPORT: TagSchema((_inst("symbol_name"), _str("decl_name"))),
    Tag.COMPILEERROR: TagSchema((_str("msg"),)),
    Tag.AS: _BINOP,
    Tag.TYPEOF: _UNOP,
    Tag.SINGLE_CONST_PTR_TYPE: _UNOP,
    Tag.SINGLE_MUT_PTR_TYPE: _UNOP,
    Tag.OPTIONAL_TYPE: _UNOP,
    Tag.PTR_TYPE: TagSchema(
        (_inst("child_type"),),
        (
            _bool("allowzero", False),
            _opt_inst("align"),
            _opt_inst("align_bit_start"),
            _opt_inst("align_bit_end"),
            _bool("const", True),
            _bool("volatile", False),
            _opt_inst("sentinel"),
            FieldSpec("size", FieldKind.ENUM, POINTER_SIZE_ENUM, POINTER_SIZE_MEMBERS, default="One"),
        ),
    ),
    Tag.INTTYPE: TagSchema((_inst("signed"), _inst("bits"))),
    Tag.PARAM_TYPE: TagSchema((_inst("func"), FieldSpec("arg_index", FieldKind.USIZE))),
    Tag.RET_TYPE: _NOOP,
    Tag.ARG: TagSchema((_str("name"),)),
    Tag.BREAKPOINT: _NOOP,
    Tag.DBG_STMT: _NOOP,
    Tag.UNREACHABLE: _NOOP,
    Tag.UNREACH_NOCHECK: _NOOP,
    Tag.RETURN: _UNOP,
    Tag.RETURNVOID: _NOOP,
    Tag.CALL: TagSchema(
        (_inst("func"), _list("args")),
        (FieldSpec("modifier", FieldKind.ENUM, MODIFIER_ENUM, MODIFIER_MEMBERS, default="auto"),),
    ),
    Tag.ASM: TagSchema(
        (_inst("asm_source"), _inst("return_type")),
        (
            _bool("volatile", False),
            _opt_inst("output"),
            _list("inputs", ()),
            _list("clobbers", ()),
            _list("args", ()),
        ),
    ),
    Tag.ALLOC: _UNOP,
    Tag.ALLOC_INFERRED: _NOOP,
    Tag.STORE: _BINOP,
    Tag.DEREF: _UNOP,
    Tag.REF: _UNOP,
    Tag.PTRTOINT: _UNOP,
    Tag.FIELDPTR: TagSchema((_inst("object_ptr"), _inst("field_name"))),
    Tag.ELEMPTR: TagSchema((_inst("array_ptr"), _inst("index"))),
    Tag.BITCAST: _BINOP,
    Tag.INTCAST: _BINOP,
    Tag.FLOATCAST: _BINOP,
    Tag.BOOLNOT: _UNOP,
    Tag.ISNULL: _UNOP,
    Tag.ISNONNULL: _UNOP,
    Tag.UNWRAP_OPTIONAL_SAFE: _UNOP,
    Tag.UNWRAP_OPTIONAL_UNSAFE: _UNOP,
    Tag.ENSURE_RESULT_USED: _UNOP,
    Tag.ENSURE_RESULT_NON_ERROR: _UNOP,
    Tag.COERCE_TO_PTR_ELEM: TagSchema((_inst("ptr"), _inst("value"))),
    Tag.COERCE_RESULT_PTR: _BINOP,
    Tag.COERCE_RESULT_BLOCK_PTR: TagSchema((_inst("dest_type"), FieldSpec("block", FieldKind.LABEL))),
    Tag.BITCAST_LVALUE: _UNOP,
    Tag.BITCAST_RESULT_PTR: _UNOP,
    Tag.RET_PTR: _NOOP,
    Tag.ADD: _BINOP,
    Tag.SUB: _BINOP,
    Tag.ADDWRAP: _BINOP,
    Tag.SUBWRAP: _BINOP,
    Tag.MUL: _BINOP,
    Tag.MULWRAP: _BINOP,
    Tag.DIV: _BINOP,
    Tag.MOD_REM: _BINOP,
    Tag.BITAND: _BINOP,
    Tag.BITOR: _BINOP,
    Tag.XOR: _BINOP,
    Tag.SHL: _BINOP,
    Tag.SHR: _BINOP,
    Tag.ARRAY_CAT: _BINOP,
    Tag.ARRAY_MUL: _BINOP,
    Tag.CMP_LT: _BINOP,
    Tag.CMP_LTE: _BINOP,
    Tag.CMP_EQ: _BINOP,
    Tag.CMP_GTE: _BINOP,
    Tag.CMP_GT: _BINOP,
    Tag.CMP_NEQ: _BINOP,
    Tag.CONDBR: TagSchema((_inst("condition"), _body("then_body"), _body("else_body"))),
    Tag.BLOCK: TagSchema((_body("body"),)),
    Tag.BREAK: TagSchema((FieldSpec("block", FieldKind.LABEL), _inst("operand"))),
    Tag.BREAKVOID: TagSchema((FieldSpec("block", FieldKind.LABEL),)),
    Tag.LOOP: TagSchema((_body("body"),)),
}

assert set(SCHEMAS) == set(Tag), "every tag has a schema"

TAGS_BY_NAME: Final[dict[bytes, Tag]] = {t.value.encode(): t for t in Tag}
"""Tag spelling (bytes) → Tag, for the parser."""
