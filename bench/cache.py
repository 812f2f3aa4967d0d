"""Restart with the persistent compile cache against a full build, in fresh processes (issue 13;
docs/design/performance.md §7).

Per N (the chain shape of ``bench.shapes``), each a new `zir` process:

- *full*: `zir build --no-cache` with no output on disk (the full build);
- *restart, no cache*: `zir build --no-cache` after a length-changing one-function edit, the previous output in
  place (what a restart cost before the cache);
- *restart, cache*: the same edit and build with the cache the previous build wrote;
- *watch restart*: a new `zir watch --manual --json` with the cache after the same edit: wall time from the
  process start to its first update's JSON line, and that update's own ``ms``.

Every restart's binary is run and must exit with the program's value. ``ratio`` is the cached restart's wall
time over the full build's (the goal: ≤ 0.10 at N = 10 000); ``cpu_ratio`` the same with the processes' CPU time
(user + system), which a loaded machine disturbs less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.shapes import ShapeProgram

ZIR = [sys.executable, "-m", "compiler"]
EDITS = (70_000, 7)
"""The edited constant alternates between these (four bytes longer, then shorter)."""


def _env(cache_dir: Path) -> dict[str, str]:
    env = {**os.environ, "ZIR_CACHE_DIR": str(cache_dir)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _children_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000.0


def _build(src: Path, out: Path, env: dict[str, str], *args: str) -> tuple[float, dict[str, Any]]:
    t0, cpu0 = time.perf_counter(), _children_cpu_ms()
    p = subprocess.run([*ZIR, "build", str(src), "-o", str(out), "--json", *args], capture_output=True, env=env)
    wall = (time.perf_counter() - t0) * 1000.0
    cpu = _children_cpu_ms() - cpu0
    if p.returncode != 0:
        raise RuntimeError(f"zir build failed: {p.stderr.decode(errors='replace')}")
    report: dict[str, Any] = json.loads(p.stdout)
    report["cpu_ms"] = cpu
    return wall, report


def _check(out: Path, prog: ShapeProgram) -> None:
    code = subprocess.run([str(out)], check=False, timeout=60).returncode
    if code != prog.exit_code():
        raise RuntimeError(f"{out}: exit {code}, expected {prog.exit_code()}")


def _watch_first_update(src: Path, out: Path, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*ZIR, "watch", str(src), "-o", str(out), "--json", "--manual"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"update\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 600)
        if not ready:
            raise RuntimeError("zir watch: no update line")
        line = proc.stdout.readline()
        wall = (time.perf_counter() - t0) * 1000.0
        proc.stdin.write(b"exit\n")
        proc.stdin.flush()
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    report: dict[str, Any] = json.loads(line)
    return wall, report


def measure_one(n: int, workdir: Path) -> dict[str, Any]:
    src_dir, cache_dir = workdir / f"src{n}", workdir / f"cache{n}"
    shutil.rmtree(cache_dir, ignore_errors=True)
    src_dir.mkdir(parents=True, exist_ok=True)
    src, out = src_dir / "p.zir", src_dir / "p"
    env = _env(cache_dir)
    prog = ShapeProgram("chain", n)
    src.write_bytes(prog.source())
    out.unlink(missing_ok=True)
    full_ms, fresh = _build(src, out, env, "--no-cache")
    _check(out, prog)

    prog.edited_constant = EDITS[0]
    src.write_bytes(prog.source())
    restart_plain_ms, plain = _build(src, out, env, "--no-cache")
    _check(out, prog)

    _build(src, out, env)  # writes the cache of this state
    prog.edited_constant = EDITS[1]
    src.write_bytes(prog.source())
    restart_ms, cached = _build(src, out, env)
    _check(out, prog)

    prog.edited_constant = EDITS[0]
    src.write_bytes(prog.source())
    watch_wall_ms, watched = _watch_first_update(src, out, env)
    _check(out, prog)
    return {
        "n": n,
        "full_build_ms": round(full_ms, 1),
        "restart_no_cache_ms": round(restart_plain_ms, 1),
        "restart_cache_ms": round(restart_ms, 1),
        "restart_cache_update_ms": cached["ms"],
        "watch_restart_first_update_wall_ms": round(watch_wall_ms, 1),
        "watch_restart_first_update_ms": watched["ms"],
        "ratio": round(restart_ms / full_ms, 3),
        "full_build_cpu_ms": round(fresh["cpu_ms"], 1),
        "restart_no_cache_cpu_ms": round(plain["cpu_ms"], 1),
        "restart_cache_cpu_ms": round(cached["cpu_ms"], 1),
        "cpu_ratio": round(cached["cpu_ms"] / fresh["cpu_ms"], 3),
        "watch_ratio": round(watch_wall_ms / full_ms, 3),
        "counters_no_cache": plain["counters"],
        "counters_cache": cached["counters"],
        "counters_watch": watched["counters"],
    }


def measure(sizes: list[int], workdir: Path | str) -> dict[str, Any]:
    """One row per N; see the module docstring."""
    load = os.getloadavg()
    rows = [measure_one(n, Path(workdir)) for n in sizes]
    return {"shape": "chain", "source": "bench/cache.py", "loadavg_at_start": load, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cache", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--workdir", default=None, help="scratch directory (default: a new temporary one)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    a = p.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    if a.workdir is None:
        import tempfile

        workdir = Path(tempfile.mkdtemp(prefix="zir-bench-cache-"))
    else:
        workdir = Path(a.workdir)
    result = measure(sizes, workdir)
    if a.json:
        print(json.dumps(result))
        return 0
    print(
        f"{'N':>7} {'full':>9} {'restart':>9} {'restart':>9} {'ratio':>6} {'watch 1st':>10} {'ratio':>6}  CPU ms: full"
    )
    print(f"{'':>7} {'ms':>9} {'no cache':>9} {'cache':>9} {'':>6} {'update ms':>10} {'':>6}  / restart / ratio")
    for r in result["rows"]:
        print(
            f"{r['n']:>7} {r['full_build_ms']:>9.0f} {r['restart_no_cache_ms']:>9.0f} {r['restart_cache_ms']:>9.0f}"
            f" {r['ratio']:>6.3f} {r['watch_restart_first_update_wall_ms']:>10.0f} {r['watch_ratio']:>6.3f}"
            f"  {r['full_build_cpu_ms']:.0f} / {r['restart_cache_cpu_ms']:.0f} / {r['cpu_ratio']:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
