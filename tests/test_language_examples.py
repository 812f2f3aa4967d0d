"""The programs of examples/ that use the whole language (docs/language.md), built with `zir build --mode` and run:
each mode's exit status (or signal), stdout and stderr are fixed here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ZIR = [sys.executable, "-m", "compiler"]

# (example, mode, returncode (negative: killed by that signal), stdout, stderr, pending code generation or None)
RUNS: list[tuple[str, str, int, str, str, str | None]] = [
    ("recursion", "Debug", 144, "", "", None),
    ("recursion", "ReleaseFast", 144, "", "", None),
    ("overflow", "Debug", -6, "multiplying\n", "panic: integer overflow\n", None),
    ("overflow", "ReleaseSafe", -6, "multiplying\n", "panic: integer overflow\n", None),
    ("overflow", "ReleaseFast", 64, "multiplying\n", "", None),
    ("optional", "Debug", 111, "", "", None),
    ("optional", "ReleaseFast", 111, "", "", None),
    ("array-walk", "Debug", 0, "9876543210\n", "", None),
    ("array-walk", "ReleaseSmall", 0, "9876543210\n", "", None),
]


def _params() -> list[Any]:
    out = []
    for name, mode, code, stdout, stderr, pending in RUNS:
        marks = [pytest.mark.xfail(strict=True, reason=pending)] if pending else []
        out.append(pytest.param(name, mode, code, stdout, stderr, marks=marks, id=f"{name}-{mode}"))
    return out


@pytest.mark.parametrize(("name", "mode", "code", "stdout", "stderr"), _params())
def test_example_runs(name: str, mode: str, code: int, stdout: str, stderr: str, tmp_path: Path) -> None:
    source = ROOT / "examples" / f"{name}.zir"
    out = tmp_path / name
    build = subprocess.run([*ZIR, "build", str(source), "-o", str(out), "--mode", mode], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    proc = subprocess.run([str(out)], capture_output=True, text=True, timeout=20)
    assert (proc.returncode, proc.stdout, proc.stderr) == (code, stdout, stderr)


@pytest.mark.parametrize("name", sorted({r[0] for r in RUNS}))
def test_example_is_formatted(name: str) -> None:
    proc = subprocess.run([*ZIR, "fmt", "--check", str(ROOT / "examples" / f"{name}.zir")], capture_output=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(("mode", "code"), [("Debug", -6), ("ReleaseFast", 64)])
def test_watch_takes_the_mode(mode: str, code: int, tmp_path: Path) -> None:
    """`zir watch --mode` builds in that mode for the life of the session (docs/design/language-complete.md §1)."""
    import json

    src = tmp_path / "overflow.zir"
    src.write_bytes((ROOT / "examples" / "overflow.zir").read_bytes())
    args = [*ZIR, "watch", str(src), "-o", str(tmp_path / "prog"), "--json", "--manual", "--mode", mode]
    proc = subprocess.run(args, input="update\nrun\nexit\n", capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0]["ok"] is True
    assert (lines[1]["event"], lines[1]["exitCode"]) == ("run", code)


def test_watch_rejects_an_unknown_mode(tmp_path: Path) -> None:
    src = tmp_path / "overflow.zir"
    src.write_bytes(b"")
    proc = subprocess.run([*ZIR, "watch", str(src), "--mode", "Fastest"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid --mode 'Fastest'" in proc.stderr
