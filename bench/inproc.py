"""In-process scenarios through the `Compilation` API: P1 in process, P3 linker only, warm full build, profile.

performance.md §4.2 (in process), §4.4, §4.5 (the first `update()` of an in-process Compilation) and the
profile of one edit at N = 10 000. The linker is wrapped by `TimedLinker`, a transparent proxy that adds up
the time spent in `update_decl`, `flush` and `commit` (the linker-only part of an update) and delegates
everything, unchanged, to the real `ElfLinker`.
"""

from __future__ import annotations

import cProfile
import gc
import importlib
import io
import json
import pstats
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.gen import ChainProgram
from bench.measure import self_peak_rss_kib, stats, writes_by_region
from bench.watch import REPO, run_binary


def api_available(*, need_elf: bool = True) -> str | None:
    """None when the Compilation API (and, with `need_elf`, the ELF linker) can be imported, else why not."""
    try:
        compilation = importlib.import_module("compiler.compilation")
        if need_elf:
            importlib.import_module("compiler.link.elf.linker")
    except ImportError as exc:
        return f"import failed: {exc}"
    for name in ("Compilation", "Options"):
        if not hasattr(compilation, name):
            return f"compiler.compilation.{name} not defined yet"
    return None


class TimedLinker:
    """Delegates to a real linker; accumulates nanoseconds spent in update_decl + flush + commit."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.linker_ns = 0
        self.update_decl_calls = 0
        self.last_commit: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def reset(self) -> None:
        self.linker_ns = 0
        self.update_decl_calls = 0

    def update_decl(self, decl: Any, name: str, symbol: Any) -> None:
        t0 = time.perf_counter_ns()
        self.inner.update_decl(decl, name, symbol)
        self.linker_ns += time.perf_counter_ns() - t0
        self.update_decl_calls += 1

    def flush(self) -> None:
        t0 = time.perf_counter_ns()
        self.inner.flush()
        self.linker_ns += time.perf_counter_ns() - t0

    def commit(self) -> Any:
        t0 = time.perf_counter_ns()
        report = self.inner.commit()
        self.linker_ns += time.perf_counter_ns() - t0
        self.last_commit = report
        return report

    # The rest of the Linker protocol, delegated explicitly so the proxy satisfies it structurally.
    def allocate_decl(self, decl: Any, name: str) -> None:
        self.inner.allocate_decl(decl, name)

    def got_address(self, decl: Any) -> int:
        return int(self.inner.got_address(decl))

    def decl_address(self, decl: Any) -> int | None:
        result: int | None = self.inner.decl_address(decl)
        return result

    def update_decl_exports(self, decl: Any, exports: Sequence[Any]) -> list[Any]:
        result: list[Any] = self.inner.update_decl_exports(decl, exports)
        return result

    def delete_export(self, export_id: int) -> None:
        self.inner.delete_export(export_id)

    def free_decl(self, decl: Any) -> None:
        self.inner.free_decl(decl)

    def update_decl_line_number(self, decl: Any, line: int) -> None:
        self.inner.update_decl_line_number(decl, line)

    def error_flags(self) -> Any:
        return self.inner.error_flags()

    def close(self) -> None:
        self.inner.close()


def make_compilation(src: Path, out: Path | None) -> tuple[Any, TimedLinker]:
    """A Compilation of `src` writing `out`, its linker wrapped by TimedLinker.

    The linker is the one `Compilation` itself picks for an output path (taken from a probe instance, which
    is then dropped), so the benchmark never guesses the linker's constructor.
    """
    compilation = importlib.import_module("compiler.compilation")
    source = importlib.import_module("compiler.source")
    options = compilation.Options(root_path=str(src), output_path=None if out is None else str(out))
    inner = compilation.Compilation(options).linker
    linker = TimedLinker(inner)
    comp = compilation.Compilation(options, source.FileSource(str(src)), linker)
    return comp, linker


def _commit_counts(report: Any) -> dict[str, Any]:
    if report is None:
        return {}
    keys = ("bytes_written", "write_calls", "copy_calls", "bytes_copied", "full_rewrite")
    return {k: getattr(report, k, None) for k in keys}


def inproc_session(n: int, workdir: Path, edits: int, *, output: bool = True) -> dict[str, Any]:
    """The first update (warm process, fresh Module), then `edits` body-only edits timed in process.

    Without `output` the Compilation has no output path (the null linker): analysis and code generation
    only, the lower bound of an update and what the language server's editor tier does.
    """
    src = workdir / f"inproc{n}.zir"
    out = workdir / f"inproc{n}" if output else None
    if out is not None:
        out.unlink(missing_ok=True)
    prog = ChainProgram(n)
    src.write_bytes(prog.source())
    t0 = time.perf_counter()
    comp, linker = make_compilation(src, out)
    report = comp.update()
    full_ms = (time.perf_counter() - t0) * 1000
    if comp.total_error_count():
        raise RuntimeError(f"full build has {comp.total_error_count()} errors")
    result: dict[str, Any] = {
        "full_build_ms": round(full_ms, 3),
        "full_build_commit": _commit_counts(linker.last_commit),
    }
    updates: list[float] = []
    link_only: list[float] = []
    commits: list[dict[str, Any]] = []
    for k in range(1, edits + 1):
        prog.bump = k
        data = prog.source()
        linker.reset()
        linker.last_commit = None
        t0 = time.perf_counter()
        src.write_bytes(data)
        report = comp.update()
        updates.append((time.perf_counter() - t0) * 1000)
        link_only.append(linker.linker_ns / 1e6)
        commits.append(_commit_counts(linker.last_commit))
    if out is not None and run_binary(out) != prog.exit_code():
        raise RuntimeError("the binary after the last in-process edit exits with the wrong code")
    fileio = getattr(linker.inner, "fileio", None)
    if out is not None and fileio is not None:
        # where the bytes of one in-place edit and of one moving edit go, from the file layer's own log
        for name, extra, blank in (("writes_in_place", 0, 0), ("writes_moved", 4, 0), ("writes_line_edit", 4, 2)):
            prog.bump += 0 if blank else 1
            prog.extra_adds = extra
            prog.blank_lines_above = blank
            done = fileio.counters.snapshot().writes_mark
            src.write_bytes(prog.source())
            comp.update()
            result[name] = writes_by_region(out, fileio.counters.writes_since(done))
            if run_binary(out) != prog.exit_code():
                raise RuntimeError(f"wrong exit code after the {name} edit")
    result["save_to_committed"] = stats(updates, skip_first=True).as_json()
    result["linker_only"] = stats(link_only, skip_first=True).as_json()
    result["commit_first_edit"] = commits[0]
    result["commit_last_edit"] = commits[-1]
    result["update_counters_last"] = getattr(report, "counters", None)
    result["peak_rss_kib_process"] = self_peak_rss_kib()
    comp.close()
    return result


def _profile_threads() -> list[cProfile.Profile]:
    """Make the analysis thread that `compiler.module.module.run_with_deep_stack` starts for big files
    profiled too (cProfile only sees the thread that enabled it). Returns the list its profiles go to."""
    module = importlib.import_module("compiler.module.module")
    original = getattr(module, "run_with_deep_stack", None)
    extra: list[cProfile.Profile] = []
    if original is None:
        return extra

    def wrapped(fn: Any, *, deep: bool) -> None:
        def inner() -> None:
            if not deep:
                fn()
                return
            prof = cProfile.Profile()
            extra.append(prof)
            prof.enable()
            try:
                fn()
            finally:
                prof.disable()

        original(inner, deep=deep)

    setattr(module, "run_with_deep_stack", wrapped)  # noqa: B010 (a module attribute, typed Any)
    return extra


def _top(profiles: list[cProfile.Profile], key: str, count: int = 25) -> str:
    buf = io.StringIO()
    stats = pstats.Stats(profiles[0], stream=buf)
    for prof in profiles[1:]:
        stats.add(prof)
    stats.sort_stats(key).print_stats(count)
    return buf.getvalue()


def profile_edit(n: int, workdir: Path, edits: int = 5, *, output: bool = True) -> dict[str, Any]:
    """cProfile a full build and `edits` one-function edits at N (including the analysis thread)."""
    workdir.mkdir(parents=True, exist_ok=True)
    src, out = workdir / f"prof{n}.zir", (workdir / f"prof{n}" if output else None)
    prog = ChainProgram(n)
    src.write_bytes(prog.source())
    comp, _linker = make_compilation(src, out)
    threads = _profile_threads()
    full = cProfile.Profile()
    full.enable()
    comp.update()
    full.disable()
    full_profiles = [full, *threads]
    seen = len(threads)
    prof = cProfile.Profile()
    for k in range(1, edits + 1):
        prog.bump = k
        src.write_bytes(prog.source())
        prof.enable()
        comp.update()
        prof.disable()
    comp.close()
    profiles = [prof, *threads[seen:]]
    return {
        "n": n,
        "edits": edits,
        "output": output,
        "by_tottime": _top(profiles, "tottime"),
        "by_cumulative": _top(profiles, "cumulative"),
        "full_build_by_tottime": _top(full_profiles, "tottime"),
    }


def run_isolated(scenario: str, n: int, workdir: Path, edits: int, *, output: bool = True) -> dict[str, Any]:
    """Run `inproc_session` or `profile_edit` in a fresh interpreter, so earlier scenarios' garbage and heap
    growth in the benchmark process do not distort the timings."""
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "bench.inproc", scenario, str(n), str(workdir), str(edits)]
    if not output:
        cmd.append("--no-output")
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False, timeout=7200)
    if proc.returncode != 0:
        raise RuntimeError(f"{scenario} N={n} failed: {proc.stderr.strip()[-600:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.inproc {session|profile|shapes|strings} N WORKDIR EDITS [--no-output]`: one JSON line on
    stdout (``strings``: the shapes' edits in a chain whose every function holds a ``str``, bench/shapes.py)."""
    args = sys.argv[1:] if argv is None else argv
    output = "--no-output" not in args
    scenario, n, workdir, edits = args[0], int(args[1]), Path(args[2]), int(args[3])
    if scenario == "session":
        result = inproc_session(n, workdir, edits, output=output)
    elif scenario == "profile":
        result = profile_edit(n, workdir, edits, output=output)
    elif scenario == "shapes":
        from bench.shapes import SHAPES, STRINGS, session

        result = {}
        for shape in (*SHAPES, STRINGS):
            result[shape] = session(shape, n, workdir / shape, edits)
            # the closed Compilation is cyclic garbage that the raised collector thresholds would keep through
            # the next shapes' sessions (~200 000 objects each at N = 10 000): every shape starts on its own heap
            gc.collect()
    elif scenario == "strings":
        from bench.shapes import STRINGS, session

        result = {STRINGS: session(STRINGS, n, workdir / STRINGS, edits)}
    else:
        print(f"unknown scenario {scenario!r}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
