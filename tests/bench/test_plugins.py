"""How bench.run offers its arguments to other helpers' ``measure`` functions (bench.plugins.bind)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import plugins


def _measure(n: int, workdir: Path, edits: int = 3) -> dict[str, Any]:
    return {"n": n, "workdir": workdir, "edits": edits}


def _anything(n: int, **rest: Any) -> dict[str, Any]:
    return {"n": n, **rest}


def test_only_the_declared_parameters_are_passed_and_paths_become_paths() -> None:
    kwargs = plugins.bind(_measure, {"n": 10, "workdir": "/tmp/x", "sizes": [1, 2], "quick": True})
    assert kwargs == {"n": 10, "workdir": Path("/tmp/x")}


def test_a_required_parameter_the_run_does_not_offer_is_named() -> None:
    with pytest.raises(TypeError, match="needs 'workdir'"):
        plugins.bind(_measure, {"n": 10})


def test_a_function_taking_keywords_gets_everything_offered() -> None:
    assert plugins.bind(_anything, {"n": 1, "quick": False}) == {"n": 1, "quick": False}


def test_a_module_that_is_not_there_is_a_reason_not_an_error() -> None:
    assert plugins.availability("no_such_bench_module") == (
        "not measured: bench/no_such_bench_module.py is not in this checkout"
    )
    assert plugins.availability("gen") == "not measured: bench/gen.py has no measure()"
