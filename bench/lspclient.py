"""A minimal JSON-RPC client over stdio that times didChange → publishDiagnostics (performance.md §4.6).

It starts the real server (`python -m server`), answers the server's requests (configuration with
`zir.diagnostics.debounceMs = 0`, capability registration, progress creation), and reads messages on a
thread so timestamps are taken as soon as a message is complete.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.measure import proc_status_kib

SETTINGS: dict[str, Any] = {
    "diagnostics": {"debounceMs": 0, "onType": True},
    "build": {"onSave": False},
}
"""The `zir.*` settings of the benchmark: compile on every change, no debounce, no build tier."""


def _settings_for(section: str | None, settings: dict[str, Any]) -> Any:
    if not section or section == "zir":
        return settings
    if section.startswith("zir."):
        node: Any = settings
        for part in section[4:].split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node
    return None


@dataclass(slots=True)
class Received:
    """A message from the server and when it was fully read (perf_counter seconds)."""

    at: float
    message: dict[str, Any]


@dataclass(slots=True)
class LspClient:
    """The server as a child process and a reader thread feeding a queue of notifications."""

    command: list[str]
    cwd: Path
    settings: dict[str, Any] = field(default_factory=lambda: SETTINGS)
    proc: subprocess.Popen[bytes] = field(init=False)
    inbox: queue.Queue[Received] = field(init=False)
    next_id: int = field(init=False, default=1)
    lock: threading.Lock = field(init=False)
    reader: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.proc = subprocess.Popen(
            self.command, cwd=self.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.inbox = queue.Queue()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        stdin = self.proc.stdin
        assert stdin is not None
        with self.lock:
            stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            stdin.flush()

    def _read_loop(self) -> None:
        stdout: IO[bytes] | None = self.proc.stdout
        assert stdout is not None
        while True:
            length = None
            while True:
                header = stdout.readline()
                if not header:
                    return
                header = header.strip()
                if not header:
                    break
                name, _, value = header.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(stdout.read(length))
            at = time.perf_counter()
            if "method" in message and "id" in message:
                self._answer(message)
            self.inbox.put(Received(at, message))

    def _answer(self, request: dict[str, Any]) -> None:
        result: Any = None
        if request["method"] == "workspace/configuration":
            items = request.get("params", {}).get("items", [])
            result = [_settings_for(item.get("section"), self.settings) for item in items]
        self._write({"jsonrpc": "2.0", "id": request["id"], "result": result})

    def request(self, method: str, params: Any, timeout: float = 60.0) -> Any:
        rid = self.next_id
        self.next_id += 1
        self._write({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        got = self.wait(lambda m: m.get("id") == rid and "method" not in m, timeout)
        if "error" in got.message:
            error = got.message["error"]
            raise RuntimeError(f"{method} failed: {error.get('message', error) if isinstance(error, dict) else error}")
        return got.message.get("result")

    def notify(self, method: str, params: Any) -> float:
        """Send a notification; returns the perf_counter time just before it was written."""
        t0 = time.perf_counter()
        self._write({"jsonrpc": "2.0", "method": method, "params": params})
        return t0

    def wait(self, predicate: Any, timeout: float) -> Received:
        """The next message satisfying `predicate` (earlier non-matching messages are dropped)."""
        deadline = time.perf_counter() + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("no matching message from the server")
            try:
                item = self.inbox.get(timeout=remaining)
            except queue.Empty as exc:
                raise TimeoutError("no matching message from the server") from exc
            if predicate(item.message):
                return item

    def open_session(self, root: Path, uri: str, text: str) -> float:
        """initialize/initialized, push this client's settings, open ``uri``; returns the didOpen send time."""
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.resolve().as_uri(),
                "capabilities": {"workspace": {"configuration": True}, "textDocument": {"publishDiagnostics": {}}},
                "initializationOptions": self.settings,
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"zir": self.settings}})
        return self.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "zir", "version": 1, "text": text}}
        )

    def rss_kib(self) -> tuple[int | None, int | None]:
        return proc_status_kib(self.proc.pid, "VmRSS"), proc_status_kib(self.proc.pid, "VmHWM")

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=30)
            self.notify("exit", None)
            self.proc.wait(30)
        except (OSError, TimeoutError, RuntimeError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def server_command() -> list[str]:
    return [sys.executable, "-m", "server"]


def is_diagnostics_for(uri: str, version: int) -> Any:
    def match(m: dict[str, Any]) -> bool:
        if m.get("method") != "textDocument/publishDiagnostics":
            return False
        params = m.get("params", {})
        return bool(params.get("uri") == uri and params.get("version") == version)

    return match
