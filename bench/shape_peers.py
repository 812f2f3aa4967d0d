"""The length-changing edits of the three program shapes end to end, beside Zig and GNU `as` + `ld` (issue 13).

``bench.shapes`` times the edits in process. This module measures what a user sees for the same edits, the way
performance.md §4.2 and §4.8 measure the chain's body-only edit, with the peers doing the same work:

- *ZIR Live*: one `zir watch --json --manual` process per shape; each edit writes the saved file, sends
  ``update``, waits for the JSON line and runs the binary, which must exit with the program's value;
- *Zig 0.17.1*: the same program written in Zig (``shape_zig``), `zig build --watch -fincremental`; each edit
  writes ``main.zig`` and waits until the installed binary has changed and exits with the new value;
- *GNU* `as` + `ld`: no incremental mode, so an edit costs a full build of the same program written in
  assembly (``shape_asm``): both tools run on the edited file, and the result must exit with the new value.

The edit is ``bench.shapes``'s: ``f{N/2}``'s constant alternates between two and six digits
(``edited_constant``), so everything after it moves. Zig's and the assembly's functions are ``g{i}`` (names like
``f128`` are Zig types) and compute the same values, so one ``ShapeProgram.exit_code`` checks all three.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.gen import zig_build
from bench.measure import stats
from bench.peers import ZIG_CACHE, stop_watch, wait_for_binary_change
from bench.shapes import SHAPES, ShapeProgram, callees, edited_constant
from bench.watch import WatchProcess, run_binary

ZIG_EXE = "shape"
"""The Zig peer's executable name (its `build.zig`)."""


def shape_zig(prog: ShapeProgram) -> str:
    """``prog`` in Zig: ``g{i}`` returns its constant plus its callees' results; the star's ``all`` adds every
    function's result one statement at a time (as the ZIR program does), and ``main`` returns the root's value
    truncated to the exit code."""
    parts: list[str] = []
    for i in range(prog.n):
        calls = "".join(f" + g{c}()" for c in callees(prog.shape, prog.n, i))
        parts.append(f"fn g{i}() usize {{\n    return {prog.constant(i)}{calls};\n}}\n")
    if prog.shape == "star":
        parts.append("fn all() usize {\n    var s: usize = 0;\n")
        parts += [f"    s += g{i}();\n" for i in range(prog.n)]
        parts.append("    return s;\n}\n")
    root = {"chain": f"g{prog.n - 1}", "star": "all", "tree": "g0"}[prog.shape]
    parts.append(f"pub fn main() u8 {{\n    return @truncate({root}());\n}}\n")
    return "".join(parts)


def shape_asm(prog: ShapeProgram) -> str:
    """``prog`` as a static GNU assembly program (Intel syntax): each ``g{i}`` keeps its running sum in ``rbx``
    (saved), ``_start`` exits with the root's value."""
    lines = [".intel_syntax noprefix", ".text"]
    for i in range(prog.n):
        lines += [f"g{i}:", "  push rbx", f"  mov rbx, {prog.constant(i)}"]
        for c in callees(prog.shape, prog.n, i):
            lines += [f"  call g{c}", "  add rbx, rax"]
        lines += ["  mov rax, rbx", "  pop rbx", "  ret"]
    if prog.shape == "star":
        lines += ["all:", "  push rbx", "  xor ebx, ebx"]
        for i in range(prog.n):
            lines += [f"  call g{i}", "  add rbx, rax"]
        lines += ["  mov rax, rbx", "  pop rbx", "  ret"]
    root = {"chain": f"g{prog.n - 1}", "star": "all", "tree": "g0"}[prog.shape]
    lines += [".globl _start", "_start:", f"  call {root}", "  mov rdi, rax", "  mov eax, 231", "  syscall", ""]
    return "\n".join(lines)


def _programs(shape: str, n: int, edits: int) -> list[ShapeProgram]:
    """The program after each edit (index 0: before the first)."""
    return [ShapeProgram(shape, n, edited_constant(k)) for k in range(edits + 1)]


def zir_edits(shape: str, n: int, workdir: Path, edits: int) -> dict[str, Any]:
    """Save → runnable through one `zir watch --json --manual` process (its first update a full build)."""
    workdir.mkdir(parents=True, exist_ok=True)
    progs = _programs(shape, n, edits)
    src, out = workdir / f"{shape}{n}.zir", workdir / f"{shape}{n}"
    out.unlink(missing_ok=True)
    src.write_bytes(progs[0].source())
    cache = Path(tempfile.mkdtemp(prefix="zir-shape-cache-"))  # empty: the first update is a full build
    watch = WatchProcess(src, out, cache_dir=cache)
    to_run: list[float] = []
    reported: list[float] = []
    wrong: list[int] = []
    try:
        if not watch.update().line.get("ok") or run_binary(out) != progs[0].exit_code():
            raise RuntimeError(f"zir watch: the first build of {shape} {n} failed or exits wrongly")
        for k in range(1, edits + 1):
            data = progs[k].source()
            t0 = time.perf_counter()
            src.write_bytes(data)
            upd = watch.update()
            rc = run_binary(out)
            to_run.append((time.perf_counter() - t0) * 1000)
            reported.append(float(upd.line.get("ms", 0.0)))
            if not upd.line.get("ok") or rc != progs[k].exit_code():
                wrong.append(k)
    finally:
        watch.close()
        shutil.rmtree(cache, ignore_errors=True)
    return {
        "save_to_runnable": stats(to_run, skip_first=True).as_json(),
        "update_reported_ms": stats(reported, skip_first=True).as_json(),
        "wrong_results": wrong,
    }


def zig_edits(zig: Path, shape: str, n: int, workdir: Path, edits: int, timeout_s: float = 600.0) -> dict[str, Any]:
    """Save → runnable through `zig build --watch -fincremental` (performance.md §4.8, as ``peers.zig_peer``)."""
    root = workdir / f"zig-{shape}{n}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "build.zig").write_text(zig_build(ZIG_EXE))
    main, binary = root / "main.zig", root / "zig-out" / "bin" / ZIG_EXE
    progs = _programs(shape, n, edits)
    main.write_text(shape_zig(progs[0]))
    env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=str(ZIG_CACHE / "zig-global-cache"))
    log = (workdir / f"zig-{shape}{n}.log").open("wb")
    watch = subprocess.Popen([str(zig), "build", "--watch", "-fincremental"], cwd=root, env=env, stdout=log, stderr=log)
    to_binary: list[float] = []
    to_run: list[float] = []
    try:
        deadline = time.perf_counter() + timeout_s
        mtime = wait_for_binary_change(binary, -1, deadline)
        while subprocess.run([str(binary)], check=False).returncode != progs[0].exit_code():
            mtime = wait_for_binary_change(binary, mtime, deadline)  # the install copy may still be running
        time.sleep(0.5)  # let the watcher settle before the first edit
        for k in range(1, edits + 1):
            expected = progs[k].exit_code()
            text = shape_zig(progs[k])
            t0 = time.perf_counter()
            main.write_text(text)
            mtime = wait_for_binary_change(binary, mtime, t0 + timeout_s)
            t1 = time.perf_counter()
            while subprocess.run([str(binary)], check=False).returncode != expected:
                mtime = wait_for_binary_change(binary, mtime, t0 + timeout_s)
            to_binary.append((t1 - t0) * 1000)
            to_run.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.2)  # the watcher debounces; do not coalesce two edits
    finally:
        stop_watch(watch)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "edit_to_binary": stats(to_binary, skip_first=True).as_json(),
        "save_to_runnable": stats(to_run, skip_first=True).as_json(),
    }


def gnu_edits(shape: str, n: int, workdir: Path, edits: int) -> dict[str, Any]:
    """Save → runnable for `as` + `ld`: each edit a full build of the edited assembly, then a run."""
    workdir.mkdir(parents=True, exist_ok=True)
    src, obj, exe = workdir / f"{shape}{n}.s", workdir / f"{shape}{n}.o", workdir / f"{shape}{n}.gnu"
    to_run: list[float] = []
    wrong: list[int] = []
    for k, prog in enumerate(_programs(shape, n, edits)):
        text = shape_asm(prog)
        t0 = time.perf_counter()
        src.write_text(text)
        subprocess.run(["as", "-o", str(obj), str(src)], check=True)
        subprocess.run(["ld", "-static", "-o", str(exe), str(obj)], check=True)
        rc = run_binary(exe)
        if k > 0:
            to_run.append((time.perf_counter() - t0) * 1000)
        if rc != prog.exit_code():
            wrong.append(k)
    return {"save_to_runnable": stats(to_run, skip_first=True).as_json(), "wrong_results": wrong}


def measure(
    n: int, workdir: Path, edits: int, zig: Path | None, gnu: bool, shapes: Sequence[str] = SHAPES
) -> dict[str, Any]:
    """Every shape at ``n``: ZIR Live, and the peers that are available (a peer's failure is recorded per shape)."""
    result: dict[str, Any] = {}
    for shape in shapes:
        row: dict[str, Any] = {"zir": zir_edits(shape, n, workdir / "zir", edits)}
        if gnu:
            row["gnu"] = gnu_edits(shape, n, workdir / "gnu", min(edits, 10))
        if zig is not None:
            try:
                row["zig"] = zig_edits(zig, shape, n, workdir, min(edits, 10))
            except (OSError, subprocess.SubprocessError, TimeoutError) as exc:
                row["zig_error"] = f"{type(exc).__name__}: {exc}"
        result[shape] = row
    return result
