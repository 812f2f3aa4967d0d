"""What an edit costs in a program where many functions hold a ``str`` (docs/design/module.md §9.2, §9.4).

The program is bench/shapes.py's ``strings`` shape: a chain ``f{i}`` calls ``f{i-1}``, every function also
holding a ``str``; the edit changes the width of one constant in ``f{N/2}``."""

from __future__ import annotations

from bench.shapes import STRINGS, ShapeProgram, edited_constant
from tests.compiler.module.util import Session


def _edited_session(n: int, edits: int) -> tuple[Session, Session, list[dict[str, int]]]:
    """A replaying and a re-analysing session after a full build and ``edits`` edits (checked equal)."""
    prog = ShapeProgram(STRINGS, n)
    replaying, analysing = Session(prog.source().decode()), Session(prog.source().decode())
    analysing.comp.module.replay_enabled = False
    replaying.update()
    analysing.update()
    counters = []
    for k in range(edits):
        prog.edited_constant = edited_constant(k)
        text = prog.source().decode()
        counters.append(dict(replaying.update(text).counters))
        analysing.update(text)
        assert replaying.errors() == analysing.errors() == []
        # replay is invisible: the same anonymous decl names as re-analysing every owner (module.md §9.4)
        assert replaying.emit() == analysing.emit()
    return replaying, analysing, counters


def _string_sessions(shape: str) -> tuple[str, Session, Session]:
    """A 12-function ``shape`` program with a str in every function, built by a replaying and a re-analysing
    session."""
    text = ShapeProgram(shape, 12).source().decode()
    text = text.replace("  %a = as(@usize, %c)\n", '  %a = as(@usize, %c)\n  %m = str("x")\n')
    replaying, analysing = Session(text), Session(text)
    analysing.comp.module.replay_enabled = False
    replaying.update()
    analysing.update()
    return text, replaying, analysing


def test_untouched_string_owners_in_a_chain_are_replayed_not_analysed() -> None:
    # Re-analysing a caller drops its edges, so its callee waits for its first use (the caller's body); the
    # replayed body analyses it there, as a real analysis would, instead of giving up and analysing itself.
    for n in (10, 200):
        _, _, counters = _edited_session(n, 3)
        for c in counters:
            assert (c["fn_bodies_analyzed"], c["decls_generated"]) == (1, 1), (n, c)
            assert c["anon_created"] == 0 and c["anon_released"] == 0


def _edit_counts(n: int) -> dict[str, int]:
    """The operations of the third one-function edit of the strings shape at size ``n``."""
    prog = ShapeProgram(STRINGS, n)
    s = Session(prog.source().decode())
    s.update()
    counters: dict[str, int] = {}
    for k in range(3):
        prog.edited_constant = edited_constant(k)
        counters = dict(s.update(prog.source().decode()).counters)
        assert s.errors() == []
    keys = ("anon_created", "anon_revived", "anon_released", "decls_analyzed", "fn_bodies_analyzed")
    return {k: counters[k] for k in keys}


def test_a_one_function_edit_costs_the_same_with_10_or_10_000_string_owners() -> None:
    # The other owners' anonymous decls are only renamed when read (module.md §9.6): one decl analysed, its
    # one string revived (before the order was modelled, from the third edit of the function on).
    small, big = _edit_counts(10), _edit_counts(10_000)
    assert small == big
    assert small == {
        "anon_created": 0,
        "anon_revived": 1,
        "anon_released": 0,
        "decls_analyzed": 1,
        "fn_bodies_analyzed": 1,
    }


def test_replay_gives_the_names_of_a_re_analysis_in_every_shape() -> None:
    # Edits of different functions (each reorders the work queue), a changed string and a new call, in the
    # three shapes with a str in every function: replaying and re-analysing sessions stay identical.
    for shape in ("chain", "star", "tree"):
        text, replaying, analysing = _string_sessions(shape)
        edits = [
            ("int(1000)", "int(7)"),
            ("int(7)", "int(70000)"),
            ("int(1003)", "int(9)"),
            ("int(1009)\n", 'int(9)\n  %s = str("y")\n'),
            ("int(1004)\n", "int(4)\n  %z = call(@f2, [])\n"),
            ("int(70000)", "int(6)"),
        ]
        for old, new in edits:
            assert old in text, (shape, old)
            text = text.replace(old, new, 1)
            r = replaying.update(text)
            analysing.update(text)
            assert replaying.errors() == analysing.errors() == [], shape
            assert replaying.emit() == analysing.emit(), (shape, old)
            assert r.counters["fn_bodies_analyzed"] <= 2, (shape, old, r.counters)


def test_fast_updates_then_an_edit_that_reorders_keep_the_names_of_a_re_analysis() -> None:
    # Several fast edits of f6 with nobody reading the names, then f6 starts calling another owner (its sequence
    # of owners changes: the update is redone the full way), then fast again: names as if every owner was
    # re-analysed each time (module.md §9.6).
    for shape in ("chain", "star", "tree"):
        text, replaying, analysing = _string_sessions(shape)
        analysed = []
        for k in range(9):
            new = text.replace("int(1000)", f"int({edited_constant(k)})", 1)
            if k >= 5:
                new = new.replace("@f6 = fn(@fty, {\n", "@f6 = fn(@fty, {\n  %z = call(@f1, [])\n", 1)
            analysed.append(replaying.update(new).counters["decls_analyzed"])
            analysing.update(new)
            assert replaying.errors() == analysing.errors() == [], (shape, k)
        assert analysed[2:5] == [1, 1, 1], (shape, analysed)  # fast: only f6
        assert analysed[5] > 1 and analysed[8] == 1, (shape, analysed)  # redone, then fast again
        assert replaying.emit() == analysing.emit(), shape


def _moving_edit_counts(n: int) -> list[dict[str, int]]:
    """The operations of edits of the strings shape at size ``n``, each in another function, each that
    function's first edit (module.md §9.6)."""
    prog = ShapeProgram(STRINGS, n)
    text = prog.source().decode()
    s = Session(text)
    s.update()
    out = []
    for k, i in enumerate((n // 2, n // 3, n - 1, 0, -1, n // 2, 1)):
        if i >= 0:  # (-1: a save without a change)
            head = f"@f{i} = fn(@fty, {{\n  %c = int("
            at = text.index(head) + len(head)
            end = text.index(")", at)
            text = text[:at] + str(edited_constant(k)) + text[end:]  # another width: every decl after it moves
        counters = s.update(text).counters
        assert s.errors() == []
        keys = ("anon_created", "anon_revived", "anon_released", "decls_analyzed", "fn_bodies_analyzed")
        out.append({key: counters[key] for key in keys})
    return out


def test_a_first_edit_of_a_function_costs_the_same_with_10_or_10_000_string_owners() -> None:
    # Each edit in another function than the last (the order of the full path moves that function's strings),
    # and a save without a change: the order is modelled (module/anon_order.py), one decl analysed, its one
    # string revived (none for the save). Old main:
    # every owner re-analysed and revived on each of these edits (10 008 at N = 10 000).
    small, big = _moving_edit_counts(10), _moving_edit_counts(10_000)
    assert small == big
    one = {"anon_created": 0, "anon_revived": 1, "anon_released": 0, "decls_analyzed": 1, "fn_bodies_analyzed": 1}
    none = dict.fromkeys(one, 0)
    assert small == [one] * 4 + [none] + [one] * 2


def _owner_changing_edit_counts(n: int) -> list[dict[str, int]]:
    """Edits that change which owners a function uses or how many strings it makes (module.md §9.6)."""
    text = ShapeProgram(STRINGS, n).source().decode()
    s, check = Session(text), Session(text) if n <= 100 else None
    if check is not None:
        check.comp.module.replay_enabled = False
        check.update()
    s.update()
    a, b = n // 2, n // 3
    edits = [
        (f"@f{a} = fn(@fty, {{\n", f'@f{a} = fn(@fty, {{\n  %y = str("new")\n'),  # one more string
        (f"@f{b} = fn(@fty, {{\n", f"@f{b} = fn(@fty, {{\n  %k = call(@f1, [])\n"),  # another owner used
        ('  %y = str("new")\n', ""),  # the string removed again
    ]
    out = []
    for old, new in edits:
        text = text.replace(old, new, 1)
        counters = s.update(text).counters
        assert s.errors() == []
        if check is not None:
            check.update(text)
            assert s.emit() == check.emit()
        keys = ("anon_created", "anon_released", "decls_analyzed", "fn_bodies_analyzed")
        out.append({key: counters[key] for key in keys})
    return out


def test_an_edit_that_changes_a_functions_owners_or_strings_analyses_only_that_function() -> None:
    # The model walks the new body (module/anon_order.py): every anonymous decl is numbered at once, without
    # analysis, instead of redoing the update the full way (which re-analysed every owner).
    small, big = _owner_changing_edit_counts(10), _owner_changing_edit_counts(10_000)
    assert small == big
    assert [c["decls_analyzed"] for c in small] == [1, 1, 1]
    assert [(c["anon_created"], c["anon_released"]) for c in small] == [(1, 0), (0, 0), (0, 1)]


def _added_function_counts(n: int) -> dict[str, int]:
    text = ShapeProgram(STRINGS, n).source().decode()
    s = Session(text)
    s.update()
    new = '@g = fn(@fty, {\n  %m = str("g")\n  %c = int(5)\n  %a = as(@usize, %c)\n  %r = return(%a)\n})\n'
    counters = s.update(text.replace("@start_fnty =", new + "@start_fnty =", 1)).counters
    assert s.errors() == [] and s.comp.decl("g") is not None
    return {k: counters[k] for k in ("anon_created", "anon_revived", "decls_analyzed", "fn_bodies_analyzed")}


def test_a_new_function_nothing_calls_yet_analyses_nothing() -> None:
    # It stays unreferenced, as in a fresh build: the anonymous decls' order is that of an update changing
    # nothing (module.md §9.6); it re-analysed every owner at decl level.
    assert (
        _added_function_counts(10)
        == _added_function_counts(10_000)
        == dict.fromkeys(("anon_created", "anon_revived", "decls_analyzed", "fn_bodies_analyzed"), 0)
    )
