"""Compile-time values: kinds, equality and printing in messages (zir-language.md §8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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
    """Base class of every compile-time value. Subclasses are immutable dataclasses."""

    __slots__ = ()

    def render(self) -> str:
        """The value as printed in messages (§8.3)."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True, slots=True)
class TypeValue(Value):
    """A type used as a value (``u8_type`` …, ``ty{Type}``)."""

    ty: Type

    def render(self) -> str:
        return str(self.ty)


@dataclass(frozen=True, slots=True)
class Undef(Value):
    """``undefined``."""

    def render(self) -> str:
        return "undefined"


@dataclass(frozen=True, slots=True)
class VoidValue(Value):
    """The value ``{}`` of ``void``."""

    def render(self) -> str:
        return "{}"


@dataclass(frozen=True, slots=True)
class UnreachableValue(Value):
    """The only value of ``noreturn``."""

    def render(self) -> str:
        return "unreachable"


@dataclass(frozen=True, slots=True)
class NullValue(Value):
    """``null``."""

    def render(self) -> str:
        return "null"


@dataclass(frozen=True, slots=True)
class BoolValue(Value):
    """``true`` / ``false``."""

    value: bool

    def render(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True, slots=True)
class EmptyArray(Value):
    """The value of a zero-length array."""

    def render(self) -> str:
        return ".{}"


@dataclass(frozen=True, slots=True)
class IntValue(Value):
    """An integer of any size (Zig's int_u64, int_i64, int_big_*, and ``zero``): compared by value."""

    value: int

    def render(self) -> str:
        return format_decimal(self.value)


@dataclass(frozen=True, slots=True)
class FloatValue(Value):
    """A float of ``bits`` width (16, 32, 64, 128)."""

    value: float
    bits: int

    def render(self) -> str:
        return repr(self.value)


@dataclass(frozen=True, slots=True, eq=False)
class FunctionValue(Value):
    """A function; equal only to a value holding the same ``Fn`` object."""

    fn: FnHandle

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FunctionValue) and other.fn is self.fn

    def __hash__(self) -> int:
        return id(self.fn)

    def render(self) -> str:
        return "(function)"


@dataclass(frozen=True, slots=True, eq=False)
class DeclRef(Value):
    """A pointer to a decl; equal only to a pointer to the same decl object."""

    decl: DeclHandle

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DeclRef) and other.decl is self.decl

    def __hash__(self) -> int:
        return id(self.decl)

    def render(self) -> str:
        return "(decl ref)"


@dataclass(frozen=True, slots=True)
class RefVal(Value):
    """A pointer to an immutable compile-time value."""

    value: Value

    def render(self) -> str:
        return f"&const {self.value.render()}"


@dataclass(frozen=True, slots=True)
class ElemPtr(Value):
    """A pointer to element ``index`` of the array that ``array_ptr`` points at."""

    array_ptr: Value
    index: int

    def render(self) -> str:
        return f"&[{self.index}] {self.array_ptr.render()}"


@dataclass(frozen=True, slots=True)
class Bytes(Value):
    """Array contents (``[N:0]u8`` data, without the sentinel)."""

    data: bytes

    def render(self) -> str:
        return render_string(self.data)


@dataclass(frozen=True, slots=True)
class Repeated(Value):
    """An array whose every element is ``value``."""

    value: Value

    def render(self) -> str:
        return f"{self.value.render()}**"


@dataclass(frozen=True, slots=True)
class Aggregate(Value):
    """Array contents element by element (arrays of any element type, docs/design/language-complete.md §6)."""

    elems: tuple[Value, ...]

    def render(self) -> str:
        return ".{" + ", ".join(e.render() for e in self.elems) + "}"


@dataclass(eq=False, slots=True)
class ComptimeCell:
    """Mutable compile-time memory: what ``alloc`` gives inside a compile-time call (language-complete.md §7)."""

    value: Value
    ty: Type
    """The element type of the allocation."""


@dataclass(frozen=True, slots=True, eq=False)
class CellPtr(Value):
    """A pointer to compile-time memory; equal only to a pointer to the same cell."""

    cell: ComptimeCell

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellPtr) and other.cell is self.cell

    def __hash__(self) -> int:
        return id(self.cell)

    def render(self) -> str:
        return f"&{self.cell.value.render()}"


@dataclass(frozen=True, slots=True)
class TypedValue:
    """A value together with its type."""

    ty: Type
    val: Value


UNDEF = Undef()
VOID_VALUE = VoidValue()
UNREACHABLE_VALUE = UnreachableValue()
NULL_VALUE = NullValue()
EMPTY_ARRAY = EmptyArray()
TRUE = BoolValue(True)
FALSE = BoolValue(False)


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
