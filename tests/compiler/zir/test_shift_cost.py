"""A length-changing edit costs the same decl and position operations at N = 10 and N = 10 000 (issue 13).

The counts are the parser's (regions parsed, decl records written, stored positions converted, moved decls'
records remade when read, bytes searched for the content's ending NUL) and the Module's (decls diffed and
analysed, shift-log entries): none of them may grow with the number of functions after the edit.
"""

from __future__ import annotations

from compiler.zir.regions import IncrementalParser
from compiler.zir.shifted import SplitList


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
    parser.parse(program(n, 70))  # the first edit at a new place moves the split there (O(distance))
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


def test_split_list_shifts_a_tail_in_constant_work_while_edits_stay_in_one_place() -> None:
    items = SplitList(list(range(0, 100, 10)))
    items.shift_from(5, 3)
    assert items.values() == [0, 10, 20, 30, 40, 53, 63, 73, 83, 93]
    moved = items.moved
    items.shift_from(5, -1)
    items.splice(4, 5, [41, 45])
    assert items.moved == moved  # the split stayed at the edit: no stored item converted
    assert items.values() == [0, 10, 20, 30, 41, 45, 52, 62, 72, 82, 92]
    assert items.bisect_right(45) == 6 and items.bisect_left(62) == 7 and items.bisect_right(1000) == 11
    items.shift_from(1, 1)  # an edit elsewhere moves the split: converted items are counted
    assert items.moved > moved
    assert items.values() == [0, 11, 21, 31, 42, 46, 53, 63, 73, 83, 93]
    assert [items[i] for i in range(len(items))] == items.values() and items[-1] == 93
