"""Drives `zir watch FILE -o OUT --json --manual` as a child process: one `update` command, one JSON line.

architecture.md §6 is the contract: the process never updates by itself with `--manual`; each `update`
command prints exactly one JSON object on one line of stdout; no write handle is held between updates, so the
output can be executed as soon as the line arrives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.measure import proc_status_kib

REPO = Path(__file__).resolve().parent.parent


def zir_command() -> list[str]:
    """How to start the `zir` CLI of this checkout (no dependence on the console script being installed)."""
    return [sys.executable, "-m", "compiler"]


def cli_available() -> str | None:
    """None when `zir watch` exists in this checkout, else the reason it does not."""
    if not (REPO / "compiler" / "cli.py").exists() or not (REPO / "compiler" / "__main__.py").exists():
        return "compiler/cli.py or compiler/__main__.py not present yet"
    proc = subprocess.run(
        [*zir_command(), "watch", "--help"], cwd=REPO, capture_output=True, text=True, check=False, timeout=60
    )
    if proc.returncode != 0 or "--manual" not in proc.stdout + proc.stderr:
        return f"`zir watch --help` failed or lacks --manual (rc={proc.returncode}): {proc.stderr.strip()[-300:]}"
    return None


@dataclass(slots=True)
class UpdateResult:
    """One `update` command as the benchmark saw it."""

    line: dict[str, Any]
    """The JSON object the watch process printed."""
    wall_ms: float
    """From sending `update` to reading the JSON line."""


@dataclass(slots=True)
class WatchProcess:
    """A running `zir watch --json --manual` child, optionally under `strace` (then `trace_log` is set)."""

    source: Path
    output: Path
    trace_log: Path | None = None
    cache_dir: Path | None = None
    """The compile cache directory (``ZIR_CACHE_DIR``) of the child; None: the user's default. A measurement of
    a first build passes an empty one, or a rerun would restore the previous run's state instead."""
    proc: subprocess.Popen[str] = field(init=False)
    stdout: IO[str] = field(init=False)
    stdin: IO[str] = field(init=False)
    updates: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        cmd = [*zir_command(), "watch", str(self.source), "-o", str(self.output), "--json", "--manual"]
        if self.trace_log is not None:
            cmd = [
                "strace", "-f", "-y", "-qq", "-o", str(self.trace_log),
                "-e", "trace=openat,pwrite64,pwritev,write,copy_file_range,rename,renameat,renameat2,close",
                *cmd,
            ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            env=dict(os.environ, PYTHONUNBUFFERED="1")
            if self.cache_dir is None
            else dict(os.environ, PYTHONUNBUFFERED="1", ZIR_CACHE_DIR=str(self.cache_dir)),
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    @property
    def pid(self) -> int:
        """The pid of the `zir` process itself (strace's child when traced)."""
        if self.trace_log is None:
            return self.proc.pid
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            kids = children.read_text().split()
        except OSError:
            kids = []
        return int(kids[0]) if kids else self.proc.pid

    def update(self) -> UpdateResult:
        """Send `update` and wait for its JSON line (non-JSON lines are a contract violation: reported)."""
        t0 = time.perf_counter()
        self.stdin.write("update\n")
        self.stdin.flush()
        while True:
            line = self.stdout.readline()
            if not line:
                raise RuntimeError(f"zir watch exited (rc={self.proc.poll()}) before answering update")
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RuntimeError(f"zir watch printed a non-JSON line on stdout: {line!r}") from exc
            if isinstance(obj, dict) and "update" in obj:
                break
        wall = (time.perf_counter() - t0) * 1000
        self.updates += 1
        if obj["update"] != self.updates:
            raise RuntimeError(f"expected update {self.updates}, got {obj['update']}")
        return UpdateResult(obj, wall)

    def rss_kib(self) -> tuple[int | None, int | None]:
        """(current, peak) resident memory of the watch process."""
        pid = self.pid
        return proc_status_kib(pid, "VmRSS"), proc_status_kib(pid, "VmHWM")

    def close(self) -> None:
        try:
            self.stdin.write("exit\n")
            self.stdin.flush()
            self.stdin.close()
            self.proc.wait(30)
        except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def run_binary(path: Path) -> int:
    """Execute the output and return its exit code."""
    return subprocess.run([str(path)], check=False, timeout=60).returncode
