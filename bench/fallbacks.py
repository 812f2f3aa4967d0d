"""Measurements ``bench.run`` takes itself when the module that should provide them has not landed (or lacks ``measure``).

- ``hot_sizes``: issue 14's hot-swap rows through ``bench.hot``'s ``measure_hot`` / ``measure_restart``, in the
  shape ``bench.hot.main`` prints (``{"sizes": {N: {"hot": …, "restart": …}}}``).
- ``coldstart``: issue 13's cold rows, ``zir --version`` and ``zir build examples/hello.zir`` in fresh processes
  (median of ``repeats``), beside ``python -c pass`` for the interpreter's own start.
- ``cache_restart``: issue 13's restart row, ``zir build`` in a new process after a one-function edit with the
  previous output (and whatever the compiler keeps in ``$XDG_CACHE_HOME``) in place, against a full build.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.measure import stats
from bench.watch import REPO, zir_command


def hot_sizes(sizes: list[int], edits: int, workdir: Path) -> dict[str, Any]:
    """Hot swap and kill-and-restart at each N (``bench.hot``'s two scenarios)."""
    import os

    from bench.hot import PERIOD_MS, measure_hot, measure_restart

    result: dict[str, Any] = {"period_ms": PERIOD_MS, "edits": edits, "loadavg_at_start": os.getloadavg(), "sizes": {}}
    for n in sizes:
        d = workdir / f"hot{n}"
        d.mkdir(parents=True, exist_ok=True)
        result["sizes"][str(n)] = {"hot": measure_hot(d, n, edits), "restart": measure_restart(d, n, edits)}
    return result


def _wall(cmd: list[str], repeats: int) -> dict[str, Any]:
    walls: list[float] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, check=False, timeout=600)
        walls.append((time.perf_counter() - t0) * 1000)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-300:]}")
    return stats(walls).as_json()


def coldstart(repeats: int = 7) -> dict[str, Any]:
    """Fresh-process wall times (ms): ``zir --version``, ``zir build examples/hello.zir``, ``python -c pass``."""
    import sys

    with tempfile.TemporaryDirectory(prefix="zir-bench-cold-") as tmp:
        out = str(Path(tmp) / "hello")
        return {
            "source": "bench/fallbacks.py (bench/cold.py absent)",
            "version": _wall([*zir_command(), "--version"], repeats),
            "hello": _wall([*zir_command(), "build", str(REPO / "examples" / "hello.zir"), "-o", out], repeats),
            "python_startup": _wall([sys.executable, "-c", "pass"], repeats),
        }


def cache_restart(n: int, workdir: Path, repeats: int = 3) -> dict[str, Any]:
    """Restart of ``zir build`` (a new process, the previous output in place) after a one-function edit, against a
    fresh full build of the same program; the cache directory is a fresh ``XDG_CACHE_HOME`` inside ``workdir``."""
    import os

    from bench.gen import ChainProgram
    from bench.watch import run_binary

    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, XDG_CACHE_HOME=str(workdir / "xdg-cache"))
    src, out = workdir / f"chain{n}.zir", workdir / f"chain{n}"
    full: list[float] = []
    restart: list[float] = []
    for k in range(repeats):
        out.unlink(missing_ok=True)
        src.write_bytes(ChainProgram(n, bump=2 * k).source())
        full.append(_timed([*zir_command(), "build", str(src), "-o", str(out)], env))
        src.write_bytes(ChainProgram(n, bump=2 * k + 1).source())
        restart.append(_timed([*zir_command(), "build", str(src), "-o", str(out)], env))
        if run_binary(out) != ChainProgram(n, bump=2 * k + 1).exit_code():
            raise RuntimeError("the restarted build's binary exits with the wrong code")
    full_ms, restart_ms = stats(full).as_json(), stats(restart).as_json()
    return {
        "source": "bench/fallbacks.py (bench/cache.py absent): `zir build` restarts only",
        "n": n,
        "full_build_ms": full_ms,
        "restart_ms": restart_ms,
        "ratio": round(restart_ms["p50"] / full_ms["p50"], 4),
    }


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, check=False, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-300:]}")
    return (time.perf_counter() - t0) * 1000
