"""What a cold `zir` process imports: `--version` nothing of the compiler, `build` nothing of watch/run/hot.

Start-up time is measured in `bench/cold.py`; this test holds the machine-independent part of it, the set of
modules each command loads (every module costs its import at every start). It runs a fresh interpreter with
`-S` so that only this checkout's imports are seen (site's editable-install finder loads `pathlib` itself).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_PROBE = """
import sys
from compiler.cli import main
status = main(sys.argv[1:])
modules = sorted(sys.modules)
sys.stdout.flush()
print()
print(status, " ".join(modules))
"""


def _modules_after(args: list[str], cache_dir: Path) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-S", "-c", _PROBE, *args],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "ZIR_CACHE_DIR": str(cache_dir)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    status, *modules = proc.stdout.strip().splitlines()[-1].split()
    assert status == "0", proc.stderr
    return set(modules)


def test_version_imports_nothing_of_the_compiler(tmp_path: Path) -> None:
    modules = _modules_after(["--version"], tmp_path)
    ours = {m for m in modules if m == "compiler" or m.startswith("compiler.")}
    assert ours == {"compiler", "compiler.cli", "compiler.version"}
    assert not {"dataclasses", "typing", "inspect", "argparse", "re"} & modules


def test_build_imports_neither_watch_run_nor_hot_machinery(tmp_path: Path) -> None:
    # (``json`` is on the build's path: the compile cache's documents are JSON.)
    out = tmp_path / "hello"
    modules = _modules_after(["build", "examples/hello.zir", "-o", str(out)], tmp_path / "cache")
    assert out.stat().st_size > 0
    assert "compiler.link.elf.linker" in modules  # the probe did build
    unwanted = {
        "compiler.hot",
        "compiler.inspect",
        "compiler.link.elf.hot",
        "compiler.cli_fmt",
        "compiler.module.emit_zir",
        "server",
        "subprocess",
        "ctypes",
        "queue",
        "shutil",
        "secrets",
        "fractions",
        "unicodedata",
        "pathlib",
    }
    assert not unwanted & modules
