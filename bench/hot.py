"""Hot swap benchmark (issue 14): save → the running program executes the new code, beside kill and restart.

A program of N functions (``@step`` → ``@f0`` → … → ``@f{N-1}``, each printing nothing but ``@f0``, which prints
the edited word) loops with a 1 ms period, printing one line per iteration. Each edit rewrites ``@f0``'s word.
Every figure is from writing the file (the text is prepared beforehand) to the arrival of the program's first
line with the new word, minus half a period:

- **hot** (the row): a real ``zir run --hot FILE --json`` process; the save is seen by its inotify watch,
  updated, swapped into the running process. Also ``hot.ms`` (the process was stopped) and the update's ``ms``
  from its JSON lines.
- **hot in process**: the same loop without a file watch or a second process: ``Compilation.update`` started
  right after the save, as ``--manual``'s ``update`` does (what is left is update + swap + the loop period).
- **restart**: the same edit with a normal Compilation, then kill the old process and start the new binary.
- **zig** (``--zig``): Zig 0.17's ``zig build --watch -fincremental`` on the equivalent Zig program
  (``bench.hot_zig``).

    .venv/bin/python -m bench.hot [--quick] [--sizes 1000,10000] [--edits 30] [--zig] [--out FILE]
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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compiler.compilation import Compilation, Options
from compiler.hot.session import HotSession
from compiler.link import OutputMode
from tests.hot.programs import function, print_text, program

ROOT = Path(__file__).parents[1]
PERIOD_MS = 1.0
SIZES = (1_000, 10_000)


def sources(n: int, edits: int) -> list[str]:
    """The program's text before each edit (index 0: the first build), prepared before any clock starts."""
    return [source(n, f"w{k}") for k in range(edits + 1)]


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


def measure_in_process(tmp: Path, n: int, edits: int) -> dict[str, Any]:
    """Save, ``Compilation.update`` (which swaps before the commit's syncs), wait for the new line."""
    texts = sources(n, edits)
    src, out = tmp / "inproc.zir", tmp / "inproc"
    src.write_text(texts[0])
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE, hot=True))
    lines = Lines()
    session = HotSession(comp, [], stdout=lines.write_fd, swap_before_commit=True)
    latencies: list[float] = []
    stopped: list[float] = []
    updates: list[float] = []
    try:
        session.after_update(comp.update())
        lines.wait_for(" w0")
        for k in range(1, edits + 1):
            start = time.perf_counter()
            src.write_text(texts[k])
            report = comp.update()
            updates.append(report.ms)
            outcome = session.after_update(report)
            assert outcome.swapped, outcome
            seen = lines.wait_for(f" w{k}")
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


def measure_hot(tmp: Path, n: int, edits: int) -> dict[str, Any]:
    """A real ``zir run --hot --json`` process watching the file: save, wait for the new line."""
    texts = sources(n, edits)
    src, out = tmp / "hot.zir", tmp / "hot"
    src.write_text(texts[0])
    lines = Lines()
    reports: queue.Queue[dict[str, Any]] = queue.Queue()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "compiler", "run", "--hot", str(src), "-o", str(out), "--json"]
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=lines.write_fd, stderr=subprocess.PIPE, env=env, cwd=str(tmp)
    )
    os.close(lines.write_fd)

    def read_reports() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            if raw.startswith(b'{"update"'):
                reports.put(json.loads(raw))

    threading.Thread(target=read_reports, daemon=True).start()
    latencies: list[float] = []
    stopped: list[float] = []
    updates: list[float] = []
    try:
        lines.wait_for(" w0", timeout=600.0)
        reports.get(timeout=60.0)
        for k in range(1, edits + 1):
            start = time.perf_counter()
            src.write_text(texts[k])
            seen = lines.wait_for(f" w{k}")
            latencies.append((seen - start) * 1000.0 - PERIOD_MS / 2)
            report = reports.get(timeout=60.0)
            assert report["hot"]["swapped"], report
            stopped.append(report["hot"]["ms"])
            updates.append(report["ms"])
    finally:
        proc.terminate()
        proc.wait(30)
    return {
        "save_to_new_code_ms": _percentiles(latencies),
        "stopped_ms": _percentiles(stopped),
        "update_ms": _percentiles(updates),
    }


def measure_restart(tmp: Path, n: int, edits: int) -> dict[str, Any]:
    """The same edits with a normal build: kill the old process, start the new binary."""
    texts = sources(n, edits)
    src, out = tmp / "restart.zir", tmp / "restart"
    src.write_text(texts[0])
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
            begin = time.perf_counter()
            src.write_text(texts[k])
            assert comp.update().committed
            proc.kill()
            proc.wait()
            proc = start()
            seen = lines.wait_for(f" w{k}")
            latencies.append((seen - begin) * 1000.0 - PERIOD_MS / 2)
        proc.kill()
        proc.wait()
    finally:
        comp.close()
        os.close(lines.write_fd)
    return {"save_to_new_code_ms": _percentiles(latencies)}


def measure(sizes: Sequence[int] = SIZES, edits: int = 30, zig: bool = False) -> dict[str, Any]:
    """Every row at every size: ``{"period_ms", "edits", "loadavg_at_start", "sizes": {N: {"hot",
    "hot_in_process", "restart"[, "zig"]}}}`` (each with p50/p95 in ms; see the module docstring)."""
    results: dict[str, Any] = {"period_ms": PERIOD_MS, "edits": edits, "loadavg_at_start": os.getloadavg(), "sizes": {}}
    zig_exe = None
    if zig:
        from bench.peers import zig_executable

        zig_exe = zig_executable(download=True)
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="zir-bench-hot-") as tmp:
            row = {
                "hot": measure_hot(Path(tmp), n, edits),
                "hot_in_process": measure_in_process(Path(tmp), n, edits),
                "restart": measure_restart(Path(tmp), n, edits),
            }
            if zig_exe is not None:
                from bench.hot_zig import measure_zig

                row["zig"] = measure_zig(zig_exe, Path(tmp), n, edits)
        results["sizes"][str(n)] = row
    return results


def _line(n: int, row: dict[str, Any]) -> str:
    def pair(figures: dict[str, Any]) -> str:
        return f"{figures['p50']:.2f} / {figures['p95']:.2f} ms"

    hot, inproc, restart = row["hot"], row["hot_in_process"], row["restart"]
    text = (
        f"N={n:>6}: hot save→new code {pair(hot['save_to_new_code_ms'])}; stopped {pair(hot['stopped_ms'])};"
        f" update {pair(hot['update_ms'])}; in process {pair(inproc['save_to_new_code_ms'])};"
        f" kill+restart {pair(restart['save_to_new_code_ms'])}"
    )
    if "zig" in row:
        zig = row["zig"]
        text += (
            f"; zig --watch rebuilt {pair(zig['save_to_rebuilt_ms'])}, new output {pair(zig['save_to_new_output_ms'])}"
        )
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hot")
    p.add_argument("--quick", action="store_true", help="10 edits per size")
    p.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    p.add_argument("--edits", type=int, default=30)
    p.add_argument("--zig", action="store_true", help="also Zig 0.17's --watch rebuild (downloads Zig once)")
    p.add_argument("--out", default=None)
    ns = p.parse_args(argv)
    sizes = [int(x) for x in ns.sizes.split(",")]
    results = measure(sizes, 10 if ns.quick else ns.edits, zig=ns.zig)
    for n in sizes:
        print(_line(n, results["sizes"][str(n)]), flush=True)
    if ns.out:
        Path(ns.out).parent.mkdir(parents=True, exist_ok=True)
        Path(ns.out).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
