"""The peers ZIR Live is compared with: GNU `as` + `ld` full builds, and Zig's incremental compiler.

performance.md §3.2, §3.3, §4.8. Zig comes from the PyPI package `ziglang`, downloaded once (≈100 MB) into a
cache directory outside the repository and never installed into the project's virtualenv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.gen import ZIG_BUILD, ChainProgram, chain_asm, chain_zig
from bench.measure import byte_diff, median, stats

ZIG_VERSION = "0.17.1"
"""The Zig release of the anchors in performance.md §1.1."""

ZIG_CACHE = Path(os.environ.get("ZIR_BENCH_CACHE", Path.home() / ".cache" / "zir-live-bench"))
"""Where the `ziglang` wheel is unpacked (override with ZIR_BENCH_CACHE)."""


def gnu_available() -> bool:
    return shutil.which("as") is not None and shutil.which("ld") is not None


def gnu_full_build(n: int, workdir: Path, repeats: int) -> dict[str, Any]:
    """Time `as` and `ld` (each a fresh process, as a build would run them) on chain N; check the result runs."""
    workdir.mkdir(parents=True, exist_ok=True)
    src, obj, exe = workdir / f"chain{n}.s", workdir / f"chain{n}.o", workdir / f"chain{n}"
    src.write_text(chain_asm(n))
    as_ms: list[float] = []
    ld_ms: list[float] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(["as", "-o", str(obj), str(src)], check=True)
        t1 = time.perf_counter()
        subprocess.run(["ld", "-static", "-o", str(exe), str(obj)], check=True)
        t2 = time.perf_counter()
        as_ms.append((t1 - t0) * 1000)
        ld_ms.append((t2 - t1) * 1000)
    rc = subprocess.run([str(exe)], check=False).returncode
    expected = ChainProgram(n).exit_code()
    total = [a + b for a, b in zip(as_ms, ld_ms, strict=True)]
    return {
        "as_ms": round(median(as_ms), 3),
        "ld_ms": round(median(ld_ms), 3),
        "full_build": stats(total).as_json(),
        "output_size": exe.stat().st_size,
        "exit_code": rc,
        "exit_code_ok": rc == expected,
        "bytes_written_per_build": exe.stat().st_size + obj.stat().st_size,
    }


def zig_executable(download: bool) -> Path | None:
    """The cached `zig` of ZIG_VERSION; downloads and unpacks the `ziglang` wheel when `download` is set."""
    root = ZIG_CACHE / f"ziglang-{ZIG_VERSION}"
    exe = root / "ziglang" / "zig"
    if exe.exists():
        return exe
    if not download:
        return None
    wheels = ZIG_CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(wheels),
            f"ziglang=={ZIG_VERSION}",
        ],
        check=True,
    )
    wheel = next(wheels.glob(f"ziglang-{ZIG_VERSION}-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(root)
    exe.chmod(0o755)
    return exe


@dataclass(slots=True)
class ZigProject:
    """A Zig project holding chain N, built with `zig build` in its own directory."""

    zig: Path
    n: int
    root: Path

    @property
    def main(self) -> Path:
        return self.root / "main.zig"

    @property
    def binary(self) -> Path:
        return self.root / "zig-out" / "bin" / "chain"

    def write(self, bump: int) -> None:
        self.main.write_text(chain_zig(self.n, bump))

    def setup(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        (self.root / "build.zig").write_text(ZIG_BUILD)
        self.write(0)


def wait_for_binary_change(binary: Path, old_mtime: int, deadline: float) -> int:
    """Wait until `binary`'s mtime differs from `old_mtime` (a polled file: Zig reports nothing on stdout)."""
    while time.perf_counter() < deadline:
        try:
            mtime = binary.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = -1
        if mtime != old_mtime and mtime != -1:
            return mtime
        time.sleep(0.0005)
    raise TimeoutError(f"{binary} did not change")


def zig_peer(zig: Path, n: int, workdir: Path, edits: int, timeout_s: float = 600.0) -> dict[str, Any]:
    """Cold `zig build`, then `zig build --watch -fincremental` with `edits` one-function edits.

    Each edit's clock runs from writing main.zig until the installed binary has changed and, run, exits
    with the new expected code (the build system's copy to zig-out is included, as a user would see it).
    """
    proj = ZigProject(zig, n, workdir / f"zig{n}")
    proj.setup()
    env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=str(ZIG_CACHE / "zig-global-cache"))
    t0 = time.perf_counter()
    subprocess.run([str(zig), "build"], cwd=proj.root, env=env, check=True, capture_output=True)
    cold_ms = (time.perf_counter() - t0) * 1000
    shutil.rmtree(proj.root / "zig-out")
    shutil.rmtree(proj.root / ".zig-cache", ignore_errors=True)
    log = (workdir / f"zig{n}.log").open("wb")
    watch = subprocess.Popen(
        [str(zig), "build", "--watch", "-fincremental"], cwd=proj.root, env=env, stdout=log, stderr=log
    )
    result: dict[str, Any] = {"cold_build_ms": round(cold_ms, 3)}
    try:
        t0 = time.perf_counter()
        mtime = wait_for_binary_change(proj.binary, -1, t0 + timeout_s)
        while subprocess.run([str(proj.binary)], check=False).returncode != ChainProgram(n).exit_code():
            time.sleep(0.001)
        result["first_watch_build_ms"] = round((time.perf_counter() - t0) * 1000, 3)
        time.sleep(0.5)  # let the watcher settle before the first edit
        before = workdir / f"zig{n}.before"
        saves: list[float] = []
        runnable: list[float] = []
        diff = None
        for k in range(1, edits + 1):
            shutil.copyfile(proj.binary, before)
            expected = ChainProgram(n, bump=k).exit_code()
            t0 = time.perf_counter()
            proj.write(k)
            mtime = wait_for_binary_change(proj.binary, mtime, t0 + timeout_s)
            t1 = time.perf_counter()
            while True:
                rc = subprocess.run([str(proj.binary)], check=False).returncode
                if rc == expected:
                    break
                # the copy may still be in progress: wait for the next change
                mtime = wait_for_binary_change(proj.binary, mtime, t0 + timeout_s)
            t2 = time.perf_counter()
            saves.append((t1 - t0) * 1000)
            runnable.append((t2 - t0) * 1000)
            if k == 1:
                diff = byte_diff(before, proj.binary)
            time.sleep(0.2)  # the watcher debounces; do not coalesce two edits
        result["edit_to_binary"] = stats(saves, skip_first=True).as_json()
        result["save_to_runnable"] = stats(runnable, skip_first=True).as_json()
        result["output_size"] = proj.binary.stat().st_size
        if diff is not None:
            result["installed_bytes_changed"] = diff.bytes_changed
            result["installed_pages_changed"] = diff.pages_changed
    finally:
        stop_watch(watch)
        log.close()
    return result


def stop_watch(watch: subprocess.Popen[bytes]) -> None:
    """End a `zig build --watch` process: asked to terminate, killed if it has not exited within 10 s."""
    watch.terminate()
    try:
        watch.wait(10)
    except subprocess.TimeoutExpired:
        watch.kill()
        watch.wait()


def zig_cold_build(zig: Path, n: int, workdir: Path, repeats: int = 1) -> dict[str, Any]:
    """Zig 0.17.1's cold `zig build` of chain N (fresh project, no local cache; median of ``repeats``).

    The global cache (Zig's own compiler_rt and std build artifacts) is kept, as on a developer's machine, the
    same as `zig_peer`'s cold build. The installed binary must exit with the chain's exit code.
    """
    proj = ZigProject(zig, n, workdir / f"zig{n}")
    env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=str(ZIG_CACHE / "zig-global-cache"))
    walls: list[float] = []
    for _ in range(repeats):
        proj.setup()
        t0 = time.perf_counter()
        subprocess.run([str(zig), "build"], cwd=proj.root, env=env, check=True, capture_output=True)
        walls.append((time.perf_counter() - t0) * 1000)
    rc = subprocess.run([str(proj.binary)], check=False).returncode
    return {"cold_build": stats(walls).as_json(), "exit_code_ok": rc == ChainProgram(n).exit_code()}
