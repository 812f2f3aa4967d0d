"""Driving ``zir run --hot --manual --json`` as a real process: stdin commands, the JSON lines of stderr, the
program's stdout read continuously (a full pipe would block the program) and waited on line by line."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
WAIT = 60.0
"""Upper bound for one wait on an event (a failure, not a pacing device); normally milliseconds."""


class HotCli:
    """One ``zir run --hot`` process on ``source`` (its stdin, its stderr JSON lines, the program's stdout)."""

    def __init__(self, source: Path, output: Path, *extra: str, manual: bool = True) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        mode = ["--manual"] if manual else []
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "compiler",
                "run",
                "--hot",
                str(source),
                "-o",
                str(output),
                *mode,
                "--json",
                *extra,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=str(ROOT),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        """The program's stdout, line by line."""
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        """Parsed JSON lines of stderr (updates and exits), in order."""
        self.stderr_text: list[str] = []
        self.partial = b""
        self.partial_lock = threading.Condition()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            with self.partial_lock:
                data = self.partial + chunk
                *complete, rest = data.split(b"\n")
                self.partial = rest
                self.partial_lock.notify_all()
            for line in complete:
                self.lines.put(line.decode("utf-8", "replace"))

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            self.stderr_text.append(text)
            if text.startswith("{"):
                self.events.put(json.loads(text))

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()

    def event(self) -> dict[str, Any]:
        """The next JSON line of stderr."""
        try:
            return self.events.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError("no JSON line from zir; stderr:\n" + "\n".join(self.stderr_text)) from None

    def update(self) -> dict[str, Any]:
        """Send ``update`` and return its JSON line (exit lines that come first are skipped)."""
        self.send("update")
        while True:
            obj = self.event()
            if "update" in obj:
                return obj

    def line(self) -> str:
        try:
            return self.lines.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError("the program printed no line; stderr:\n" + "\n".join(self.stderr_text)) from None

    def wait_line(self, suffix: str, limit: int = 100_000) -> tuple[list[str], str]:
        """Lines up to the first one ending in ``suffix``: (the lines before it, that line)."""
        before: list[str] = []
        for _ in range(limit):
            line = self.line()
            if line.endswith(suffix):
                return before, line
            before.append(line)
        raise AssertionError(f"no line ending in {suffix!r} in {limit} lines")

    def wait_partial(self, suffix: bytes) -> None:
        """Wait until the program's unfinished current line ends with ``suffix`` (it is inside a call)."""
        with self.partial_lock:
            ok = self.partial_lock.wait_for(lambda: self.partial.endswith(suffix), timeout=WAIT)
        assert ok, f"the program's current line never ended in {suffix!r}"

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(BrokenPipeError):
                self.send("exit")
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def counter(line: str) -> int:
    """The 4-digit counter at the start of a program line."""
    return int(line[:4])


def assert_counts_on(lines: list[str]) -> None:
    """Consecutive lines carry consecutive counters (the program's own state went on)."""
    for a, b in itertools.pairwise(lines):
        assert counter(b) == (counter(a) + 1) % 10000, f"counter jumped: {a!r} then {b!r}"
