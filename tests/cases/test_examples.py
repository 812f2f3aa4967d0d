"""Conformance runner over tests/cases/{examples,ours,complete}/*: every case through the Python API and the `zir` CLI.

`examples/` mirrors ../shared/examples; `complete/` mirrors ../shared/examples-complete (the whole language,
docs/design/language-complete.md; its cases may set `mode`, and expect `stderr` and `signal`); `ours/` holds the
project's own cases in the same format.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.link.null import NullLinker
from compiler.module.module import OptimizeMode
from compiler.source import FileSource

ROOT = Path(__file__).resolve().parent
GROUPS = ("examples", "ours", "complete")
ZIR = [sys.executable, "-m", "compiler"]

# Cases of complete/ that need work not landed yet: strict, so each flips to a failure (remove it) once it passes.
PENDING: dict[str, str] = {}


def _param(case: str) -> Any:
    reason = PENDING.get(case)
    if reason is None:
        return case
    return pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=reason))


def _case_names() -> list[str]:
    return sorted(
        f"{group}/{p.name}" for group in GROUPS for p in (ROOT / group).iterdir() if (p / "case.json").is_file()
    )


CASES = [_param(c) for c in _case_names()]


def load(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / case / "case.json").read_text())
    return data


def is_run(expect: dict[str, Any]) -> bool:
    """An update whose binary is run: it exits with `exit_code` or dies by `signal`."""
    return "exit_code" in expect or "signal" in expect


def has_runs(case: str) -> bool:
    return any(is_run(u["expect"]) for u in load(case)["updates"])


def mode_of(case: str) -> str:
    mode: str = load(case).get("mode", "Debug")
    return mode


def run_binary(path: str) -> tuple[int, str, str]:
    proc = subprocess.run([os.path.abspath(path)], capture_output=True, timeout=20, cwd=os.path.dirname(path))
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def check_run(where: str, expect: dict[str, Any], code: int, stdout: str, stderr: str) -> None:
    """The process's fate: `exit_code` N, or killed by `signal` N (returncode -N); stdout, and stderr if given."""
    want_code = -expect["signal"] if "signal" in expect else expect["exit_code"]
    assert (code, stdout) == (want_code, expect["stdout"]), where
    if "stderr" in expect:
        assert stderr == expect["stderr"], where


def check_update(case: str, i: int, expect: dict[str, Any], errors: list[str], emitted: bytes | None) -> None:
    where = f"{case} update {i + 1}"
    if "errors" in expect:
        assert sorted(errors) == sorted(expect["errors"]), where
    elif "emit_zir_file" in expect:
        assert errors == [], where
        want = (ROOT / case / expect["emit_zir_file"]).read_bytes()
        assert emitted == want, where
    else:
        assert errors == [], where


@pytest.mark.parametrize("case", CASES)
def test_case_through_api(case: str, tmp_path: Path) -> None:
    spec = load(case)
    runs = has_runs(case)
    src = tmp_path / "case.zir"
    mode = OutputMode.OBJ if spec["obj"] else OutputMode.EXE
    out = str(tmp_path / ("case.o" if spec["obj"] else "case")) if runs else None
    linker = NullLinker(mode) if out is None else None
    optimize = OptimizeMode(mode_of(case))
    comp = Compilation(Options(str(src), out, mode, optimize), FileSource(str(src)), linker)
    try:
        for i, update in enumerate(spec["updates"]):
            src.write_bytes((ROOT / case / update["source"]).read_bytes())
            report = comp.update()
            errors = [e.render("") for e in comp.all_errors()]
            assert report.error_count == len(errors) == comp.total_error_count()
            expect = update["expect"]
            emitted = comp.emit_zir() if "emit_zir_file" in expect else None
            check_update(case, i, expect, errors, emitted)
            if is_run(expect):
                assert report.binary is not None and report.committed
                check_run(f"{case} update {i + 1}", expect, *run_binary(report.binary))
    finally:
        comp.close()


def conformance_errors(line: dict[str, Any]) -> list[str]:
    return [f":{e['line']}:{e['column']}: error: {e['message']}" for e in line["errors"]]


@pytest.mark.parametrize("case", CASES)
def test_case_through_cli_watch(case: str, tmp_path: Path) -> None:
    """Every case through `zir watch --json --manual`, one `update` command per update."""
    spec = load(case)
    runs = has_runs(case)
    src = tmp_path / "case.zir"
    emit_path = tmp_path / "emitted.zir"
    args = [*ZIR, "watch", str(src), "--json", "--manual", "--emit-zir", str(emit_path), "--mode", mode_of(case)]
    if spec["obj"]:
        args.append("--obj")
    if runs:
        args += ["-o", str(tmp_path / "case")]
    else:
        args.append("--no-emit-bin")
    src.write_bytes(b"")
    proc = subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, text=True
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for i, update in enumerate(spec["updates"]):
            src.write_bytes((ROOT / case / update["source"]).read_bytes())
            if emit_path.exists():
                emit_path.unlink()
            proc.stdin.write("update\n")
            proc.stdin.flush()
            line = json.loads(proc.stdout.readline())
            assert line["update"] == i + 1
            errors = conformance_errors(line)
            assert line["ok"] == (not errors)
            expect = update["expect"]
            emitted = emit_path.read_bytes() if emit_path.exists() else None
            check_update(case, i, expect, errors, emitted)
            if is_run(expect):
                proc.stdin.write("run\n")
                proc.stdin.flush()
                event = json.loads(proc.stdout.readline())
                assert event["event"] == "run"
                check_run(f"{case} update {i + 1}", expect, event["exitCode"], event["stdout"], event["stderr"])
        proc.stdin.write("exit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


RUN_ONCE = [_param(c) for c in _case_names() if len(load(c)["updates"]) == 1 and has_runs(c)]


@pytest.mark.parametrize("case", RUN_ONCE)
def test_run_case_through_cli_build(case: str, tmp_path: Path) -> None:
    """`zir build FILE -o OUT --mode MODE`, then the binary run as a user would."""
    spec = load(case)
    update = spec["updates"][0]
    (tmp_path / "case.zir").write_bytes((ROOT / case / update["source"]).read_bytes())
    args = [*ZIR, "build", "case.zir", "-o", "case", "--mode", mode_of(case)]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    check_run(case, update["expect"], *run_binary(str(tmp_path / "case")))


SINGLE = [
    _param(c) for c in _case_names() if len(load(c)["updates"]) == 1 and "errors" in load(c)["updates"][0]["expect"]
]


@pytest.mark.parametrize("case", SINGLE)
def test_error_case_through_cli_build(case: str, tmp_path: Path) -> None:
    """`zir build` prints PATH:LINE:COL: error: MSG on stderr and exits 1."""
    spec = load(case)
    src = tmp_path / "case.zir"
    src.write_bytes((ROOT / case / spec["updates"][0]["source"]).read_bytes())
    args = [*ZIR, "build", "case.zir", "--no-emit-bin", "--mode", mode_of(case)] + (["--obj"] if spec["obj"] else [])
    proc = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    want = sorted("case.zir" + e for e in spec["updates"][0]["expect"]["errors"])
    assert sorted(proc.stderr.splitlines()) == want


EMIT = [_param(c) for c in _case_names() if load(c)["kind"] == "emit-zir"]


@pytest.mark.parametrize("case", EMIT)
def test_emit_zir_case_through_cli(case: str, tmp_path: Path) -> None:
    spec = load(case)
    src = tmp_path / "case.zir"
    src.write_bytes((ROOT / case / spec["updates"][0]["source"]).read_bytes())
    want = (ROOT / case / spec["updates"][0]["expect"]["emit_zir_file"]).read_bytes()
    proc = subprocess.run([*ZIR, "emit-zir", "case.zir", "--obj"], capture_output=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == want
    proc = subprocess.run(
        [*ZIR, "build", "case.zir", "--obj", "--no-emit-bin", "--emit-zir=out.zir"],
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.zir").read_bytes() == want
