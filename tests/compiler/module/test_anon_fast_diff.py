"""Differential test of module.md §9.6: random edit sequences in programs with strings in many functions, names
checked against a Module that re-analyses every owner (replay off). Runs of edits of one function take the fast
path; edits that change which owners or strings that function uses are redone the full way."""

from __future__ import annotations

import random
import re

import pytest

from bench.shapes import ShapeProgram
from tests.compiler.module.util import Session

BODY = r"(@f%d = fn\(@fty, \{\n(?:  [^\n]*\n)*?  %%c = int\()(\d+)"


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
    text = ShapeProgram(shape, n).source().decode()
    for i in range(n):
        if rng.random() < 0.6:
            text = _add_line(text, i, f'  %q{rng.randrange(10**6)} = str("{rng.choice(["x", "y", "zz"])}")\n')
    if rng.random() < 0.5:
        text = text.replace("@name = str", '@msg = str("m")\n@name = str', 1)
    fast, full = Session(text), Session(text)
    full.comp.module.replay_enabled = False
    fast.update()
    full.update()
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
