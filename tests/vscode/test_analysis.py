"""Inlay hints, a quick fix and related information in a real VS Code (code-server + headless Chromium).

Opt-in like test_code_server.py (marker ``vscode``). The scenario ``vscode-client/test/e2e/analysis.ts`` runs in
the extension host: on a program naming a missing ``@three`` it waits for the diagnostic (and its related "used
here" location), asks VS Code for the quick fixes there and applies "Create `@three`", waits for the
diagnostics to clear, and reads the inlay hints VS Code gets for the fixed document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.vscode import harness
from tests.vscode.harness import scenario_run

pytestmark = pytest.mark.vscode

STAGES = ["activated", "diagnostics", "actions", "fixed", "hints", "done"]

PROGRAM = """@noreturn = primitive(noreturn)
@usize = primitive(usize)
@start_fnty = fntype([], @noreturn, cc=Naked)
@start = fn(@start_fnty, {
  %k = as(@usize, @three)
  %m = add(%k, %k)
  %99 = unreachable()
})
@entry = str("_start")
@exp = export(@entry, "start")
"""
FIX_TITLE = "Create `@three` (= int(0))"


@pytest.fixture(scope="module")
def analysis_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str]]:
    """Runs the analysis scenario once; yields (result JSON, logs)."""
    tmp_path = tmp_path_factory.mktemp("code-server-analysis")
    root = tmp_path / "ws"
    root.mkdir()
    fixture = root / "missing.zir"
    fixture.write_text(PROGRAM)
    with scenario_run(tmp_path, root, fixture, "analysis", {"fixture": str(fixture), "fixTitle": FIX_TITLE}) as run:
        yield run


def test_missing_decl_relates_its_use_and_the_quick_fix_compiles(
    analysis_run: tuple[dict[str, Any], str],
) -> None:
    result, logs = analysis_run
    context = harness.check(result, logs, "fixed", STAGES)
    [diag] = result["before"]
    assert diag["message"] == "decl 'three' not found" and diag["line"] == 4, context
    assert {"title": FIX_TITLE, "kind": "quickfix"} in result["actions"], context
    assert result["fixedText"] == PROGRAM.replace("@start = fn(", "@three = int(0)\n@start = fn("), context


def test_inlay_hints_show_types_and_values_in_vscode(analysis_run: tuple[dict[str, Any], str]) -> None:
    result, logs = analysis_run
    context = harness.check(result, logs, "done", STAGES)
    # after the fix @start is on line 4 (0-based), %k on line 5 and %m on line 6
    assert sorted(result["hints"]) == sorted(["5:4 : usize", "5:25 = 0", "6:4 : usize", "6:18 = 0"]), context
