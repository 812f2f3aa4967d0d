"""Length-changing one-function edits in three program shapes: a chain, a star and a call tree (issue 13).

Each shape has N functions ``f0 … f{N-1}``; ``f{i}`` returns its constant plus what its callees return:

- *chain*: ``f{i}`` calls ``f{i-1}``; ``_start`` calls ``f{N-1}`` (performance.md §3.1's shape);
- *star*: no function calls another; ``@all`` calls every one and sums, and ``_start`` calls ``@all``;
- *tree*: ``f{i}`` calls ``f{2i+1}`` and ``f{2i+2}`` (when they exist); ``_start`` calls ``f0``;
- *strings* (``STRINGS``, timed by ``python -m bench.inproc shapes`` after ``SHAPES``, or alone by ``… strings``):
  the chain, every function also holding a ``str`` (an anonymous decl per function, docs/design/module.md §9),
  the edited one too.

The edit changes the constant of ``f{N/2}`` between 7 and 70 000: four more or fewer bytes, so every decl
after it moves (the body-only edit of §3.1 keeps the file's length); then edits that add or remove one line in
``f{N/2}`` (``update_lines``), then length-changing edits each in another function, that function's first
(``update_moving``: the parser's positions and the anonymous decls' names must not cost the distance between two
edited functions). ``session`` times such edits in process (the output file written and committed
as by ``zir watch``) and checks the executable's exit code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.gen import HEADER, start_decls
from bench.measure import stats

SHAPES: tuple[str, ...] = ("chain", "star", "tree")
STRINGS = "strings"
"""The chain with a ``str`` in every function: every update retires and revives every anonymous decl (module.md
§9.2), so its cost follows the number of functions holding strings, not the edit."""
WIDTHS: tuple[int, int] = (10, 100_000)
"""The edited constant alternates between values of these widths (2 and 6 digits; ``edited_constant``)."""
MASK = (1 << 64) - 1


def edited_constant(k: int) -> int:
    """The constant of the ``k``-th edit: alternately two and six digits, never repeated in 180 edits."""
    return WIDTHS[0] + (k // 2) % 90 if k % 2 == 0 else WIDTHS[1] + k


def callees(shape: str, n: int, i: int) -> list[int]:
    match shape:
        case "chain" | "strings":
            return [i - 1] if i > 0 else []
        case "star":
            return []
        case "tree":
            return [c for c in (2 * i + 1, 2 * i + 2) if c < n]
    raise ValueError(f"unknown shape {shape!r}")


@dataclass(slots=True)
class ShapeProgram:
    """One program of a shape, ``f{N/2}``'s constant set by ``edited_constant``."""

    shape: str
    n: int
    edited_constant: int = 1000
    extra_lines: int = 0
    """Lines of ``%x{k} = int(k)`` more in ``f{N/2}`` (a line-count-changing edit, performance.md §6.10)."""
    constants: dict[int, int] = field(default_factory=dict)
    """Other functions' edited constants (``moving_edits``)."""

    def constant(self, i: int) -> int:
        if i in self.constants:
            return self.constants[i]
        return self.edited_constant if i == self.n // 2 else 1000 + i

    def _fn(self, i: int) -> str:
        out = [f"@f{i} = fn(@fty, {{\n  %c = int({self.constant(i)})\n  %a = as(@usize, %c)\n"]
        if self.shape == STRINGS:
            out.append(f'  %m = str("f{i}")\n')
        if i == self.n // 2:
            out += [f"  %x{k} = int({k})\n" for k in range(self.extra_lines)]
        acc = "%a"
        for k, c in enumerate(callees(self.shape, self.n, i)):
            out.append(f"  %v{k} = call(@f{c}, [])\n  %s{k} = add({acc}, %v{k})\n")
            acc = f"%s{k}"
        out.append(f"  %r = return({acc})\n}})\n")
        return "".join(out)

    def source(self) -> bytes:
        parts = [HEADER, *(self._fn(i) for i in range(self.n))]
        if self.shape == "star":
            parts.append("@all = fn(@fty, {\n  %a0 = call(@f0, [])\n")
            parts += [f"  %b{i} = call(@f{i}, [])\n  %a{i} = add(%a{i - 1}, %b{i})\n" for i in range(1, self.n)]
            parts.append(f"  %r = return(%a{self.n - 1})\n}})\n")
        root = {"chain": f"f{self.n - 1}", "strings": f"f{self.n - 1}", "star": "all", "tree": "f0"}[self.shape]
        parts.append(start_decls(root))
        return "".join(parts).encode()

    def exit_code(self) -> int:
        value = [0] * self.n
        order = range(self.n) if self.shape in ("chain", STRINGS) else range(self.n - 1, -1, -1)
        for i in order:
            value[i] = (self.constant(i) + sum(value[c] for c in callees(self.shape, self.n, i))) & MASK
        total = sum(value) & MASK if self.shape == "star" else value[self.n - 1 if self.shape != "tree" else 0]
        return total % 256


def moving_edit_function(n: int, k: int) -> int:
    """The function of the ``k``-th edit that moves from function to function: a different one each time."""
    return (k * 7919 + 1) % n


class FileCost:
    """The thread CPU time an update spends on the saved file as a whole: reading it (the source provider's
    ``read``) and finding the changed bytes (``compiler/zir/bytediff.py`` ``changed_content``: the common prefix
    and suffix).

    That part is O(file) by design: an update must see a change anywhere in the file, and the file is re-read
    and compared with the last good version (docs/design/performance.md §6.11). The shapes report it apart
    from the rest of the update, so the N = 10 000 / N = 1 000 ratio of each part can be read."""

    def __init__(self) -> None:
        self.ns = 0
        self.compare_calls = 0

    def timed(self, fn: Callable[..., Any], *, compare: bool) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            t0 = time.thread_time_ns()
            try:
                return fn(*args)
            finally:
                self.ns += time.thread_time_ns() - t0
                self.compare_calls += compare

        return wrapper

    @contextmanager
    def measuring(self, module: Any) -> Iterator[None]:
        """Time ``module``'s source reads and the parser's prefix/suffix comparisons while inside. (Under the
        accelerated build the parser's calls are compiled and not seen: ``compare_calls`` stays 0.)"""
        from compiler.zir import regions

        names = vars(regions)  # the parser's globals: compiler/zir/bytediff.py's function, as regions.py calls it
        compare, provider = names["changed_content"], module.source_provider
        names["changed_content"] = self.timed(compare, compare=True)
        module.source_provider = _TimedSource(provider, self)
        try:
            yield
        finally:
            names["changed_content"] = compare
            module.source_provider = provider


class _TimedSource:
    """A source provider whose ``read`` adds its thread CPU time to a ``FileCost``."""

    def __init__(self, inner: Any, cost: FileCost) -> None:
        self.inner, self.path = inner, inner.path
        self.read = cost.timed(inner.read, compare=False)


def session(shape: str, n: int, workdir: Path, edits: int) -> dict[str, Any]:
    """A full build, then ``edits`` length-changing edits of ``f{N/2}`` timed in process (p50 of ``update``).

    ``update_cpu`` is the process's CPU time per update (every thread, user and system): what the update
    computes, without its waits for the disk (the commit's syncs) or for a core; on a loaded machine it is the
    steadier figure for comparing sizes. ``update_file_cpu`` is the part of it spent reading the saved file and
    comparing it with the last version (``FileCost``), ``update_rest_cpu`` the rest (each a p50 of its own)."""
    from bench.inproc import make_compilation
    from bench.watch import run_binary
    from compiler.runtime import tune_gc

    tune_gc()  # the collector thresholds `zir watch` and the server run with (a fresh interpreter per scenario)

    workdir.mkdir(parents=True, exist_ok=True)
    src, out = workdir / f"{shape}{n}.zir", workdir / f"{shape}{n}"
    out.unlink(missing_ok=True)
    prog = ShapeProgram(shape, n)
    src.write_bytes(prog.source())
    comp, _linker = make_compilation(src, out)
    comp.update()
    if comp.total_error_count() or run_binary(out) != prog.exit_code():
        raise RuntimeError(f"{shape} N={n}: the full build is wrong")
    # every edit's text is made before the timed edits, as the profiles do (bench/profiles.py): in a session
    # the editor, another process, makes and saves it; generating ~1.4 MB of Python strings here between two
    # updates put the generator's cache misses into the next update's figures (+0.04 to +0.26 ms CPU per
    # star edit at N = 10 000, none at 1 000: loaded A/B, per-thread CPU clocks). The save itself stays.
    texts: list[bytes] = []
    for k in range(edits):
        prog.edited_constant = edited_constant(k)
        texts.append(prog.source())
    line_texts: list[bytes] = []
    for k in range(edits):  # edits that add or remove a line in f{N/2} (and a value not seen before)
        prog.extra_lines = 1 - k % 2
        prog.edited_constant = edited_constant(edits + k)
        line_texts.append(prog.source())
    moving_texts: list[bytes] = []
    for k in range(edits):  # then each edit in another function (its first there; module.md §9.6, performance.md §6.2)
        prog.constants[moving_edit_function(n, k)] = edited_constant(k)
        moving_texts.append(prog.source())  # (after the line edits: their last text is the start)
    updates: list[float] = []
    cpu: list[float] = []
    file_cpu: list[float] = []
    counters: Any = None
    cost = FileCost()
    with cost.measuring(comp.module):
        for text in texts:
            src.write_bytes(text)
            cost.ns = 0
            c0, t0 = time.process_time(), time.perf_counter()
            report = comp.update()
            updates.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            file_cpu.append(cost.ns / 1e6)
            counters = report.counters
    lines: list[float] = []
    lines_cpu: list[float] = []
    _linker.inner.dwarf.defer_line_shifts = True  # as `zir watch`: moved functions' lines written when idle (§6.10)
    for text in line_texts:  # then edits that add or remove a line in f{N/2}
        src.write_bytes(text)
        c0, t0 = time.process_time(), time.perf_counter()
        comp.update()
        lines.append((time.perf_counter() - t0) * 1000)
        lines_cpu.append((time.process_time() - c0) * 1000)
    t0 = time.perf_counter()  # the idle pass that writes them (not in an edit's latency)
    _linker.inner.settle_line_numbers()
    _linker.inner.commit()
    settle_ms = (time.perf_counter() - t0) * 1000
    moving: list[float] = []
    moving_cpu: list[float] = []
    for text in moving_texts:
        src.write_bytes(text)
        c0, t0 = time.process_time(), time.perf_counter()
        comp.update()
        moving.append((time.perf_counter() - t0) * 1000)
        moving_cpu.append((time.process_time() - c0) * 1000)
    names_ms = None
    if shape == STRINGS:  # the anonymous decls' names those edits left stale, brought up to date as a reader would
        c0 = time.process_time()
        comp.module.materialize_anon_names()
        names_ms = (time.process_time() - c0) * 1000
    if run_binary(out) != prog.exit_code():
        raise RuntimeError(f"{shape} N={n}: wrong exit code after the edits")
    comp.close()
    parts: dict[str, Any] = {}
    if cost.compare_calls:  # the parser's comparisons were seen (not compiled): the split is complete
        parts["update_file_cpu"] = stats(file_cpu, skip_first=True).as_json()
        parts["update_rest_cpu"] = stats([c - f for c, f in zip(cpu, file_cpu, strict=True)], skip_first=True).as_json()
    return {
        "update": stats(updates, skip_first=True).as_json(),
        "update_cpu": stats(cpu, skip_first=True).as_json(),
        **parts,
        "counters_last": counters,
        "update_lines": stats(lines, skip_first=True).as_json(),
        "update_lines_cpu": stats(lines_cpu, skip_first=True).as_json(),
        "settle_lines_ms": settle_ms,
        "update_moving": stats(moving, skip_first=True).as_json(),
        "update_moving_cpu": stats(moving_cpu, skip_first=True).as_json(),
        **({"names_after_moving_cpu_ms": names_ms} if names_ms is not None else {}),
    }
