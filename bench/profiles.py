"""Profiles of the largest remaining cost of each missed goal (issue 13's "Done when"), for docs/benchmarks.md.

``bench.run`` asks :func:`wanted` which profiles the run's missed goals need (``bench.goals``), then runs each
with :func:`run_profile` in a fresh interpreter (``python -m bench.profiles KEY WORKDIR``). Every profile is
cProfile over every thread (``threading.Thread.run`` is wrapped, so the analysis thread and the server's
workers are included), reported as the top entries by cumulative and by own time. Keys:

- ``shape:S``: ten length-changing edits of shape S at N = 10 000, in process (``bench.shapes``).
- ``full_build``: ``zir build`` of chain 10 000 into an empty output (the CLI's ``main`` in this process, imports
  included); ``cold_hello`` / ``cold_version``: ``zir build examples/hello.zir`` / ``zir --version`` the same way;
  ``cache_restart``: ``zir build`` after a one-function change with the previous output in place.
- ``hot_swap``: ten hot-swap edits at N = 10 000 (``bench.hot.measure_hot``).
- ``rss:zir_watch`` / ``rss:zir_lsp``: not time but memory: tracemalloc's top allocation sites after a full
  build at N = 10 000 (the composition at 100 000 is the same, ten times larger; tracing 100 000 takes minutes).
- ``server_first_build``, ``open``, ``keystroke``, ``request:NAME``: the real server (``python -m bench.profiles
  serve`` wraps ``python -m server``) on chain 10 000; the profile covers only the measured part (open, the
  first didSave, five keystrokes, or five NAME requests right after an edit): the server takes a snapshot of its
  counters on SIGUSR1 and subtracts it at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import cProfile
import io
import json
import os
import pstats
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.goals import missed_profiles
from bench.watch import REPO

TOP = 22
PROFILE_OUT_ENV = "ZIR_BENCH_PROFILE_OUT"
N = 10_000

_profiles: list[cProfile.Profile] = []


def profile_all_threads() -> cProfile.Profile:
    """Profile every thread started from now on, and this one; returns this thread's (enabled) profile."""
    original = threading.Thread.run

    def run(self: threading.Thread) -> None:
        prof = cProfile.Profile()
        _profiles.append(prof)
        prof.enable()
        try:
            original(self)
        finally:
            prof.disable()

    threading.Thread.run = run  # type: ignore[method-assign]
    main = cProfile.Profile()
    _profiles.append(main)
    main.enable()
    return main


StatDict = dict[Any, tuple[int, int, float, float, dict[Any, Any]]]


def snapshot() -> StatDict:
    """All threads' counters summed (profiles may still be running: ``getstats`` reads them as they are)."""
    total: StatDict = {}
    for prof in list(_profiles):
        prof.snapshot_stats()
        for func, (cc, nc, tt, ct, _callers) in prof.stats.items():
            if func in total:
                c0, n0, t0, k0, _ = total[func]
                total[func] = (c0 + cc, n0 + nc, t0 + tt, k0 + ct, {})
            else:
                total[func] = (cc, nc, tt, ct, {})
    return total


def difference(after: StatDict, before: StatDict) -> StatDict:
    out: StatDict = {}
    for func, (cc, nc, tt, ct, _) in after.items():
        c0, n0, t0, k0, _ = before.get(func, (0, 0, 0.0, 0.0, {}))
        if nc - n0 > 0 or tt - t0 > 1e-6:
            out[func] = (cc - c0, nc - n0, tt - t0, ct - k0, {})
    return out


class _Frozen:
    """What ``pstats.Stats`` accepts: an object with ``create_stats`` and ``stats``."""

    def __init__(self, stats: StatDict) -> None:
        self.stats = stats

    def create_stats(self) -> None:
        pass


IDLE_BUILTINS = (
    "method 'get' of '_queue.SimpleQueue'",
    "method 'readline' of '_io.BufferedReader'",
    "method 'read' of '_io.BufferedReader'",
    "method 'poll' of 'select.epoll'",
    "method 'acquire' of '_thread.lock'",
    "method 'acquire' of '_thread.RLock'",
    "built-in method time.sleep",
    "built-in method posix.read",
    "built-in method posix.waitpid",
    "method 'run' of '_contextvars.Context'",
    "method 'getstats' of '_lsprof.Profiler'",
)
"""Waiting, not working: a blocked thread's wall time would otherwise top every list."""
IDLE_FRAMES = {
    ("threading.py", ("run", "_bootstrap", "_bootstrap_inner", "wait", "join", "_wait_for_tstate_lock")),
    ("thread.py", ("_worker", "run")),
    ("queue.py", ("get",)),
    ("selectors.py", ("select",)),
    ("base_events.py", ("run_forever", "run_until_complete", "_run_once")),
    ("runners.py", ("run",)),
    ("events.py", ("_run",)),
    ("server.py", ("start_io", "_start_io_async", "aread", "_read_stdin")),
    ("__main__.py", ("main",)),
    ("profiles.py", ("run", "serve", "main", "on_mark", "snapshot")),
    ("cProfile.py", ("snapshot_stats", "label")),
    ("runtime.py", ("_serve",)),  # the parked analysis thread's loop (compiler/runtime.py): its waits
}
"""Thread and event-loop frames whose cumulative time is mostly the waiting below them, and the profiler's own."""


def working(stats: StatDict) -> StatDict:
    """``stats`` without the waiting entries (IDLE_BUILTINS, IDLE_FRAMES)."""
    idle = {(f, fn) for f, fns in IDLE_FRAMES for fn in fns}
    out: StatDict = {}
    for func, value in stats.items():
        filename, _line, name = func
        if any(b in name for b in IDLE_BUILTINS) or (os.path.basename(filename), name) in idle:
            continue
        out[func] = value
    return out


def top(stats: StatDict, key: str, count: int = TOP) -> str:
    buf = io.StringIO()
    ps = pstats.Stats(_Frozen(working(stats)), stream=buf)  # type: ignore[arg-type]
    ps.strip_dirs().sort_stats(key).print_stats(count)
    text = buf.getvalue()
    start = text.find("   ncalls")
    return text[start:].rstrip() if start >= 0 else text.strip()


def _finish(what: str) -> dict[str, Any]:
    for prof in _profiles:
        prof.disable()
    stats = snapshot()
    return {"what": what, "by_cumulative": top(stats, "cumulative"), "by_tottime": top(stats, "tottime")}


# --- in-process profiles ---------------------------------------------------------------------------------


def _shape(shape: str, workdir: Path, edits: int = 10) -> dict[str, Any]:
    from bench.inproc import make_compilation
    from bench.shapes import ShapeProgram, edited_constant
    from compiler.runtime import tune_gc

    tune_gc()
    src, out = workdir / f"{shape}.zir", workdir / shape
    prog = ShapeProgram(shape, N)
    src.write_bytes(prog.source())
    comp, _ = make_compilation(src, out)
    main = profile_all_threads()  # before the first update: the analysis thread it starts is profiled too
    comp.update()
    texts = []  # generated before profiling: the program generator is the benchmark's cost, not ours
    for k in range(edits):
        prog.edited_constant = edited_constant(k)
        texts.append(prog.source())
    before = snapshot()
    for text in texts:
        main.disable()
        src.write_bytes(text)  # the editor's save, not the update's work
        main.enable()
        comp.update()
    for prof in _profiles:
        prof.disable()
    stats = difference(snapshot(), before)
    what = f"{edits} length-changing edits of f{{N/2}} in the {shape} shape at N = {N}, in process"
    comp.close()
    return {"what": what, "by_cumulative": top(stats, "cumulative"), "by_tottime": top(stats, "tottime")}


def _cli(argv: list[str], what: str) -> dict[str, Any]:
    profile_all_threads()
    from compiler.cli import main

    with contextlib.suppress(SystemExit):
        main(argv)
    return _finish(what)


def _cold(argv: list[str], what: str) -> dict[str, Any]:
    """A cold command: cProfile in this process (whose own imports are already loaded), and the whole
    interpreter's ``-X importtime`` in a fresh one, its imports by cumulative time."""
    from bench.watch import zir_command

    proc = subprocess.run([sys.executable, "-X", "importtime", *zir_command()[1:], *argv],
                          cwd=REPO, capture_output=True, text=True, check=False)  # fmt: skip
    rows: list[tuple[int, int, str]] = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            rows.append((int(parts[1]), int(parts[0]), parts[2].rstrip()))
    rows.sort(reverse=True)
    total = sum(own for _, own, _ in rows)
    imports = [f"{len(rows)} modules imported, {total / 1000:.1f} ms in all (own times summed)",
               "cumulative µs | own µs | module"] + [f"{c:13d} | {o:6d} | {name}" for c, o, name in rows[:TOP]]  # fmt: skip
    result = _cli(argv, what)
    result["by_import_time"] = "\n".join(imports)
    return result


def _full_build(workdir: Path) -> dict[str, Any]:
    from bench.gen import ChainProgram

    src = workdir / "chain.zir"
    src.write_bytes(ChainProgram(N).source())
    return _cli(["build", str(src), "-o", str(workdir / "out")], f"`zir build` of chain {N}, empty output")


def _cache_restart(workdir: Path) -> dict[str, Any]:
    from bench.gen import ChainProgram
    from bench.watch import zir_command

    src, out = workdir / "chain.zir", workdir / "out"
    src.write_bytes(ChainProgram(N).source())
    subprocess.run([*zir_command(), "build", str(src), "-o", str(out)], cwd=REPO, check=True, capture_output=True)
    src.write_bytes(ChainProgram(N, bump=1).source())
    return _cli(["build", str(src), "-o", str(out)], f"`zir build` of chain {N} after a one-function edit")


def _hot(workdir: Path) -> dict[str, Any]:
    import bench.hot

    # measure_in_process (when bench/hot.py has it) keeps update and swap in this process; measure_hot may
    # drive a `zir run --hot` child, whose work this profile would not see
    measure = getattr(bench.hot, "measure_in_process", None) or bench.hot.measure_hot
    profile_all_threads()
    measure(workdir, N, 10)
    return _finish(f"10 hot-swap edits at N = {N}, in process (save, update, swap, wait for the new output)")


def _rss(scenario: str, workdir: Path) -> dict[str, Any]:
    import tracemalloc

    from bench.gen import ChainProgram
    from bench.inproc import make_compilation

    src = workdir / "chain.zir"
    src.write_bytes(ChainProgram(N).source())
    tracemalloc.start()
    comp, _ = make_compilation(src, workdir / "out" if scenario == "zir_watch" else None)
    comp.update()
    snap = tracemalloc.take_snapshot()
    comp.close()
    stats = snap.statistics("lineno")
    total = sum(s.size for s in stats)
    lines = [f"total traced: {total / 2**20:.1f} MiB"] + [
        f"{s.size / 2**20:8.2f} MiB {s.count:9d} blocks  {str(s.traceback).replace(str(REPO) + '/', '')}"
        for s in stats[:TOP]
    ]
    who = "output written (as zir watch)" if scenario == "zir_watch" else "no output (the server's editor tier)"
    what = f"tracemalloc after a full build at N = {N} in process, {who}"
    return {"what": what, "by_size": "\n".join(lines)}


# --- the server --------------------------------------------------------------------------------------------


def serve() -> None:
    """``python -m bench.profiles serve``: the language server under profile_all_threads; writes the profile at exit."""
    out = os.environ[PROFILE_OUT_ENV]
    mark: list[StatDict] = []
    profile_all_threads()

    def on_mark(signum: int, frame: Any) -> None:
        mark[:] = [snapshot()]

    def dump() -> None:
        for prof in _profiles:
            prof.disable()
        stats = difference(snapshot(), mark[0]) if mark else snapshot()
        Path(out).write_text(
            json.dumps({"by_cumulative": top(stats, "cumulative"), "by_tottime": top(stats, "tottime")})
        )

    signal.signal(signal.SIGUSR1, on_mark)
    atexit.register(dump)
    from server.__main__ import main

    main([])


def _server(key: str, workdir: Path, edits: int = 5) -> dict[str, Any]:
    from bench.gen import ChainProgram
    from bench.lspclient import LspClient, is_diagnostics_for
    from bench.requests import _requests

    prog = ChainProgram(N)
    text = prog.source().decode()
    src = workdir / f"chain{N}.zir"
    src.write_text(text)
    uri = src.resolve().as_uri()
    out_json = workdir / "server-profile.json"
    os.environ[PROFILE_OUT_ENV] = str(out_json)
    build = key == "server_first_build"
    settings: dict[str, Any] = {
        "diagnostics": {"debounceMs": 0, "onType": not build},
        "build": {"onSave": build, "outputPath": str(workdir / "out")},
    }
    client = LspClient([sys.executable, "-m", "bench.profiles", "serve"], REPO, settings)
    what = ""
    try:
        if key != "open":  # everything before the measured part is subtracted
            client.open_session(workdir, uri, text)
            client.wait(is_diagnostics_for(uri, 1), timeout=1800)
            client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, timeout=600)
            with contextlib.suppress(RuntimeError):  # answered on the editor thread once its analysis is done
                client.request("workspace/executeCommand", {"command": "zir.memoryUsage", "arguments": []}, 1800)
            time.sleep(1.0)  # let the off-loop outline jobs finish before the mark
            client.proc.send_signal(signal.SIGUSR1)
            time.sleep(0.2)  # the handler runs when the loop wakes up
        if key == "open":
            client.open_session(workdir, uri, text)
            client.wait(is_diagnostics_for(uri, 1), timeout=1800)
            what = f"didOpen of chain {N} → first publishDiagnostics"
        elif build:
            client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            client.wait(lambda m: m.get("method") == "zir/buildFinished", timeout=1800)
            what = f"first didSave of chain {N} → zir/buildFinished (after the open's analysis)"
        else:
            method_params = _requests(uri, prog.constant_line() - 2).get(key.removeprefix("request:"))
            version = 1
            delta = method_params is not None and method_params[0].endswith("/delta")
            for _ in range(edits):  # the keystroke-sized change of bench.requests: f{N/2}'s constant
                if method_params is not None and delta:  # the tokens a client holds, fetched outside the profile
                    held = client.request("textDocument/semanticTokens/full", {"textDocument": {"uri": uri}}, 600)
                    previous = (held or {}).get("resultId") or ""
                    method_params = (method_params[0], {**method_params[1], "previousResultId": previous})
                    client.proc.send_signal(signal.SIGUSR1)  # the mark moves: only the last edit is profiled
                    time.sleep(0.2)
                old_start, old_end = prog.constant_span()
                line_start = text.rfind("\n", 0, old_start) + 1
                prog.bump += 1
                text = prog.source().decode()
                new_start, new_end = prog.constant_span()
                version += 1
                line = prog.constant_line()
                rng = {
                    "start": {"line": line, "character": old_start - line_start},
                    "end": {"line": line, "character": old_end - line_start},
                }
                change = {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"range": rng, "text": text[new_start:new_end]}],
                }
                client.notify("textDocument/didChange", change)
                if method_params is None:
                    client.wait(is_diagnostics_for(uri, version), timeout=600)
                else:
                    client.request(*method_params, timeout=600)
            what = (
                ("the last of " if delta else "")
                + f"{edits} × (a one-constant didChange of chain {N}, then "
                + ("its publishDiagnostics)" if method_params is None else f"{method_params[0]})")
            )
    finally:
        client.close()
    data: dict[str, Any] = json.loads(out_json.read_text())
    data["what"] = what + ", all server threads"
    return data


def profile(key: str, workdir: Path) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    if key.startswith("shape:"):
        return _shape(key.removeprefix("shape:"), workdir)
    if key.startswith("rss:"):
        return _rss(key.removeprefix("rss:"), workdir)
    if key.startswith("request:") or key in ("server_first_build", "open", "keystroke"):
        return _server(key, workdir)
    match key:
        case "full_build":
            return _full_build(workdir)
        case "cold_hello":
            return _cold(["build", str(REPO / "examples" / "hello.zir"), "-o", str(workdir / "hello")],
                         "`zir build examples/hello.zir` (imports not yet loaded by the profiler included)")  # fmt: skip
        case "cold_version":
            return _cold(["--version"], "`zir --version` (imports not yet loaded by the profiler included)")
        case "cache_restart":
            return _cache_restart(workdir)
        case "hot_swap":
            return _hot(workdir)
    raise ValueError(f"unknown profile {key!r}")


def wanted(run: dict[str, Any]) -> list[tuple[str, str]]:
    """(profile key, the missed goals it explains) for this run."""
    return missed_profiles(run)


def run_profile(key: str, why: str, workdir: Path, timeout: float = 420) -> dict[str, Any]:
    """``profile(key)`` in a fresh interpreter; the result carries ``why`` (the missed goals)."""
    workdir.mkdir(parents=True, exist_ok=True)
    sub = workdir / key.replace(":", "-")
    cmd = [sys.executable, "-m", "bench.profiles", key, str(sub)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"profile {key} failed (rc={proc.returncode}): {proc.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["key"], result["why"] = key, why
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.profiles KEY WORKDIR`` (one JSON line) or ``python -m bench.profiles serve``."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        serve()
        return 0
    if len(args) != 2:
        print("usage: python -m bench.profiles KEY WORKDIR | serve", file=sys.stderr)
        return 2
    result = profile(args[0], Path(args[1]))
    sys.stdout.flush()
    print("\n" + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
