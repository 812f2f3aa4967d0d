"""A decl that calls a function at compile time depends on the callee's body, not only on its type (module.md §6.4,
language-complete.md §7): an edit of the body re-analyses it, in a long-lived Compilation and across a restart
from the compile cache. A runtime caller still is not re-analysed (it reaches the callee through its GOT slot).
Case ``tests/cases/ours/412-compile-time-callee-edited`` runs the same through ``zir watch``."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from bench.shapes import ShapeProgram
from compiler.compilation import Compilation, Options, UpdateReport
from compiler.link import OutputMode
from compiler.source import BufferSource
from tests.compiler.module.util import Session

ROOT = Path(__file__).resolve().parents[3]
CASE = ROOT / "tests" / "cases" / "ours" / "412-compile-time-callee-edited"
ONE, TWO = (CASE / "update1.zir").read_bytes(), (CASE / "update3.zir").read_bytes()
"""``@main`` returns ``next(7)`` computed at compile time: ``next`` returns its argument (7), then adds 1 (8)."""


def _exit(path: Path) -> int:
    return subprocess.run([str(path)], capture_output=True, timeout=60, check=False).returncode


def _compilation(text: bytes, out: Path, *, cache: bool = False) -> Compilation:
    src = str(out.parent / "p.zir")
    return Compilation(Options(src, str(out), OutputMode.EXE, cache=cache), BufferSource(src, text), None)


def _edit(comp: Compilation, text: bytes) -> UpdateReport:
    """The editor's buffer replaced by ``text``, then an update."""
    source = comp.source
    assert isinstance(source, BufferSource)
    source.text = text
    return comp.update()


def test_an_edit_of_the_callee_recomputes_the_compile_time_result(tmp_path: Path) -> None:
    comp = _compilation(ONE, tmp_path / "out")
    try:
        assert comp.update().ok and _exit(tmp_path / "out") == 7
        report = _edit(comp, TWO)
        assert report.ok and _exit(tmp_path / "out") == 8  # was 7: @main kept the constant of the old body
        assert report.counters["fn_bodies_analyzed"] == 2  # @next and its compile-time caller @main
    finally:
        comp.close()


def test_a_runtime_caller_is_not_re_analysed(tmp_path: Path) -> None:
    runtime = [t.replace(b", modifier=compile_time", b"") for t in (ONE, TWO)]
    comp = _compilation(runtime[0], tmp_path / "out")
    try:
        assert comp.update().ok and _exit(tmp_path / "out") == 7
        report = _edit(comp, runtime[1])
        assert report.ok and _exit(tmp_path / "out") == 8
        assert report.counters["fn_bodies_analyzed"] == 1  # @next only
    finally:
        comp.close()


def test_a_restart_after_an_edit_of_the_callee_does_not_keep_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache records a function's dependencies by type; a body that ran another body at compile time is not
    recorded, so a restart analyses it again (it kept exit 7)."""
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "ws").mkdir()
    out = tmp_path / "ws" / "out"
    for text, want in ((ONE, 7), (TWO, 8), (ONE, 7)):
        comp = _compilation(text, out, cache=True)
        try:
            assert comp.update().ok
        finally:
            comp.close()
        assert _exit(out) == want


def test_a_caller_that_holds_a_string_is_analysed_again_not_replayed(tmp_path: Path) -> None:
    """An owner of anonymous decls is replayed when what its body used is unchanged (module.md §9.4); a callee
    with the same type counted as unchanged, so the caller kept its compile-time result."""
    with_string = [
        t.replace(b"@main = fn(@main_fnty, {\n", b'@main = fn(@main_fnty, {\n  %s = str("s")\n') for t in (ONE, TWO)
    ]
    comp = _compilation(with_string[0], tmp_path / "out")
    try:
        assert comp.update().ok and _exit(tmp_path / "out") == 7
        assert _edit(comp, with_string[1]).ok and _exit(tmp_path / "out") == 8
    finally:
        comp.close()


@pytest.mark.parametrize("seed", range(6))
def test_one_function_edits_with_a_compile_time_caller_name_strings_as_a_re_analysis_does(seed: int) -> None:
    """module.md §9.6's fast path models the order of the anonymous decls from the dependency graph; a
    compile-time call re-analyses its caller, which the model does not cover (it asserted: "the modelled order
    numbers every live anonymous decl"). With a compile-time caller the edits take the full path."""
    rng = random.Random(seed)
    n = 8
    text = ShapeProgram("strings", n).source().decode()
    caller = '@cfn = fn(@fty, {\n  %q = str("c")\n  %v = call(@f3, [], modifier=compile_time)\n  %r = return(%v)\n})\n'
    text = text.replace("@start_fnty =", caller + "@start_fnty =", 1)
    text = text.replace(f"@f{n - 1} = fn(@fty, {{\n", f"@f{n - 1} = fn(@fty, {{\n  %w = call(@cfn, [])\n", 1)
    fast, full = Session(text), Session(text)
    full.comp.module.replay_enabled = False
    fast.update()
    full.update()
    for _ in range(12):
        i = rng.randrange(n)
        text = re.sub(rf"(@f{i} = fn\(@fty, \{{\n(?:  [^\n]*\n)*?  %c = int\()\d+", rf"\g<1>{rng.randrange(99)}", text)
        fast.update(text)
        full.update(text)
        assert fast.errors() == full.errors() == []
        assert fast.emit() == full.emit()
