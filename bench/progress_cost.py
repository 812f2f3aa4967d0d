"""The cost of progress reporting: full builds of chain N with no sink and with the terminal progress bar.

Issue 17's bound: progress costs < 2% of a full build. Each repetition builds chain N from scratch in a fresh
Compilation writing a real ELF file, alternating "off" (``Module.progress`` None) and "bar" (the rich bar of
``zir build`` with its default delay, drawing into an in-memory terminal with its refresh thread running); the process CPU times
(all threads, so the bar's redraws count; less disturbed by other processes than wall time) are compared by
median and by minimum. Because
two noisy build times cannot resolve a difference of 1 %, the pieces are also measured one by one (a redraw,
a sink call, a queue step) and added up for the same build ("accounted").

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
    from compiler.cli_progress import DEFAULT_DELAY_S, ProgressBar
    from compiler.compilation import Compilation, Options

    if out.exists():
        out.unlink()
    comp = Compilation(Options(root_path=str(src), output_path=str(out)))
    try:
        start = time.process_time()  # CPU time of every thread: rich's refresh thread included
        if bar:
            sink = ProgressBar(io.StringIO(), DEFAULT_DELAY_S)
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


def component_costs() -> dict[str, float]:
    """What the bar adds, measured piece by piece (steady, unlike a difference of two noisy build times): one
    redraw of the bar, one call of its sink, one ``QueueProgress.step``."""
    from collections import deque

    from compiler.cli_progress import ProgressBar
    from compiler.progress import Phase, QueueProgress

    bar = ProgressBar(io.StringIO(), 0.0)
    with bar:
        bar(Phase.GENERATE, 10, 100)
        start = time.perf_counter()
        for _ in range(200):
            bar.progress.refresh()
        refresh_ms = (time.perf_counter() - start) * 1000.0 / 200
        start = time.perf_counter()
        for i in range(20_000):
            bar(Phase.GENERATE, i, 20_000)
        sink_us = (time.perf_counter() - start) * 1e6 / 20_000
    items: deque[tuple[str, int]] = deque(("g", i) for i in range(200_000))
    tracker = QueueProgress(lambda p, d, t: None, items, "g", lambda: 0)
    start = time.perf_counter()
    while items:
        tracker.step(items.popleft()[0])
    step_and_pop_ns = (time.perf_counter() - start) * 1e9 / 200_000
    items = deque(("g", i) for i in range(200_000))
    start = time.perf_counter()
    while items:
        items.popleft()
    pop_ns = (time.perf_counter() - start) * 1e9 / 200_000
    return {"refresh_ms": refresh_ms, "sink_us": sink_us, "step_ns": max(0.0, step_and_pop_ns - pop_ns)}


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
    parts = component_costs()
    # work items ≈ 2 per function (analysis + code generation), a sink call every REPORT_EVERY of them, and
    # the refresh thread's redraws once the bar shows (REFRESH_PER_SECOND, plus one per phase)
    from compiler.cli_progress import DEFAULT_DELAY_S, REFRESH_PER_SECOND
    from compiler.progress import REPORT_EVERY

    items = 2 * n
    accounted_ms = (
        items * parts["step_ns"] / 1e6
        + items / REPORT_EVERY * parts["sink_us"] / 1e3
        + (max(0.0, m_off / 1000.0 - DEFAULT_DELAY_S) * REFRESH_PER_SECOND + 4) * parts["refresh_ms"]
    )
    return {
        **parts,
        "accounted_ms": accounted_ms,
        "accounted_pct": accounted_ms / m_off * 100.0,
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
