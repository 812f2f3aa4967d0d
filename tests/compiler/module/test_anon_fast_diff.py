"""Differential test of module.md §9.6: random edit sequences in programs with strings in many functions, names
checked against a Module that re-analyses every owner (replay off). Runs of edits of one function take the fast
path; edits that change which owners or strings that function uses are redone the full way."""

from __future__ import annotations

import random
import re

import pytest

from bench.shapes import ShapeProgram
from compiler.module import anon_fast
from tests.compiler.module.util import Session

BODY = r"(@f%d = fn\(@fty, \{\n(?:  [^\n]*\n)*?  %%c = int\()(\d+)"


def _fast_and_full(text: str) -> tuple[Session, Session]:
    """Two sessions of ``text`` after their first update: the fast path's, and one that re-analyses every owner."""
    fast, full = Session(text), Session(text)
    full.comp.module.replay_enabled = False
    fast.update()
    full.update()
    return fast, full


def _add_line(text: str, i: int, line: str) -> str:
    head = f"@f{i} = fn(@fty, {{\n"
    return text.replace(head, head + line, 1)


def _edit(rng: random.Random, text: str, n: int, i: int) -> str:
    op = rng.random()
    if op < 0.7:  # a constant of another width: the common, fast edit
        m = re.search(BODY % i, text)
        assert m is not None
        return text[: m.start(2)] + str(rng.choice([1, 22, 333333, 4444, 5])) + text[m.end(2) :]
    if op < 0.8:  # one more string
        return _add_line(text, i, f'  %q{rng.randrange(10**6)} = str("{rng.choice(["x", "w"])}")\n')
    if op < 0.88:  # a call to an earlier function (an owner or not): another sequence of owners
        j = rng.randrange(n)
        return _add_line(text, i, f"  %k{rng.randrange(10**6)} = call(@f{j}, [])\n") if j < i else text
    if op < 0.94 and "@msg" in text:  # a use of a top-level string decl
        return _add_line(text, i, f"  %k{rng.randrange(10**6)} = ptrtoint(@msg)\n")
    if rng.random() < 0.5:
        return re.sub(r'  %q\d+ = str\("\w*"\)\n', "", text, count=1)
    return text.replace("\n\n", "\n", 1)


@pytest.mark.parametrize("seed", range(1, 21))
def test_random_edits_name_anonymous_decls_as_a_re_analysis_does(seed: int) -> None:
    rng = random.Random(seed)
    shape = rng.choice(["chain", "star", "tree"])
    n = rng.randrange(3, 14)
    text = _strings_program(rng, shape, n)
    fast, full = _fast_and_full(text)
    focus = rng.randrange(n)
    for step in range(25):
        if rng.random() < 0.2:
            focus = rng.randrange(n)
        text = _edit(rng, text, n, focus)
        fast.update(text)
        full.update(text)
        if rng.random() < 0.3 or step == 24:  # names read now and then: stale in between
            assert fast.emit() == full.emit(), (seed, step)
            assert fast.errors() == full.errors(), (seed, step)


def _edit_or_break(rng: random.Random, text: str, n: int, i: int) -> str:
    """``_edit``, or an error put in or taken out of ``f{i}``'s body (before or after its strings and calls)."""
    op = rng.random()
    if op < 0.08:
        return _add_line(text, i, '  %e = compileerror("bad")\n')
    if op < 0.14:
        return text.replace(f"@f{i} = fn(@fty, {{\n", f'@f{i} = fn(@fty, {{\n  %e = compileerror("bad")\n', 1)
    if op < 0.2:
        return re.sub(r'  %e = compileerror\("bad"\)\n', "", text)
    if op < 0.24:
        return text.replace("  %r = return(", '  %e = compileerror("late")\n  %r = return(', 1)
    if op < 0.3:
        return re.sub(r'  %e = compileerror\("late"\)\n', "", text)
    if op < 0.34:  # a new function nothing calls yet (with a string)
        k = rng.randrange(10**6)
        new = f'@g{k} = fn(@fty, {{\n  %m = str("g")\n  %c = int({k})\n  %a = as(@usize, %c)\n  %r = return(%a)\n}})\n'
        return text.replace("@start_fnty =", new + "@start_fnty =", 1)
    if op < 0.38:  # a call of such a function
        names = re.findall(r"^@(g\d+) = fn", text, re.M)
        if names:
            return _add_line(text, i, f"  %h{rng.randrange(10**6)} = call(@{rng.choice(names)}, [])\n")
    return _edit(rng, text, n, i)


def _strings_program(rng: random.Random, shape: str, n: int) -> str:
    text = ShapeProgram(shape, n).source().decode()
    for i in range(n):
        if rng.random() < 0.6:
            text = _add_line(text, i, f'  %q{rng.randrange(10**6)} = str("{rng.choice(["x", "y", "zz"])}")\n')
    if rng.random() < 0.5:
        text = text.replace("@name = str", '@msg = str("m")\n@name = str', 1)
    return text


@pytest.mark.parametrize("seed", range(100, 120))
def test_edits_that_move_from_function_to_function_name_anonymous_decls_as_a_re_analysis_does(seed: int) -> None:
    # Every edit in a function picked at random (most of them first edits: fast since module.md §9.6 models the
    # order), names read rarely: many pending edits between two reads, against re-analysing every owner.
    rng = random.Random(seed)
    shape = rng.choice(["chain", "star", "tree", "strings"])
    n = rng.randrange(3, 16)
    text = _strings_program(rng, shape, n)
    fast, full = _fast_and_full(text)
    one = 0
    for step in range(40):
        if rng.random() < 0.9:  # else a save without a change: nothing analysed, the order moves all the same
            text = _edit_or_break(rng, text, n, rng.randrange(n))
        one += fast.update(text).counters["decls_analyzed"] <= 1
        full.update(text)
        if rng.random() < 0.1 or step == 39:
            assert fast.emit() == full.emit(), (seed, step)
            assert fast.errors() == full.errors(), (seed, step)
    assert one >= 10, one  # the fast path was taken (most edits keep the owners and strings)


@pytest.mark.parametrize("limit", [1, 3])
def test_names_brought_up_to_date_after_many_pending_edits_are_those_of_a_re_analysis(
    limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After PENDING_LIMIT runs of edits the names are renamed at the update's end without a reader.
    monkeypatch.setattr(anon_fast, "PENDING_LIMIT", limit)
    rng = random.Random(limit)
    for shape in ("strings", "tree"):
        text = _strings_program(rng, shape, 9)
        fast, full = _fast_and_full(text)
        for step in range(30):
            i = rng.randrange(9)
            m = re.search(BODY % i, text)
            assert m is not None
            value = rng.choice([v for v in ("1", "22", "333333") if v != m.group(2)])  # an edit, never the same text
            text = text[: m.start(2)] + value + text[m.end(2) :]
            assert fast.update(text).counters["decls_analyzed"] == 1, (shape, step)
            full.update(text)
            assert fast.comp.module.anon_fast.runs <= limit  # (runs of equal functions in the pending edits)
        assert fast.emit() == full.emit(), shape


def test_an_error_that_cuts_a_call_numbers_the_strings_the_full_path_numbers_before_deleting_them() -> None:
    # f4 holds no string; its body stops before calling f3, and f3 .. f0 (f2 .. f0 hold strings) become
    # garbage. A full update numbers their strings (their owners are analysed before the deletion) and only then
    # deletes them, so the counter moves past them; the fast path brings the names up to date before the first
    # deletion (module.md §9.6). Old main's fast path left the counter short by those strings.
    text = ShapeProgram("chain", 7).source().decode()
    for i in range(3):
        text = _add_line(text, i, f'  %q = str("s{i}")\n')
    fast, full = _fast_and_full(text)
    cut = text.replace("@f4 = fn(@fty, {\n", '@f4 = fn(@fty, {\n  %e = compileerror("bad")\n', 1)
    versions = [text.replace("int(1004)", f"int({k})") for k in (7, 8, 9)]  # f4's edits: the fast path
    versions += [
        v.replace("@f4 = fn(@fty, {\n", '@f4 = fn(@fty, {\n  %e = compileerror("bad")\n', 1) for v in versions[-1:]
    ]
    versions += [cut.replace("int(1005)", "int(3)"), text]
    for version in versions:
        fast.update(version)
        full.update(version)
        assert fast.emit() == full.emit()
    assert fast.errors() == full.errors() == []


def test_an_error_before_a_call_analyses_only_its_function_and_names_as_a_re_analysis() -> None:
    # f6 stops before calling f5: f5 .. f0 (all string owners) are left waiting by the full path and deleted;
    # the model gives the order without analysing any of them (module.md §9.6).
    text = ShapeProgram("strings", 12).source().decode()
    fast, full = _fast_and_full(text)
    cut = text.replace("@f6 = fn(@fty, {\n", '@f6 = fn(@fty, {\n  %e = compileerror("bad")\n', 1)
    for version, analysed in ((cut, 1), (cut.replace("int(1009)", "int(9)"), None)):
        r = fast.update(version)
        full.update(version)
        if analysed is not None:
            assert (r.counters["decls_analyzed"], r.counters["fn_bodies_analyzed"]) == (1, 1)
        assert fast.emit() == full.emit()
        assert fast.errors() == full.errors() != []
