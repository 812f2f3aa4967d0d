"""``zir build`` on a terminal: the progress bar (phase, decls done / total, elapsed) and errors drawn with
snippets, observed through a real pseudo-terminal; nothing of either when stderr is a pipe."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

from bench.gen import ChainProgram
from compiler.progress import REPORT_EVERY, Phase, QueueProgress, percentage

ZIR = [sys.executable, "-m", "compiler"]
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def on_pty(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, bytes]:
    """Run with stdin, stdout and stderr on a fresh pseudo-terminal (100 columns); all it printed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not data:
            break
        out += data
    os.close(master)
    return proc.wait(timeout=120), out


def env_with(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env.update(TERM="xterm-256color", **extra)
    return env


def test_progress_bar_on_a_terminal_and_not_when_piped(tmp_path: Path) -> None:
    program = ChainProgram(300)
    (tmp_path / "chain.zir").write_bytes(program.source())
    args = [*ZIR, "build", "chain.zir"]
    status, out = on_pty(args, tmp_path, env_with(ZIR_PROGRESS_DELAY="0"))
    assert status == 0, out
    text = ANSI.sub(b"", out).decode("utf-8", "replace")
    for phase in ("analyse", "generate", "write"):
        assert phase in text
    counts = [(int(a), int(b)) for a, b in re.findall(r"(?:generate|write)\s+\S+\s+(\d+)/(\d+) decls", text)]
    assert counts and all(0 <= done <= total for done, total in counts)
    assert counts[-1][0] == counts[-1][1] >= 300  # the last frame: every function generated
    assert re.search(r"decls \d+:\d\d:\d\d", text)  # elapsed time
    assert out.rstrip(b"\r\n").endswith(b"\x1b[2K")  # transient: the line is erased at the end
    run = subprocess.run([str(tmp_path / "chain")], timeout=20)
    assert run.returncode == program.exit_code()

    piped = subprocess.run(args, cwd=tmp_path, env=env_with(ZIR_PROGRESS_DELAY="0"), capture_output=True)
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, b"", b"")


def test_errors_on_a_terminal_have_snippet_colour_and_count(tmp_path: Path) -> None:
    source = ChainProgram(5).source().replace(b"call(@f1, [])", b"call(@f9, [])", 1)
    (tmp_path / "bad.zir").write_bytes(source)
    status, out = on_pty([*ZIR, "build", "bad.zir"], tmp_path, env_with())
    assert status == 1
    assert b"\x1b[1;31merror:" in out
    lines = ANSI.sub(b"", out).decode().replace("\r\n", "\n").splitlines()
    first = next(i for i, line in enumerate(lines) if "error: decl 'f9' not found" in line)
    assert lines[first + 1].strip() == "%p = call(@f9, [])"
    assert lines[first + 2].index("^~~") == lines[first + 1].index("@f9")
    assert lines[-1] == "1 error"
    status, out = on_pty([*ZIR, "build", "bad.zir"], tmp_path, env_with(NO_COLOR="1"))
    assert status == 1 and b"\x1b[1;31m" not in out and b"1 error" in out


def test_queue_progress_reports_every_n_items_and_phase_changes() -> None:
    from collections import deque

    calls: list[tuple[Phase, int, int]] = []
    queue: deque[tuple[str, int]] = deque([("a", i) for i in range(3)])
    tracker = QueueProgress(lambda p, d, t: calls.append((p, d, t)), queue, "g", lambda: 10)
    for _ in range(3):
        queue.popleft()
        tracker.step("a")
    queue.extend(("g", i) for i in range(2 * REPORT_EVERY))
    while queue:
        tracker.step(queue.popleft()[0])
    tracker.finish()
    total = 2 * REPORT_EVERY + 10  # the queued items (the popped one included) and the unanalysed estimate
    assert calls == [
        (Phase.ANALYSE, 0, 3),
        (Phase.GENERATE, 0, total),
        (Phase.GENERATE, REPORT_EVERY, total),
        (Phase.GENERATE, 2 * REPORT_EVERY, total),
        (Phase.GENERATE, total, total),
    ]
    assert percentage(Phase.PARSE, 0, 0) == 0
    assert percentage(Phase.GENERATE, 5, 10) == 62
    assert percentage(Phase.WRITE, 0, 0) == 95


def test_watch_on_a_terminal_prints_one_summary_line_per_update_then_errors(tmp_path: Path) -> None:
    program = ChainProgram(5)
    src = tmp_path / "w.zir"
    src.write_bytes(program.source())
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    proc = subprocess.Popen(
        [*ZIR, "watch", "w.zir", "--manual"],
        cwd=tmp_path,
        env=env_with(NO_COLOR="1", ZIR_PROGRESS_DELAY="0"),
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    out = b""

    def read_until(marker: bytes) -> None:
        nonlocal out
        while marker not in out:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, f"no {marker!r} from zir watch: {out!r}"
            data = os.read(master, 65536)
            assert data, out
            out += data

    try:
        read_until(b"zir> ")
        os.write(master, b"update\n")
        read_until(b"update 1: ")
        read_until(b"zir> ")
        src.write_bytes(program.source().replace(b"call(@f1, [])", b"call(@f9, [])", 1))
        os.write(master, b"update\n")
        read_until(b"1 error\r\n")  # the count after the errors (the summary says "1 error:")
        os.write(master, b"exit\n")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = ANSI.sub(b"", out).decode().replace("\r\n", "\n")
    first = re.search(
        r"\[\d\d:\d\d:\d\d\] update 1: ok: (\d+) decls re-analysed, (\d+) generated, (\d+) bytes written", text
    )
    assert first is not None, text
    assert int(first[2]) >= 5 and int(first[3]) == (tmp_path / "w").stat().st_size
    second = re.search(r"update 2: 1 error: \d+ decls re-analysed, \d+ generated \(", text)
    assert second is not None, text
    after = text[second.end() :]
    assert "error: decl 'f9' not found" in after and "^~~" in after
    assert "generate" in text[: first.start()]  # the first update's progress bar, before its summary line
