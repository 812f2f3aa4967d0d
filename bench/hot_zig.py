"""The Zig row of the hot-swap benchmark: Zig 0.17's ``zig build --watch -fincremental`` on the same edit.

The equivalent Zig program: ``g0`` writes ``tick WORD`` and calls ``g1`` → … → ``g{N-1}``; ``main`` loops
calling ``g0`` with a 1 ms ``poll`` between iterations (raw Linux system calls, as the ZIR program makes them).
Zig cannot put new code into a running process, so its figure is the rebuild plus a restart: from writing
``main.zig`` (the text prepared beforehand) to the installed binary having changed (**save → rebuilt**), and
to the first line with the new word from the rebuilt binary, started after the old process was killed (**save
→ new output**, half a period subtracted like the ZIR rows). The watcher runs with ``--debounce 0`` (its
default waits 50 ms after a change before rebuilding; ZIR Live's watch processes a finished write at once).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.gen import zig_build
from bench.hot import PERIOD_MS, Lines, _percentiles
from bench.peers import ZIG_CACHE, stop_watch, wait_for_binary_change


def zig_source(n: int, word: str) -> str:
    """The Zig program with ``g0`` printing ``tick WORD`` and a chain of ``n`` functions."""
    parts = ['const linux = @import("std").os.linux;\n\n']
    call = "    g1();\n" if n > 1 else ""
    parts.append(
        f'fn g0() void {{\n    const msg = "tick {word}\\n";\n'
        f"    _ = linux.syscall3(.write, 1, @intFromPtr(msg.ptr), msg.len);\n{call}}}\n"
    )
    for i in range(1, n):
        body = f"    g{i + 1}();\n" if i + 1 < n else ""
        parts.append(f"fn g{i}() void {{\n{body}}}\n")
    parts.append(
        "pub fn main() void {\n    while (true) {\n        g0();\n"
        f"        _ = linux.syscall3(.poll, 0, 0, {int(PERIOD_MS)});\n    }}\n}}\n"
    )
    return "".join(parts)


def _start(binary: Path, lines: Lines) -> subprocess.Popen[bytes]:
    for _ in range(1000):
        try:
            return subprocess.Popen([str(binary)], stdin=subprocess.DEVNULL, stdout=lines.write_fd)
        except OSError:  # the install step is still replacing the file
            time.sleep(0.001)
    raise TimeoutError(f"{binary} did not start")


def measure_zig(zig: Path, tmp: Path, n: int, edits: int, timeout_s: float = 900.0) -> dict[str, Any]:
    """Save → rebuilt and save → new output for ``edits`` edits under ``zig build --watch -fincremental``."""
    root = tmp / f"zig{n}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    texts = [zig_source(n, f"w{k}") for k in range(edits + 1)]
    (root / "build.zig").write_text(zig_build("hot"))
    main, binary = root / "main.zig", root / "zig-out" / "bin" / "hot"
    main.write_text(texts[0])
    env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=str(ZIG_CACHE / "zig-global-cache"))
    log = (tmp / f"zig{n}.log").open("wb")
    watch = subprocess.Popen(
        [str(zig), "build", "--watch", "-fincremental", "--debounce", "0"],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    lines = Lines()
    rebuilt: list[float] = []
    new_output: list[float] = []
    proc: subprocess.Popen[bytes] | None = None
    try:
        t0 = time.perf_counter()
        mtime = wait_for_binary_change(binary, -1, t0 + timeout_s)
        first_build_ms = (time.perf_counter() - t0) * 1000.0
        proc = _start(binary, lines)
        lines.wait_for(" w0", timeout=60.0)
        for k in range(1, edits + 1):
            time.sleep(0.1)  # the watcher re-arms after a build; two saves must not coalesce
            start = time.perf_counter()
            main.write_text(texts[k])
            mtime = wait_for_binary_change(binary, mtime, start + timeout_s)
            built = time.perf_counter()
            proc.kill()
            proc.wait()
            proc = _start(binary, lines)
            seen = lines.wait_for(f" w{k}", timeout=60.0)
            rebuilt.append((built - start) * 1000.0)
            new_output.append((seen - start) * 1000.0 - PERIOD_MS / 2)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        stop_watch(watch)
        log.close()
        os.close(lines.write_fd)
    return {
        "first_watch_build_ms": round(first_build_ms, 3),
        "save_to_rebuilt_ms": _percentiles(rebuilt),
        "save_to_new_output_ms": _percentiles(new_output),
    }
