"""DeclSet: the small insertion-ordered set a decl keeps of its dependencies and of its dependants.

Most decls use, and are used by, one to five others; a ``dict`` of that size takes 232 bytes in CPython 3.11,
two per decl. A ``DeclSet`` holds its one member itself, a tuple while it is small (``SMALL`` members; the
shared ``()`` when empty) and a ``dict`` past that, so the few large sets (a type every function uses, a
``_start`` that calls every function) keep O(1) membership (docs/design/performance.md §9.3). It has the part
of the ``dict`` API the module uses: ``s[x] = None``, ``pop(x, None)``, ``in``, iteration in insertion order,
``len``, ``clear``. Members are compared as a dict compares its keys (identity, then ``==``); a member is
never a tuple or a dict (decls).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Final, Generic, TypeVar, cast

K = TypeVar("K", bound=Hashable)

SMALL: Final = 8
"""Members kept in a tuple; one more turns the set into a ``dict``."""


class DeclSet(Generic[K]):
    """An insertion-ordered set: its one member, a tuple up to ``SMALL`` members, a ``dict`` past that."""

    __slots__ = ("_items",)

    _items: K | tuple[K, ...] | dict[K, None]

    def __init__(self, items: Iterable[K] = ()) -> None:
        self._items = ()
        for x in items:
            self[x] = None

    def _members(self) -> tuple[K, ...] | dict[K, None]:
        items = self._items
        t = type(items)
        if t is tuple or t is dict:
            return cast("tuple[K, ...] | dict[K, None]", items)
        return (cast(K, items),)

    def __setitem__(self, key: K, value: None) -> None:
        items = self._items
        t = type(items)
        if t is dict:
            cast("dict[K, None]", items)[key] = None
        elif t is tuple and not items:
            self._items = key
        else:  # ``_members``, inline: a restart declares ten thousands of edges
            members = cast("tuple[K, ...]", items) if t is tuple else (cast(K, items),)
            if key in members:
                return
            if len(members) < SMALL:
                self._items = (*members, key)
            else:
                self._items = dict.fromkeys((*members, key))

    def extend(self, keys: Iterable[K]) -> tuple[K, ...] | dict[K, None]:
        """Add each of ``keys`` in order (as ``s[k] = None`` each), in one call; returns the members after."""
        items = self._items
        t = type(items)
        if t is dict:
            members = cast("dict[K, None]", items)
            members.update(dict.fromkeys(keys))
            return members
        merged = tuple(dict.fromkeys((*self._members(), *keys)))
        n = len(merged)
        if n > SMALL:
            self._items = dict.fromkeys(merged)
            return self._items
        self._items = merged[0] if n == 1 else merged
        return merged

    def pop(self, key: K, default: None = None) -> None:
        """Remove ``key`` if present (as ``dict.pop(key, None)``)."""
        items = self._items
        if type(items) is dict:
            items.pop(key, None)
            return
        members = self._members()
        if key in members:
            rest = tuple(x for x in members if x is not key and x != key)
            self._items = rest[0] if len(rest) == 1 else rest

    def clear(self) -> None:
        self._items = ()

    def __contains__(self, key: object) -> bool:
        return key in self._members()

    def __iter__(self) -> Iterator[K]:
        return iter(self._members())

    def __len__(self) -> int:
        return len(self._members())

    def __bool__(self) -> bool:
        items = self._items
        t = type(items)
        return bool(items) if t is tuple or t is dict else True

    def __repr__(self) -> str:
        return f"DeclSet({list(self._members())!r})"
