"""A decl that calls a function at compile time depends on the callee's body, not only on its type (module.md §6.4,
language-complete.md §7): an edit of the body re-analyses it, in a long-lived Compilation and across a restart
from the compile cache. A runtime caller still is not re-analysed (it reaches the callee through its GOT slot).
Case ``tests/cases/ours/412-compile-time-callee-edited`` runs the same through ``zir watch``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.source import BufferSource

ROOT = Path(__file__).resolve().parents[3]
CASE = ROOT / "tests" / "cases" / "ours" / "412-compile-time-callee-edited"
ONE, TWO = (CASE / "update1.zir").read_bytes(), (CASE / "update3.zir").read_bytes()
"""``@main`` returns ``next(7)`` computed at compile time: ``next`` returns its argument (7), then adds 1 (8)."""


def _exit(path: Path) -> int:
    return subprocess.run([str(path)], capture_output=True, timeout=60, check=False).returncode


def _compilation(text: bytes, out: Path, *, cache: bool = False) -> Compilation:
    src = str(out.parent / "p.zir")
    return Compilation(Options(src, str(out), OutputMode.EXE, cache=cache), BufferSource(src, text), None)


def test_an_edit_of_the_callee_recomputes_the_compile_time_result(tmp_path: Path) -> None:
    comp = _compilation(ONE, tmp_path / "out")
    try:
        assert comp.update().ok and _exit(tmp_path / "out") == 7
        source = comp.source
        assert isinstance(source, BufferSource)
        source.text = TWO
        report = comp.update()
        assert report.ok and _exit(tmp_path / "out") == 8  # was 7: @main kept the constant of the old body
        assert report.counters["fn_bodies_analyzed"] == 2  # @next and its compile-time caller @main
    finally:
        comp.close()


def test_a_runtime_caller_is_not_re_analysed(tmp_path: Path) -> None:
    runtime = [t.replace(b", modifier=compile_time", b"") for t in (ONE, TWO)]
    comp = _compilation(runtime[0], tmp_path / "out")
    try:
        assert comp.update().ok and _exit(tmp_path / "out") == 7
        source = comp.source
        assert isinstance(source, BufferSource)
        source.text = runtime[1]
        report = comp.update()
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
