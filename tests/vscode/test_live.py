"""Run Live in a real VS Code (code-server + headless Chromium): the program's terminal and status item.

Opt-in like test_code_server.py (marker ``vscode``). The scenario ``vscode-client/test/e2e/live.ts`` runs in the
extension host: it invokes the "Run live" code lens on a looping program, waits for the program's lines in
the pseudoterminal fed by ``zir/programOutput``, edits the printed message and saves, waits for the same
process to print the new message with the status item showing one swap, and stops the program.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hot.programs import print_decl, print_text, program
from tests.vscode import harness
from tests.vscode.harness import scenario_run

pytestmark = pytest.mark.vscode

STAGES = ["activated", "lens", "running", "swapped", "stopped", "done"]


def _source(message: str) -> str:
    return program(print_decl("m", "msg") + print_text("n", "\n"), f'@msg = str("{message}")\n', period=20)


@pytest.fixture(scope="module")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str, Path]]:
    """Runs the Run Live scenario once; yields (result JSON, logs, workspace)."""
    tmp_path = tmp_path_factory.mktemp("code-server-live")
    root = tmp_path / "ws"
    root.mkdir()
    fixture = root / "live.zir"
    fixture.write_text(_source("first"))
    with scenario_run(
        tmp_path,
        root,
        fixture,
        "live",
        {"fixture": str(fixture), "editedText": _source("second"), "before": " first\r\n", "after": " second\r\n"},
    ) as (result, logs):
        yield result, logs, root


def check(result: dict[str, Any], logs: str, stage: str) -> str:
    return harness.check(result, logs, stage, STAGES)


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
