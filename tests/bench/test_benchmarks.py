"""The benchmark command end to end at small N (marker `bench`: `pytest -m bench tests/bench`).

Prints the goal table. Fails only on broken scenarios or wrong results, never on a timing
(performance.md §5).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import report, run

pytestmark = pytest.mark.bench


def test_quick_run_produces_a_complete_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run.json"
    argv = ["--sizes", "10,100,1000", "--edits", "5", "--seq-edits", "10", "--no-profiles", "--out", str(out)]
    assert run.main(argv) == 0
    result = json.loads(out.read_text())
    unavailable = {k: v for k, v in result["availability"].items() if v is not None and k != "zig"}
    broken = [(e["scenario"], e["n"], e["error"]) for e in result["errors"]]
    with capsys.disabled():
        for row in report.goal_rows(result):
            print(" | ".join(row))
        print("unavailable:", unavailable)
    assert not broken
    for n, scenarios in result["per_n"].items():
        if "gnu" in scenarios:
            assert scenarios["gnu"]["exit_code_ok"], n
        if "zir_watch" in scenarios:
            assert scenarios["zir_watch"]["wrong_results"] == [], n
            assert scenarios["zir_watch"]["full_build_exit_code_ok"], n
        if "zir_lsp" in scenarios:
            assert scenarios["zir_lsp"]["wrong_diagnostics"] == [], n
    if "sequence" in result:
        assert result["sequence"]["failure_count"] == 0, result["sequence"]["failures"]
