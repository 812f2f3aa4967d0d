"""Restricted Mode and build progress in a real VS Code (code-server + headless Chromium).

Opt-in like test_code_server.py (marker ``vscode``). code-server runs with workspace trust on and the folder
untrusted (no ``--disable-workspace-trust``, no startup prompt); the folder's ``.vscode/settings.json`` sets
``zir.build.outputPath``. The scenario ``vscode-client/test/e2e/trust.ts`` checks that in Restricted Mode the
extension shows diagnostics but builds and runs nothing and ignores the workspace's output path, trusts the
folder through the Workspace Trust editor (clicked through the DevTools protocol), checks that a save then
builds, and reads the status bar's DOM during the first analysis and the first build of a 4 000-function
file: the ZIR item shows ``ZIR: <phase> N%`` while VS Code's window progress shows the server's title and
message (issue 11 item 4, issue 17).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.gen import ChainProgram
from tests.vscode.test_code_server import (
    CLIENT,
    READY_TIMEOUT_S,
    REPO,
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

STAGES = ["activated", "diagnostics", "untrustedSave", "refused", "trusted", "built", "analysing", "building", "done"]
UNTRUSTED_BUILD = "builds are disabled in an untrusted workspace (trust the workspace to build and run)"
DEFAULT_OUTPUT = "${workspaceFolder}/zig-out/bin/${fileBasenameNoExtension}"
WORKSPACE_OUTPUT = "${workspaceFolder}/trusted-out/${fileBasenameNoExtension}"
ZIR_PROGRESS = re.compile(r"^ZIR: generate (\d+)%$")


@pytest.fixture(scope="module")
def trust_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str, Path]]:
    """Runs the trust scenario once; yields (result JSON, logs, workspace)."""
    tools: E2ETools = find_tools()
    tmp_path = tmp_path_factory.mktemp("code-server-trust")
    root = tmp_path / "ws"
    (root / ".vscode").mkdir(parents=True)
    (root / ".vscode" / "settings.json").write_text(json.dumps({"zir.build.outputPath": WORKSPACE_OUTPUT}))
    fixed = (REPO / "examples" / "hello.zir").read_text()
    fixture = root / "hello.zir"
    fixture.write_text(fixed.replace("ptrtoint(@msg)", "ptrtoint(@mgs)"))
    big = root / "big.zir"
    big.write_bytes(ChainProgram(4000).source())
    build_extension()
    extensions, user_data = tmp_path / "extensions", tmp_path / "user-data"
    for scope, settings in (
        ("Machine", {"zir.server.pythonPath": sys.executable, "zir.server.importStrategy": "fromEnvironment"}),
        ("User", {"zir.diagnostics.debounceMs": 0, "workbench.startupEditor": "none",
                  "security.workspace.trust.enabled": True, "security.workspace.trust.startupPrompt": "never",
                  "extensions.autoCheckUpdates": False, "extensions.autoUpdate": False,
                  "telemetry.telemetryLevel": "off"}),
    ):  # fmt: skip
        (user_data / scope).mkdir(parents=True)
        (user_data / scope / "settings.json").write_text(json.dumps(settings))
    install_extension(extensions)
    result_path, config_path = tmp_path / "result.json", tmp_path / "trust.json"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(RESULT_TIMEOUT_S)
    cdp_port = free_port()
    config_path.write_text(
        json.dumps(
            {
                "fixture": str(fixture),
                "fixedText": fixed,
                "big": str(big),
                "defaultOutput": str(root / "zig-out" / "bin" / "hello"),
                "workspaceOutput": str(root / "trusted-out" / "hello"),
                "result": str(result_path),
                "reportPort": listener.getsockname()[1],
                "timeoutMs": SCENARIO_WAIT_MS,
                "cdpPort": cdp_port,
            }
        )
    )
    port = free_port()
    env = dict(os.environ)
    env.update(
        PATH=f"{tools.node.parent}{os.pathsep}{env.get('PATH', '')}",
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        ZIR_LIVE_E2E_SCENARIO=str(CLIENT / "out" / "test" / "e2e" / "trust.js"),
        ZIR_LIVE_E2E_CONFIG=str(config_path),
        PYTHONPATH=str(CLIENT.parent),
    )
    # No --disable-workspace-trust: the folder opens in Restricted Mode.
    server = subprocess.Popen(
        [str(tools.node), str(tools.code_server), "--bind-addr", f"127.0.0.1:{port}", "--auth", "none",
         "--disable-telemetry", "--disable-update-check",
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
        browser = subprocess.Popen(
            [*tools.browser, "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1000",
             f"--remote-debugging-port={cdp_port}", f"--user-data-dir={tmp_path / 'chromium'}",
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
            pytest.fail(f"the extension never ran the trust scenario (no {result_path}):\n{logs}")
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


def test_untrusted_workspace_shows_diagnostics_and_builds_nothing(
    trust_run: tuple[dict[str, Any], str, Path],
) -> None:
    result, logs, _root = trust_run
    context = check(result, logs, "untrustedSave")
    untrusted = result["untrusted"]
    assert untrusted["isTrusted"] is False, context
    assert any(d.endswith(" decl 'mgs' not found") for d in untrusted["diagnostics"]), context
    # restrictedConfigurations: the workspace's outputPath is not read in Restricted Mode
    assert untrusted["outputPath"] == DEFAULT_OUTPUT, context
    # the save built nothing: no build reported, no file at either output path
    assert untrusted["buildsSeen"] == [] or all(not b["ok"] for b in untrusted["buildsSeen"]), context
    assert untrusted["outputs"] == {"default": False, "workspace": False}, context
    # asked directly, the server refuses too (defence in depth behind the client's own refusal)
    refusal = untrusted["rebuildByServer"]
    assert refusal["ok"] is False and refusal["binary"] is None and refusal["bytesWritten"] == 0, context
    assert refusal["buildId"] == 1, context  # no build ran before it: the save started none


def test_untrusted_workspace_refuses_build_and_run_commands(trust_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, _root = trust_run
    context = check(result, logs, "refused")
    assert result["refused"] == {"rebuild": None, "terminals": [], "live": False}, context


def test_after_trust_a_save_builds_into_the_workspace_output(trust_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, root = trust_run
    context = check(result, logs, "done")
    assert result["trusted"] == {"isTrusted": True, "outputPath": WORKSPACE_OUTPUT, "clicked": True}, context
    # trusting restarts the server once (not once more for the restricted settings it makes readable)
    assert result["restartsAfterTrust"] == 1, context
    build = result["build"]
    assert build["ok"] is True and build["binary"] == str(root / "trusted-out" / "hello"), context
    run = subprocess.run([build["binary"]], capture_output=True, timeout=10)
    assert (run.returncode, run.stdout) == (0, b"Hello, world!\n"), context


def _progress_shown(seen: dict[str, Any], title: str, context: str) -> None:
    assert seen["matched"] is True, context
    match = ZIR_PROGRESS.match(seen["zir"])
    assert match is not None and 0 < int(match[1]) < 100, context
    # VS Code's window progress: the server's title and message ("generate: 1200/4005 decls")
    assert re.match(rf"^{re.escape(title)}: generate: \d+/\d+ decls$", seen["progress"]), context
    # the same progress, as the ZIR item showed it while it ran
    assert any(state.startswith("ZIR: ") and f" | {title}: " in state for state in seen["states"]), context


def test_status_bar_shows_the_first_analysis_of_a_large_file(trust_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, _root = trust_run
    context = check(result, logs, "analysing")
    _progress_shown(result["analysing"], "Analysing big.zir", context)


def test_status_bar_shows_the_build_of_a_large_file(trust_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, root = trust_run
    context = check(result, logs, "done")
    _progress_shown(result["building"], "Building big.zir", context)
    big = result["bigBuild"]
    assert big["ok"] is True and big["binary"] == str(root / "trusted-out" / "big"), context
    # once the build ended the item shows the build's result again, not a stale progress
    assert result["statusAfter"].startswith("$(check) ZIR "), context
