"""What the value classes written out instead of dataclasses share: refused assignment, a dataclass's repr and eq.

The value classes on a one-file build's path are plain classes with ``__slots__`` and an explicit
``__init__`` instead of ``@dataclass``: creating a dataclass costs a few ``exec`` calls at import, about
0.35 ms a class, which a cold ``zir build hello.zir`` paid ~120 times (docs/design/performance.md §10.2).
Their ``__init__`` stores through ``object.__setattr__`` exactly as the dataclass did; ``__eq__`` and
``__hash__`` compare and hash the same field tuples, and ``record_repr`` prints what the dataclass's
``__repr__`` printed (``...`` for a value met again inside its own repr). This module is not compiled by
mypyc (scripts/build_accelerated.sh): an ``AttributeError`` subclass cannot be a native class, and a native
class keeps its fields in C slots whatever ``__setattr__`` says.
"""

from __future__ import annotations

import _thread


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen value (``dataclasses.FrozenInstanceError``'s twin)."""


def frozen_setattr(self: object, name: str, value: object) -> None:
    """``__setattr__`` of a frozen value: always refused."""
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def frozen_delattr(self: object, name: str) -> None:
    """``__delattr__`` of a frozen value: always refused."""
    raise FrozenInstanceError(f"cannot delete field {name!r}")


_REPR_RUNNING: set[tuple[int, int]] = set()


def record_repr(self: object, names: tuple[str, ...]) -> str:
    """``Name(field=value!r, ...)`` over ``names``, as a dataclass prints itself; ``...`` for ``self`` met
    again while it is being printed (a decl among its own dependants), in this thread."""
    key = id(self), _thread.get_ident()
    if key in _REPR_RUNNING:
        return "..."
    _REPR_RUNNING.add(key)
    try:
        return f"{type(self).__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in names)})"
    finally:
        _REPR_RUNNING.discard(key)


def record_eq(self: object, other: object, names: tuple[str, ...]) -> bool:
    """A dataclass's ``__eq__`` over ``names``: ``NotImplemented`` for another class, else the field tuples
    compared (for records with many fields that no hot path compares; small ones spell the tuples out)."""
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]  # (what a dataclass returns)
    return tuple(getattr(self, name) for name in names) == tuple(getattr(other, name) for name in names)


def record_hash(self: object, names: tuple[str, ...]) -> int:
    """A frozen dataclass's ``__hash__`` over ``names``: the hash of the field tuple (``record_eq``'s twin)."""
    return hash(tuple(getattr(self, name) for name in names))
