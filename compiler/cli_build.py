"""The `zir build`, `zir run`, `zir watch` and `zir emit-zir` commands (architecture.md §6)."""

from __future__ import annotations

import argparse
import enum
import os
import struct
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, TextIO

from compiler import cli_progress, output_guard
from compiler.cli_args import Parser as _Parser
from compiler.cli_args import UsageError
from compiler.cli_render import ColorChoice, Diagnostic, Style, choose_style, render
from compiler.compilation import Compilation, Options, UpdateReport
from compiler.link import OutputMode
from compiler.link.null import NullLinker
from compiler.module.module import OptimizeMode
from compiler.runtime import paused_gc, tune_gc
from compiler.source import FileSource

if TYPE_CHECKING:
    import queue  # watch's and run's modules (ctypes, queue, threading, subprocess, signal) load when used

WATCH_HELP = """Commands:
  update   Detect changes to source files and update output files.
     run   Run the output file.
    help   Print this text
    exit   Quit this repl
"""

PLAIN = Style(snippets=False, color=False)
"""The bare ``PATH:LINE:COL: error: MSG`` lines (piped output)."""

POLL_INTERVAL_S = 0.05
"""How often `watch` checks the file when inotify is unavailable (architecture.md §6)."""
SETTLE_S = 0.01
"""A change is processed this long after the last change seen."""
CACHE_IDLE_S = 0.5  # `zir watch` saves the compile cache after this long without events following a commit


def _color(text: str) -> ColorChoice:
    for c in ColorChoice:
        if c.value == text:
            return c
    raise UsageError(f"invalid --color '{text}' (auto, always, never)")


def add_color_option(p: argparse.ArgumentParser) -> None:
    """``--color WHEN``: how errors are drawn on stderr."""
    p.add_argument(
        "--color",
        default="auto",
        metavar="WHEN",
        help="auto (default: source lines, carets and colour on a terminal; NO_COLOR turns colour off), "
        "always (also when piped), never (no colour)",
    )


def _mode(text: str) -> OptimizeMode:
    for m in OptimizeMode:
        if m.value == text:
            return m
    raise UsageError(f"invalid --mode '{text}' (Debug, ReleaseSafe, ReleaseFast, ReleaseSmall)")


def default_output(path: str, obj: bool) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    return os.path.join(".", stem + (".o" if obj else ""))


def make_compilation(
    path: str, output: str | None, obj: bool, mode: OptimizeMode = OptimizeMode.DEBUG, *, cache: bool = False
) -> Compilation:
    """A Compilation for the CLI; ``output`` None = analysis only; ``cache``: docs/design/performance.md §7."""
    out_mode = OutputMode.OBJ if obj else OutputMode.EXE
    options = Options(path, output, out_mode, mode, cache=cache)
    linker = NullLinker(out_mode) if output is None else None
    return Compilation(options, FileSource(path), linker)


# ---------------------------------------------------------------------- rendering


def render_errors(comp: Compilation, stream: TextIO, style: Style = PLAIN) -> None:
    """Every error as ``PATH:LINE:COL: error: MSG`` (bytes of the source kept as they are); with
    ``style.snippets`` also its source line, caret, notes, and the count (``compiler/cli_render.py``)."""
    diagnostics = [
        Diagnostic(e.path, e.text, e.byte_offset, e.message, [(n.byte_offset, n.msg) for n in e.notes], e.kind)
        for e in comp.all_errors()
    ]
    data = render(diagnostics, style).encode("utf-8", "surrogateescape")
    buffer = getattr(stream, "buffer", None)
    stream.flush()
    if buffer is not None:
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode("utf-8", "replace"))


def json_line(comp: Compilation, n: int, report: UpdateReport, link: dict[str, int] | None = None) -> str:
    """The ``--json`` line of one update; ``link`` are the linker's counters for it (``LinkTotals.since``)."""
    import json

    errors = []
    for e in comp.all_errors():
        line, col = e.position()
        errors.append({"path": e.path, "line": line + 1, "column": col + 1, "message": e.message})
    obj = {
        "update": n,
        "ok": not errors,
        "errors": errors,
        "binary": report.binary,
        "ms": round(report.ms, 3),
        "bytes_written": report.bytes_written,
        "committed": report.committed,
        "counters": {**report.counters, **(link or {})},
    }
    return json.dumps(obj)


def summary_line(n: int, report: UpdateReport, link: dict[str, int]) -> str:
    """``zir watch``'s line per update on a terminal: the time, what changed, what was written."""
    c = report.counters
    parts = [
        f"{c.get('decls_analyzed', 0)} decls re-analysed",
        f"{c.get('decls_generated', 0)} generated",
    ]
    if report.committed:
        parts.append(f"{report.bytes_written} bytes written")
    moves = link.get("text_moves", 0)
    if moves:
        parts.append(f"{moves} block{'s' if moves != 1 else ''} moved")
    state = "ok" if report.ok else f"{report.error_count} error{'s' if report.error_count != 1 else ''}"
    clock = time.strftime("%H:%M:%S")
    return f"[{clock}] update {n}: {state}: {', '.join(parts)} ({report.ms:.1f} ms)"


def write_emit_zir(comp: Compilation, path: str, liveness: bool) -> str | None:
    """Write the emitted ZIR to ``path``; the error message when ``path`` may not be written."""
    if comp.module.failed_files:
        return None
    return _write_plain(path, comp.source.path, comp.emit_zir(liveness=liveness), comp.options.output_path)


def _write_plain(path: str, source: str, data: bytes, build_output: str | None = None) -> str | None:
    """Write a non-ELF output (emitted ZIR), refusing the input itself, the build's output, non-regular files."""
    refusal = output_guard.check_plain_output(path, [source], build_output)
    if refusal is not None:
        return refusal
    try:
        output_guard.write_plain_output(path, data)
    except OSError as exc:
        return output_guard.unable(path, exc.strerror or str(exc))
    return None


def report_refusal(message: str | None) -> bool:
    """Print ``message`` (an output that was not written) on stderr; True if there was one."""
    if message is None:
        return False
    print(f"error: {message}", file=sys.stderr, flush=True)
    return True


# ---------------------------------------------------------------------- build / run / emit-zir


class BuildArgs(NamedTuple):
    file: str
    output: str | None
    obj: bool
    mode: OptimizeMode
    emit_zir: str | None
    emit_zir_liveness: bool
    no_emit_bin: bool
    json: bool
    verbose: bool
    color: ColorChoice
    cache: bool = True


def _build_parser(prog: str) -> _Parser:
    p = _Parser(prog=prog)
    p.add_argument("file", metavar="FILE", help="the root .zir file")
    p.add_argument("-o", dest="output", metavar="OUT", help="output path (default ./STEM, or ./STEM.o with --obj)")
    p.add_argument("--obj", action="store_true", help="write a relocatable object instead of an executable")
    p.add_argument("--mode", default="Debug", help="Debug (default), ReleaseSafe, ReleaseFast or ReleaseSmall")
    p.add_argument("--emit-zir", dest="emit_zir", metavar="PATH", help="also write the analysed program as ZIR")
    p.add_argument("--emit-zir-liveness", action="store_true", help="annotate --emit-zir with liveness")
    p.add_argument("--no-emit-bin", action="store_true", help="analyse and generate code, write no output")
    p.add_argument("--json", action="store_true", help="print one JSON line describing the update on stdout")
    p.add_argument("-v", "--verbose", action="store_true", help="print the update's time on stderr")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the persistent compile cache")
    add_color_option(p)
    return p


def _parse_build(prog: str, argv: list[str]) -> BuildArgs:
    ns = _build_parser(prog).parse_args(argv)
    return BuildArgs(
        ns.file,
        ns.output,
        ns.obj,
        _mode(ns.mode),
        ns.emit_zir,
        ns.emit_zir_liveness,
        ns.no_emit_bin,
        ns.json,
        ns.verbose,
        _color(ns.color),
        cache=not ns.no_cache and ns.emit_zir is None,  # emitting ZIR needs every body's AIR
    )


def _update_with_progress(comp: Compilation, bar_wanted: bool) -> UpdateReport:
    """One update; with ``bar_wanted`` (a terminal), the progress bar shows if it runs long."""
    if not bar_wanted:
        return comp.update()
    bar = cli_progress.ProgressBar(sys.stderr, cli_progress.delay_from_env())
    comp.module.progress = bar
    try:
        with bar:
            return comp.update()
    finally:
        comp.module.progress = None


def _build(a: BuildArgs) -> tuple[Compilation, UpdateReport, dict[str, int], str | None]:
    output = None if a.no_emit_bin else (a.output or default_output(a.file, a.obj))
    comp = make_compilation(a.file, output, a.obj, a.mode, cache=a.cache)
    comp.one_shot(keep_air=a.emit_zir is not None)
    before = comp.linker.totals.snapshot()
    report = _update_with_progress(comp, not a.json and cli_progress.wanted(sys.stderr))
    link = comp.linker.totals.snapshot().since(before)
    refused = None
    if a.emit_zir is not None:
        refused = write_emit_zir(comp, a.emit_zir, a.emit_zir_liveness)
    return comp, report, link, refused


def cmd_build(argv: list[str]) -> int:
    a = _parse_build("zir build", argv)
    with paused_gc():  # one build, then the process exits
        comp, report, link, refused = _build(a)
    try:
        render_errors(comp, sys.stderr, choose_style(a.color, sys.stderr))
        if a.json:
            print(json_line(comp, 1, report, link), flush=True)
        if a.verbose:
            print(f"update completed in {report.ms:.3f} ms", file=sys.stderr)
        return 0 if report.ok and not report_refusal(refused) else 1
    finally:
        comp.close()


def cmd_run(argv: list[str]) -> int:
    import subprocess

    program_args: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, program_args = argv[:i], argv[i + 1 :]
    a = _parse_build("zir run", argv)
    if a.no_emit_bin or a.obj:
        raise UsageError("run needs an executable output")
    comp, report, _link, refused = _build(a)
    try:
        render_errors(comp, sys.stderr, choose_style(a.color, sys.stderr))
        if report_refusal(refused) or not report.ok or report.binary is None:
            return 1
        binary = os.path.abspath(report.binary)
    finally:
        comp.close()
    try:
        return subprocess.call([binary, *program_args])
    except OSError as exc:
        print(f"zir run: unable to run '{report.binary}': {exc.strerror}", file=sys.stderr)
        return 1


def cmd_emit_zir(argv: list[str]) -> int:
    p = _Parser(prog="zir emit-zir")
    p.add_argument("file")
    p.add_argument("-o", dest="output")
    p.add_argument("--liveness", action="store_true")
    p.add_argument("--obj", action="store_true")
    add_color_option(p)
    ns = p.parse_args(argv)
    comp = make_compilation(ns.file, None, ns.obj)
    report = comp.update()
    render_errors(comp, sys.stderr, choose_style(_color(ns.color), sys.stderr))
    if not comp.module.failed_files:
        text = comp.emit_zir(liveness=ns.liveness)
        if ns.output:
            if report_refusal(_write_plain(ns.output, ns.file, text)):
                return 1
        else:
            sys.stdout.buffer.write(text)
            sys.stdout.flush()
    return 0 if report.ok else 1


# ---------------------------------------------------------------------- watch


def _file_stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


# inotify(7) constants (linux/inotify.h)
IN_CLOSE_WRITE = 0x008
IN_MOVED_TO = 0x080
IN_DELETE = 0x200
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_INOTIFY_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len (then len bytes of name)


def _inotify_fd(directory: str) -> int | None:
    """An inotify descriptor watching ``directory`` for writes and renames, or None if unavailable."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = int(libc.inotify_init1(IN_CLOEXEC))
        if fd < 0:
            return None
        # Not IN_MODIFY: a file being written in place is read once its writer closes it.
        mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE
        if int(libc.inotify_add_watch(fd, os.fsencode(directory), mask)) < 0:
            os.close(fd)
            return None
    except (OSError, AttributeError):
        return None
    return fd


class Event(enum.Enum):
    """What wakes the watch loop."""

    LINE = "line"
    """A command line from stdin."""
    EOF = "eof"
    """stdin closed."""
    CHANGE = "change"
    """The watched file may have changed."""


class Watcher:
    """The `zir watch` loop: one Compilation, stdin commands, file watching (inotify, else polling) unless
    ``manual``."""

    def __init__(
        self, comp: Compilation, *, json_mode: bool, manual: bool, emit_zir: str | None, style: Style = PLAIN
    ) -> None:
        import queue

        self.comp = comp
        self.style = style
        """With snippets (a terminal): one summary line per update, then the errors drawn for people."""
        self.json_mode = json_mode
        self.manual = manual
        self.emit_zir = emit_zir
        self.updates = 0
        self.last_binary: str | None = None
        self.events: queue.Queue[tuple[Event, str]] = queue.Queue()

    def prompt(self) -> None:
        sys.stderr.write("zir> ")
        sys.stderr.flush()

    def do_update(self) -> None:
        before = self.comp.linker.totals.snapshot()
        report = _update_with_progress(self.comp, not self.json_mode and self.style.snippets)
        link = self.comp.linker.totals.snapshot().since(before)
        self.updates += 1
        if report.binary is not None:
            self.last_binary = report.binary  # after a failed update the last good program stays runnable
        if self.emit_zir is not None:
            report_refusal(write_emit_zir(self.comp, self.emit_zir, False))
        if self.json_mode:
            print(json_line(self.comp, self.updates, report, link), flush=True)
        elif self.style.snippets:
            print(summary_line(self.updates, report, link), file=sys.stderr, flush=True)
            render_errors(self.comp, sys.stderr, self.style)
        else:
            render_errors(self.comp, sys.stderr)
            state = "ok" if report.ok else f"{report.error_count} error(s)"
            print(f"update {self.updates}: {state} ({report.ms:.3f} ms)", file=sys.stderr, flush=True)

    def do_run(self) -> None:
        import json

        binary = self.last_binary
        if binary is None:
            print("no executable to run", file=sys.stderr, flush=True)
            if self.json_mode:
                print(json.dumps({"event": "run", "exitCode": None}), flush=True)
            return
        path = os.path.abspath(binary)
        try:
            self._run_binary(path)
        except OSError as exc:
            print(f"unable to run '{binary}': {exc.strerror}", file=sys.stderr, flush=True)
            if self.json_mode:
                print(json.dumps({"event": "run", "exitCode": None}), flush=True)

    def _run_binary(self, path: str) -> None:
        import json
        import subprocess

        if self.json_mode:
            proc = subprocess.run([path], capture_output=True)
            obj = {
                "event": "run",
                "exitCode": proc.returncode,
                "stdout": proc.stdout.decode("utf-8", "replace"),
                "stderr": proc.stderr.decode("utf-8", "replace"),
            }
            print(json.dumps(obj), flush=True)
        else:
            code = subprocess.call([path])
            print(f"exit code {code}", file=sys.stderr, flush=True)

    def _read_stdin(self) -> None:
        for line in sys.stdin:
            self.events.put((Event.LINE, line))
        self.events.put((Event.EOF, ""))

    def _watch_inotify(self, fd: int, name: bytes) -> None:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            offset = 0
            while offset + _INOTIFY_EVENT.size <= len(data):
                _, _, _, length = _INOTIFY_EVENT.unpack_from(data, offset)
                start = offset + _INOTIFY_EVENT.size
                event_name = data[start : start + length].rstrip(b"\0")
                offset = start + length
                if event_name == name:
                    self.events.put((Event.CHANGE, ""))

    def _watch_polling(self, path: str) -> None:
        stamp = _file_stamp(path)
        while True:
            time.sleep(POLL_INTERVAL_S)
            new = _file_stamp(path)
            if new != stamp:
                stamp = new
                self.events.put((Event.CHANGE, ""))

    def start_file_watch(self) -> None:
        """inotify on the file's directory (saves by rename included); polling if unavailable or if
        ``ZIR_WATCH_POLLING=1``."""
        import threading

        path = self.comp.source.path
        forced_polling = os.environ.get("ZIR_WATCH_POLLING") == "1"
        fd = None if forced_polling else _inotify_fd(os.path.dirname(os.path.abspath(path)))
        if fd is not None:
            name = os.fsencode(os.path.basename(path))
            threading.Thread(target=self._watch_inotify, args=(fd, name), daemon=True).start()
        else:
            threading.Thread(target=self._watch_polling, args=(path,), daemon=True).start()

    def loop(self) -> int:
        import queue
        import threading

        threading.Thread(target=self._read_stdin, daemon=True).start()
        if not self.manual:
            self.start_file_watch()
            self.do_update()
        self.prompt()
        deadline: float | None = None
        """When a file change is processed: SETTLE_S after the last change event."""
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            timeout = CACHE_IDLE_S if deadline is None and self.comp.idle_work_pending else timeout
            try:
                kind, line = self.events.get(timeout=timeout)
            except queue.Empty:
                if deadline is None:  # idle since the last commit: deferred debug lines, then the cache
                    self.comp.idle()
                    continue
                deadline = None
                self.do_update()
                self.prompt()
                continue
            match kind:
                case Event.CHANGE:
                    deadline = time.monotonic() + SETTLE_S
                    continue
                case Event.EOF:
                    return 0
                case Event.LINE:
                    pass
            cmd = line.strip()
            match cmd:
                case "update":
                    self.do_update()
                case "run":
                    self.do_run()
                case "help":
                    sys.stderr.write(WATCH_HELP)
                    sys.stderr.flush()
                case "exit":
                    return 0
                case "":
                    pass
                case _:
                    print(f"unknown command: {cmd}", file=sys.stderr, flush=True)
            self.prompt()


def cmd_watch(argv: list[str]) -> int:
    p = _Parser(prog="zir watch")
    p.add_argument("file")
    p.add_argument("-o", dest="output")
    p.add_argument("--obj", action="store_true")
    p.add_argument("--emit-zir", dest="emit_zir")
    p.add_argument("--json", action="store_true")
    p.add_argument("--manual", action="store_true")
    p.add_argument("--no-emit-bin", action="store_true")
    p.add_argument("--mode", default="Debug")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the persistent compile cache")
    add_color_option(p)
    ns = p.parse_args(argv)
    mode = _mode(ns.mode)  # fixed for the life of the Module (docs/design/language-complete.md §1)
    style = choose_style(_color(ns.color), sys.stderr)
    output = None if ns.no_emit_bin else (ns.output or default_output(ns.file, ns.obj))
    comp = make_compilation(ns.file, output, ns.obj, mode, cache=not ns.no_cache and ns.emit_zir is None)
    comp.module.keep_air = ns.emit_zir is not None  # else dropped once generated (docs/design/performance.md §9)
    comp.cache_autosave = False  # saved when idle and at exit, never inside an edit's latency
    comp.defer_line_numbers()  # likewise the debug lines of functions an edit moved (performance.md §6.10)
    try:
        return Watcher(comp, json_mode=ns.json, manual=ns.manual, emit_zir=ns.emit_zir, style=style).loop()
    finally:
        comp.close()


def _guarded(name: str, command: Callable[[list[str]], int]) -> Callable[[list[str]], int]:
    """Usage errors print ``zir NAME: message`` and give exit status 2."""

    def run(argv: list[str]) -> int:
        tune_gc()
        try:
            return command(argv)
        except UsageError as exc:
            print(f"zir {name}: {exc}", file=sys.stderr)
            return 2
        except BrokenPipeError:
            import signal

            # The reader went away (``| head``): stop quietly, like other Unix tools, and keep Python's
            # final flush from failing again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return 128 + signal.SIGPIPE

    return run


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "build": _guarded("build", cmd_build),
    "run": _guarded("run", cmd_run),
    "watch": _guarded("watch", cmd_watch),
    "emit-zir": _guarded("emit-zir", cmd_emit_zir),
}
"""The commands this module implements; ``compiler/cli.py`` dispatches to them."""

main_build = COMMANDS["build"]
main_run = COMMANDS["run"]
main_watch = COMMANDS["watch"]
main_emit_zir = COMMANDS["emit-zir"]


def main(argv: list[str]) -> int:
    """Dispatch ``argv`` = [command, args...] for the commands this module owns; 2 on usage errors."""
    if not argv or argv[0] not in COMMANDS:
        print("usage: zir {build,run,watch,emit-zir} FILE ...", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
