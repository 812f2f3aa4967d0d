"""Types of the ZIR language: tags, classes, printing, layout queries and equality (zir-language.md §7)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Final

from compiler.record import frozen_delattr, frozen_setattr, record_repr

if TYPE_CHECKING:
    from compiler.sema.values import Value


class TypeTag(enum.Enum):
    """Every type tag; for payload-free tags the value is the printed name (§7.1)."""

    __hash__ = object.__hash__  # members are singletons: identity hash, not Enum's Python-level name hash

    U8 = "u8"
    I8 = "i8"
    U16 = "u16"
    I16 = "i16"
    U32 = "u32"
    I32 = "i32"
    U64 = "u64"
    I64 = "i64"
    USIZE = "usize"
    ISIZE = "isize"
    C_SHORT = "c_short"
    C_USHORT = "c_ushort"
    C_INT = "c_int"
    C_UINT = "c_uint"
    C_LONG = "c_long"
    C_ULONG = "c_ulong"
    C_LONGLONG = "c_longlong"
    C_ULONGLONG = "c_ulonglong"
    C_LONGDOUBLE = "c_longdouble"
    F16 = "f16"
    F32 = "f32"
    F64 = "f64"
    F128 = "f128"
    C_VOID = "c_void"
    BOOL = "bool"
    VOID = "void"
    TYPE = "type"
    ANYERROR = "anyerror"
    COMPTIME_INT = "comptime_int"
    COMPTIME_FLOAT = "comptime_float"
    NORETURN = "noreturn"
    NULL = "null"
    UNDEFINED = "undefined"
    FN_NORETURN_NO_ARGS = "fn_noreturn_no_args"
    FN_VOID_NO_ARGS = "fn_void_no_args"
    FN_NAKED_NORETURN_NO_ARGS = "fn_naked_noreturn_no_args"
    FN_CCC_VOID_NO_ARGS = "fn_ccc_void_no_args"
    SINGLE_CONST_POINTER_TO_COMPTIME_INT = "single_const_pointer_to_comptime_int"
    CONST_SLICE_U8 = "const_slice_u8"
    # with payload
    ARRAY_U8_SENTINEL_0 = "array_u8_sentinel_0"
    ARRAY = "array"
    SINGLE_CONST_POINTER = "single_const_pointer"
    SINGLE_MUT_POINTER = "single_mut_pointer"
    INT_SIGNED = "int_signed"
    INT_UNSIGNED = "int_unsigned"
    FUNCTION = "function"
    OPTIONAL = "optional"
    OPTIONAL_SINGLE_CONST_POINTER = "optional_single_const_pointer"
    OPTIONAL_SINGLE_MUT_POINTER = "optional_single_mut_pointer"
    # [ZIR Live] pointer sizes of ``ptr_type`` (docs/design/language-complete.md §6)
    MANY_CONST_POINTER = "many_const_pointer"
    MANY_MUT_POINTER = "many_mut_pointer"
    CONST_SLICE = "const_slice"
    MUT_SLICE = "mut_slice"


class TypeClass(enum.Enum):
    """Zig's ``zigTypeTag``: the class of a type; the value is the name used in messages (§7.2)."""

    __hash__ = object.__hash__  # members are singletons: identity hash, not Enum's Python-level name hash

    TYPE = "Type"
    VOID = "Void"
    BOOL = "Bool"
    NO_RETURN = "NoReturn"
    INT = "Int"
    FLOAT = "Float"
    POINTER = "Pointer"
    ARRAY = "Array"
    COMPTIME_FLOAT = "ComptimeFloat"
    COMPTIME_INT = "ComptimeInt"
    UNDEFINED = "Undefined"
    NULL = "Null"
    OPTIONAL = "Optional"
    ERROR_SET = "ErrorSet"
    FN = "Fn"
    OPAQUE = "Opaque"


# (signed, bits) of the fixed-size integer tags on x86_64-linux (§7.4).
_INT_INFO: Final[dict[TypeTag, tuple[bool, int]]] = {
    TypeTag.U8: (False, 8),
    TypeTag.I8: (True, 8),
    TypeTag.U16: (False, 16),
    TypeTag.I16: (True, 16),
    TypeTag.U32: (False, 32),
    TypeTag.I32: (True, 32),
    TypeTag.U64: (False, 64),
    TypeTag.I64: (True, 64),
    TypeTag.USIZE: (False, 64),
    TypeTag.ISIZE: (True, 64),
    TypeTag.C_SHORT: (True, 16),
    TypeTag.C_USHORT: (False, 16),
    TypeTag.C_INT: (True, 32),
    TypeTag.C_UINT: (False, 32),
    TypeTag.C_LONG: (True, 64),
    TypeTag.C_ULONG: (False, 64),
    TypeTag.C_LONGLONG: (True, 64),
    TypeTag.C_ULONGLONG: (False, 64),
}
_FLOAT_BITS: Final[dict[TypeTag, int]] = {
    TypeTag.F16: 16,
    TypeTag.F32: 32,
    TypeTag.F64: 64,
    TypeTag.F128: 128,
    TypeTag.C_LONGDOUBLE: 128,
}
_SPECIAL_FNS: Final = frozenset(
    {
        TypeTag.FN_NORETURN_NO_ARGS,
        TypeTag.FN_VOID_NO_ARGS,
        TypeTag.FN_NAKED_NORETURN_NO_ARGS,
        TypeTag.FN_CCC_VOID_NO_ARGS,
    }
)
_POINTERS: Final = frozenset(
    {
        TypeTag.SINGLE_CONST_POINTER,
        TypeTag.SINGLE_MUT_POINTER,
        TypeTag.SINGLE_CONST_POINTER_TO_COMPTIME_INT,
        TypeTag.CONST_SLICE_U8,
        TypeTag.MANY_CONST_POINTER,
        TypeTag.MANY_MUT_POINTER,
        TypeTag.CONST_SLICE,
        TypeTag.MUT_SLICE,
    }
)
_MANY: Final = frozenset({TypeTag.MANY_CONST_POINTER, TypeTag.MANY_MUT_POINTER})
_SLICES: Final = frozenset({TypeTag.CONST_SLICE_U8, TypeTag.CONST_SLICE, TypeTag.MUT_SLICE})
_OPTIONALS: Final = frozenset(
    {TypeTag.OPTIONAL, TypeTag.OPTIONAL_SINGLE_CONST_POINTER, TypeTag.OPTIONAL_SINGLE_MUT_POINTER}
)
POINTER_SIZE: Final = 8


class Type:
    """A type: a tag plus the payload its tag needs. Always built through the constructors, which normalise
    (e.g. ``fn() void`` is always ``fn_void_no_args``), so ``==`` is the language's type equality (§7.4 eql)."""

    tag: TypeTag
    length: int  # array_u8_sentinel_0, array: element count
    child: Type | None  # array element, pointer pointee, optional child
    bits: int  # int_signed / int_unsigned
    params: tuple[Type, ...]  # function
    ret: Type | None  # function
    cc: str  # function calling convention (member name)
    sentinel: Value | None  # many-pointers and slices: ``[*:s]T``, ``[:s]T``
    is_volatile: bool  # pointers: ``*volatile T``

    __slots__ = ("bits", "cc", "child", "is_volatile", "length", "params", "ret", "sentinel", "tag")
    __match_args__ = ("tag", "length", "child", "bits", "params", "ret", "cc", "sentinel", "is_volatile")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, tag: TypeTag, length: int = 0, child: Type | None = None, bits: int = 0,
                 params: tuple[Type, ...] = (), ret: Type | None = None, cc: str = "Unspecified",
                 sentinel: Value | None = None, is_volatile: bool = False) -> None:  # fmt: skip
        object.__setattr__(self, "tag", tag)
        object.__setattr__(self, "length", length)
        object.__setattr__(self, "child", child)
        object.__setattr__(self, "bits", bits)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "ret", ret)
        object.__setattr__(self, "cc", cc)
        object.__setattr__(self, "sentinel", sentinel)
        object.__setattr__(self, "is_volatile", is_volatile)

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "length", "child", "bits", "params", "ret", "cc", "sentinel", "is_volatile"))

    def __eq__(self, other: object) -> bool:
        """The field-wise equality the dataclass would generate, after an identity test: most comparisons
        are of a type with itself (normalised constructors, shared named types), and the field tuples cost."""
        if self is other:
            return True
        if other.__class__ is not self.__class__:
            return NotImplemented
        o = other
        return (self.tag, self.length, self.child, self.bits, self.params, self.ret, self.cc, self.sentinel,
                self.is_volatile) == (o.tag, o.length, o.child, o.bits, o.params, o.ret, o.cc, o.sentinel,
                o.is_volatile)  # fmt: skip

    def __hash__(self) -> int:
        """The hash the frozen dataclass generates, written out: under mypyc a class defining ``__eq__``
        without ``__hash__`` is unhashable (docs/design/performance.md §8)."""
        return hash((self.tag, self.length, self.child, self.bits, self.params, self.ret, self.cc, self.sentinel,
                     self.is_volatile))  # fmt: skip

    # ---- constructors -------------------------------------------------------------------------------

    @staticmethod
    def named(tag: TypeTag) -> Type:
        """A payload-free type."""
        return _NAMED[tag]

    @staticmethod
    def array_u8_sentinel_0(length: int) -> Type:
        """``[len:0]u8``: the type of string data."""
        return Type(TypeTag.ARRAY_U8_SENTINEL_0, length=length)

    @staticmethod
    def array(elem: Type, length: int) -> Type:
        """``[len]elem``."""
        return Type(TypeTag.ARRAY, length=length, child=elem)

    @staticmethod
    def single_const_pointer(pointee: Type) -> Type:
        """``*const T`` (normalising ``*const comptime_int``)."""
        if pointee.tag is TypeTag.COMPTIME_INT:
            return _NAMED[TypeTag.SINGLE_CONST_POINTER_TO_COMPTIME_INT]
        return Type(TypeTag.SINGLE_CONST_POINTER, child=pointee)

    @staticmethod
    def single_mut_pointer(pointee: Type) -> Type:
        """``*T``."""
        return Type(TypeTag.SINGLE_MUT_POINTER, child=pointee)

    @staticmethod
    def pointer(
        pointee: Type, size: str, *, const: bool, volatile: bool = False, sentinel: Value | None = None
    ) -> Type:
        """A pointer of ``size`` One, Many or Slice (``ptr_type``), normalised to the single-pointer constructors
        and ``[]const u8`` where it equals them (docs/design/language-complete.md §6)."""
        if size == "One":
            if not volatile:
                return Type.single_const_pointer(pointee) if const else Type.single_mut_pointer(pointee)
            return Type(
                TypeTag.SINGLE_CONST_POINTER if const else TypeTag.SINGLE_MUT_POINTER, child=pointee, is_volatile=True
            )
        if size == "Many":
            tag = TypeTag.MANY_CONST_POINTER if const else TypeTag.MANY_MUT_POINTER
            return Type(tag, child=pointee, sentinel=sentinel, is_volatile=volatile)
        assert size == "Slice", size
        if const and pointee.tag is TypeTag.U8 and sentinel is None and not volatile:
            return _NAMED[TypeTag.CONST_SLICE_U8]
        return Type(
            TypeTag.CONST_SLICE if const else TypeTag.MUT_SLICE, child=pointee, sentinel=sentinel, is_volatile=volatile
        )

    def with_const(self) -> Type:
        """The same pointer or slice with ``const`` added."""
        size = self.ptr_size()
        return Type.pointer(self.elem_type(), size, const=True, volatile=self.is_volatile, sentinel=self.sentinel)

    @staticmethod
    def int_type_named(signed: bool, bits: int) -> Type:
        """``iN`` / ``uN``, the named type for 8/16/32/64 bits (``inttype``, never ``usize``)."""
        named = _NAMED_INTS.get((signed, bits))
        return named if named is not None else Type.int_type(signed, bits)

    @staticmethod
    def int_type(signed: bool, bits: int) -> Type:
        """``iN`` / ``uN`` of any width (not normalised to the named tags, as in Zig)."""
        return Type(TypeTag.INT_SIGNED if signed else TypeTag.INT_UNSIGNED, bits=bits)

    @staticmethod
    def optional(child: Type) -> Type:
        """``?T``; optional single pointers get their own tags (as the ``optional_type`` instruction does)."""
        if child.tag is TypeTag.SINGLE_CONST_POINTER:
            return Type(TypeTag.OPTIONAL_SINGLE_CONST_POINTER, child=child.child)
        if child.tag is TypeTag.SINGLE_MUT_POINTER:
            return Type(TypeTag.OPTIONAL_SINGLE_MUT_POINTER, child=child.child)
        return Type(TypeTag.OPTIONAL, child=child)

    @staticmethod
    def function(params: tuple[Type, ...], ret: Type, cc: str = "Unspecified") -> Type:
        """A function type, normalised to the four special tags where they apply (``fntype``, §6.1)."""
        if not params:
            if ret.tag is TypeTag.NORETURN and cc == "Unspecified":
                return _NAMED[TypeTag.FN_NORETURN_NO_ARGS]
            if ret.tag is TypeTag.VOID and cc == "Unspecified":
                return _NAMED[TypeTag.FN_VOID_NO_ARGS]
            if ret.tag is TypeTag.NORETURN and cc == "Naked":
                return _NAMED[TypeTag.FN_NAKED_NORETURN_NO_ARGS]
            if ret.tag is TypeTag.VOID and cc == "C":
                return _NAMED[TypeTag.FN_CCC_VOID_NO_ARGS]
        return Type(TypeTag.FUNCTION, params=tuple(params), ret=ret, cc=cc)

    # ---- classification -----------------------------------------------------------------------------

    def zig_type_tag(self) -> TypeClass:
        """The type class (§7.2)."""
        return _CLASS[self.tag]

    def is_int(self) -> bool:
        """A fixed-width integer type (not ``comptime_int``)."""
        return self.zig_type_tag() is TypeClass.INT

    def is_float(self) -> bool:
        """A fixed-width float type (not ``comptime_float``)."""
        return self.tag in _FLOAT_BITS

    def is_numeric(self) -> bool:
        """Int, Float, ComptimeInt or ComptimeFloat."""
        return self.zig_type_tag() in (TypeClass.INT, TypeClass.FLOAT, TypeClass.COMPTIME_INT, TypeClass.COMPTIME_FLOAT)

    def is_fn(self) -> bool:
        """A function type."""
        return self.zig_type_tag() is TypeClass.FN

    def is_single_pointer(self) -> bool:
        """``*T``, ``*const T`` or ``*const comptime_int``."""
        return self.tag in (
            TypeTag.SINGLE_CONST_POINTER,
            TypeTag.SINGLE_MUT_POINTER,
            TypeTag.SINGLE_CONST_POINTER_TO_COMPTIME_INT,
        )

    def is_const_ptr(self) -> bool:
        """A pointer through which memory may not be written."""
        return self.tag in (
            TypeTag.SINGLE_CONST_POINTER,
            TypeTag.SINGLE_CONST_POINTER_TO_COMPTIME_INT,
            TypeTag.CONST_SLICE_U8,
            TypeTag.MANY_CONST_POINTER,
            TypeTag.CONST_SLICE,
        )

    def is_slice(self) -> bool:
        """A slice ``[]T`` / ``[]const T`` (``[]const u8`` included)."""
        return self.tag in _SLICES

    def is_many_pointer(self) -> bool:
        """``[*]T`` / ``[*]const T``."""
        return self.tag in _MANY

    def ptr_size(self) -> str:
        """``One``, ``Many`` or ``Slice`` (the ``PointerSize`` word) of a pointer type."""
        if self.tag in _MANY:
            return "Many"
        if self.tag in _SLICES:
            return "Slice"
        return "One"

    def is_pointer_like(self) -> bool:
        """A single or many pointer, or a function: the optionals of these are pointer-sized, null = 0 (§5)."""
        return self.is_single_pointer() or self.tag in _MANY or self.is_fn()

    # ---- payload queries ----------------------------------------------------------------------------

    def int_info(self) -> tuple[bool, int]:
        """(signed, bits) of an integer type."""
        if self.tag in (TypeTag.INT_SIGNED, TypeTag.INT_UNSIGNED):
            return self.tag is TypeTag.INT_SIGNED, self.bits
        return _INT_INFO[self.tag]

    def float_bits(self) -> int:
        """Bit width of a float type."""
        return _FLOAT_BITS[self.tag]

    def elem_type(self) -> Type:
        """Array element, pointer pointee, or slice element."""
        tag = self.tag
        if tag in (TypeTag.ARRAY_U8_SENTINEL_0, TypeTag.CONST_SLICE_U8):
            return _NAMED[TypeTag.U8]
        if tag is TypeTag.SINGLE_CONST_POINTER_TO_COMPTIME_INT:
            return _NAMED[TypeTag.COMPTIME_INT]
        if (
            tag in (TypeTag.ARRAY, TypeTag.SINGLE_CONST_POINTER, TypeTag.SINGLE_MUT_POINTER)
            or tag in _MANY
            or tag in _SLICES
        ):
            assert self.child is not None
            return self.child
        raise AssertionError(f"elem_type of {self}")

    def pointee(self) -> Type:
        """The pointee of a single pointer."""
        return self.elem_type()

    def optional_child(self) -> Type:
        """``T`` of ``?T`` (rebuilding the pointer for optional pointers)."""
        assert self.child is not None
        if self.tag is TypeTag.OPTIONAL_SINGLE_CONST_POINTER:
            return Type.single_const_pointer(self.child)
        if self.tag is TypeTag.OPTIONAL_SINGLE_MUT_POINTER:
            return Type.single_mut_pointer(self.child)
        return self.child

    def array_len(self) -> int:
        """Element count of an array type."""
        assert self.tag in (TypeTag.ARRAY, TypeTag.ARRAY_U8_SENTINEL_0)
        return self.length

    def array_sentinel(self) -> int | None:
        """0 for ``[N:0]u8``, otherwise none."""
        return 0 if self.tag is TypeTag.ARRAY_U8_SENTINEL_0 else None

    def fn_param_types(self) -> tuple[Type, ...]:
        """Parameter types of a function type."""
        return self.params if self.tag is TypeTag.FUNCTION else ()

    def fn_return_type(self) -> Type:
        """Return type of a function type."""
        tag = self.tag
        if tag is TypeTag.FUNCTION:  # the common case first
            assert self.ret is not None
            return self.ret
        if tag in (TypeTag.FN_NORETURN_NO_ARGS, TypeTag.FN_NAKED_NORETURN_NO_ARGS):
            return _NAMED[TypeTag.NORETURN]
        assert tag in (TypeTag.FN_VOID_NO_ARGS, TypeTag.FN_CCC_VOID_NO_ARGS), tag
        return _NAMED[TypeTag.VOID]

    def fn_calling_convention(self) -> str:
        """Calling convention member name of a function type."""
        tag = self.tag
        if tag is TypeTag.FN_NAKED_NORETURN_NO_ARGS:
            return "Naked"
        if tag is TypeTag.FN_CCC_VOID_NO_ARGS:
            return "C"
        if tag is TypeTag.FUNCTION:
            return self.cc
        return "Unspecified"

    # ---- layout -------------------------------------------------------------------------------------

    def has_code_gen_bits(self) -> bool:
        """Whether a value of the type occupies memory (§7.4; ``int_*`` fixed: ``bits != 0``)."""
        tag = self.tag
        known = _NAMED_HAS_BITS.get(tag)
        if known is not None:
            return known
        if tag is TypeTag.FUNCTION:  # the common payload tag first
            # A function whose result exists only at compile time is never code-generated
            # (docs/design/language-complete.md §9).
            return self.fn_return_type().tag not in (
                TypeTag.TYPE,
                TypeTag.COMPTIME_INT,
                TypeTag.COMPTIME_FLOAT,
                TypeTag.NULL,
                TypeTag.UNDEFINED,
            )
        if tag in (
            TypeTag.C_VOID,
            TypeTag.VOID,
            TypeTag.TYPE,
            TypeTag.COMPTIME_INT,
            TypeTag.COMPTIME_FLOAT,
            TypeTag.NORETURN,
            TypeTag.NULL,
            TypeTag.UNDEFINED,
        ):
            return False
        if tag is TypeTag.ARRAY:
            return self.length != 0 and self.elem_type().has_code_gen_bits()
        if tag in (TypeTag.SINGLE_CONST_POINTER, TypeTag.SINGLE_MUT_POINTER):
            return self.elem_type().has_code_gen_bits()
        if tag in (TypeTag.INT_SIGNED, TypeTag.INT_UNSIGNED):
            return self.bits != 0
        return True

    def abi_alignment(self) -> int:
        """ABI alignment in bytes on x86_64-linux (§7.4)."""
        tag = self.tag
        align = _NAMED_ALIGN.get(tag)
        if align is not None:
            return align
        if self.is_fn():
            return POINTER_SIZE  # a function value is its code address (language-complete.md §7)
        if tag in (TypeTag.U8, TypeTag.I8, TypeTag.BOOL, TypeTag.ARRAY_U8_SENTINEL_0):
            return 1
        if tag in _INT_INFO:
            return _INT_INFO[tag][1] // 8
        if tag in _POINTERS:
            return POINTER_SIZE
        if tag in _FLOAT_BITS:
            return 16 if tag is TypeTag.C_LONGDOUBLE else _FLOAT_BITS[tag] // 8
        if tag is TypeTag.ANYERROR:
            return 2
        if tag is TypeTag.ARRAY:
            return self.elem_type().abi_alignment()
        if tag in (TypeTag.INT_SIGNED, TypeTag.INT_UNSIGNED):
            return _next_pow2(max(1, (self.bits + 7) // 8))
        if tag in _OPTIONALS:
            child = self.optional_child()
            if not child.has_code_gen_bits():
                return 1
            if child.is_pointer_like():
                return POINTER_SIZE
            return child.abi_alignment()
        raise AssertionError(f"abi_alignment of {self}")

    def abi_size(self) -> int:
        """ABI size in bytes on x86_64-linux (§7.4)."""
        tag = self.tag
        size = _NAMED_SIZE.get(tag)
        if size is not None:
            return size
        if tag is TypeTag.ARRAY_U8_SENTINEL_0:
            return self.length
        if tag in _SLICES:
            return 2 * POINTER_SIZE
        if self.is_fn():
            return POINTER_SIZE
        if tag in _POINTERS:
            return POINTER_SIZE
        if tag is TypeTag.BOOL:
            return 1
        if tag is TypeTag.ARRAY:
            elem = self.elem_type()
            return self.length * max(elem.abi_size(), elem.abi_alignment())
        if tag in _OPTIONALS:
            child = self.optional_child()
            if not child.has_code_gen_bits():
                return 1
            if child.is_pointer_like():
                return POINTER_SIZE
            align = child.abi_alignment()
            return (child.abi_size() + 1 + align - 1) // align * align
        if tag in (TypeTag.INT_SIGNED, TypeTag.INT_UNSIGNED):
            return self.abi_alignment()
        if tag in _INT_INFO or tag in _FLOAT_BITS or tag is TypeTag.ANYERROR:
            return self.abi_alignment()
        raise AssertionError(f"abi_size of {self}")

    def eql(self, other: Type) -> bool:
        """Type equality (§7.4); the constructors normalise, so this is structural equality."""
        return self == other

    # ---- printing -----------------------------------------------------------------------------------

    def __str__(self) -> str:
        tag = self.tag
        if tag in _PRINTED:
            return _PRINTED[tag]
        if tag is TypeTag.ARRAY_U8_SENTINEL_0:
            return f"[{self.length}:0]u8"
        if tag is TypeTag.ARRAY:
            return f"[{self.length}]{self.elem_type()}"
        if tag in _POINTERS:
            return self._pointer_name()
        if tag is TypeTag.INT_SIGNED:
            return f"i{self.bits}"
        if tag is TypeTag.INT_UNSIGNED:
            return f"u{self.bits}"
        if tag is TypeTag.FUNCTION:
            return f"fn({', '.join(str(p) for p in self.params)}) {self.fn_return_type()}"
        if tag is TypeTag.OPTIONAL:
            return f"?{self.optional_child()}"
        if tag is TypeTag.OPTIONAL_SINGLE_CONST_POINTER:
            return f"?*const {self.child}"
        if tag is TypeTag.OPTIONAL_SINGLE_MUT_POINTER:
            return f"?*{self.child}"
        return str(tag.value)

    def _pointer_name(self) -> str:
        size = self.ptr_size()
        sentinel = "" if self.sentinel is None else f":{self.sentinel.render()}"
        prefix = "*" if size == "One" else f"[*{sentinel}]" if size == "Many" else f"[{sentinel}]"
        const = "const " if self.is_const_ptr() else ""
        volatile = "volatile " if self.is_volatile else ""
        return f"{prefix}{const}{volatile}{self.elem_type()}"


def _next_pow2(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


_SIMPLE_CLASS: Final[dict[TypeTag, TypeClass]] = {
    TypeTag.C_VOID: TypeClass.OPAQUE,
    TypeTag.BOOL: TypeClass.BOOL,
    TypeTag.VOID: TypeClass.VOID,
    TypeTag.TYPE: TypeClass.TYPE,
    TypeTag.ANYERROR: TypeClass.ERROR_SET,
    TypeTag.COMPTIME_INT: TypeClass.COMPTIME_INT,
    TypeTag.COMPTIME_FLOAT: TypeClass.COMPTIME_FLOAT,
    TypeTag.NORETURN: TypeClass.NO_RETURN,
    TypeTag.NULL: TypeClass.NULL,
    TypeTag.UNDEFINED: TypeClass.UNDEFINED,
}

_PRINTED: Final[dict[TypeTag, str]] = {
    TypeTag.NULL: "@TypeOf(null)",
    TypeTag.UNDEFINED: "@TypeOf(undefined)",
    TypeTag.CONST_SLICE_U8: "[]const u8",
    TypeTag.FN_NORETURN_NO_ARGS: "fn() noreturn",
    TypeTag.FN_VOID_NO_ARGS: "fn() void",
    TypeTag.FN_NAKED_NORETURN_NO_ARGS: "fn() callconv(.Naked) noreturn",
    TypeTag.FN_CCC_VOID_NO_ARGS: "fn() callconv(.C) void",
    TypeTag.SINGLE_CONST_POINTER_TO_COMPTIME_INT: "*const comptime_int",
}

_PAYLOAD_TAGS: Final = frozenset(
    {
        TypeTag.ARRAY_U8_SENTINEL_0,
        TypeTag.ARRAY,
        TypeTag.SINGLE_CONST_POINTER,
        TypeTag.SINGLE_MUT_POINTER,
        TypeTag.INT_SIGNED,
        TypeTag.INT_UNSIGNED,
        TypeTag.FUNCTION,
        TypeTag.OPTIONAL,
        TypeTag.OPTIONAL_SINGLE_CONST_POINTER,
        TypeTag.OPTIONAL_SINGLE_MUT_POINTER,
        TypeTag.MANY_CONST_POINTER,
        TypeTag.MANY_MUT_POINTER,
        TypeTag.CONST_SLICE,
        TypeTag.MUT_SLICE,
    }
)
_NAMED: Final[dict[TypeTag, Type]] = {tag: Type(tag) for tag in TypeTag if tag not in _PAYLOAD_TAGS}
_NAMED_INTS: Final[dict[tuple[bool, int], Type]] = {
    (signed, bits): _NAMED[tag] for tag, (signed, bits) in _INT_INFO.items() if tag.value[1:].isdigit()
}

# Shorthands used throughout sema and codegen.
U8: Final = _NAMED[TypeTag.U8]
USIZE: Final = _NAMED[TypeTag.USIZE]
BOOL: Final = _NAMED[TypeTag.BOOL]
VOID: Final = _NAMED[TypeTag.VOID]
NORETURN: Final = _NAMED[TypeTag.NORETURN]
TYPE: Final = _NAMED[TypeTag.TYPE]
COMPTIME_INT: Final = _NAMED[TypeTag.COMPTIME_INT]
COMPTIME_FLOAT: Final = _NAMED[TypeTag.COMPTIME_FLOAT]
NULL_TYPE: Final = _NAMED[TypeTag.NULL]
UNDEFINED_TYPE: Final = _NAMED[TypeTag.UNDEFINED]
ANYERROR: Final = _NAMED[TypeTag.ANYERROR]
CONST_SLICE_U8: Final = _NAMED[TypeTag.CONST_SLICE_U8]


def _classify(tag: TypeTag) -> TypeClass:
    """The type class of a tag (§7.2): the source of ``_CLASS``."""
    if tag in _INT_INFO or tag in (TypeTag.INT_SIGNED, TypeTag.INT_UNSIGNED):
        return TypeClass.INT
    if tag in _FLOAT_BITS:
        return TypeClass.FLOAT
    if tag in _SPECIAL_FNS or tag is TypeTag.FUNCTION:
        return TypeClass.FN
    if tag in (TypeTag.ARRAY_U8_SENTINEL_0, TypeTag.ARRAY):
        return TypeClass.ARRAY
    if tag in _POINTERS:
        return TypeClass.POINTER
    if tag in _OPTIONALS:
        return TypeClass.OPTIONAL
    return _SIMPLE_CLASS[tag]


_CLASS: Final[dict[TypeTag, TypeClass]] = {tag: _classify(tag) for tag in TypeTag}
"""``zig_type_tag`` of every tag, precomputed (a hot query in sema and codegen)."""


def _named_layout() -> tuple[dict[TypeTag, int], dict[TypeTag, int]]:
    """ABI size and alignment of every payload-free type that has them (the rest keep computing)."""
    sizes: dict[TypeTag, int] = {}
    aligns: dict[TypeTag, int] = {}
    for tag, ty in _NAMED.items():
        try:
            size, align = ty.abi_size(), ty.abi_alignment()
        except AssertionError:
            continue
        sizes[tag] = size
        aligns[tag] = align
    return sizes, aligns


_NAMED_HAS_BITS: dict[TypeTag, bool] = {}
_NAMED_HAS_BITS = {tag: ty.has_code_gen_bits() for tag, ty in _NAMED.items()}
"""``has_code_gen_bits`` of every payload-free type, precomputed."""
_NAMED_SIZE: dict[TypeTag, int] = {}
_NAMED_ALIGN: dict[TypeTag, int] = {}
_NAMED_SIZE, _NAMED_ALIGN = _named_layout()
