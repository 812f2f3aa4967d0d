"""Compile-time values: kinds, equality and printing in messages (zir-language.md §8)."""

from __future__ import annotations

from typing import Final, Protocol

from compiler.record import frozen_delattr, frozen_setattr, record_repr
from compiler.sema.types import Type, TypeTag
from compiler.zir.bigint import format_decimal


class DeclHandle(Protocol):
    """What a value needs of a Module decl: its stable index (the linker's key) and its name."""

    @property
    def index(self) -> int: ...

    @property
    def name(self) -> str: ...


class FnHandle(Protocol):
    """What a value needs of a Module function: the decl that owns it."""

    @property
    def owner(self) -> DeclHandle: ...


class Value:
    """Base class of every compile-time value. Subclasses are immutable (their ``__setattr__`` refuses:
    compiler/record.py)."""

    __slots__ = ()

    def render(self) -> str:
        """The value as printed in messages (§8.3)."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render()


class TypeValue(Value):
    """A type used as a value (``u8_type`` …, ``ty{Type}``)."""

    ty: Type

    __slots__ = ("ty",)
    __match_args__ = ("ty",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, ty: Type) -> None:
        object.__setattr__(self, "ty", ty)

    def __repr__(self) -> str:
        return record_repr(self, ("ty",))

    def __eq__(self, other: object) -> bool:
        if type(other) is TypeValue:
            return (self.ty,) == (other.ty,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.ty,))

    def render(self) -> str:
        return str(self.ty)


class Undef(Value):
    """``undefined``."""

    __slots__ = ()
    __match_args__ = ()
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __repr__(self) -> str:
        return record_repr(self, ())

    def __eq__(self, other: object) -> bool:
        if type(other) is Undef:
            return True
        return NotImplemented

    def __hash__(self) -> int:
        return hash(())

    def render(self) -> str:
        return "undefined"


class VoidValue(Value):
    """The value ``{}`` of ``void``."""

    __slots__ = ()
    __match_args__ = ()
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __repr__(self) -> str:
        return record_repr(self, ())

    def __eq__(self, other: object) -> bool:
        if type(other) is VoidValue:
            return True
        return NotImplemented

    def __hash__(self) -> int:
        return hash(())

    def render(self) -> str:
        return "{}"


class UnreachableValue(Value):
    """The only value of ``noreturn``."""

    __slots__ = ()
    __match_args__ = ()
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __repr__(self) -> str:
        return record_repr(self, ())

    def __eq__(self, other: object) -> bool:
        if type(other) is UnreachableValue:
            return True
        return NotImplemented

    def __hash__(self) -> int:
        return hash(())

    def render(self) -> str:
        return "unreachable"


class NullValue(Value):
    """``null``."""

    __slots__ = ()
    __match_args__ = ()
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __repr__(self) -> str:
        return record_repr(self, ())

    def __eq__(self, other: object) -> bool:
        if type(other) is NullValue:
            return True
        return NotImplemented

    def __hash__(self) -> int:
        return hash(())

    def render(self) -> str:
        return "null"


class BoolValue(Value):
    """``true`` / ``false``."""

    value: bool

    __slots__ = ("value",)
    __match_args__ = ("value",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, value: bool) -> None:
        object.__setattr__(self, "value", value)

    def __repr__(self) -> str:
        return record_repr(self, ("value",))

    def __eq__(self, other: object) -> bool:
        if type(other) is BoolValue:
            return (self.value,) == (other.value,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value,))

    def render(self) -> str:
        return "true" if self.value else "false"


class EmptyArray(Value):
    """The value of a zero-length array."""

    __slots__ = ()
    __match_args__ = ()
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __repr__(self) -> str:
        return record_repr(self, ())

    def __eq__(self, other: object) -> bool:
        if type(other) is EmptyArray:
            return True
        return NotImplemented

    def __hash__(self) -> int:
        return hash(())

    def render(self) -> str:
        return ".{}"


class IntValue(Value):
    """An integer of any size (Zig's int_u64, int_i64, int_big_*, and ``zero``): compared by value."""

    value: int

    __slots__ = ("value",)
    __match_args__ = ("value",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, value: int) -> None:
        object.__setattr__(self, "value", value)

    def __repr__(self) -> str:
        return record_repr(self, ("value",))

    def __eq__(self, other: object) -> bool:
        if type(other) is IntValue:
            return (self.value,) == (other.value,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value,))

    def render(self) -> str:
        return format_decimal(self.value)


class FloatValue(Value):
    """A float of ``bits`` width (16, 32, 64, 128)."""

    value: float
    bits: int

    __slots__ = ("bits", "value")
    __match_args__ = ("value", "bits")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, value: float, bits: int) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "bits", bits)

    def __repr__(self) -> str:
        return record_repr(self, ("value", "bits"))

    def __eq__(self, other: object) -> bool:
        if type(other) is FloatValue:
            return (self.value, self.bits) == (other.value, other.bits)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value, self.bits))

    def render(self) -> str:
        return repr(self.value)


class FunctionValue(Value):
    """A function; equal only to a value holding the same ``Fn`` object."""

    fn: FnHandle

    __slots__ = ("fn",)
    __match_args__ = ("fn",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, fn: FnHandle) -> None:
        object.__setattr__(self, "fn", fn)

    def __repr__(self) -> str:
        return record_repr(self, ("fn",))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FunctionValue) and other.fn is self.fn

    def __hash__(self) -> int:
        return id(self.fn)

    def render(self) -> str:
        return "(function)"


class DeclRef(Value):
    """A pointer to a decl; equal only to a pointer to the same decl object."""

    decl: DeclHandle

    __slots__ = ("decl",)
    __match_args__ = ("decl",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, decl: DeclHandle) -> None:
        object.__setattr__(self, "decl", decl)

    def __repr__(self) -> str:
        return record_repr(self, ("decl",))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DeclRef) and other.decl is self.decl

    def __hash__(self) -> int:
        return id(self.decl)

    def render(self) -> str:
        return "(decl ref)"


class RefVal(Value):
    """A pointer to an immutable compile-time value."""

    value: Value

    __slots__ = ("value",)
    __match_args__ = ("value",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, value: Value) -> None:
        object.__setattr__(self, "value", value)

    def __repr__(self) -> str:
        return record_repr(self, ("value",))

    def __eq__(self, other: object) -> bool:
        if type(other) is RefVal:
            return (self.value,) == (other.value,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value,))

    def render(self) -> str:
        return f"&const {self.value.render()}"


class ElemPtr(Value):
    """A pointer to element ``index`` of the array that ``array_ptr`` points at."""

    array_ptr: Value
    index: int

    __slots__ = ("array_ptr", "index")
    __match_args__ = ("array_ptr", "index")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, array_ptr: Value, index: int) -> None:
        object.__setattr__(self, "array_ptr", array_ptr)
        object.__setattr__(self, "index", index)

    def __repr__(self) -> str:
        return record_repr(self, ("array_ptr", "index"))

    def __eq__(self, other: object) -> bool:
        if type(other) is ElemPtr:
            return (self.array_ptr, self.index) == (other.array_ptr, other.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.array_ptr, self.index))

    def render(self) -> str:
        return f"&[{self.index}] {self.array_ptr.render()}"


class Bytes(Value):
    """Array contents (``[N:0]u8`` data, without the sentinel)."""

    data: bytes

    __slots__ = ("data",)
    __match_args__ = ("data",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, data: bytes) -> None:
        object.__setattr__(self, "data", data)

    def __repr__(self) -> str:
        return record_repr(self, ("data",))

    def __eq__(self, other: object) -> bool:
        if type(other) is Bytes:
            return (self.data,) == (other.data,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.data,))

    def render(self) -> str:
        return render_string(self.data)


class Repeated(Value):
    """An array whose every element is ``value``."""

    value: Value

    __slots__ = ("value",)
    __match_args__ = ("value",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, value: Value) -> None:
        object.__setattr__(self, "value", value)

    def __repr__(self) -> str:
        return record_repr(self, ("value",))

    def __eq__(self, other: object) -> bool:
        if type(other) is Repeated:
            return (self.value,) == (other.value,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value,))

    def render(self) -> str:
        return f"{self.value.render()}**"


class Aggregate(Value):
    """Array contents element by element (arrays of any element type, docs/design/language-complete.md §6)."""

    elems: tuple[Value, ...]

    __slots__ = ("elems",)
    __match_args__ = ("elems",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, elems: tuple[Value, ...]) -> None:
        object.__setattr__(self, "elems", elems)

    def __repr__(self) -> str:
        return record_repr(self, ("elems",))

    def __eq__(self, other: object) -> bool:
        if type(other) is Aggregate:
            return (self.elems,) == (other.elems,)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.elems,))

    def render(self) -> str:
        return ".{" + ", ".join(e.render() for e in self.elems) + "}"


class ComptimeCell:
    """Mutable compile-time memory: what ``alloc`` gives inside a compile-time call (language-complete.md §7)."""

    value: Value
    ty: Type
    """The element type of the allocation."""

    __slots__ = ("ty", "value")
    __match_args__ = ("value", "ty")

    def __init__(self, value: Value, ty: Type) -> None:
        self.value = value
        self.ty = ty

    def __repr__(self) -> str:
        return record_repr(self, ("value", "ty"))


class CellPtr(Value):
    """A pointer to compile-time memory; equal only to a pointer to the same cell."""

    cell: ComptimeCell

    __slots__ = ("cell",)
    __match_args__ = ("cell",)
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, cell: ComptimeCell) -> None:
        object.__setattr__(self, "cell", cell)

    def __repr__(self) -> str:
        return record_repr(self, ("cell",))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellPtr) and other.cell is self.cell

    def __hash__(self) -> int:
        return id(self.cell)

    def render(self) -> str:
        return f"&{self.cell.value.render()}"


class TypedValue:
    """A value together with its type."""

    ty: Type
    val: Value

    __slots__ = ("ty", "val")
    __match_args__ = ("ty", "val")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, ty: Type, val: Value) -> None:
        object.__setattr__(self, "ty", ty)
        object.__setattr__(self, "val", val)

    def __repr__(self) -> str:
        return record_repr(self, ("ty", "val"))

    def __eq__(self, other: object) -> bool:
        if type(other) is TypedValue:
            return (self.ty, self.val) == (other.ty, other.val)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.ty, self.val))


UNDEF: Final = Undef()
VOID_VALUE: Final = VoidValue()
UNREACHABLE_VALUE: Final = UnreachableValue()
NULL_VALUE: Final = NullValue()
EMPTY_ARRAY: Final = EmptyArray()
TRUE: Final = BoolValue(True)
FALSE: Final = BoolValue(False)


def render_string(data: bytes) -> str:
    """Zig's string-literal rendering (zir-language.md §10.1), e.g. ``b"2\\x08\\x01\\n"`` → ``"2\\x08\\x01\\n"``."""
    out = ['"']
    for b in data:
        if b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif b == 0x5C:
            out.append("\\\\")
        elif b == 0x22:
            out.append('\\"')
        elif b == 0x20 or b == 0x21 or 0x23 <= b <= 0x5B or 0x5D <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    out.append('"')
    return "".join(out)


def int_value_of(val: Value) -> int | None:
    """The integer held by ``val``, or None if it is not an integer."""
    return val.value if isinstance(val, IntValue) else None


def values_equal(a: Value, b: Value) -> bool:
    """Value equality used to decide whether a re-analysed decl changed (§8.2)."""
    return a == b


def one_possible_value(ty: Type) -> Value | None:
    """The only value of the type, if it has exactly one (§7.4)."""
    tag = ty.tag
    if tag is TypeTag.VOID:
        return VOID_VALUE
    if tag is TypeTag.NORETURN:
        return UNREACHABLE_VALUE
    if tag is TypeTag.NULL:
        return NULL_VALUE
    if tag is TypeTag.UNDEFINED:
        return UNDEF
    if tag in (TypeTag.INT_SIGNED, TypeTag.INT_UNSIGNED) and ty.bits == 0:
        return IntValue(0)
    if tag is TypeTag.ARRAY and ty.length == 0:
        return EMPTY_ARRAY
    if tag in (TypeTag.SINGLE_CONST_POINTER, TypeTag.SINGLE_MUT_POINTER):
        return one_possible_value(ty.elem_type())
    return None
