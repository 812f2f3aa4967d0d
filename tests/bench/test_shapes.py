"""The three program shapes of the length-changing edit benchmark build, run and keep their exit codes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bench.shapes import SHAPES, WIDTHS, ShapeProgram, edited_constant, session
from compiler.zir import regions


@pytest.mark.parametrize("shape", SHAPES)
def test_length_changing_edits_of_each_shape_run_with_the_expected_exit_code(shape: str, tmp_path: Path) -> None:
    narrow, wide = (ShapeProgram(shape, 21, w).source() for w in WIDTHS)
    assert len(wide) - len(narrow) == 4  # the edit changes the file's length
    result = session(shape, 21, tmp_path, 3)  # raises when an executable exits with the wrong code
    assert result["counters_last"]["decls_diffed"] == 1
    assert result["update"]["count"] == 2
    assert result["update_cpu"]["count"] == 2
    # then edits in another function each time (docs/design/module.md §9.6); names to catch up only with strings
    assert result["update_moving"]["count"] == result["update_moving_cpu"]["count"] == 2
    assert (result.get("names_after_moving_cpu_ms") is not None) == (shape == "strings")
    if regions.__file__.endswith(".py"):  # interpreted: the parser's comparisons are seen (bench/shapes.py FileCost)
        file_cpu, rest_cpu = result["update_file_cpu"], result["update_rest_cpu"]
        assert file_cpu["count"] == rest_cpu["count"] == 2
        for total, file_part, rest in zip(
            result["update_cpu"]["samples"], file_cpu["samples"], rest_cpu["samples"], strict=True
        ):
            assert file_part > 0 and abs(total - file_part - rest) < 0.001  # the two parts make up the update


def test_every_edit_changes_the_length_by_four_bytes_to_a_text_not_seen_before() -> None:
    texts = [ShapeProgram("chain", 21, edited_constant(k)).source() for k in range(180)]
    assert len(set(texts)) == len(texts)  # the parser's region cache never serves the edited region
    assert all(abs(len(a) - len(b)) == 4 for a, b in itertools.pairwise(texts))


def test_shapes_compute_their_exit_codes_independently() -> None:
    # chain of 3: f0 = 1000, f1 = 1001 + f0 (the edited f1 holds 7), f2 = 1002 + f1
    assert ShapeProgram("chain", 3, 7).exit_code() == (1000 + 7 + 1002) % 256
    # star of 3: 1000 + 7 + 1002
    assert ShapeProgram("star", 3, 7).exit_code() == (1000 + 7 + 1002) % 256
    # tree of 3: f0 = 1000 + f1 + f2 with f1 = 7 (edited) and f2 = 1002
    assert ShapeProgram("tree", 3, 7).exit_code() == (1000 + 7 + 1002) % 256
    assert ShapeProgram("tree", 5, 7).exit_code() == (1000 + (1001 + 1003 + 1004) + 7) % 256
