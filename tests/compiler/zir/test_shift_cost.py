"""A length-changing edit costs the same decl and position operations at N = 10 and N = 10 000 (issue 13).

The counts are the parser's (regions parsed, decl records written, stored positions converted, moved decls'
records remade when read, bytes searched for the content's ending NUL) and the Module's (decls diffed and
analysed, shift-log entries): none of them may grow with the number of functions after the edit.
"""

from __future__ import annotations

import bisect
import random

from compiler.zir.regions import IncrementalParser
from compiler.zir.shifted import BLOCK, ShiftedList


def program(n: int, constant: int) -> bytes:
    """``_start``-less star: ``f0 … f{n-1}`` and ``@all`` calling every one; ``f{n/2}`` holds ``constant``."""
    head = b"@usize = primitive(usize)\n@fty = fntype([], @usize)\n"
    fns = [
        b"@f%d = fn(@fty, {\n  %%c = int(%d)\n  %%k = as(@usize, %%c)\n  %%r = return(%%k)\n})\n"
        % (i, constant if i == n // 2 else 1000 + i)
        for i in range(n)
    ]
    calls = [b"  %%b%d = call(@f%d, [])\n" % (i, i) for i in range(n)]
    return head + b"".join(fns) + b"@all = fn(@fty, {\n" + b"".join(calls) + b"  %r = return(%b0)\n})\n"


def edit_costs(n: int) -> list[tuple[int, ...]]:
    """The parser's counts for three length-changing edits of ``f{n/2}`` after a first parse and one edit."""
    parser = IncrementalParser()
    parser.parse(program(n, 7))
    parser.parse(program(n, 70))
    costs: list[tuple[int, ...]] = []
    for constant in (7000, 7, 700000):
        remade_before = parser.decls_remade()
        result = parser.parse(program(n, constant))
        stats = parser.stats
        edited = result.decls[stats.same_prefix_decls]  # what the diff reads: the changed decl
        assert edited.name == f"f{n // 2}"
        last = result.decls[len(result.decls) - 1]  # a moved decl, read after the edit
        assert last.name == "all" and last.contents_start == program(n, constant).rindex(b"fn(@fty, {\n  %b0")
        costs.append(
            (
                stats.spans_parsed,
                stats.decl_writes,
                len(stats.old_names),
                stats.positions_moved,
                parser.decls_remade() - remade_before,
                stats.spans_reused > 0,
                stats.nul_scanned,
            )
        )
        assert stats.shift != 0
    return costs


def test_a_length_changing_edit_costs_the_same_at_10_and_10000_functions() -> None:
    small, large = edit_costs(10), edit_costs(10_000)
    assert small == large
    assert all(c[1:5] == (1, 1, 0, 2) for c in large)  # one decl written, no position moved; two records read
    assert all(c[6] <= 6 for c in large)  # the NUL that ends the content is looked for in the changed bytes only


def jumping_costs(n: int) -> list[tuple[int, int, int]]:
    """Length-changing edits that alternate between ``f1`` and ``f{n-2}`` (far apart at N = 10 000): spans
    parsed, decl records written and stored positions converted by each."""
    parser = IncrementalParser()
    text = program(n, 7)
    parser.parse(text)
    costs: list[tuple[int, int, int]] = []
    now = {1: 1001, n - 2: 1000 + n - 2}
    for step in range(8):
        f = 1 if step % 2 else n - 2
        new = int("9" * (step + 2))  # another width every time
        text = text.replace(b"int(%d)" % now[f], b"int(%d)" % new, 1)
        now[f] = new
        parser.parse(text)
        stats = parser.stats
        costs.append((stats.spans_parsed, stats.decl_writes, stats.positions_moved))
    return costs


def test_edits_moving_between_far_functions_cost_the_same_at_10_and_10000_functions() -> None:
    """The positions after an edit are shifted through per-block offsets: an edit at a new place converts no
    stored position (a gap buffer's split converted every position between the two places)."""
    small, large = jumping_costs(10), jumping_costs(10_000)
    assert small == large
    assert all(c == (1, 1, 0) for c in large)


def test_shifted_list_behaves_as_a_list_under_random_shifts_and_splices() -> None:
    rng = random.Random(7)
    for size in (0, 5, BLOCK - 1, 3 * BLOCK + 17):
        model = sorted(rng.randrange(10**6) for _ in range(size))
        items = ShiftedList(list(model))
        for _ in range(300):
            op = rng.random()
            if op < 0.4 and model:
                i, d = rng.randrange(len(model) + 1), rng.randrange(-3, 50)
                floor = model[i - 1] if i else -(10**9)
                d = max(d, floor - model[i]) if i < len(model) else d
                items.shift_from(i, d)
                model[i:] = [x + d for x in model[i:]]
            else:
                a = rng.randrange(len(model) + 1)
                b = min(len(model), a + rng.choice([0, 1, 2, 40, 2 * BLOCK]))
                lo = model[a - 1] if a else 0
                hi = model[b] if b < len(model) else lo + 10**4
                values = sorted(rng.randrange(lo, hi + 1) for _ in range(rng.choice([0, 1, 3, 700])))
                items.splice(a, b, values)
                model[a:b] = values
            assert len(items) == len(model)
            assert items.values() == model
            if model:
                k = rng.randrange(len(model))
                assert items[k] == model[k] and items[-1] == model[-1]
                x, lo_i = rng.choice(model) + rng.choice([-1, 0, 1]), rng.randrange(len(model) + 1)
                assert items.bisect_right(x, lo_i) == bisect.bisect_right(model, x, lo_i)
                assert items.bisect_left(x, lo_i) == bisect.bisect_left(model, x, lo_i)
                a = rng.randrange(len(model) + 1)
                assert items.values(a, a + 3) == model[a : a + 3]
        assert items.copy().values() == model


def test_shifted_list_shifts_a_tail_without_converting_items_and_counts_merges() -> None:
    items = ShiftedList(list(range(0, 100, 10)))
    items.shift_from(5, 3)
    assert items.values() == [0, 10, 20, 30, 40, 53, 63, 73, 83, 93]
    items.shift_from(5, -1)
    items.splice(4, 5, [41, 45])
    items.shift_from(1, 1)
    assert items.moved == 0  # splits and offsets only
    assert items.values() == [0, 11, 21, 31, 42, 46, 53, 63, 73, 83, 93]
    assert items.bisect_right(46) == 6 and items.bisect_left(63) == 7 and items.bisect_right(1000) == 11
    assert [items[i] for i in range(len(items))] == items.values() and items[-1] == 93
    for i in range(1, 11):  # a split per shift: past 2 * len / BLOCK + 8 blocks they are merged back
        items.shift_from(i, 1)
    assert items.moved > 0 and items.values() == [0, 12, 23, 34, 46, 51, 59, 70, 81, 92, 103]
