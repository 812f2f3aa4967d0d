"""Runs a Lua script in a headless Neovim (no user config, its own XDG directories) and reads its results."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any


def run_lua(tmp_path: Path, lua: str, sample: Path, result_file: Path, *, timeout: float) -> dict[str, Any]:
    """Write ``lua`` to a script, run ``nvim --headless`` on ``sample`` with it, and return the JSON the script
    wrote to ``result_file``; fails with the results and Neovim's stderr if Neovim did not exit with 0."""
    script = tmp_path / "test.lua"
    script.write_text(lua)
    env = {**os.environ, **{k: str(tmp_path / k) for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")}}
    proc = subprocess.run(
        ["nvim", "--headless", "--clean", "-u", "NONE", "-c", f"luafile {script}", str(sample)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    results: dict[str, Any] = json.loads(result_file.read_text())
    assert proc.returncode == 0, (results, proc.stderr.decode(errors="replace"))
    return results
