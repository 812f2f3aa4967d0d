"""ZIR: Show Machine Code and ZIR: Show Binary Layout in a real VS Code (code-server + headless Chromium).

Opt-in like test_code_server.py (marker ``vscode``). The scenario ``vscode-client/test/e2e/views.ts`` runs in
the extension host: it opens both views on a 10-function chain program, checks cursor synchronisation, edits
``f5``'s constant and saves, and saves a screenshot of each view through the browser's DevTools protocol
(``--remote-debugging-port``). The screenshots land in ``docs/images/`` when ``ZIR_E2E_SCREENSHOTS`` names that
directory, else in the test's temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.gen import ChainProgram
from tests.vscode import harness
from tests.vscode.harness import scenario_run

pytestmark = pytest.mark.vscode

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STAGES = ["activated", "machineCode", "cursorSync", "layout", "edited", "hoverClick", "screenshots", "done"]


@pytest.fixture(scope="module")
def views_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str, Path]]:
    """Runs the views scenario once; yields (result JSON, logs, workspace)."""
    tmp_path = tmp_path_factory.mktemp("code-server-views")
    root = tmp_path / "ws"
    root.mkdir()
    fixture = root / "chain.zir"
    fixture.write_bytes(ChainProgram(10).source())
    shots = Path(os.environ.get("ZIR_E2E_SCREENSHOTS", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    with scenario_run(
        tmp_path,
        root,
        fixture,
        "views",
        {
            "fixture": str(fixture),
            "editedText": ChainProgram(10, bump=1).source().decode(),
            "editedDecl": "f5",
            "screenshotDir": str(shots),
        },
        cdp=True,
    ) as (result, logs):
        yield result, logs, root


def check(result: dict[str, Any], logs: str, stage: str) -> str:
    return harness.check(result, logs, stage, STAGES)


def test_machine_code_view_shows_every_decl_and_syncs_the_cursor(
    views_run: tuple[dict[str, Any], str, Path],
) -> None:
    result, logs, _root = views_run
    context = check(result, logs, "cursorSync")
    machine = result["machineCode"]
    assert machine["visible"] and machine["languageReadOnly"], context
    names = [h.split(",")[0] for h in machine["headers"]]
    assert {f"@f{i}" for i in range(10)} | {"@start"} <= set(names), context
    f5 = next(h for h in machine["headers"] if h.startswith("@f5,"))
    assert "function at 0x" in f5 and " bytes, GOT[" in f5, context
    cursor = result["cursor"]
    # the source line `%s = add(%p, %k)` of f5 → its instructions (the constant among them), and back
    assert cursor["viewLines"] and any(line.endswith(f", {hex(1000 + 5)}") for line in cursor["viewLines"]), context
    assert cursor["backToSource"] == [cursor["sourceLine"]], context


def test_views_update_after_edit_and_save(views_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, _root = views_run
    context = check(result, logs, "edited")
    after = result["after"]
    assert after["machineUpdate"] == after["save"] > result["machineCode"]["update"], context
    assert after["headersChanged"] and all(h.startswith("@f5,") for h in after["headersChanged"]), context
    assert [line.split()[0] for line in after["changedLines"]] == ["*"], context
    assert after["changedLines"][0].endswith(f", {hex(1000 + 5 + 1)}"), context
    layout = after["layout"]
    assert {f"f{i}" for i in range(10)} <= set(result["layout"]["blocks"]), context
    assert layout["changed"] == ["f5"], context
    assert "@f5" in layout["written"] and ".text" in layout["written"], context
    # the map follows the colour theme (this run uses Default Dark Modern) and may load nothing
    assert result["layout"]["theme"] == "vscode-dark", context
    policy = dict(part.strip().split(" ", 1) for part in result["csp"].split(";"))
    assert policy["default-src"] == "'none'" and policy["connect-src"] == "'none'", context
    assert policy["script-src"].startswith("'nonce-") and "http" not in result["csp"].replace(
        "https://*.vscode-cdn.net", ""
    ), context


def test_layout_hover_names_the_decl_and_click_goes_to_it(views_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, _root = views_run
    context = check(result, logs, "hoverClick")
    assert result["hover"] == "f5", context
    click = result["click"]
    assert click["decl"] == "f5" and click["line"] == click["expectedLine"] >= 0, context


def test_screenshots_of_both_views(views_run: tuple[dict[str, Any], str, Path]) -> None:
    result, logs, _root = views_run
    context = check(result, logs, "done")
    shots = [Path(p) for p in result["screenshots"]]
    assert [p.name for p in shots] == ["machine-code.png", "layout.png"], context
    for shot in shots:
        data = shot.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 20_000, (shot, context)
