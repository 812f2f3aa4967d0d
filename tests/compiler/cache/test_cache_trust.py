"""A cache that is corrupt, stale, planted or hostile is ignored with one log line and the build is correct
(docs/design/performance.md §7). Real `zir build` / `zir watch` processes; the binaries are run."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from bench.shapes import ShapeProgram
from tests.compiler.cache.test_cache_restart import ZIR, Workspace, run

N = 30


class RunsAShellCommand:
    """Unpickling this runs ``touch``: the proof that a cache reader would have executed the file's code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[str], int], tuple[str]]:
        return os.system, (f"touch {self.marker}",)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "ws").mkdir()
    return Workspace(tmp_path / "ws", tmp_path / "cache")


def built_then_edited(ws: Workspace) -> ShapeProgram:
    prog = ShapeProgram("chain", N)
    ws.src.write_bytes(prog.source())
    _report, err = ws.build()
    assert err == "" and len(ws.cache_files()) == 1
    prog.edited_constant = 70_000
    ws.src.write_bytes(prog.source())
    return prog


def cache_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "compile cache" in line]


def assert_ignored(ws: Workspace, prog: ShapeProgram, reason: str) -> None:
    report, err = ws.build()
    lines = cache_lines(err)
    assert len(lines) == 1 and "ignored" in lines[0] and reason in lines[0], err
    assert report["counters"]["bodies_kept"] == 0 and report["counters"]["fn_bodies_analyzed"] == N + 1
    assert run(ws.out) == prog.exit_code()
    # the build wrote a valid cache again: the next restart keeps the unchanged bodies
    prog.edited_constant = 7
    ws.src.write_bytes(prog.source())
    again, err = ws.build()
    assert err == "" and again["counters"]["bodies_kept"] == N - 1 and run(ws.out) == prog.exit_code()


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _version(path: Path) -> None:
    doc = json.loads(path.read_bytes())
    doc["version"] = 999
    path.write_text(json.dumps(doc))


def _output_hash(path: Path) -> None:
    doc = json.loads(path.read_bytes())
    doc["output_sha256"] = "0" * 64
    path.write_text(json.dumps(doc))


def _placement_bool(path: Path) -> None:
    doc = json.loads(path.read_bytes())
    doc["placements"]["f3"][3] = True  # a bool is no relocation count
    path.write_text(json.dumps(doc))


def _placement_short(path: Path) -> None:
    doc = json.loads(path.read_bytes())
    doc["placements"]["f3"] = doc["placements"]["f3"][:8]
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_truncate, "corrupt"),
        (_garbage, "corrupt"),
        (_version, "format version 999"),
        (_output_hash, "the output changed"),
        (_placement_bool, "corrupt (placement)"),
        (_placement_short, "corrupt (placement)"),
    ],
)
def test_a_damaged_cache_is_ignored(ws: Workspace, damage: Callable[[Path], None], reason: str) -> None:
    prog = built_then_edited(ws)
    damage(ws.cache_files()[0])
    assert_ignored(ws, prog, reason)


def test_a_damaged_function_record_is_not_used(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    path = ws.cache_files()[0]
    doc = json.loads(path.read_bytes())
    doc["fns"]["f3"][1] = 10**6  # a fingerprint index past the table
    doc["fns"]["f4"][2] = "not a list"
    path.write_text(json.dumps(doc))
    report, err = ws.build()
    lines = cache_lines(err)
    assert len(lines) == 1 and "record of 'f4' ignored: corrupt" in lines[0], err  # analysed from f{N-1} down
    assert report["counters"]["bodies_kept"] == N - 3 and run(ws.out) == prog.exit_code()


def test_a_pickle_in_the_cache_is_never_executed(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    marker = ws.root.parent / "executed"
    ws.cache_files()[0].write_bytes(pickle.dumps(RunsAShellCommand(marker)))
    assert_ignored(ws, prog, "corrupt")
    assert not marker.exists()


def test_a_modified_output_makes_the_cache_stale(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    with ws.out.open("rb") as f:
        elf = ELFFile(f)
        text = elf.get_section_by_name(".text")
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection) and text is not None
        symbols = symtab.get_symbol_by_name("f3")
        assert symbols is not None
        (f3,) = symbols
        at = text["sh_offset"] + f3["st_value"] - text["sh_addr"]
    data = bytearray(ws.out.read_bytes())
    data[at : at + f3["st_size"]] = b"\xcc" * f3["st_size"]  # someone else rewrote f3's code: trusting it would trap
    ws.out.write_bytes(bytes(data))
    assert_ignored(ws, prog, "the output changed")


def test_a_replaced_output_makes_the_cache_stale(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    other = ws.root / "other.zir"
    other.write_bytes(ShapeProgram("star", N).source())
    ws.out.unlink()
    p = subprocess.run([*ZIR, "build", str(other), "-o", str(ws.out), "--no-cache"], capture_output=True)
    assert p.returncode == 0
    assert_ignored(ws, prog, "the output changed")


def test_a_deleted_output_makes_the_cache_stale(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    ws.out.unlink()
    assert_ignored(ws, prog, "the output is missing")


def test_a_build_into_a_missing_output_does_not_decode_the_cache(ws: Workspace) -> None:
    # the output is checked first: a build from nothing never pays for decoding the last build's cache (here
    # garbage, which decoding would report as corrupt)
    prog = built_then_edited(ws)
    _garbage(ws.cache_files()[0])
    ws.out.unlink()
    assert_ignored(ws, prog, "the output is missing")


def test_other_options_make_the_cache_stale(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    report, err = ws.build("--mode", "ReleaseFast")
    lines = cache_lines(err)
    assert len(lines) == 1 and "stale (other optimize)" in lines[0]
    assert report["counters"]["bodies_kept"] == 0 and run(ws.out) == prog.exit_code()


def test_a_changed_function_record_is_not_trusted(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    path = ws.cache_files()[0]
    doc = json.loads(path.read_bytes())
    doc["fns"]["f3"][0] = "00" * 32  # not f3's contents any more: its body is analysed again
    path.write_text(json.dumps(doc))
    report, err = ws.build()
    assert err == "" and report["counters"]["bodies_kept"] == N - 2 and run(ws.out) == prog.exit_code()


def test_a_cache_planted_in_the_workspace_is_not_read(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    planted = ws.root / ".zir-cache"
    shutil.copytree(ws.cache, planted)
    report, err = ws.build(cache_dir=planted)
    lines = cache_lines(err)
    assert len(lines) == 1 and "inside the source's directory tree" in lines[0]
    assert "bodies_kept" not in report["counters"] and report["counters"]["fn_bodies_analyzed"] == N + 1
    assert run(ws.out) == prog.exit_code()


def test_a_symlinked_cache_file_is_not_read(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    path = ws.cache_files()[0]
    elsewhere = ws.root.parent / "elsewhere.json"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert_ignored(ws, prog, "cannot open")


def test_a_cache_file_others_may_write_is_not_read(ws: Workspace) -> None:
    prog = built_then_edited(ws)
    ws.cache_files()[0].chmod(0o666)
    assert_ignored(ws, prog, "writable by others")


def test_watch_saves_at_exit_and_a_new_watch_continues(ws: Workspace) -> None:
    from tests.test_cli_build_watch import Watch

    prog = ShapeProgram("chain", N)
    ws.src.write_bytes(prog.source())
    env = {"ZIR_CACHE_DIR": str(ws.cache)}
    w = Watch(ws.root, str(ws.src), "-o", str(ws.out), "--json", "--manual", env=env)
    w.send("update")
    assert w.json()["counters"]["fn_bodies_analyzed"] == N + 1
    w.send("exit")
    assert w.proc.wait(timeout=60) == 0
    assert len(ws.cache_files()) == 1
    prog.edited_constant = 70_000
    ws.src.write_bytes(prog.source())
    w = Watch(ws.root, str(ws.src), "-o", str(ws.out), "--json", "--manual", env=env)
    try:
        w.send("update")
        counters = w.json()["counters"]
        assert counters["bodies_kept"] == N - 1 and counters["fn_bodies_analyzed"] == 2
        assert run(ws.out) == prog.exit_code()
        prog.edited_constant = 7  # a later edit in the same session: ordinary incremental work
        ws.src.write_bytes(prog.source())
        w.send("update")
        later = w.json()["counters"]
        assert later["bodies_kept"] == 0 and later["fn_bodies_analyzed"] == 1
        assert run(ws.out) == prog.exit_code()
    finally:
        w.send("exit")
        w.proc.wait(timeout=60)


def test_watch_saves_when_idle_so_a_killed_watch_still_leaves_a_cache(ws: Workspace) -> None:
    from tests.test_cli_build_watch import Watch

    prog = ShapeProgram("chain", N)
    ws.src.write_bytes(prog.source())
    env = {"ZIR_CACHE_DIR": str(ws.cache)}
    w = Watch(ws.root, str(ws.src), "-o", str(ws.out), "--json", "--manual", env=env)
    try:
        w.send("update")
        assert w.json()["counters"]["fn_bodies_analyzed"] == N + 1
        deadline = time.monotonic() + 60
        while not ws.cache_files() and time.monotonic() < deadline:  # the idle save, written by rename
            time.sleep(0.05)
        assert len(ws.cache_files()) == 1
    finally:
        w.proc.kill()  # no exit: only the idle save can have written the cache
        w.proc.wait(timeout=60)
    prog.edited_constant = 70_000
    ws.src.write_bytes(prog.source())
    report, err = ws.build()
    assert err == "" and report["counters"]["bodies_kept"] == N - 1 and run(ws.out) == prog.exit_code()
