"""Restricted Mode and build progress in a real VS Code (code-server + headless Chromium).

Opt-in like test_code_server.py (marker ``vscode``). code-server runs with workspace trust on and the folder
untrusted (no ``--disable-workspace-trust``, no startup prompt); the folder's ``.vscode/settings.json`` sets
``zir.build.outputPath``. The scenario ``vscode-client/test/e2e/trust.ts`` checks that in Restricted Mode the
extension shows diagnostics but builds and runs nothing (Rebuild, Run Output and Run Live refuse with a warning
and the command palette does not offer them) and ignores the workspace's output path, trusts the
folder through the Workspace Trust editor (clicked through the DevTools protocol), checks that a save then
builds, and reads the status bar's DOM during the first analysis and the first build of a 4 000-function
file: the ZIR item shows ``ZIR: <phase> N%`` while VS Code's window progress shows the server's title and
message (issue 11 item 4, issue 17).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.gen import ChainProgram
from tests.vscode import harness
from tests.vscode.harness import scenario_run
from tests.vscode.test_code_server import (
    REPO,
)

pytestmark = pytest.mark.vscode

STAGES = ["activated", "diagnostics", "untrustedSave", "refused", "trusted", "built", "analysing", "building", "done"]
UNTRUSTED_BUILD = "builds are disabled in an untrusted workspace (trust the workspace to build and run)"
DEFAULT_OUTPUT = "${workspaceFolder}/zig-out/bin/${fileBasenameNoExtension}"
WORKSPACE_OUTPUT = "${workspaceFolder}/trusted-out/${fileBasenameNoExtension}"
REFUSED = ["Rebuild", "Run Output", "Run Live"]
"""The commands an untrusted workspace neither offers nor runs (their titles after ``ZIR Live: ``)."""
ZIR_PROGRESS = re.compile(r"^ZIR: generate (\d+)%$")


@pytest.fixture(scope="module")
def trust_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str, Path]]:
    """Runs the trust scenario once; yields (result JSON, logs, workspace)."""
    tmp_path = tmp_path_factory.mktemp("code-server-trust")
    root = tmp_path / "ws"
    (root / ".vscode").mkdir(parents=True)
    (root / ".vscode" / "settings.json").write_text(json.dumps({"zir.build.outputPath": WORKSPACE_OUTPUT}))
    fixed = (REPO / "examples" / "hello.zir").read_text()
    fixture = root / "hello.zir"
    fixture.write_text(fixed.replace("ptrtoint(@msg)", "ptrtoint(@mgs)"))
    big = root / "big.zir"
    big.write_bytes(ChainProgram(4000).source())
    with scenario_run(
        tmp_path,
        root,
        fixture,
        "trust",
        {
            "fixture": str(fixture),
            "fixedText": fixed,
            "big": str(big),
            "defaultOutput": str(root / "zig-out" / "bin" / "hello"),
            "workspaceOutput": str(root / "trusted-out" / "hello"),
        },
        user_settings={
            "security.workspace.trust.enabled": True,
            "security.workspace.trust.startupPrompt": "never",
            "workbench.colorTheme": None,
        },
        restricted=True,  # no --disable-workspace-trust: the folder opens in Restricted Mode
        cdp=True,
    ) as (result, logs):
        yield result, logs, root


def check(result: dict[str, Any], logs: str, stage: str) -> str:
    return harness.check(result, logs, stage, STAGES)


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


def _offered(palette: list[str], title: str) -> bool:
    return any(row.startswith(f"ZIR Live: {title}") for row in palette)


def test_untrusted_workspace_refuses_build_and_run_commands(trust_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, _root = trust_run
    context = check(result, logs, "refused")
    refused = result["refused"]
    assert {k: refused[k] for k in ("rebuild", "terminals", "live")} == {
        "rebuild": None,
        "terminals": [],
        "live": False,
    }, context
    # each refusal says why (a warning notification, read from the workbench's DOM)
    assert refused["warnings"] == [f"ZIR Live: {c} is disabled in an untrusted workspace." for c in REFUSED], context


def test_untrusted_workspace_palette_offers_no_build_or_run(trust_run: tuple[dict[str, Any], str, Path]) -> None:
    """The command palette (its rows read from the DOM, filtered to "ZIR Live: ") hides Rebuild, Run Output
    and Run Live in Restricted Mode, offers them once the folder is trusted, and offers the commands that
    build nothing (Show Output, Restart Server) in both."""
    result, logs, _root = trust_run
    context = check(result, logs, "trusted")
    untrusted, trusted = result["refused"]["palette"], result["trusted"]["palette"]
    for palette in (untrusted, trusted):
        assert _offered(palette, "Show Output") and _offered(palette, "Restart Server"), context
    assert [c for c in REFUSED if _offered(untrusted, c)] == [], context
    assert [c for c in REFUSED if _offered(trusted, c)] == REFUSED, context


def test_after_trust_a_save_builds_into_the_workspace_output(trust_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, root = trust_run
    context = check(result, logs, "done")
    trusted = {k: result["trusted"][k] for k in ("isTrusted", "outputPath", "clicked")}
    assert trusted == {"isTrusted": True, "outputPath": WORKSPACE_OUTPUT, "clicked": True}, context
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


def test_the_build_of_a_large_file_reuses_its_analysis_and_shows_its_result(
    trust_run: tuple[dict[str, Any], str, Path],
) -> None:
    """The editor tier analysed and generated the large file, so the save's build only commits: it analyses
    at most the few decls the edit touched (docs/design/lsp.md §8.3) — too short for a progress to show — and the
    status item then shows the build's result, not a stale progress."""
    result, logs, root = trust_run
    context = check(result, logs, "done")
    big = result["bigBuild"]
    assert big["ok"] is True and big["binary"] == str(root / "trusted-out" / "big"), context
    assert big["declsAnalyzed"] < 10, context  # of its 4 005 decls: a build from nothing analyses them all
    assert result["statusAfter"].startswith("$(check) ZIR "), context
