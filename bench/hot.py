"""Hot swap benchmark (issue 14): save → the running program executes the new code, beside kill and restart.

A program of N functions (``@step`` → ``@f0`` → … → ``@f{N-1}``, each printing nothing but ``@f0``, which prints
the edited word) loops with a 1 ms period, printing one line per iteration. Each edit rewrites ``@f0``'s word.
**hot**: save, update the hot Compilation, swap into the running process (``compiler.hot.session``), and time
until the program's first line with the new word arrives, minus half a period. **restart**: the same edit with
a normal Compilation, then kill the old process and start the new binary, timed the same way. Also ``hot.ms``
(the process was stopped). The update is started right after the save (as ``zir run --hot --manual`` does on
``update``), so file watching is not part of the figure.

    .venv/bin/python -m bench.hot [--quick] [--sizes 1000,10000] [--edits 30] [--out bench/results/hot.json]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from compiler.compilation import Compilation, Options
from compiler.hot.session import HotSession
from compiler.link import OutputMode
from tests.hot.programs import function, print_text, program

PERIOD_MS = 1.0
SIZES = (1_000, 10_000)


def source(n: int, word: str) -> str:
    """The benchmark program with ``@f0`` printing ``word`` and a chain of ``n`` functions."""
    decls = [
        function("f0", print_text("w", word + "\n") + ("  %n = call(@f1, [])\n" if n > 1 else ""), fnty="chain_fnty")
    ]
    for i in range(1, n):
        body = f"  %n = call(@f{i + 1}, [])\n" if i + 1 < n else ""
        decls.append(function(f"f{i}", body, fnty="chain_fnty"))
    extra = "@chain_fnty = fntype([], @void)\n" + "".join(decls)
    return program("  %c = call(@f0, [])\n", extra, period=int(PERIOD_MS), iterations=10_000_000)


class Lines:
    """The program's stdout, line by line, with the time each line arrived."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        rest = b""
        while chunk := os.read(self.read_fd, 65536):
            now = time.perf_counter()
            *complete, rest = (rest + chunk).split(b"\n")
            for line in complete:
                self.lines.put((now, line.decode("utf-8", "replace")))

    def wait_for(self, suffix: str, timeout: float = 30.0) -> float:
        """The arrival time of the next line ending in ``suffix``."""
        deadline = time.perf_counter() + timeout
        while True:
            at, line = self.lines.get(timeout=max(0.0, deadline - time.perf_counter()))
            if line.endswith(suffix):
                return at


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 3),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
        "n": len(ordered),
    }


def measure_hot(tmp: Path, n: int, edits: int) -> dict[str, Any]:
    src, out = tmp / "hot.zir", tmp / "hot"
    src.write_text(source(n, "w0"))
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE, hot=True))
    lines = Lines()
    session = HotSession(comp, [], stdout=lines.write_fd)
    latencies: list[float] = []
    stopped: list[float] = []
    updates: list[float] = []
    try:
        session.after_update(comp.update())
        lines.wait_for(" w0")
        for k in range(1, edits + 1):
            word = f"w{k}"
            start = time.perf_counter()
            src.write_text(source(n, word))
            report = comp.update()
            updates.append(report.ms)
            outcome = session.after_update(report)
            assert outcome.swapped, outcome
            seen = lines.wait_for(" " + word)
            latencies.append((seen - start) * 1000.0 - PERIOD_MS / 2)
            stopped.append(outcome.ms)
    finally:
        session.stop()
        comp.close()
        os.close(lines.write_fd)
    return {
        "save_to_new_code_ms": _percentiles(latencies),
        "stopped_ms": _percentiles(stopped),
        "update_ms": _percentiles(updates),
    }


def measure_restart(tmp: Path, n: int, edits: int) -> dict[str, Any]:
    src, out = tmp / "restart.zir", tmp / "restart"
    src.write_text(source(n, "w0"))
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE))
    lines = Lines()
    latencies: list[float] = []

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([str(out)], stdin=subprocess.DEVNULL, stdout=lines.write_fd)

    try:
        assert comp.update().committed
        proc = start()
        lines.wait_for(" w0")
        for k in range(1, edits + 1):
            word = f"w{k}"
            begin = time.perf_counter()
            src.write_text(source(n, word))
            assert comp.update().committed
            proc.kill()
            proc.wait()
            proc = start()
            seen = lines.wait_for(" " + word)
            latencies.append((seen - begin) * 1000.0 - PERIOD_MS / 2)
        proc.kill()
        proc.wait()
    finally:
        comp.close()
        os.close(lines.write_fd)
    return {"save_to_new_code_ms": _percentiles(latencies)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hot")
    p.add_argument("--quick", action="store_true", help="10 edits per size")
    p.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    p.add_argument("--edits", type=int, default=30)
    p.add_argument("--out", default=None)
    ns = p.parse_args(argv)
    edits = 10 if ns.quick else ns.edits
    results: dict[str, Any] = {"period_ms": PERIOD_MS, "edits": edits, "loadavg_at_start": os.getloadavg(), "sizes": {}}
    for n in (int(x) for x in ns.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="zir-bench-hot-") as tmp:
            row = {"hot": measure_hot(Path(tmp), n, edits), "restart": measure_restart(Path(tmp), n, edits)}
        results["sizes"][str(n)] = row
        hot, restart = row["hot"], row["restart"]
        print(
            f"N={n:>6}: hot save→new code p50 {hot['save_to_new_code_ms']['p50']:.2f} ms"
            f" p95 {hot['save_to_new_code_ms']['p95']:.2f} ms; stopped p50 {hot['stopped_ms']['p50']:.3f} ms"
            f" p95 {hot['stopped_ms']['p95']:.3f} ms (update p50 {hot['update_ms']['p50']:.2f} ms); kill+restart p50 {restart['save_to_new_code_ms']['p50']:.2f} ms"
            f" p95 {restart['save_to_new_code_ms']['p95']:.2f} ms",
            flush=True,
        )
    if ns.out:
        Path(ns.out).parent.mkdir(parents=True, exist_ok=True)
        Path(ns.out).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
