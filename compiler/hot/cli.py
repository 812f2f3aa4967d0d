"""``zir run --hot FILE [-o OUT] [--manual] [--json] [--no-restart] [--mode MODE] [-- ARGS...]``.

Builds FILE in the hot-swap layout, starts the output as a child (stdin ``/dev/null``, stdout and stderr
inherited) and applies every committed update to it (``compiler.hot.session``): on every change of FILE, or
with ``--manual`` on each ``update`` line of stdin (``exit`` stops the program and ``zir``). With ``--json``
one line per update, and one per exit of the program, goes to **stderr** (the program owns stdout).
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import queue
import signal
import sys
import threading
import time
from types import FrameType
from typing import NoReturn

from compiler.compilation import Compilation, Options, UpdateReport
from compiler.hot.session import HotOutcome, HotSession
from compiler.link import OutputMode
from compiler.module.module import OptimizeMode
from compiler.runtime import tune_gc
from compiler.source import FileSource

SETTLE_S = 0.01
"""A deletion of FILE is processed this long after the last change event (as ``zir watch``), so an editor's
delete-and-recreate is one update. A finished write (``IN_CLOSE_WRITE``) or a rename onto FILE
(``IN_MOVED_TO``) is a complete save and is processed at once: a wait here would be part of every save → new
code latency."""

COMPLETE = "complete"
"""The payload of a CHANGE event for a complete save."""


class UsageError(Exception):
    """Bad command-line usage (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class HotEvent(enum.Enum):
    """What wakes the loop."""

    LINE = "line"
    EOF = "eof"
    CHANGE = "change"
    EXITED = "exited"
    SIGNAL = "signal"


def _emit(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def update_line(comp: Compilation, n: int, report: UpdateReport, hot: HotOutcome) -> str:
    """The ``--json`` line of one update."""
    errors = []
    for e in comp.all_errors():
        line, col = e.position()
        errors.append({"path": e.path, "line": line + 1, "column": col + 1, "message": e.message})
    return json.dumps(
        {
            "update": n,
            "ok": not errors,
            "errors": errors,
            "binary": report.binary,
            "ms": round(report.ms, 3),
            "bytes_written": report.bytes_written,
            "committed": report.committed,
            "hot": hot.as_dict(),
        }
    )


def _human(comp: Compilation, n: int, report: UpdateReport, hot: HotOutcome) -> None:
    for e in comp.all_errors():
        _emit(e.render())
    state = "ok" if report.ok else f"{report.error_count} error(s)"
    if hot.swapped:
        what = f"swapped into pid {hot.pid} (stopped {hot.ms:.3f} ms)"
    elif hot.restarted:
        what = f"restarted as pid {hot.pid}: {hot.reason}"
    elif hot.reason is not None:
        what = f"not swapped, pid {hot.pid} keeps the old code: {hot.reason}"
    elif hot.pid is not None:
        what = f"pid {hot.pid}"
    else:
        what = "not running"
    _emit(f"update {n}: {state} ({report.ms:.3f} ms); {what}")


class HotRun:
    """The command's loop: stdin commands, file changes, program exits."""

    def __init__(self, comp: Compilation, session: HotSession, *, json_mode: bool, manual: bool) -> None:
        self.comp = comp
        self.session = session
        self.json_mode = json_mode
        self.manual = manual
        self.events: queue.Queue[tuple[HotEvent, str]] = queue.Queue()
        self.updates = 0

    def update(self) -> None:
        report = self.comp.update()
        self.updates += 1
        hot = self.session.after_update(report)
        if self.json_mode:
            _emit(update_line(self.comp, self.updates, report, hot))
        else:
            _human(self.comp, self.updates, report, hot)

    def exited(self, code: int, pid: int) -> None:
        if self.json_mode:
            _emit(json.dumps({"exited": code, "pid": pid}))
        else:
            _emit(f"program {pid} exited with {code}")

    def _read_stdin(self) -> None:
        for line in sys.stdin:
            self.events.put((HotEvent.LINE, line))
        self.events.put((HotEvent.EOF, ""))

    def _watch(self) -> None:
        from compiler.cli_build import _INOTIFY_EVENT, IN_CLOSE_WRITE, IN_MOVED_TO, _inotify_fd

        path = self.comp.source.path
        fd = _inotify_fd(os.path.dirname(os.path.abspath(path)))
        name = os.fsencode(os.path.basename(path))
        if fd is None:
            stamp = _stamp(path)
            while True:
                time.sleep(0.05)  # polling fallback: no inotify on this system
                new = _stamp(path)
                if new != stamp:
                    stamp = new
                    self.events.put((HotEvent.CHANGE, ""))
        while True:
            data = os.read(fd, 65536)
            offset = 0
            while offset + _INOTIFY_EVENT.size <= len(data):
                _, mask, _, length = _INOTIFY_EVENT.unpack_from(data, offset)
                start = offset + _INOTIFY_EVENT.size
                if data[start : start + length].rstrip(b"\0") == name:
                    complete = mask & (IN_CLOSE_WRITE | IN_MOVED_TO)
                    self.events.put((HotEvent.CHANGE, COMPLETE if complete else ""))
                offset = start + length

    def loop(self) -> int:
        self.session.on_exit = lambda code, pid: self.events.put((HotEvent.EXITED, json.dumps([code, pid])))
        threading.Thread(target=self._read_stdin, daemon=True).start()
        if not self.manual:
            threading.Thread(target=self._watch, daemon=True).start()
            self.update()
        deadline: float | None = None
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                kind, payload = self.events.get(timeout=timeout)
            except queue.Empty:
                deadline = None
                self.update()
                continue
            match kind:
                case HotEvent.CHANGE:
                    deadline = time.monotonic() + (0.0 if payload == COMPLETE else SETTLE_S)
                case HotEvent.EXITED:
                    code, pid = json.loads(payload)
                    self.exited(code, pid)
                case HotEvent.SIGNAL:
                    return 0
                case HotEvent.EOF:
                    if self.manual:
                        return 0
                case HotEvent.LINE:
                    match payload.strip():
                        case "update":
                            self.update()
                        case "exit":
                            return 0
                        case "":
                            pass
                        case other:
                            _emit(f"unknown command: {other} (update, exit)")


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _mode(text: str) -> OptimizeMode:
    for m in OptimizeMode:
        if m.value == text:
            return m
    raise UsageError(f"invalid --mode '{text}' (Debug, ReleaseSafe, ReleaseFast, ReleaseSmall)")


def main_run(argv: list[str]) -> int:
    """``zir run``: with ``--hot`` (before any ``--``) this module's session, else ``compiler.cli_build``'s."""
    if "--hot" in (argv[: argv.index("--")] if "--" in argv else argv):
        return cmd_run_hot(argv)
    from compiler.cli_build import main_run as plain_run

    return plain_run(argv)


def cmd_run_hot(argv: list[str]) -> int:
    """``zir run --hot``: the whole command; returns the exit status."""
    program_args: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, program_args = argv[:i], argv[i + 1 :]
    p = _Parser(prog="zir run --hot")
    p.add_argument("--hot", action="store_true", required=True)
    p.add_argument("file")
    p.add_argument("-o", dest="output")
    p.add_argument("--manual", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-restart", action="store_true")
    p.add_argument("--mode", default="Debug")
    try:
        ns = p.parse_args(argv)
        mode = _mode(ns.mode)
    except UsageError as exc:
        _emit(f"zir run: {exc}")
        return 2
    tune_gc()
    output = ns.output or os.path.join(".", os.path.splitext(os.path.basename(ns.file))[0])
    options = Options(ns.file, output, OutputMode.EXE, mode, hot=True)
    comp = Compilation(options, FileSource(ns.file))
    session = HotSession(comp, program_args, restart=not ns.no_restart, swap_before_commit=True)
    run = HotRun(comp, session, json_mode=ns.json, manual=ns.manual)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        run.events.put((HotEvent.SIGNAL, str(signum)))

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        return run.loop()
    finally:
        session.stop()
        comp.close()
