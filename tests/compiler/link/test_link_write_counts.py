"""Write accounting through a whole Compilation: S1 (performance.md §4) and the per-update link counters."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.gen import ChainProgram
from compiler.compilation import Compilation, Options
from compiler.link import link_totals


def _compile(tmp_path: Path, prog: ChainProgram) -> tuple[Compilation, Path, Path]:
    src = tmp_path / "chain.zir"
    out = tmp_path / "chain"
    src.write_bytes(prog.source())
    comp = Compilation(Options(root_path=str(src), output_path=str(out)))
    return comp, src, out


def _update(comp: Compilation) -> dict[str, int]:
    before = link_totals(comp.linker)
    report = comp.update()
    assert report.ok and report.committed
    after = link_totals(comp.linker)
    counts = after.since(before)
    counts["bytes_written"] = after.bytes_written - before.bytes_written
    assert counts["bytes_written"] == report.bytes_written
    return counts


def _exit_code(out: Path) -> int:
    return subprocess.run([str(out)], check=False, timeout=10).returncode


@pytest.mark.parametrize(("n", "moving_writes"), [(10, 9), (1000, 10), (10_000, 10)])
def test_fresh_build_is_one_write_and_moving_edit_at_most_ten(tmp_path: Path, n: int, moving_writes: int) -> None:
    prog = ChainProgram(n)
    comp, src, out = _compile(tmp_path, prog)
    try:
        fresh = _update(comp)
        assert fresh["write_calls"] == 1 and fresh["copy_calls"] == 0 and fresh["text_moves"] == 0
        assert fresh["code_bytes"] > 20 * n
        assert _exit_code(out) == prog.exit_code()

        prog.bump = 1  # same size: in place
        src.write_bytes(prog.source())
        in_place = _update(comp)
        assert in_place["text_moves"] == 0 and in_place["write_calls"] == 3
        assert 0 < in_place["code_bytes"] < 100
        assert _exit_code(out) == prog.exit_code()

        prog.bump = 2
        prog.extra_adds = 4  # grows beyond its capacity: f{N/2} moves (S1: at most 10 write calls)
        src.write_bytes(prog.source())
        moved = _update(comp)
        assert moved["text_moves"] == 1
        assert moved["write_calls"] == moving_writes <= 10
        assert moved["bytes_written"] <= moved["code_bytes"] + 1024  # P2 still holds with the bridged gaps
        assert moved["replaced_running"] == 0
        assert _exit_code(out) == prog.exit_code()
    finally:
        comp.close()
