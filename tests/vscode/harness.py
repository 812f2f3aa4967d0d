"""One code-server + headless Chromium run of an extension scenario (vscode-client/test/e2e/NAME.ts).

The launch the scenario tests share: settings, the built extension, code-server on a free port, Chromium
opening the fixture, and the scenario's JSON result (reported on a socket, or written to a file).
"""

from __future__ import annotations

import contextlib
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

from tests.vscode.test_code_server import (
    CLIENT,
    READY_TIMEOUT_S,
    RESULT_TIMEOUT_S,
    SCENARIO_WAIT_MS,
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

USER_SETTINGS: dict[str, Any] = {
    "zir.diagnostics.debounceMs": 0,
    "workbench.startupEditor": "none",
    "security.workspace.trust.enabled": False,
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "telemetry.telemetryLevel": "off",
    "workbench.colorTheme": "Default Dark Modern",
}


@contextlib.contextmanager
def scenario_run(
    tmp_path: Path,
    root: Path,
    fixture: Path,
    scenario: str,
    config: dict[str, Any],
    *,
    user_settings: dict[str, Any] | None = None,
    restricted: bool = False,
    cdp: bool = False,
) -> Iterator[tuple[dict[str, Any], str]]:
    """Runs ``scenario`` on ``root`` with ``fixture`` open; yields (result JSON, logs).

    ``config`` goes to the scenario with ``result``, ``reportPort``, ``timeoutMs`` (and ``cdpPort`` when
    ``cdp``: Chromium's DevTools port). ``restricted``: no ``--disable-workspace-trust``, so the folder opens
    in Restricted Mode."""
    tools = find_tools()
    build_extension()
    extensions, user_data = tmp_path / "extensions", tmp_path / "user-data"
    machine = {"zir.server.pythonPath": sys.executable, "zir.server.importStrategy": "fromEnvironment"}
    user = {k: v for k, v in {**USER_SETTINGS, **(user_settings or {})}.items() if v is not None}  # None: unset
    for scope, settings in (("Machine", machine), ("User", user)):
        (user_data / scope).mkdir(parents=True)
        (user_data / scope / "settings.json").write_text(json.dumps(settings))
    install_extension(extensions)
    result_path, config_path = tmp_path / "result.json", tmp_path / f"{scenario}.json"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(RESULT_TIMEOUT_S)
    cdp_port = free_port() if cdp else None
    extra = {"result": str(result_path), "reportPort": listener.getsockname()[1], "timeoutMs": SCENARIO_WAIT_MS}
    if cdp_port is not None:
        extra["cdpPort"] = cdp_port
    config_path.write_text(json.dumps({**config, **extra}))
    port = free_port()
    env = dict(os.environ)
    env.update(
        PATH=f"{tools.node.parent}{os.pathsep}{env.get('PATH', '')}",
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        ZIR_LIVE_E2E_SCENARIO=str(CLIENT / "out" / "test" / "e2e" / f"{scenario}.js"),
        ZIR_LIVE_E2E_CONFIG=str(config_path),
        PYTHONPATH=str(CLIENT.parent),
    )
    trust_flags = [] if restricted else ["--disable-workspace-trust"]
    server = subprocess.Popen(
        [str(tools.node), str(tools.code_server), "--bind-addr", f"127.0.0.1:{port}", "--auth", "none",
         "--disable-telemetry", "--disable-update-check", *trust_flags,
         "--user-data-dir", str(user_data), "--extensions-dir", str(extensions), str(root)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    server_output = OutputCollector(server.stdout)
    browser: subprocess.Popen[str] | None = None
    try:
        if not server_output.wait_for("HTTP server listening", READY_TIMEOUT_S):
            pytest.fail(f"code-server did not start:\n{server_output.text()}")
        authority = f"127.0.0.1:{port}"
        payload = json.dumps([["openFile", f"vscode-remote://{authority}{fixture}"]])  # activates the extension
        query = urllib.parse.urlencode({"folder": str(root), "payload": payload})
        devtools = [] if cdp_port is None else [f"--remote-debugging-port={cdp_port}"]
        browser = subprocess.Popen(
            [*tools.browser, "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1000",
             *devtools, f"--user-data-dir={tmp_path / 'chromium'}", f"http://{authority}/?{query}"],
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
            pytest.fail(f"the extension never ran the {scenario} scenario (no {result_path}):\n{logs}")
        yield result, logs
    finally:
        listener.close()
        if browser is not None:
            kill_group(browser)
        kill_group(server)


def check(result: dict[str, Any], logs: str, stage: str, stages: list[str]) -> str:
    """The failure context; fails unless the scenario reached ``stage`` of ``stages``."""
    context = f"result: {json.dumps(result, indent=2)}\n{logs}"
    reached = stages.index(result["stage"]) if result["stage"] in stages else -1
    assert reached >= stages.index(stage), f"the scenario stopped before {stage}:\n{context}"
    return context
