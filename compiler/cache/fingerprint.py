"""Fingerprints of analysed results: equal strings for equal types and values, across processes
(docs/design/performance.md §7).

A function body's analysis depends on the decls it uses only through their types and values, and its machine
code on their GOT addresses. The cache records these fingerprints for every decl a cached body used; a restart
keeps the body's code only when each is unchanged. Decls and functions are named, never addressed by object
identity; a value that holds compile-time memory or a function object has no fingerprint (never trusted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from compiler.sema.values import (
    Aggregate,
    BoolValue,
    Bytes,
    DeclRef,
    ElemPtr,
    EmptyArray,
    FloatValue,
    IntValue,
    NullValue,
    RefVal,
    Repeated,
    TypeValue,
    Undef,
    UnreachableValue,
    Value,
    VoidValue,
)

if TYPE_CHECKING:
    from compiler.module.module import Module
    from compiler.sema.types import Type
    from compiler.sema.values import DeclHandle, TypedValue

GotOf = Callable[["DeclHandle"], "int | None"]
"""The GOT address of a decl a value points at (None: it has none)."""
ValueOf = Callable[["DeclHandle"], "TypedValue | None"]
"""The value of an anonymous decl a value points at (None: a named decl, fingerprinted on its own)."""
POINTEE_DEPTH = 16
"""How many anonymous decls deep a pointer's contents are followed (constants nest; they do not cycle)."""


class NoFingerprint(Exception):
    """The value cannot be compared across processes."""


def type_fingerprint(t: Type, got_of: GotOf) -> str:
    """Every field of the type (the constructors normalise, so equal types give equal strings)."""
    parts = [t.tag.name, str(t.length), str(t.bits), t.cc, "v" if t.is_volatile else ""]
    parts.append("" if t.child is None else type_fingerprint(t.child, got_of))
    parts.append(",".join(type_fingerprint(p, got_of) for p in t.params))
    parts.append("" if t.ret is None else type_fingerprint(t.ret, got_of))
    parts.append("" if t.sentinel is None else value_fingerprint(t.sentinel, got_of))
    return "(" + ";".join(parts) + ")"


def value_fingerprint(v: Value, got_of: GotOf, value_of: ValueOf | None = None, depth: int = 0) -> str:
    """A structural rendering of ``v``; raises NoFingerprint for values without one.

    A pointer to an anonymous decl includes what it points at (``value_of``): a string decl's value is a
    pointer to its bytes, and a body that reads them at compile time (an ``asm`` constraint) depends on the
    bytes, not only on the pointer — ``"{rax}"`` edited to ``"{rdx}"`` keeps the name, the GOT slot and the
    type."""
    match v:
        case IntValue():
            return f"i{v.value}"
        case BoolValue():
            return f"b{int(v.value)}"
        case TypeValue():
            return "t" + type_fingerprint(v.ty, got_of)
        case FloatValue():
            return f"f{v.bits}:{float(v.value).hex()}"
        case Bytes():
            return "s" + v.data.hex()
        case Repeated():
            return "r(" + value_fingerprint(v.value, got_of, value_of, depth) + ")"
        case Aggregate():
            return "a(" + ",".join(value_fingerprint(e, got_of, value_of, depth) for e in v.elems) + ")"
        case RefVal():
            return "&(" + value_fingerprint(v.value, got_of, value_of, depth) + ")"
        case ElemPtr():
            return f"e{v.index}(" + value_fingerprint(v.array_ptr, got_of, value_of, depth) + ")"
        case DeclRef():
            own = f"d{v.decl.name}@{got_of(v.decl)}"
            pointee = None if value_of is None else value_of(v.decl)
            if pointee is None:
                return own
            if depth >= POINTEE_DEPTH:
                raise NoFingerprint("pointer chain too deep")
            return (
                own
                + "->"
                + type_fingerprint(pointee.ty, got_of)
                + value_fingerprint(pointee.val, got_of, value_of, depth + 1)
            )
        case Undef():
            return "undef"
        case VoidValue():
            return "void"
        case UnreachableValue():
            return "unreachable"
        case NullValue():
            return "null"
        case EmptyArray():
            return "[]"
    raise NoFingerprint(type(v).__name__)


def decl_fingerprint(
    tv: TypedValue | None, got_of: GotOf, type_memo: dict[Type, str] | None = None, value_of: ValueOf | None = None
) -> str | None:
    """What users of a decl see of it: a function's type only (module.md's rule for re-analysing users), else
    type and value. None when it has no analysed value or the value has no fingerprint. ``type_memo`` keeps the
    fingerprints of types already rendered (valid while GOT addresses do not change)."""
    if tv is None:
        return None
    try:
        ty = tv.ty
        rendered = None if type_memo is None else type_memo.get(ty)
        if rendered is None:
            rendered = type_fingerprint(ty, got_of)
            if type_memo is not None:
                type_memo[ty] = rendered
        if ty.is_fn():
            return "fn" + rendered
        return rendered + "=" + value_fingerprint(tv.val, got_of, value_of)
    except NoFingerprint:
        return None


def anonymous_value(m: Module, h: DeclHandle) -> TypedValue | None:
    """The value ``value_fingerprint`` follows a pointer into: that of an anonymous decl (a named decl a body
    uses has its own fingerprint)."""
    x = m.decl_table.get(h.name)
    return x.typed_value if x is not None and x.is_anonymous else None
