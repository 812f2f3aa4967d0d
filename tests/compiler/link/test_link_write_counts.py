"""Write accounting through a whole Compilation: S1 and P2 (performance.md §2) and the per-update link counters.

The contract is a set of upper bounds: at most 6 write calls for an edit that stays in place, at most 10 for
one that moves, no whole-file rewrite, and at most ``len(new code) + 1 KiB`` bytes. Only the fresh build's
writes are exact: a fresh file is written whole to a temporary file (elf-linker.md §12), in sequential pieces of
``WHOLE_FILE_PIECE`` bytes (the page cache then holds it in small folios, so later edits' writes stay cheap).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.gen import ChainProgram
from compiler.compilation import Compilation, Options
from compiler.link.elf.commit import WHOLE_FILE_PIECE


def _compile(tmp_path: Path, prog: ChainProgram) -> tuple[Compilation, Path, Path]:
    src = tmp_path / "chain.zir"
    out = tmp_path / "chain"
    src.write_bytes(prog.source())
    comp = Compilation(Options(root_path=str(src), output_path=str(out)))
    return comp, src, out


def _inode(out: Path) -> int | None:
    return out.stat().st_ino if out.exists() else None


def _update(comp: Compilation, out: Path) -> dict[str, int]:
    """The update's link counters, plus ``replaced_file``: 1 if the output is a new file (whole rewrite)."""
    inode = _inode(out)
    before = comp.linker.totals.snapshot()
    report = comp.update()
    assert report.ok and report.committed
    after = comp.linker.totals.snapshot()
    counts = after.since(before)
    counts["bytes_written"] = after.bytes_written - before.bytes_written
    counts["replaced_file"] = int(_inode(out) != inode)
    assert counts["bytes_written"] == report.bytes_written
    return counts


def _exit_code(out: Path) -> int:
    return subprocess.run([str(out)], check=False, timeout=10).returncode


@pytest.mark.parametrize("n", [10, 1000, 10_000])
def test_fresh_build_is_written_in_pieces_and_moving_edit_at_most_ten(tmp_path: Path, n: int) -> None:
    prog = ChainProgram(n)
    comp, src, out = _compile(tmp_path, prog)
    try:
        fresh = _update(comp, out)
        pieces = -(-out.stat().st_size // WHOLE_FILE_PIECE)
        assert fresh["write_calls"] == pieces and fresh["replaced_file"] == 1
        assert fresh["copy_calls"] == 0 and fresh["text_moves"] == 0
        assert fresh["code_bytes"] > 20 * n
        assert _exit_code(out) == prog.exit_code()

        prog.bump = 1  # same size: in place
        src.write_bytes(prog.source())
        in_place = _update(comp, out)
        assert in_place["text_moves"] == 0 and in_place["replaced_file"] == 0
        assert 1 <= in_place["write_calls"] <= 6
        assert 0 < in_place["code_bytes"] < 100
        assert in_place["bytes_written"] <= in_place["code_bytes"] + 1024
        assert _exit_code(out) == prog.exit_code()

        prog.bump = 2
        prog.extra_adds = 4  # grows beyond its capacity: f{N/2} moves (S1: at most 10 write calls)
        src.write_bytes(prog.source())
        moved = _update(comp, out)
        assert moved["text_moves"] == 1
        assert moved["replaced_file"] == 0
        assert 1 <= moved["write_calls"] <= 10
        assert moved["bytes_written"] <= moved["code_bytes"] + 1024  # P2 still holds with the bridged gaps
        assert moved["replaced_running"] == 0
        assert _exit_code(out) == prog.exit_code()
    finally:
        comp.close()
