"""The cost of progress reporting: full builds of chain N with no sink and with the terminal progress bar.

Issue 17's bound: progress costs < 2% of a full build. Each repetition builds chain N from scratch in a fresh
Compilation writing a real ELF file, alternating "off" (``Module.progress`` None) and "bar" (the rich bar of
``zir build``, drawing into an in-memory terminal with its refresh thread running); the process CPU times
(all threads, so the bar's redraws count; less disturbed by other processes than wall time) are compared by
median and by minimum.

    .venv/bin/python -m bench.progress_cost [--n 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.gen import ChainProgram
from bench.measure import median


def _build_once(src: Path, out: Path, bar: bool) -> float:
    from compiler.cli_progress import ProgressBar
    from compiler.compilation import Compilation, Options

    if out.exists():
        out.unlink()
    comp = Compilation(Options(root_path=str(src), output_path=str(out)))
    try:
        start = time.process_time()  # CPU time of every thread: rich's refresh thread included
        if bar:
            sink = ProgressBar(io.StringIO(), 0.0)
            comp.module.progress = sink
            with sink:
                report = comp.update()
        else:
            report = comp.update()
        ms = (time.process_time() - start) * 1000.0
    finally:
        comp.close()
    if not report.ok:
        raise RuntimeError(f"chain build failed: {report.error_count} errors")
    return ms


def progress_cost(n: int, workdir: Path, repeats: int) -> dict[str, Any]:
    """Median full-build times without and with the progress bar, and the overhead in percent."""
    from compiler.runtime import tune_gc

    tune_gc()
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / "chain.zir"
    src.write_bytes(ChainProgram(n).source())
    off: list[float] = []
    bar: list[float] = []
    _build_once(src, workdir / "warmup", False)
    for _ in range(repeats):
        off.append(_build_once(src, workdir / "off", False))
        bar.append(_build_once(src, workdir / "bar", True))
    m_off, m_bar = median(off), median(bar)
    return {
        "off_cpu_ms": off,
        "bar_cpu_ms": bar,
        "off_p50": m_off,
        "bar_p50": m_bar,
        "overhead_pct": (m_bar - m_off) / m_off * 100.0,
        "overhead_pct_min": (min(bar) - min(off)) / min(off) * 100.0,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.progress_cost")
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zir-progress-") as tmp:
        result = progress_cost(args.n, Path(tmp), args.repeats)
    print(json.dumps({"n": args.n, **result}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
