"""``zir --version`` (one version number, nothing of the compiler imported), ``zir help`` and ``zir help COMMAND``."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import compiler

ROOT = Path(__file__).resolve().parent.parent
ZIR = [sys.executable, "-m", "compiler"]


def zir(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ZIR, *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_version_is_the_single_source_and_loads_no_pipeline() -> None:
    for flag in ("--version", "-V"):
        p = zir(flag)
        assert (p.returncode, p.stdout, p.stderr) == (0, f"zir {compiler.__version__}\n", "")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "compiler.__version__"}
    timed = subprocess.run(
        [*ZIR[:1], "-X", "importtime", "-m", "compiler", "--version"], capture_output=True, text=True
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in timed.stderr.splitlines() if "|" in line}
    ours = sorted(name for name in imported if name.startswith("compiler"))
    assert ours == ["compiler", "compiler.cli", "compiler.version"]  # version.py: the one number, a leaf


def test_help_lists_every_command_and_help_command_shows_its_options() -> None:
    overview = zir("help")
    assert overview.returncode == 0
    for name in ("init", "build", "run", "watch", "fmt", "emit-zir", "lsp", "help"):
        assert f"\n  {name} " in overview.stdout
    assert zir("--help").stdout == overview.stdout
    build = zir("help", "build")
    assert build.returncode == 0
    assert build.stdout.startswith("zir build: compile FILE")
    assert "usage: zir build" in build.stdout and "--color WHEN" in build.stdout and "NO_COLOR" in build.stdout
    fmt = zir("help", "fmt")
    assert fmt.returncode == 0 and "--check" in fmt.stdout
    unknown = zir("help", "frobnicate")
    assert unknown.returncode == 2 and "unknown command 'frobnicate'" in unknown.stderr


def test_the_extension_carries_the_same_version() -> None:
    root = Path(__file__).resolve().parent.parent
    manifest = json.loads((root / "vscode-client" / "package.json").read_text())
    lock = json.loads((root / "vscode-client" / "package-lock.json").read_text())
    assert manifest["version"] == lock["version"] == lock["packages"][""]["version"] == compiler.__version__
