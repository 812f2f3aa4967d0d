"""The examples gallery: every program in examples/ is formatted, builds, runs and produces what
examples/gallery.json says; the edit session of examples/edit-session runs through `zir watch` step by step."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli_build_watch import Watch

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GALLERY: dict[str, dict[str, Any]] = json.loads((EXAMPLES / "gallery.json").read_text())["examples"]
ZIR = [sys.executable, "-m", "compiler"]


def test_the_gallery_covers_each_topic() -> None:
    assert all((EXAMPLES / name).is_file() for name in GALLERY)
    for topic in ("loops", "fib", "strings", "data", "got-calls"):  # recursion is fib.zir
        assert f"{topic}.zir" in GALLERY


@pytest.mark.parametrize("name", sorted(GALLERY))
def test_example_builds_and_runs(name: str, tmp_path: Path) -> None:
    expect = GALLERY[name]
    src = tmp_path / name
    shutil.copy(EXAMPLES / name, src)
    fmt = subprocess.run([*ZIR, "fmt", "--check", name], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (fmt.returncode, fmt.stdout) == (0, ""), f"{name} is not in canonical form"
    built = subprocess.run([*ZIR, "build", name], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (built.returncode, built.stderr) == (0, "")
    run = subprocess.run([str(tmp_path / src.stem)], capture_output=True, timeout=20)
    assert (run.stdout.decode(), run.returncode) == (expect["stdout"], expect["exit_code"])


def test_edit_session_through_zir_watch(tmp_path: Path) -> None:
    session = EXAMPLES / "edit-session"
    steps: list[dict[str, Any]] = json.loads((session / "session.json").read_text())["steps"]
    app = tmp_path / "app.zir"
    w = Watch(tmp_path, "app.zir", "--json", "--manual")
    try:
        first_generated = 0
        for i, step in enumerate(steps):
            shutil.copy(session / step["source"], app)
            w.send("update")
            update = w.json()
            assert update["ok"] is True, update["errors"]
            assert update["committed"] is True
            generated = update["counters"]["decls_generated"]
            if i == 0:
                first_generated = generated
            else:
                assert generated <= step["regenerated_at_most"] < first_generated
            w.send("run")
            ran = w.json()
            assert (ran["stdout"], ran["exitCode"]) == (step["stdout"], step["exit_code"])
    finally:
        status, _err = w.close()
    assert status == 0
