"""Pure Python against the mypyc-accelerated build: full build and one-function edits (issue 13).

docs/design/performance.md §8. For each variant (``ZIR_ACCEL=0`` and ``ZIR_ACCEL=1``, see compiler/accel.py)
and each N, on the chain program of ``bench.shapes``:

- *fresh-process full build*: wall time of ``python -m compiler build SRC -o OUT`` with no output in place
  (the issue's "full build, fresh process"), the best and the median of ``runs`` runs;
- *in-process full build and edits*: a fresh interpreter builds once (``Compilation.update``, timed), then
  makes ``edits`` length-changing edits of ``f{N/2}`` (``bench.shapes``'s WIDTHS), each an ``update`` whose
  p50 is reported; the executable's exit code is checked after the full build and after the edits.

Every child reports the variant that really ran (``compiler.accel.variant()``): a row whose variant is not
the one asked for raises instead of being reported under the wrong name.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import median
from typing import Any

from bench.measure import stats
from bench.watch import REPO

VARIANTS: dict[str, str] = {"python": "0", "mypyc": "1"}
"""Variant name -> the ``ZIR_ACCEL`` value that selects it."""


def _env(variant: str) -> dict[str, str]:
    env = dict(os.environ)
    env["ZIR_ACCEL"] = VARIANTS[variant]
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def availability() -> str | None:
    """None when the accelerated build can be selected, else why not (compiler/accel.py's reason)."""
    from compiler.accel import check, default_dir

    return check(default_dir(), REPO / "compiler")


def session(n: int, workdir: Path, edits: int) -> dict[str, Any]:
    """In this process: a full build of the chain program at N, then `edits` length-changing edits."""
    from bench.inproc import make_compilation
    from bench.shapes import WIDTHS, ShapeProgram
    from bench.watch import run_binary
    from compiler.accel import variant
    from compiler.runtime import tune_gc

    tune_gc()
    workdir.mkdir(parents=True, exist_ok=True)
    src, out = workdir / f"accel{n}.zir", workdir / f"accel{n}"
    out.unlink(missing_ok=True)
    prog = ShapeProgram("chain", n)
    src.write_bytes(prog.source())
    comp, _linker = make_compilation(src, out)
    t0 = time.perf_counter()
    comp.update()
    full_ms = (time.perf_counter() - t0) * 1000
    if comp.total_error_count() or run_binary(out) != prog.exit_code():
        raise RuntimeError(f"N={n}: the full build is wrong")
    updates: list[float] = []
    for k in range(edits):
        prog.edited_constant = WIDTHS[k % 2]
        src.write_bytes(prog.source())
        t0 = time.perf_counter()
        comp.update()
        updates.append((time.perf_counter() - t0) * 1000)
    if run_binary(out) != prog.exit_code():
        raise RuntimeError(f"N={n}: wrong exit code after the edits")
    comp.close()
    return {
        "variant": variant(),
        "full_build_ms": round(full_ms, 2),
        "update": stats(updates, skip_first=True).as_json(),
    }


def _child_session(variant: str, n: int, workdir: Path, edits: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.accel", "--session", str(n), str(workdir), str(edits)]
    proc = subprocess.run(cmd, cwd=REPO, env=_env(variant), capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{variant} session N={n} failed: {proc.stderr.strip()[-600:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["variant"] != variant:
        raise RuntimeError(f"asked for {variant}, ran {result['variant']}: {proc.stderr.strip()[-300:]}")
    return result


def _fresh_builds(variant: str, n: int, workdir: Path, runs: int) -> dict[str, Any]:
    from bench.shapes import ShapeProgram

    workdir.mkdir(parents=True, exist_ok=True)
    src, out = workdir / f"fresh{n}.zir", workdir / f"fresh{n}"
    src.write_bytes(ShapeProgram("chain", n).source())
    version = subprocess.run(
        [sys.executable, "-m", "compiler", "--version"], env=_env(variant), capture_output=True, text=True, check=True
    ).stdout.strip()
    if ("(mypyc)" in version) != (variant == "mypyc"):
        raise RuntimeError(f"asked for {variant}, `zir --version` says {version!r}")
    times: list[float] = []
    for _ in range(runs):
        out.unlink(missing_ok=True)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "compiler", "build", str(src), "-o", str(out)],
            env=_env(variant),
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=3600,
        )
        times.append(time.perf_counter() - t0)
    return {"version": version, "best_s": round(min(times), 3), "median_s": round(median(times), 3), "runs": times}


def measure(sizes: Sequence[int] = (1000, 10000), *, edits: int = 15, runs: int = 3) -> dict[str, Any]:
    """Both variants at every N; ``speedup`` is pure / accelerated (> 1: the accelerated build is faster).

    Without a usable accelerated build, ``mypyc`` is ``{"unavailable": reason}`` and there is no speedup."""
    reason = availability()
    result: dict[str, Any] = {"sizes": list(sizes), "edits": edits, "runs": runs, "python": {}, "mypyc": {}}
    if reason is not None:
        result["mypyc"] = {"unavailable": reason}
    with tempfile.TemporaryDirectory(prefix="zir-bench-accel-") as tmp:
        for variant in VARIANTS:
            if variant == "mypyc" and reason is not None:
                continue
            for n in sizes:
                work = Path(tmp) / variant / str(n)
                row = {"fresh_build": _fresh_builds(variant, n, work, runs), **_child_session(variant, n, work, edits)}
                result[variant][str(n)] = row
    if reason is None:
        result["speedup"] = {
            str(n): {
                "fresh_build": round(
                    result["python"][str(n)]["fresh_build"]["best_s"]
                    / result["mypyc"][str(n)]["fresh_build"]["best_s"],
                    2,
                ),
                "inproc_full_build": round(
                    result["python"][str(n)]["full_build_ms"] / result["mypyc"][str(n)]["full_build_ms"], 2
                ),
                "update_p50": round(
                    result["python"][str(n)]["update"]["p50"] / result["mypyc"][str(n)]["update"]["p50"], 2
                ),
            }
            for n in sizes
        }
    return result


def table(result: dict[str, Any]) -> str:
    """A Markdown table of `measure`'s result."""
    rows = [
        "| N | variant | fresh `zir build` best / median | in-process full build | update p50 / p95 |",
        "|---|---|---|---|---|",
    ]
    for n in result["sizes"]:
        for variant in VARIANTS:
            row = result[variant].get(str(n))
            if row is None:
                continue
            fb, up = row["fresh_build"], row["update"]
            rows.append(
                f"| {n} | {variant} | {fb['best_s']:.2f} / {fb['median_s']:.2f} s | {row['full_build_ms'] / 1000:.2f} s"
                f" | {up['p50']:.2f} / {up['p95']:.2f} ms |"
            )
    if "speedup" in result:
        rows.append("")
        rows.append("| N | speedup: fresh build | in-process full build | update p50 |")
        rows.append("|---|---|---|---|")
        for n, s in result["speedup"].items():
            rows.append(f"| {n} | {s['fresh_build']:.2f}× | {s['inproc_full_build']:.2f}× | {s['update_p50']:.2f}× |")
    else:
        rows.append(f"\nmypyc: {result['mypyc'].get('unavailable')}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.accel [--sizes 1000,10000] [--edits 15] [--runs 3] [--json]``."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--session":
        print(json.dumps(session(int(args[1]), Path(args[2]), int(args[3]))))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.accel", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated N (default 1000,10000)")
    parser.add_argument("--edits", type=int, default=15, help="edits per session (default 15)")
    parser.add_argument("--runs", type=int, default=3, help="fresh-process builds per N and variant (default 3)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    ns = parser.parse_args(args)
    result = measure([int(s) for s in ns.sizes.split(",")], edits=ns.edits, runs=ns.runs)
    print(json.dumps(result) if ns.json else table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
