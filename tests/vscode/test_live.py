"""Run Live in a real VS Code (code-server + headless Chromium): the program's terminal and status item.

Opt-in like test_code_server.py (marker ``vscode``). The scenario ``vscode-client/test/e2e/live.ts`` runs in the
extension host: it invokes the "Run live" code lens on a looping program, waits for the program's lines in
the pseudoterminal fed by ``zir/programOutput``, edits the printed message and saves, waits for the same
process to print the new message with the status item showing one swap, and stops the program.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hot.programs import print_decl, print_text, program
from tests.vscode.test_code_server import (
    CLIENT,
    READY_TIMEOUT_S,
    RESULT_TIMEOUT_S,
    SCENARIO_WAIT_MS,
    E2ETools,
    OutputCollector,
    build_extension,
    collect_logs,
    find_tools,
    free_port,
    install_extension,
    kill_group,
    read_result,
    receive_result,
)

pytestmark = pytest.mark.vscode

STAGES = ["activated", "lens", "running", "swapped", "stopped", "done"]


def _source(message: str) -> str:
    return program(print_decl("m", "msg") + print_text("n", "\n"), f'@msg = str("{message}")\n', period=20)


@pytest.fixture(scope="module")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str, Path]]:
    """Runs the Run Live scenario once; yields (result JSON, logs, workspace)."""
    tools: E2ETools = find_tools()
    tmp_path = tmp_path_factory.mktemp("code-server-live")
    root = tmp_path / "ws"
    root.mkdir()
    fixture = root / "live.zir"
    fixture.write_text(_source("first"))
    build_extension()
    extensions, user_data = tmp_path / "extensions", tmp_path / "user-data"
    for scope, settings in (
        ("Machine", {"zir.server.pythonPath": sys.executable, "zir.server.importStrategy": "fromEnvironment"}),
        ("User", {"zir.diagnostics.debounceMs": 0, "workbench.startupEditor": "none",
                  "security.workspace.trust.enabled": False, "extensions.autoCheckUpdates": False,
                  "extensions.autoUpdate": False, "telemetry.telemetryLevel": "off",
                  "workbench.colorTheme": "Default Dark Modern"}),
    ):  # fmt: skip
        (user_data / scope).mkdir(parents=True)
        (user_data / scope / "settings.json").write_text(json.dumps(settings))
    install_extension(extensions)
    result_path, config_path = tmp_path / "result.json", tmp_path / "live.json"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(RESULT_TIMEOUT_S)
    config_path.write_text(
        json.dumps(
            {
                "fixture": str(fixture),
                "editedText": _source("second"),
                "before": " first\r\n",
                "after": " second\r\n",
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
        ZIR_LIVE_E2E_SCENARIO=str(CLIENT / "out" / "test" / "e2e" / "live.js"),
        ZIR_LIVE_E2E_CONFIG=str(config_path),
        PYTHONPATH=str(CLIENT.parent),
    )
    server = subprocess.Popen(
        [str(tools.node), str(tools.code_server), "--bind-addr", f"127.0.0.1:{port}", "--auth", "none",
         "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
         "--user-data-dir", str(user_data), "--extensions-dir", str(extensions), str(root)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    server_output = OutputCollector(server.stdout)
    browser: subprocess.Popen[str] | None = None
    try:
        if not server_output.wait_for("HTTP server listening", READY_TIMEOUT_S):
            pytest.fail(f"code-server did not start:\n{server_output.text()}")
        authority = f"127.0.0.1:{port}"
        payload = json.dumps([["openFile", f"vscode-remote://{authority}{fixture}"]])
        query = urllib.parse.urlencode({"folder": str(root), "payload": payload})
        browser = subprocess.Popen(
            [*tools.browser, "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1000",
             f"--user-data-dir={tmp_path / 'chromium'}",
             f"http://{authority}/?{query}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        browser_output = OutputCollector(browser.stdout)
        result = receive_result(listener) or read_result(result_path)
        logs = "\n".join(
            [
                collect_logs(user_data),
                "--- code-server\n" + server_output.text(),
                "--- browser\n" + browser_output.text(),
            ]
        )
        if result is None:
            pytest.fail(f"the extension never ran the live scenario (no {result_path}):\n{logs}")
        yield result, logs, root
    finally:
        listener.close()
        if browser is not None:
            kill_group(browser)
        kill_group(server)


def check(result: dict[str, Any], logs: str, stage: str) -> str:
    context = f"result: {json.dumps(result, indent=2)}\n{logs}"
    reached = STAGES.index(result["stage"]) if result["stage"] in STAGES else -1
    assert reached >= STAGES.index(stage), f"the scenario stopped before {stage}:\n{context}"
    return context


def test_run_live_lens_opens_the_program_terminal(live_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, _root = live_run
    context = check(result, logs, "running")
    assert "⚡ Run live → zir.runLive" in result["lenses"], context
    first = result["first"]
    assert first["terminalName"] == "ZIR Live: live.zir" and first["terminalName"] in result["terminals"], context
    assert isinstance(first["pid"], int) and first["swaps"] == 0, context
    assert first["status"] == f"$(zap) live: {first['pid']}, 0 swaps", context
    assert "0000 first\r\n" in first["transcript"], context


def test_save_is_swapped_into_the_same_process(live_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, _root = live_run
    context = check(result, logs, "swapped")
    first, swapped = result["first"], result["swapped"]
    assert swapped["pid"] == first["pid"] and swapped["swaps"] == 1, context
    assert swapped["status"] == f"$(zap) live: {first['pid']}, 1 swap", context
    lines = [line for line in swapped["transcript"].split("\r\n") if line[:4].isdigit()]
    switch = next(i for i, line in enumerate(lines) if line.endswith(" second"))
    assert all(line.endswith(" first") for line in lines[:switch]), context
    counters = [int(line[:4]) for line in lines]
    assert counters == list(range(counters[0], counters[0] + len(counters))), context  # the same process counted on
    assert "restarted" not in swapped["transcript"], context


def test_stop_ends_the_program(live_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, _root = live_run
    context = check(result, logs, "done")
    stopped = result["stopped"]
    assert stopped["exited"] and "\r\n[ZIR Live: stopped]\r\n" in stopped["transcript"], context
