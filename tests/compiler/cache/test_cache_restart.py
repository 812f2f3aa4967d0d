"""The persistent compile cache as a user meets it: `zir build` restarted after an edit, with real processes and
the binaries run (docs/design/performance.md §7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from bench.shapes import ShapeProgram
from compiler.cache.location import FORMAT_DIR

ZIR = [sys.executable, "-m", "compiler"]


@dataclass
class Workspace:
    """A source directory and a cache directory outside it."""

    root: Path
    cache: Path

    @property
    def src(self) -> Path:
        return self.root / "p.zir"

    @property
    def out(self) -> Path:
        return self.root / "p"

    def build(self, *args: str, out: Path | None = None, cache_dir: Path | None = None) -> tuple[dict[str, Any], str]:
        env = {**os.environ, "ZIR_CACHE_DIR": str(cache_dir or self.cache)}
        target = str(out or self.out)
        p = subprocess.run(
            [*ZIR, "build", str(self.src), "-o", target, "--json", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
        report: dict[str, Any] = json.loads(p.stdout)
        return report, p.stderr

    def cache_files(self) -> list[Path]:
        return sorted((self.cache / FORMAT_DIR).glob("*.json"))


def sections(binary: Path) -> list[tuple[str, dict[str, int], bytes]]:
    """Every section's name, header and bytes, and the program headers (not the unused bytes between)."""
    with binary.open("rb") as f:
        elf = ELFFile(f)
        out = [(s.name, dict(s.header), s.data()) for s in elf.iter_sections()]
        out += [("phdr", dict(seg.header), b"") for seg in elf.iter_segments()]
        out.append(("ehdr", dict(elf.header), b""))
    return out


def run(binary: Path) -> int:
    return subprocess.run([str(binary)], capture_output=True, timeout=60).returncode


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "ws").mkdir()
    return Workspace(tmp_path / "ws", tmp_path / "cache")


def edited_restart(ws: Workspace, n: int, shape: str = "chain") -> tuple[dict[str, Any], str, ShapeProgram]:
    """Build N, change one function's constant by four digits, build again in a new process."""
    prog = ShapeProgram(shape, n)
    ws.src.write_bytes(prog.source())
    _first, err = ws.build()
    assert err == "" and len(ws.cache_files()) == 1
    prog.edited_constant = 70_000
    ws.src.write_bytes(prog.source())
    second, err = ws.build()
    return second["counters"], err, prog


def fresh_exit(ws: Workspace) -> int:
    """The exit code of a fresh build of the current source (another output, no cache)."""
    fresh = ws.root / "fresh"
    ws.build("--no-cache", out=fresh)
    return run(fresh)


def test_restart_after_one_edit_does_work_independent_of_n(tmp_path: Path) -> None:
    counts = []
    for n in (10, 1000):
        ws = Workspace(tmp_path / f"ws{n}", tmp_path / f"cache{n}")
        ws.root.mkdir()
        counters, err, prog = edited_restart(ws, n)
        assert err == ""
        assert counters["bodies_kept"] == n - 1  # every f_i except the edited one
        assert run(ws.out) == prog.exit_code() == fresh_exit(ws)
        # the same program, layout and debug information as a build from nothing (code sizes did not change)
        assert sections(ws.out) == sections(ws.root / "fresh")
        counts.append({k: counters[k] for k in ("fn_bodies_analyzed", "decls_generated", "code_bytes")})
    assert counts[0] == counts[1]
    assert counts[0]["fn_bodies_analyzed"] == 2  # the edited f and _start (its body makes strings)


def test_without_cache_a_restart_redoes_everything(ws: Workspace) -> None:
    prog = ShapeProgram("chain", 50)
    ws.src.write_bytes(prog.source())
    ws.build("--no-cache")
    prog.edited_constant = 70_000
    ws.src.write_bytes(prog.source())
    report, _err = ws.build("--no-cache")
    assert report["counters"]["fn_bodies_analyzed"] == 51 and "bodies_kept" not in report["counters"]
    assert ws.cache_files() == []


@pytest.mark.parametrize("shape", ["star", "tree"])
def test_restart_in_other_shapes_equals_a_fresh_build(ws: Workspace, shape: str) -> None:
    counters, err, prog = edited_restart(ws, 60, shape)
    assert err == "" and counters["bodies_kept"] >= 55
    assert run(ws.out) == prog.exit_code() == fresh_exit(ws)


def test_a_changed_callee_type_is_not_trusted(ws: Workspace) -> None:
    """f2 calls f1; f1's return type changes while f2's text stays: f2 must be analysed again."""
    head = "@noreturn = primitive(noreturn)\n@usize = primitive(usize)\n@i64t = primitive(i64)\n"
    f1 = "@f1 = fn(@fa, {{\n  %c = int(7)\n  %k = as({t}, %c)\n  %r = return(%k)\n}})\n"
    f2 = "@f2 = fn(@fb, {\n  %p = call(@f1, [])\n  %r = return(%p)\n})\n"
    types = "@fa = fntype([], {t})\n@fb = fntype([], @usize)\n"
    prog = ShapeProgram("chain", 10)
    base = prog.source().decode()
    start = base.index("@start_fnty")
    call_f9 = "call(@f9, [])"
    assert call_f9 in base[start:]

    def text(t: str) -> bytes:
        tail = base[start:].replace(call_f9, "call(@f2, [])")
        return (head + types.format(t=t) + f1.format(t=t) + f2 + tail).encode()

    ws.src.write_bytes(text("@usize"))
    _report, err = ws.build()
    assert err == "" and run(ws.out) == 7
    ws.src.write_bytes(text("@i64t"))
    report, err = ws.build()
    assert err == "" and report["ok"]
    # f1 was edited, f2's text is the same but what it calls returns another type, _start makes strings
    assert report["counters"]["bodies_kept"] == 0 and report["counters"]["fn_bodies_analyzed"] == 3
    assert run(ws.out) == fresh_exit(ws) == 7


def readelf_warnings(binary: Path) -> list[str]:
    p = subprocess.run(
        ["readelf", "--debug-dump=info,decodedline", str(binary)], capture_output=True, text=True, timeout=60
    )
    return [line for line in (p.stdout + p.stderr).splitlines() if "warning" in line.lower()]


def test_restart_where_a_function_grows_moves_and_another_is_deleted(ws: Workspace) -> None:
    from bench.gen import ChainProgram

    n = 40
    prog = ChainProgram(n)
    ws.src.write_bytes(prog.source())
    ws.build()
    prog.extra_adds = 6  # f{N/2} outgrows its block and moves
    text = prog.source().replace(f"call(@f{n - 1}, [])".encode(), f"call(@f{n - 2}, [])".encode())
    start = text.index(f"@f{n - 1} = fn(".encode())
    end = text.index(b"})\n", start) + 3
    ws.src.write_bytes(text[:start] + text[end:])  # f{N-1} is gone, _start calls f{N-2}
    report, err = ws.build()
    assert err == "" and report["counters"]["bodies_kept"] == n - 2  # f0 … f{N-2} but f{N/2}
    assert report["counters"]["text_moves"] >= 1
    assert run(ws.out) == fresh_exit(ws)
    assert readelf_warnings(ws.out) == []
    with ws.out.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        assert symtab.get_symbol_by_name(f"f{n - 1}") is None and symtab.get_symbol_by_name(f"f{n - 2}")


def _line_rows_and_lead(binary: Path) -> tuple[list[tuple[str, int, int]], set[str]]:
    """The decoded line rows (file, line, address) and the opcodes that come before the first program."""
    with binary.open("rb") as f:
        dwarf = ELFFile(f).get_dwarf_info()
        cu = next(iter(dwarf.iter_CUs()))
        program = dwarf.line_program_for_CU(cu)
        assert program is not None
        names = [e.name.decode() for e in program["file_entry"]]
        rows: list[tuple[str, int, int]] = []
        lead: set[str] = set()
        started = False
        for entry in program.get_entries():
            started = started or (entry.command == 0x02 and entry.is_extended)  # DW_LNE_set_address
            if not started:
                lead.add(f"{entry.command:#x}")
            if entry.state is not None and not entry.state.end_sequence:
                rows.append((names[entry.state.file - 1], entry.state.line, entry.state.address))
    return rows, lead


@pytest.mark.parametrize("first, second", [("deep/er", "."), (".", "deep/er")])
def test_a_restart_from_another_directory_keeps_the_cache(tmp_path: Path, first: str, second: str) -> None:
    """The line header's room depends on the compile directory and the source path as given: a build from
    another directory reuses the cache and pads its header up to the output's first line program
    (docs/design/elf-linker.md §14.5). Before, a longer path refused the cache as "debug pieces overlap"."""
    root = tmp_path / "ws"
    (root / "deep" / "er").mkdir(parents=True)
    prog = ShapeProgram("chain", 30)
    (root / "p.zir").write_bytes(prog.source())
    env = {**os.environ, "ZIR_CACHE_DIR": str(tmp_path / "cache")}

    def build(cwd: str, cache: bool = True) -> tuple[dict[str, Any], str]:
        rel = os.path.relpath(root, root / cwd)
        args = [*ZIR, "build", f"{rel}/p.zir", "-o", f"{rel}/p", "--json", *([] if cache else ["--no-cache"])]
        p = subprocess.run(args, cwd=root / cwd, capture_output=True, text=True, env=env, timeout=300)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout), p.stderr

    build(first)
    prog.edited_constant = 70_000
    (root / "p.zir").write_bytes(prog.source())
    report, err = build(second)
    assert err == "" and report["counters"]["bodies_kept"] == 29
    rows, lead = _line_rows_and_lead(root / "p")
    assert lead <= {"0x6", "0x2"}  # negate_stmt pairs and advance_pc 0: no byte of the older header's
    (root / "p").rename(root / "incremental")
    build(second, cache=False)
    assert (rows, run(root / "incremental")) == (_line_rows_and_lead(root / "p")[0], run(root / "p"))
    assert readelf_warnings(root / "incremental") == []
