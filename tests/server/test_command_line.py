"""``zir lsp`` / ``python -m server`` with arguments it cannot use: one line saying why and a nonzero exit, never a
traceback and never a server that waits forever before it starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 60.0
"""Upper bound for a server that refuses to start (it answers in well under a second; this is not a sleep)."""


def server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=LIMIT_S,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def test_a_port_out_of_range_is_a_usage_error() -> None:
    result = server("--tcp", "127.0.0.1:99999")  # was OverflowError from bind()
    assert result.returncode == 2
    assert "--tcp expects HOST:PORT (a port from 0 to 65535), got '127.0.0.1:99999'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_and_a_host_that_does_not_resolve_are_one_line_each() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = server("--tcp", f"127.0.0.1:{port}")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"zir lsp: cannot listen on 127.0.0.1:{port}: ") and result.stderr.count("\n") == 1
    result = server("--tcp", "no-such-host.invalid:5000")  # was socket.gaierror's traceback
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("zir lsp: cannot listen on no-such-host.invalid:5000: ")


def test_a_log_file_that_cannot_be_opened_is_refused_before_the_server_starts(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, reason in (
        (tmp_path, "Is a directory"),  # was IsADirectoryError's traceback
        (fifo, "No such device or address"),  # nobody reads it: open() waited for a reader forever
        (tmp_path / "missing" / "x.log", "No such file or directory"),
    ):
        result = server("--log-file", str(path))
        assert result.returncode == 1
        assert result.stderr == f"zir lsp: cannot open the log file '{path}': {reason}\n"


def test_the_log_file_receives_the_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("an older line\n")
    result = server("--log-file", str(log), "-v")  # stdin is at EOF: the server starts and stops
    assert result.returncode == 0, result.stderr
    text = log.read_text()
    assert text.startswith("an older line\n")  # appended to
    assert len(text.splitlines()) > 1
