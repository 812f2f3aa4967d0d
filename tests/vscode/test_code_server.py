"""The VS Code extension end to end in a real VS Code (code-server + headless Chromium, lsp.md §13).

Opt-in (marker ``vscode``): install the tools once with ``bash vscode-client/scripts/install-e2e.sh``,
then run ``.venv/bin/python -m pytest -m vscode tests/vscode``.

The test builds the extension and the scenario bundle, installs the extension into a fresh extensions
directory, starts code-server on a free port with a workspace holding ``hello.zir`` with an error, and
opens it in headless Chromium (no browser, no extension host). The URL opens the fixture, which activates
the extension; ``ZIR_LIVE_E2E_SCENARIO`` makes it run ``vscode-client/test/e2e/scenario.ts`` inside the
extension host, which writes a JSON result. The test then checks the diagnostics VS Code showed, that they
cleared after the fix, the ``zir/buildFinished`` payload, and runs the executable the server wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.vscode

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "vscode-client"
NODE_VERSION = "24.21.0"
CODE_SERVER_VERSION = "4.139.1"
VSCODE_VERSION = "1.139.1"  # the VS Code that code-server 4.139.1 bundles
EXTENSION_ID = "zir-live.zir-live"
# Each wait inside the scenario is bounded by this; the whole run by RESULT_TIMEOUT_S.
SCENARIO_WAIT_MS = 30_000
RESULT_TIMEOUT_S = 150.0
READY_TIMEOUT_S = 60.0


@dataclass(slots=True)
class E2ETools:
    """Where install-e2e.sh put the tools."""

    node: Path
    code_server: Path
    browser: list[str]


def find_tools() -> E2ETools:
    cache = Path(os.environ.get("ZIR_E2E_CACHE", Path.home() / ".cache" / "zir-live-e2e"))
    node = cache / f"node-v{NODE_VERSION}" / "bin" / "node"
    entry = cache / f"code-server-{CODE_SERVER_VERSION}" / "node_modules" / "code-server" / "out" / "node" / "entry.js"
    shell = shutil.which("chromium-headless-shell")
    chromium = shutil.which("chromium")
    browser = [shell] if shell else [chromium, "--headless"] if chromium else []
    missing = [str(p) for p in (node, entry) if not p.exists()] + ([] if browser else ["chromium-headless-shell"])
    if missing:
        pytest.fail(
            f"the e2e tools are not installed ({', '.join(missing)}): run bash vscode-client/scripts/install-e2e.sh"
        )
    return E2ETools(node=node, code_server=entry, browser=[str(b) for b in browser])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def build_extension() -> None:
    for command in (["npm", "run", "--silent", "build"], ["node", "esbuild.mjs", "--e2e"]):
        subprocess.run(command, cwd=CLIENT, check=True, timeout=120, capture_output=True)


def install_extension(extensions_dir: Path) -> None:
    """Copies the built extension into code-server's extensions directory (§13 step 5)."""
    manifest = json.loads((CLIENT / "package.json").read_text())
    target = extensions_dir / f"{EXTENSION_ID}-{manifest['version']}"
    target.mkdir(parents=True)
    for name in ("package.json", "language-configuration.json", "README.md", "LICENSE"):
        shutil.copy2(CLIENT / name, target / name)
    for name in ("dist", "syntaxes"):
        shutil.copytree(CLIENT / name, target / name)


def install_vsix(tools: E2ETools, extensions_dir: Path, user_data: Path) -> None:
    """Packages the extension (npm run package) and installs the .vsix with code-server's CLI."""
    manifest = json.loads((CLIENT / "package.json").read_text())
    vsix = CLIENT / f"{manifest['name']}-{manifest['version']}.vsix"
    vsix.unlink(missing_ok=True)
    subprocess.run(["npm", "run", "--silent", "package"], cwd=CLIENT, check=True, timeout=300, capture_output=True)
    env = {**os.environ, "PATH": f"{tools.node.parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        [str(tools.node), str(tools.code_server), "--extensions-dir", str(extensions_dir),
         "--user-data-dir", str(user_data), "--install-extension", str(vsix)],
        check=True, timeout=120, capture_output=True, env=env,
    )  # fmt: skip
    installed = extensions_dir / f"{EXTENSION_ID}-{manifest['version']}"
    assert (installed / "bundled" / "libs" / "server" / "__main__.py").is_file()
    assert (installed / "bundled" / "libs" / "pygls").is_dir()


class OutputCollector:
    """Reads a process's output on a thread; ``wait_for`` waits for a line containing a text."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: Any) -> None:
        for line in iter(stream.readline, ""):
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append("<EOF>")
            self.changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not any(text in line for line in self.lines):
                if self.lines and self.lines[-1] == "<EOF>":
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(remaining)
            return True

    def text(self) -> str:
        with self.changed:
            return "\n".join(self.lines[-80:])


def kill_group(process: subprocess.Popen[str]) -> None:
    """Kills the process group started for ``process`` (code-server spawns children of its own)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def tools() -> E2ETools:
    return find_tools()


@dataclass(slots=True)
class Workspace:
    root: Path
    fixture: Path
    fixed_text: str
    expected_line: int
    expected_column: int


@dataclass(slots=True)
class InstallMode:
    """How the extension is installed, and which Python runs the server."""

    name: str
    python: str
    import_strategy: str


# "folder": the built extension copied into the extensions directory, the server from this virtualenv.
# "vsix": the packaged .vsix installed by code-server, the server from its bundled/libs run by the system
# Python (which has no pygls), as a user without a ZIR Live installation gets it.
INSTALL_MODES = [
    InstallMode("folder", sys.executable, "fromEnvironment"),
    InstallMode("vsix", "/usr/bin/python3", "useBundled"),
]


@pytest.fixture(scope="module", params=INSTALL_MODES, ids=[m.name for m in INSTALL_MODES])
def install_mode(request: pytest.FixtureRequest) -> InstallMode:
    mode: InstallMode = request.param
    return mode


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, install_mode: InstallMode) -> Workspace:
    """A folder with hello.zir where ``ptrtoint(@msg)`` misspells the decl as ``@mgs``."""
    root = tmp_path_factory.mktemp(f"code-server-{install_mode.name}") / "ws"
    root.mkdir()
    fixed = (REPO / "examples" / "hello.zir").read_text()
    assert fixed.count("ptrtoint(@msg)") == 1
    broken = fixed.replace("ptrtoint(@msg)", "ptrtoint(@mgs)")
    offset = broken.index("@mgs")
    line = broken.count("\n", 0, offset)
    column = offset - (broken.rfind("\n", 0, offset) + 1)
    fixture = root / "hello.zir"
    fixture.write_text(broken)
    return Workspace(root, fixture, fixed, line, column)


def read_result(path: Path) -> dict[str, Any] | None:
    try:
        result: dict[str, Any] = json.loads(path.read_text())
        return result
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def receive_result(listener: socket.socket) -> dict[str, Any] | None:
    """The scenario's final result, sent over one connection; None when it does not come in time."""
    try:
        connection, _ = listener.accept()
    except TimeoutError:
        return None
    with connection:
        connection.settimeout(RESULT_TIMEOUT_S)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    result: dict[str, Any] = json.loads(b"".join(chunks))
    return result


def collect_logs(user_data: Path) -> str:
    """The extension host's and the ZIR Live output channel's logs, for a failure message."""
    parts = []
    for log in sorted(user_data.glob("logs/**/*.log")):
        if "exthost" in log.name or "ZIR Live" in log.name:
            parts.append(
                f"--- {log.relative_to(user_data)}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-60:])
            )
    return "\n".join(parts)


@pytest.fixture(scope="module")
def code_server_run(
    tools: E2ETools, workspace: Workspace, install_mode: InstallMode
) -> Iterator[tuple[dict[str, Any], str]]:
    """Runs the scenario once per install mode and yields (result JSON, logs) to the tests."""
    tmp_path = workspace.root.parent
    build_extension()
    extensions = tmp_path / "extensions"
    user_data = tmp_path / "user-data"
    # zir.server.pythonPath is machine-overridable: in a remote window (code-server is one) it is read
    # from the remote machine's settings, not from the browser-side user settings.
    for scope, settings in (
        (
            "Machine",
            {"zir.server.pythonPath": install_mode.python, "zir.server.importStrategy": install_mode.import_strategy},
        ),
        (
            "User",
            {
                "zir.diagnostics.debounceMs": 0,
                "workbench.startupEditor": "none",
                "security.workspace.trust.enabled": False,
                "extensions.autoCheckUpdates": False,
                "extensions.autoUpdate": False,
                "telemetry.telemetryLevel": "off",
            },
        ),
    ):
        (user_data / scope).mkdir(parents=True)
        (user_data / scope / "settings.json").write_text(json.dumps(settings))
    if install_mode.name == "vsix":
        install_vsix(tools, extensions, user_data)
    else:
        install_extension(extensions)
    result_path = tmp_path / "result.json"
    config_path = tmp_path / "scenario.json"
    # The scenario sends its final result here; the test waits on accept(), bounded by a timeout.
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(RESULT_TIMEOUT_S)
    config_path.write_text(
        json.dumps(
            {
                "fixture": str(workspace.fixture),
                "fixedText": workspace.fixed_text,
                "result": str(result_path),
                "reportPort": listener.getsockname()[1],
                "timeoutMs": SCENARIO_WAIT_MS,
            }
        )
    )
    port = free_port()
    env = dict(os.environ)
    env.update(
        PATH=f"{tools.node.parent}{os.pathsep}{env.get('PATH', '')}",
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        ZIR_LIVE_E2E_SCENARIO=str(CLIENT / "out" / "test" / "e2e" / "scenario.js"),
        ZIR_LIVE_E2E_CONFIG=str(config_path),
    )
    server = subprocess.Popen(
        [str(tools.node), str(tools.code_server), "--bind-addr", f"127.0.0.1:{port}", "--auth", "none",
         "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
         "--user-data-dir", str(user_data), "--extensions-dir", str(extensions), str(workspace.root)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    server_output = OutputCollector(server.stdout)
    browser: subprocess.Popen[str] | None = None
    try:
        if not server_output.wait_for("HTTP server listening", READY_TIMEOUT_S):
            pytest.fail(f"code-server did not start:\n{server_output.text()}")
        authority = f"127.0.0.1:{port}"
        payload = json.dumps([["openFile", f"vscode-remote://{authority}{workspace.fixture}"]])
        query = urllib.parse.urlencode({"folder": str(workspace.root), "payload": payload})
        browser = subprocess.Popen(
            [*tools.browser, "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'chromium'}", f"http://{authority}/?{query}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        browser_output = OutputCollector(browser.stdout)
        result = receive_result(listener)
        if result is None:
            # No final report: the file holds the steps reached so far (the test names the missing one).
            result = read_result(result_path)
        logs = "\n".join(
            [
                collect_logs(user_data),
                "--- code-server\n" + server_output.text(),
                "--- browser\n" + browser_output.text(),
            ]
        )
        if result is None:
            pytest.fail(f"the extension never ran the scenario (no {result_path}):\n{logs}")
        yield result, logs
    finally:
        listener.close()
        if browser is not None:
            kill_group(browser)
        kill_group(server)


def check(result: dict[str, Any], logs: str, stage: str) -> str:
    """The failure context; fails at once when the scenario stopped before ``stage``."""
    context = f"result: {json.dumps(result, indent=2)}\n{logs}"
    reached = STAGES.index(result["stage"]) if result["stage"] in STAGES else -1
    assert reached >= STAGES.index(stage), f"the scenario stopped before {stage}:\n{context}"
    return context


# The scenario's steps, in order (vscode-client/test/e2e/scenario.ts).
STAGES = ["activated", "serverStarted", "diagnostics", "fixed", "cleared", "built", "rebuilt", "emitted", "codeLens",
          "ran", "restarted", "done"]  # fmt: skip


def test_extension_activates_and_starts_the_server(
    code_server_run: tuple[dict[str, Any], str], install_mode: InstallMode
) -> None:
    result, logs = code_server_run
    context = check(result, logs, "serverStarted")
    assert result["vscodeVersion"] == VSCODE_VERSION, context
    assert result["serverCommand"] == [install_mode.python, "-m", "server"], context


def test_error_is_shown_then_fixed_and_built(code_server_run: tuple[dict[str, Any], str], workspace: Workspace) -> None:
    result, logs = code_server_run
    context = check(result, logs, "built")
    # The diagnostic VS Code showed for the misspelled decl: at the '@', over '@mgs'; Error is 0 in VS Code.
    line, column = workspace.expected_line, workspace.expected_column
    assert result["diagnosticsBefore"] == [
        {"message": "decl 'mgs' not found", "severity": 0, "source": "zir", "range": [line, column, line, column + 4]}
    ], context
    assert result["diagnosticsAfter"] == [], context
    build = result["build"]
    assert build["ok"] is True and build["errors"] == 0, context
    assert build["uri"] == workspace.fixture.as_uri(), context
    binary = Path(build["binary"])
    assert binary == workspace.root / "zig-out" / "bin" / "hello", context  # the default output path
    assert build["bytesWritten"] > 0, context
    run = subprocess.run([str(binary)], capture_output=True, timeout=10)
    assert (run.returncode, run.stdout) == (0, b"Hello, world!\n"), context
    # The status bar shows the last build: a check mark, the output's size and the time.
    assert result["statusText"].startswith("$(check) ZIR "), context
    assert result["statusText"].endswith((" ms", " s")), context


def test_rebuild_emitted_zir_and_run_lens(code_server_run: tuple[dict[str, Any], str], workspace: Workspace) -> None:
    result, logs = code_server_run
    context = check(result, logs, "codeLens")
    build = result["build"]
    # "Rebuild" returns the server's buildFinished payload: a new build of the same output.
    rebuild = result["rebuild"]
    assert rebuild["ok"] is True and rebuild["binary"] == build["binary"], context
    assert rebuild["buildId"] > build["buildId"], context
    # "Show Emitted ZIR" opens the editor Module's emitted ZIR as an untitled ZIR document.
    emitted = result["emittedZir"]
    assert emitted["languageId"] == "zir" and emitted["isUntitled"] is True, context
    assert "\n@start = fn(" in emitted["text"], context
    # The "Run" lens above the entry point invokes the client's zir.run with the document's URI; "Run live"
    # beside it the client's zir.runLive (docs/hot-swap.md).
    assert result["codeLenses"] == [
        {"title": "▶ Run", "command": "zir.run", "arguments": [workspace.fixture.as_uri()]},
        {"title": "⚡ Run live", "command": "zir.runLive", "arguments": [workspace.fixture.as_uri()]},
    ], context


def test_run_output_opens_a_terminal(code_server_run: tuple[dict[str, Any], str]) -> None:
    result, logs = code_server_run
    context = check(result, logs, "ran")
    # "Run Output" (what the lens invokes) runs the built executable in the "ZIR Live: Run" terminal.
    assert result["run"] == {"terminals": ["ZIR Live: Run"], "hasProcess": True}, context


def test_restart_server_replaces_the_client(code_server_run: tuple[dict[str, Any], str]) -> None:
    result, logs = code_server_run
    context = check(result, logs, "done")
    # "Restart Server" starts a new client, stops the old one, and the new server builds the same output
    # (reopening the executable the previous server wrote).
    restart = result["restart"]
    assert (restart["newClient"], restart["newRunning"], restart["oldStopped"]) == (True, True, True), context
    assert restart["rebuild"]["ok"] is True, context
    assert restart["rebuild"]["binary"] == result["build"]["binary"], context
