"""Frozen plain classes: the ``__setattr__``/``__delattr__`` that refuse assignment, as a frozen dataclass's do.

The value classes on a one-file build's path are written out as plain classes with ``__slots__`` and an
explicit ``__init__`` instead of ``@dataclass``: creating a dataclass costs a few ``exec`` calls at import,
about 0.4 ms each, which a cold ``zir build hello.zir`` paid ~120 times (docs/design/performance.md §8 and
docs/benchmarks.md, "cold_hello"). Their ``__init__`` stores through ``object.__setattr__`` exactly as the
dataclass did; ``__eq__``, ``__hash__`` and ``__repr__`` compare, hash and print the same field tuples.
This module is not compiled by mypyc (scripts/build_accelerated.sh): an ``AttributeError`` subclass cannot
be a native class, and a native class keeps its fields in C slots whatever ``__setattr__`` says.
"""

from __future__ import annotations


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen value (``dataclasses.FrozenInstanceError``'s twin)."""


def frozen_setattr(self: object, name: str, value: object) -> None:
    """``__setattr__`` of a frozen value: always refused."""
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def frozen_delattr(self: object, name: str) -> None:
    """``__delattr__`` of a frozen value: always refused."""
    raise FrozenInstanceError(f"cannot delete field {name!r}")
