"""``zir init``: the project it writes builds and runs as its README says, and nothing existing is overwritten."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ZIR = [sys.executable, "-m", "compiler"]


def zir(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ZIR, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_init_output_builds_and_runs_as_the_readme_says(tmp_path: Path) -> None:
    created = zir("init", "hello", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "hello"
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()) == [
        ".vscode/settings.json",
        "README.md",
        "main.zir",
    ]
    settings = json.loads((project / ".vscode" / "settings.json").read_text())
    assert settings["zir.build.onSave"] is True
    readme = (project / "README.md").read_text()
    for step in ("zir build main.zir", "zir run main.zir", "zir watch main.zir", "VS Code"):
        assert step in readme
    assert zir("fmt", "--check", "main.zir", cwd=project).returncode == 0  # written in canonical form
    built = zir("build", "main.zir", cwd=project)
    assert (built.returncode, built.stderr) == (0, "")
    run = subprocess.run([str(project / "main")], capture_output=True, timeout=20)
    assert (run.returncode, run.stdout) == (7, b"Hello from ZIR Live!\n")
    assert "Hello from ZIR Live!  exit code 7" in readme
    ran = zir("run", "main.zir", cwd=project)
    assert (ran.returncode, ran.stdout) == (7, "Hello from ZIR Live!\n")


def test_init_in_the_current_directory_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mine\n")
    refused = zir("init", cwd=tmp_path)
    assert refused.returncode == 1 and "README.md already exists; nothing written" in refused.stderr
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert not (tmp_path / "main.zir").exists()
    (tmp_path / "README.md").unlink()
    assert zir("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "main.zir").exists()
