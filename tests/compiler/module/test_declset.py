"""DeclSet: a decl's dependencies and dependants behave as the insertion-ordered dict-sets they replaced, and
small ones take far less memory than a dict (docs/design/performance.md §9.3)."""

from __future__ import annotations

import gc
import sys

from bench.shapes import ShapeProgram
from compiler.module.declset import SMALL, DeclSet
from tests.compiler.module.util import Session


def test_a_declset_is_an_insertion_ordered_set_small_or_large() -> None:
    for n in (3, SMALL, SMALL + 1, 3 * SMALL):
        s: DeclSet[int] = DeclSet()
        ref: dict[int, None] = {}
        for k in [*range(n), 1, 0, n - 1]:  # repeats keep their first position
            s[k] = None
            ref[k] = None
        assert list(s) == list(ref) and len(s) == len(ref) and bool(s)
        for k in (1, n + 5, 0):
            s.pop(k, None)
            ref.pop(k, None)
            assert list(s) == list(ref)
            assert (k in s) is (k in ref)
        s[0] = None
        ref[0] = None
        assert list(s) == list(ref)
        s.clear()
        assert list(s) == [] and len(s) == 0 and not s and 0 not in s
    assert list(DeclSet([5, 4, 5])) == [5, 4]
    one: DeclSet[int] = DeclSet([7])
    assert list(one) == [7] and 7 in one and len(one) == 1 and one
    one.pop(7, None)
    assert list(one) == [] and not one
    big = DeclSet(range(SMALL + 2))
    for k in range(SMALL + 2):
        big.pop(k, None)
    assert not big and len(big) == 0 and list(big) == []


def _set_bytes(s: object) -> int:
    """The set's own size plus its tuple or dict (their members are decls, counted elsewhere)."""
    return sys.getsizeof(s) + sum(sys.getsizeof(r) for r in gc.get_referents(s) if type(r) in (tuple, dict))


def test_small_dependency_sets_take_less_than_a_dict() -> None:
    s = Session(ShapeProgram("chain", 300).source().decode(), obj=False)
    s.update()
    assert s.errors() == []
    sets = [x for d in s.comp.decls() for x in (d.dependencies, d.dependants)]
    small = [x for x in sets if len(x) <= SMALL]
    assert len(small) >= len(sets) - 4  # only the type and `_start`-like hubs are large
    assert sum(len(x) for x in small) >= 300  # every function uses its type and its callee
    # a dict of one to five keys is 224-232 bytes (CPython 3.11); a small DeclSet is its object (40 bytes, 64
    # compiled by mypyc) plus a tuple of at most SMALL members, and one of a single member holds it without a tuple
    header = sys.getsizeof(DeclSet())
    assert header + 40 + 8 * SMALL < sys.getsizeof(dict.fromkeys(range(SMALL)))
    assert max(_set_bytes(x) for x in small) <= header + 40 + 8 * SMALL
    assert sum(_set_bytes(x) for x in small) < (header + 40) * len(small)


def test_extend_adds_as_one_assignment_each_would() -> None:
    """``extend`` (a restart declares a kept function's dependencies in one call) leaves the set, and returns the
    members, exactly as assigning each key in turn would, at every size."""
    for start in (0, 1, 3, SMALL - 1, SMALL, SMALL + 2):
        for keys in ([], [0], [start + 1, 0, start + 1], list(range(start, start + SMALL + 1))):
            s: DeclSet[int] = DeclSet(range(start))
            ref: DeclSet[int] = DeclSet(range(start))
            members = s.extend(keys)
            for k in keys:
                ref[k] = None
            assert list(s) == list(ref) == list(members)
            assert type(s._items) is type(ref._items) and len(s) == len(ref)
