"""Cold-process costs: `zir --version`, `zir build hello.zir`, fresh full builds, and peak memory (issue 13).

What a user meets when nothing is running yet: every number here is a new process. Bytecode is warmed first
and `PYTHONDONTWRITEBYTECODE` is removed from the children's environment, because an installed package has
its `.pyc` files (pip compiles them; `scripts/setup.sh` does it for a development checkout), while a checkout
run with that variable set recompiles every module on every start.

- `version_ms` / `hello_ms`: median wall and CPU time of `zir --version` and `zir build examples/hello.zir`.
- `no_cache_ms`: the same build with `--no-cache` (no reading, checking or writing of the compile cache: what
  the cache costs a program this small, which it cannot pay back; docs/design/performance.md §10.4).
- `build_ms[N]`: one fresh `zir build` of the chain program N (docs/design/performance.md §3.1), with the
  output's sha256 (the byte-identity check of every optimisation).
- `watch_rss_mib` / `server_rss_mib`: peak RSS (VmHWM) of `zir watch` after its first build (from nothing: no
  output, an empty compile cache of its own) and one edit,
  and of the language server after opening the chain file and publishing its diagnostics.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.gen import ChainProgram
from bench.lspclient import LspClient, is_diagnostics_for, server_command
from bench.watch import WatchProcess

REPO = Path(__file__).resolve().parent.parent

GOALS = {"version_ms": 40.0, "hello_ms": 80.0, "watch_rss_mib_100000": 400.0, "server_rss_mib_100000": 500.0}
"""Issue 13's cold-start and memory goals (absolute, on the benchmark machine)."""


def user_env(cache_dir: Path | None = None) -> dict[str, str]:
    """The children's environment: this checkout first on the path, bytecode caching allowed, and the
    compile cache in ``cache_dir`` (a full build from nothing needs an empty one)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if cache_dir is not None:
        env["ZIR_CACHE_DIR"] = str(cache_dir)
    return env


def zir_command() -> list[str]:
    """The `zir` console script next to this interpreter (what a user runs), else `python -m compiler`."""
    script = Path(sys.executable).parent / "zir"
    return [str(script)] if script.exists() else [sys.executable, "-m", "compiler"]


def warm_bytecode() -> None:
    """Compile every module once, as an install does, so the timed runs read `.pyc` files."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "compiler", "server", "bench"],
        cwd=REPO,
        env=user_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(cmd: list[str], cwd: Path, cache_dir: Path | None = None) -> tuple[float, float]:
    """(wall ms, CPU ms) of one child process; CPU time (user + system) is what a loaded machine disturbs
    least, wall time is what a user waits."""
    env = user_env(cache_dir)
    cpu0 = _children_cpu_s()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ms = (time.perf_counter() - t0) * 1000
    cpu = (_children_cpu_s() - cpu0) * 1000
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (rc={proc.returncode}): {proc.stderr.decode()[-500:]}")
    return ms, cpu


def median_ms(cmd: list[str], cwd: Path, runs: int, cache_dir: Path | None = None) -> dict[str, float]:
    """Median wall and CPU time of `runs` fresh processes (one untimed run first, for the file cache)."""
    timed_run(cmd, cwd, cache_dir)
    samples = [timed_run(cmd, cwd, cache_dir) for _ in range(runs)]
    return {
        "wall": round(statistics.median(w for w, _ in samples), 1),
        "cpu": round(statistics.median(c for _, c in samples), 1),
    }


def python_ms(runs: int) -> dict[str, float]:
    """`python -c pass` with the same environment: the floor no command of ours can go under."""
    return median_ms([sys.executable, "-c", "pass"], REPO, runs)


def full_build(n: int, work: Path) -> dict[str, Any]:
    """One fresh-process `zir build` of chain N from nothing (no output, an empty compile cache): wall and CPU
    ms and the output's sha256."""
    src = work / f"chain{n}.zir"
    out = work / f"chain{n}"
    src.write_bytes(ChainProgram(n).source())
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="zir-cold-cache-") as cache:
        wall, cpu = timed_run([*zir_command(), "build", str(src), "-o", str(out)], work, Path(cache))
    return {"wall": round(wall, 1), "cpu": round(cpu, 1), "sha256": hashlib.sha256(out.read_bytes()).hexdigest()}


def watch_rss_mib(n: int, work: Path) -> float:
    """Peak RSS of `zir watch --manual` on chain N after a first build from nothing and one body edit.

    The state measured: no output file before and an empty compile cache of its own (a fresh `ZIR_CACHE_DIR`
    per measurement), so every run measures the same full build, never a restore from an earlier run's cache;
    the edited text is generated before the first update so that the edit follows its answer at once, before the
    process's idle cache save (`CACHE_IDLE_S` without events; docs/design/performance.md §9.4 gives what that
    save adds)."""
    src = work / f"watch{n}.zir"
    out = work / f"watch{n}"
    src.write_bytes(ChainProgram(n).source())
    edited = ChainProgram(n, bump=1).source()
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="zir-rss-cache-") as cache:
        proc = WatchProcess(src, out, cache_dir=Path(cache))
        try:
            proc.update()
            src.write_bytes(edited)
            proc.update()
            _, peak = proc.rss_kib()
        finally:
            proc.close()
    if peak is None:
        raise RuntimeError("no VmHWM for the watch process")
    return round(peak / 1024, 1)


def server_rss_mib(n: int, work: Path, timeout: float = 900.0) -> float:
    """Peak RSS of the language server after opening chain N and analysing it (not only its first diagnostics:
    a large text that parses is announced with an empty list before its analysis)."""
    src = work / f"server{n}.zir"
    text = ChainProgram(n).source().decode()
    src.write_text(text)
    uri = src.resolve().as_uri()
    client = LspClient(server_command(), work)
    try:
        client.open_session(work, uri, text)
        client.wait(is_diagnostics_for(uri, 1), timeout)
        # zir.memoryUsage runs on the editor thread, after the analysis queued there before it
        client.request("workspace/executeCommand", {"command": "zir.memoryUsage", "arguments": []}, timeout)
        _, peak = client.rss_kib()
    finally:
        client.close()
    if peak is None:
        raise RuntimeError("no VmHWM for the server process")
    return round(peak / 1024, 1)


def measure(
    *,
    runs: int = 11,
    sizes: tuple[int, ...] = (1_000, 10_000),
    rss_n: int | None = 10_000,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """All of the cold rows; `rss_n=None` skips the memory rows (they take minutes at N = 100 000).

    The output's path is inside `workdir` (DWARF names the directory), so comparing sha256 before and after
    a change needs the same `workdir`; by default a fresh temporary directory."""
    warm_bytecode()
    result: dict[str, Any] = {
        "python_ms": python_ms(runs),
        "version_ms": median_ms([*zir_command(), "--version"], REPO, runs),
        "hello_ms": _hello_ms(runs),
        "no_cache_ms": _hello_ms(runs, "--no-cache"),
        "build": {},
    }
    with tempfile.TemporaryDirectory(prefix="zir-cold-") as tmp:
        work = Path(tmp) if workdir is None else workdir
        work.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            result["build"][str(n)] = full_build(n, work)
        if rss_n is not None:
            result["rss_n"] = rss_n
            result["watch_rss_mib"] = watch_rss_mib(rss_n, work)
            result["server_rss_mib"] = server_rss_mib(rss_n, work)
    return result


def _hello_ms(runs: int, *options: str) -> dict[str, float]:
    """`zir build hello.zir` again and again, as a user repeats it: the output and the compile cache of the
    previous run in place (in a temporary directory, not the user's cache)."""
    with tempfile.TemporaryDirectory(prefix="zir-hello-") as tmp:
        out = str(Path(tmp) / "hello")
        cmd = [*zir_command(), "build", *options, str(REPO / "examples" / "hello.zir"), "-o", out]
        return median_ms(cmd, REPO, runs, Path(tmp) / "cache")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cold", description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=11, help="processes per median (default 11)")
    p.add_argument("--sizes", default="1000,10000", help="chain sizes of the full builds (default 1000,10000)")
    p.add_argument("--rss-n", type=int, default=10_000, help="N of the memory rows (default 10000)")
    p.add_argument("--big", action="store_true", help="memory rows at N = 100 000 (the goal's size)")
    p.add_argument("--no-rss", action="store_true", help="skip the memory rows")
    p.add_argument("--workdir", type=Path, help="build here (the same path gives comparable sha256)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    a = p.parse_args(argv)
    sizes = tuple(int(s) for s in a.sizes.split(",") if s)
    rss_n = None if a.no_rss else (100_000 if a.big else a.rss_n)
    result = measure(runs=a.runs, sizes=sizes, rss_n=rss_n, workdir=a.workdir)
    if a.json:
        print(json.dumps(result))
        return 0
    rows = [("python -c pass", result["python_ms"], ""), ("zir --version", result["version_ms"], "version_ms")]
    rows.append(("zir build hello.zir", result["hello_ms"], "hello_ms"))
    rows.append(("  the same, --no-cache", result["no_cache_ms"], ""))
    for name, row, goal in rows:
        target = f"   (goal <= {GOALS[goal]:.0f} ms wall)" if goal else ""
        print(f"{name:<22}{row['wall']:9.1f} ms wall {row['cpu']:9.1f} ms cpu{target}")
    for n, row in result["build"].items():
        name = f"zir build chain {n}"
        print(f"{name:<22}{row['wall']:9.1f} ms wall {row['cpu']:9.1f} ms cpu   sha256 {row['sha256'][:16]}")
    if rss_n is not None:
        print(f"zir watch peak RSS    {result['watch_rss_mib']:8.1f} MiB at N = {rss_n}")
        print(f"server peak RSS       {result['server_rss_mib']:8.1f} MiB at N = {rss_n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
