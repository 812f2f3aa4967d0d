"""`zir build`, `zir run`, `zir emit-zir` and `zir watch` as a user runs them (architecture.md §6)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent / "cases" / "examples"
ZIR = [sys.executable, "-m", "compiler"]
HELLO = (EXAMPLES / "009-zig-hello-world" / "update1.zir").read_text()
EXIT3 = (EXAMPLES / "101-print-and-exit-code" / "update1.zir").read_text()

JSON_KEYS = ["update", "ok", "errors", "binary", "ms", "bytes_written"]


def zir(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ZIR, *args], cwd=cwd, capture_output=True, text=True, input=stdin, timeout=120)


def test_build_json_line_and_binary(tmp_path: Path) -> None:
    (tmp_path / "hello.zir").write_text(HELLO)
    p = zir("build", "hello.zir", "--json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    lines = p.stdout.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert list(obj)[: len(JSON_KEYS)] == JSON_KEYS
    assert obj["update"] == 1 and obj["ok"] is True and obj["errors"] == []
    assert obj["binary"] == "./hello"
    assert isinstance(obj["ms"], float) and obj["bytes_written"] == os.path.getsize(tmp_path / "hello")
    assert obj["committed"] is True and obj["counters"]["fn_bodies_analyzed"] == 1
    run = subprocess.run([str(tmp_path / "hello")], capture_output=True, timeout=20)
    assert (run.returncode, run.stdout) == (0, b"Hello, world!\n")


def test_build_errors_exit_1_and_render_path_line_col(tmp_path: Path) -> None:
    bad = HELLO.replace("%exit_code = as(@usize, @0)", "%exit_code = as(@usize, @nothere)")
    (tmp_path / "bad.zir").write_text(bad)
    p = zir("build", "bad.zir", "--json", cwd=tmp_path)
    assert p.returncode == 1
    line = bad[: bad.index("@nothere")].count("\n") + 1
    col = bad.index("@nothere") - bad.rfind("\n", 0, bad.index("@nothere"))
    assert p.stderr == f"bad.zir:{line}:{col}: error: decl 'nothere' not found\n"
    obj = json.loads(p.stdout)
    assert obj["ok"] is False and obj["binary"] is None and obj["bytes_written"] == 0
    assert obj["errors"] == [{"path": "bad.zir", "line": line, "column": col, "message": "decl 'nothere' not found"}]
    assert not (tmp_path / "bad").exists()


def test_build_obj_output_name_and_no_entry_point(tmp_path: Path) -> None:
    no_export = HELLO.replace('@11 = export(@9, "start")', "")
    (tmp_path / "p.zir").write_text(no_export)
    p = zir("build", "p.zir", cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr == "p.zir:1:1: error: no entry point found\n"
    p = zir("build", "p.zir", "--obj", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "p.o").exists()


def test_build_usage_errors_exit_2(tmp_path: Path) -> None:
    assert zir("build", cwd=tmp_path).returncode == 2
    (tmp_path / "a.zir").write_text(HELLO)
    assert zir("build", "a.zir", "--mode", "Fastest", cwd=tmp_path).returncode == 2


def test_build_missing_file(tmp_path: Path) -> None:
    p = zir("build", "nope.zir", cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr == "nope.zir:1:1: error: unable to load source file 'nope.zir': FileNotFound\n"


def test_build_verbose_and_emit_zir_liveness(tmp_path: Path) -> None:
    src = (EXAMPLES / "006-zig-referencing-decls-later" / "update1.zir").read_text()
    (tmp_path / "r.zir").write_text(src)
    p = zir("build", "r.zir", "--obj", "-v", "--emit-zir", "out.zir", "--emit-zir-liveness", cwd=tmp_path)
    assert p.returncode == 0
    assert p.stderr.startswith("update completed in ") and p.stderr.endswith(" ms\n")
    assert "  %0 = returnvoid() ; deaths=0b1000000000000000\n" in (tmp_path / "out.zir").read_text()


def test_run_passes_the_exit_status(tmp_path: Path) -> None:
    (tmp_path / "e.zir").write_text(EXIT3)
    p = zir("run", "e.zir", cwd=tmp_path)
    assert p.returncode == 3
    assert p.stdout == "bye for now\n"


def test_emit_zir_to_file(tmp_path: Path) -> None:
    case = EXAMPLES / "007-zig-elemptr-add-cmp-condbr"
    (tmp_path / "c.zir").write_bytes((case / "update1.zir").read_bytes())
    p = zir("emit-zir", "c.zir", "--obj", "-o", "o.zir", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == ""
    assert (tmp_path / "o.zir").read_bytes() == (case / "update1.expected.zir").read_bytes()


class Watch:
    """A running `zir watch` process driven through its stdin."""

    def __init__(self, cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [*ZIR, "watch", *args],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=None if env is None else {**os.environ, **env},
        )
        self.pending = b""
        """Bytes read from stdout but not yet returned as a line."""

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def _fill(self, timeout: float) -> bool:
        """Read what the pipe holds into ``pending`` (waiting at most ``timeout``); False if nothing came.
        Reads the file descriptor itself: a buffered reader could hold a line while ``select`` waits."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        chunk = os.read(fd, 1 << 16) if ready else b""
        self.pending += chunk
        return bool(chunk)

    def json(self, timeout: float = 30.0) -> dict[str, Any]:
        while b"\n" not in self.pending:
            assert self._fill(timeout), "no JSON line from zir watch"
        line, _, self.pending = self.pending.partition(b"\n")
        obj: dict[str, Any] = json.loads(line)
        return obj

    def pending_output(self) -> bool:
        """Whether the watcher has written a line that was not read yet."""
        self._fill(0)
        return bool(self.pending)

    def close(self) -> tuple[int, str]:
        self.send("exit")
        _, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err


def test_watch_manual_updates_only_on_command(tmp_path: Path) -> None:
    src = tmp_path / "w.zir"
    src.write_text(HELLO)
    w = Watch(tmp_path, "w.zir", "--json", "--manual")
    w.send("update")
    first = w.json()
    assert first["update"] == 1 and first["ok"] and first["binary"] == "./w"
    # A witness: a watcher without --manual on the same file (writing nothing). Once it has reported the
    # edit, the edit was visible to a file watcher; the manual one must still have said nothing.
    witness = Watch(tmp_path, "w.zir", "--json", "--no-emit-bin")
    assert witness.json()["update"] == 1
    src.write_text(HELLO.replace("Hello, world!", "Hello, watch!"))
    assert witness.json()["update"] == 2
    assert witness.close()[0] == 0
    assert not w.pending_output()
    w.send("update")
    second = w.json()
    assert second["update"] == 2 and second["ok"]
    assert second["counters"]["decls_analyzed"] < first["counters"]["decls_analyzed"]
    w.send("run")
    event = w.json()
    assert event["event"] == "run" and event["exitCode"] == 0 and event["stdout"] == "Hello, watch!\n"
    w.send("update")  # nothing changed: still exactly one result
    assert w.json()["update"] == 3
    w.send("help")
    w.send("frobnicate")
    code, err = w.close()
    assert code == 0
    assert "Commands:\n  update   Detect changes to source files and update output files.\n" in err
    assert "     run   Run the output file.\n    help   Print this text\n    exit   Quit this repl\n" in err
    assert "unknown command: frobnicate\n" in err
    assert err.count("zir> ") >= 6


def test_watch_error_then_fix_keeps_last_good_binary(tmp_path: Path) -> None:
    src = tmp_path / "w.zir"
    src.write_text(HELLO)
    w = Watch(tmp_path, "w.zir", "--json", "--manual")
    w.send("update")
    assert w.json()["ok"]
    good = (tmp_path / "w").read_bytes()
    src.write_text(HELLO.replace("%99 = unreachable()", '%98 = compileerror("stop")\n  %99 = unreachable()'))
    w.send("update")
    bad = w.json()
    assert not bad["ok"] and bad["binary"] is None and bad["committed"] is False
    assert [e["message"] for e in bad["errors"]] == ["stop"]
    assert (tmp_path / "w").read_bytes() == good
    src.write_text(HELLO)
    w.send("update")
    fixed = w.json()
    assert fixed["ok"] and fixed["binary"] == "./w"
    code, _ = w.close()
    assert code == 0


@pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polling"])
def test_watch_follows_file_changes_without_manual(tmp_path: Path, polling: bool) -> None:
    src = tmp_path / "w.zir"
    src.write_text(HELLO)
    env = {"ZIR_WATCH_POLLING": "1" if polling else "0"}
    w = Watch(tmp_path, "w.zir", "--json", "--no-emit-bin", env=env)
    first = w.json()  # the start-up update
    assert first["update"] == 1 and first["ok"]
    src.write_text(HELLO.replace("%exit_code = as(@usize, @0)", "%exit_code = as(@usize, @zz)"))
    second = w.json()
    assert second["update"] == 2 and [e["message"] for e in second["errors"]] == ["decl 'zz' not found"]
    tmp = tmp_path / "w.zir.tmp"  # an editor saving through a temporary file and a rename
    tmp.write_text(HELLO)
    os.replace(tmp, src)
    third = w.json()
    assert third["update"] == 3 and third["ok"]
    code, _ = w.close()
    assert code == 0
