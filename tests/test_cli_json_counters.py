"""The linker's per-update counters in the `--json` line of `zir build` and `zir watch` (performance.md §5)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.gen import ChainProgram
from compiler.link.elf.commit import WHOLE_FILE_PIECE
from tests.test_cli_build_watch import Watch, zir

LINK_KEYS = ("code_bytes", "write_calls", "copy_calls", "bytes_copied", "text_moves", "replaced_running")


def pieces(path: Path) -> int:
    """The write calls of a fresh file: it is written whole, ``WHOLE_FILE_PIECE`` bytes a call."""
    return -(-path.stat().st_size // WHOLE_FILE_PIECE)


def test_build_json_counts_the_pieces_of_a_fresh_file(tmp_path: Path) -> None:
    prog = ChainProgram(50)
    (tmp_path / "c.zir").write_bytes(prog.source())
    p = zir("build", "c.zir", "--json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    counters = json.loads(p.stdout)["counters"]
    assert all(key in counters for key in LINK_KEYS)
    assert counters["write_calls"] == pieces(tmp_path / "c") and counters["copy_calls"] == counters["bytes_copied"] == 0
    assert counters["text_moves"] == counters["replaced_running"] == 0
    assert counters["code_bytes"] > 50 * 20


def test_watch_json_counts_per_update(tmp_path: Path) -> None:
    prog = ChainProgram(50)
    src = tmp_path / "c.zir"
    src.write_bytes(prog.source())
    w = Watch(tmp_path, "c.zir", "--json", "--manual")
    try:
        w.send("update")
        first = w.json()["counters"]
        assert first["write_calls"] == pieces(tmp_path / "c") and first["code_bytes"] > 50 * 20
        prog.bump = 1  # same code size: in place
        src.write_bytes(prog.source())
        w.send("update")
        same = w.json()["counters"]
        assert same["text_moves"] == 0 and same["write_calls"] == 3 and 0 < same["code_bytes"] < 100
        prog.extra_adds = 4  # f{N/2} grows beyond its room and moves
        src.write_bytes(prog.source())
        w.send("update")
        moved = w.json()["counters"]
        assert moved["text_moves"] == 1 and 3 < moved["write_calls"] <= 10
        w.send("update")  # nothing changed: nothing generated, nothing written
        idle = w.json()["counters"]
        assert idle["code_bytes"] == idle["write_calls"] == idle["text_moves"] == 0
    finally:
        code, err = w.close()
    assert code == 0, err
