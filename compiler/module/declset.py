"""DeclSet: the small insertion-ordered set a decl keeps of its dependencies and of its dependants.

Most decls use, and are used by, one to five others; a ``dict`` of that size takes 232 bytes in CPython 3.11,
two per decl. A ``DeclSet`` holds a tuple while it is small (``SMALL`` members; the shared ``()`` when empty)
and a ``dict`` past that, so the few large sets (a type every function uses, a ``_start`` that calls every
function) keep O(1) membership (docs/design/performance.md §9.3). It has the part of the ``dict`` API the
module uses: ``s[x] = None``, ``pop(x, None)``, ``in``, iteration in insertion order, ``len``, ``clear``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

SMALL = 8
"""Members kept in a tuple; one more turns the set into a ``dict``."""


class DeclSet(Generic[K]):
    """An insertion-ordered set: a tuple up to ``SMALL`` members, a ``dict`` (keys only) past that."""

    __slots__ = ("_items",)

    _items: tuple[K, ...] | dict[K, None]

    def __init__(self, items: Iterable[K] = ()) -> None:
        self._items = ()
        for x in items:
            self[x] = None

    def __setitem__(self, key: K, value: None) -> None:
        items = self._items
        if type(items) is tuple:
            if key in items:
                return
            if len(items) < SMALL:
                self._items = (*items, key)
                return
            items = self._items = dict.fromkeys(items)
        assert type(items) is dict
        items[key] = None

    def pop(self, key: K, default: None = None) -> None:
        """Remove ``key`` if present (as ``dict.pop(key, None)``)."""
        items = self._items
        if type(items) is tuple:
            if key in items:
                self._items = tuple(x for x in items if x is not key and x != key)
        else:
            assert type(items) is dict
            items.pop(key, None)

    def clear(self) -> None:
        self._items = ()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __repr__(self) -> str:
        return f"DeclSet({list(self._items)!r})"
