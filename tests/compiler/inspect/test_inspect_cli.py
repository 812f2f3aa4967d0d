"""`zir objdump` and `zir layout` against GNU binutils and pyelftools, on hello.zir and a 1 000-function chain.

The binaries are built by `zir build` (the real CLI); every expected value comes from GNU `objdump`, `readelf`
or pyelftools reading the same file, never from compiler/inspect itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from bench.gen import ChainProgram
from compiler.codegen.x86_64.safety import PANIC_ASM, PANIC_NAME
from compiler.inspect.binary import parse
from tests.compiler.link.elfcheck import assemble

ROOT = Path(__file__).resolve().parents[3]
ZIR = [sys.executable, "-m", "compiler"]
INSTRUCTION = re.compile(r"^ *([0-9a-f]+):\t([0-9a-f ]+?) *\t(\S+)")
LINE_MARK = re.compile(r"^(\S+\.zir):(\d+)")


def zir(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ZIR, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module", params=["hello", "chain1000"])
def binary(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A binary `zir build` wrote from examples/hello.zir or from the 1 000-function chain program."""
    name: str = request.param
    directory = tmp_path_factory.mktemp(name)
    if name == "hello":
        source = ROOT / "examples" / "hello.zir"
    else:
        source = directory / "chain.zir"
        source.write_bytes(ChainProgram(1000).source())
    out = directory / name
    result = zir("build", str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


def functions(path: Path) -> dict[str, tuple[int, int]]:
    """Local STT_FUNC symbols by name: (address, size), read by pyelftools."""
    out: dict[str, tuple[int, int]] = {}
    with open(path, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        for sym in symtab.iter_symbols():
            if sym["st_info"]["type"] == "STT_FUNC" and sym["st_info"]["bind"] == "STB_LOCAL":
                out[sym.name] = (int(sym["st_value"]), int(sym["st_size"]))
    return out


def gnu_listing(path: Path) -> dict[int, tuple[str, str, int | None]]:
    """Every instruction GNU `objdump -d -l -z -M intel` prints: address → (bytes, mnemonic, source line)."""
    text = subprocess.run(
        ["objdump", "-d", "-l", "-z", "-M", "intel", "--insn-width=16", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out: dict[int, tuple[str, str, int | None]] = {}
    line: int | None = None
    for row in text.splitlines():
        mark = LINE_MARK.match(row)
        if mark:
            line = int(mark.group(2))
            continue
        if row.endswith(">:"):
            line = None  # a new symbol: objdump prints its first line again if it has one
            continue
        found = INSTRUCTION.match(row)
        if found:
            out[int(found.group(1), 16)] = (found.group(2).replace(" ", ""), found.group(3), line)
    return out


def objdump_json(path: Path, *extra: str) -> dict[str, Any]:
    result = zir("objdump", str(path), "--json", *extra)
    assert result.returncode == 0, result.stderr
    listing: dict[str, Any] = json.loads(result.stdout)
    return listing


def test_objdump_agrees_with_gnu_objdump(binary: Path) -> None:
    ours = {d["name"]: d for d in objdump_json(binary)["decls"] if d["kind"] == "function"}
    expected_functions = functions(binary)
    assert set(ours) == set(expected_functions)
    gnu = gnu_listing(binary)
    compared = 0
    for name, (address, size) in expected_functions.items():
        code = size
        if name == PANIC_NAME:  # code, then a message table GNU objdump decodes as instructions: ours is data
            code = len(assemble(PANIC_ASM))
            tail = binary.read_bytes()[ours[name]["offset"] + code : ours[name]["offset"] + size]
            assert ours[name]["data"] == {"offset": code, "bytes": tail.hex(), "text": ours[name]["data"]["text"]}
            assert b"panic: integer overflow\n" in tail
        theirs = [(a, *gnu[a]) for a in sorted(gnu) if address <= a < address + code]
        mine = [(i["address"], i["bytes"], i["mnemonic"], i["line"]) for i in ours[name]["instructions"]]
        assert [(a, b, m) for a, b, m, _ in mine] == [(a, b, m) for a, b, m, _ in theirs], name
        # objdump -l prints a line only when it changes; ours carries it on every instruction
        assert [line for *_, line in mine] == [line for *_, line in theirs], name
        assert ours[name]["address"] == address and ours[name]["size"] == size
        compared += len(mine)
    assert compared >= (5 if binary.name == "hello" else 6000)


def test_objdump_decl_filter_and_data(binary: Path) -> None:
    name = "start" if binary.name == "hello" else "f500"
    listing = objdump_json(binary, "--decl", "@" + name)
    assert [d["name"] for d in listing["decls"]] == [name]
    if binary.name == "hello":
        (data,) = objdump_json(binary, "--decl", "msg__anon_10")["decls"]
        assert data["kind"] == "data"
        assert bytes.fromhex(data["data"]["bytes"]) == b"Hello, world!\n\0"
        assert data["data"]["text"] == "Hello, world!\\n\\x00"
        text = zir("objdump", str(binary), "--decl", "start").stdout
        assert "%rc_write = asm(%syscall, @usize," in text  # the source line interleaved
        assert "syscall" in text


def test_layout_accounts_for_every_byte_and_slot(binary: Path) -> None:
    result = zir("layout", str(binary), "--json")
    assert result.returncode == 0, result.stderr
    layout = json.loads(result.stdout)
    with open(binary, "rb") as f:
        elf = ELFFile(f)
        text = elf.get_section_by_name(".text")
        got = elf.get_section_by_name(".got")
        assert text is not None and got is not None
        text_addr, text_size = int(text["sh_addr"]), int(text["sh_size"])
        got_data = got.data()
        file_size = f.seek(0, 2)
    # .text: blocks (size + room) and gaps tile [start, end) exactly, in address order
    pieces = [(b["address"], b["size"] + b["room"]) for b in layout["text"]["blocks"]]
    pieces += [(g["address"], g["size"]) for g in layout["text"]["gaps"]]
    pieces.sort()
    cursor = text_addr
    for address, size in pieces:
        assert address == cursor
        cursor += size
    assert cursor == text_addr + text_size
    totals = layout["totals"]
    assert totals["used"] + totals["slack"] == text_size
    # every GOT slot, with the decl whose symbol has that address
    symbols = {address: name for name, (address, _size) in functions(binary).items()}
    slots = layout["got"]["slots"]
    assert len(slots) == len(got_data) // 8
    for slot in slots:
        value = int.from_bytes(got_data[8 * slot["index"] : 8 * slot["index"] + 8], "little")
        assert slot["value"] == value
        if value in symbols:
            assert slot["decl"] == symbols[value]
        assert (slot["decl"] is None) == (value == 0)
    # the file: regions and gaps tile [0, file size)
    spans = sorted(
        [(r["offset"], r["size"]) for r in layout["regions"]] + [(g["offset"], g["size"]) for g in layout["fileGaps"]]
    )
    cursor = 0
    for offset, size in spans:
        assert offset == cursor
        cursor += size
    assert cursor == file_size


def test_layout_svg(binary: Path, tmp_path: Path) -> None:
    svg = tmp_path / "map.svg"
    result = zir("layout", str(binary), "--svg", str(svg))
    assert result.returncode == 0, result.stderr
    text = svg.read_text()
    assert text.startswith("<svg")
    assert ("@start (function)" if binary.name == "hello" else "@f500 (function)") in text


def test_refuses_other_files_with_one_line(binary: Path, tmp_path: Path) -> None:
    foreign = Path("/usr/bin/objdump")
    truncated = tmp_path / "truncated"
    truncated.write_bytes(binary.read_bytes()[:3000])
    for command in ("objdump", "layout"):
        for path, reason in (
            (foreign, "not written by ZIR Live"),
            (ROOT / "examples" / "hello.zir", "not an ELF file"),
            (truncated, "beyond end of file"),
            (tmp_path / "missing", "cannot read"),
        ):
            result = zir(command, str(path))
            assert result.returncode == 1
            assert result.stdout == ""
            assert result.stderr.count("\n") == 1 and reason in result.stderr, result.stderr
            assert result.stderr.startswith(f"zir {command}: {path}: ")


def test_one_decl_lookup_agrees_with_reading_every_symbol(binary: Path) -> None:
    """The server's fast path (name → string table → .symtab entry, capacity and GOT slot by C-speed scans)
    gives what reading every symbol gives, for every decl and every export name."""
    data = binary.read_bytes()
    full = parse(str(binary), data)
    for decl in full.decls:
        fresh = parse(str(binary), data)
        found = fresh.decl(decl.name)
        assert found == decl
        assert fresh._decls is None  # answered without reading every symbol
        assert fresh.capacity(decl) == full.capacity(decl)
        assert fresh.got_slot(decl.address) == full.got_slot(decl.address)
        assert fresh.exports_of(decl.address) == full.exports_of(decl.address)
    start = full.decl("_start")
    assert start is not None and start.name == "start"
    assert parse(str(binary), data).decl("no_such_decl") is None


def test_line_rows_agree_with_pyelftools(binary: Path) -> None:
    """compiler/inspect/lines.py decodes .debug_line as pyelftools does: the same (address, line) rows per
    sequence, for the whole program and for each function's own sequence."""
    from compiler.inspect.lines import decode, read_header, rows_of

    expected: dict[int, list[tuple[int, int]]] = {}
    with open(binary, "rb") as f:
        dwarf = ELFFile(f).get_dwarf_info()
        for cu in dwarf.iter_CUs():
            program = dwarf.line_program_for_CU(cu)
            assert program is not None
            rows: list[tuple[int, int]] = []
            for entry in program.get_entries():
                state = entry.state
                if state is None:
                    continue
                rows.append((int(state.address), int(state.line)))
                if state.end_sequence:
                    expected.setdefault(rows[0][0], rows)
                    rows = []
    ours = parse(str(binary), binary.read_bytes())
    header = read_header(ours)
    assert header is not None
    assert decode(ours, header) == expected
    for decl in ours.decls:
        if decl.kind == "function" and decl.address in expected:
            assert rows_of(ours, header, decl.address) == expected[decl.address]


def test_refuses_special_files_without_reading_them(binary: Path, tmp_path: Path) -> None:
    """A FIFO hung both commands in ``open`` and ``/dev/zero`` was read until memory ran out; a directory said
    ``Is a directory`` only after ``open``. Each is refused before anything is read (docs/reliability.md)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for command in ("objdump", "layout"):
        for path in (fifo, Path("/dev/zero"), tmp_path):
            result = zir(command, str(path))
            assert result.returncode == 1 and result.stdout == ""
            assert result.stderr == f"zir {command}: {path}: cannot read '{path}': not a regular file\n"


def test_a_fifo_in_place_of_the_source_leaves_its_lines_out(tmp_path: Path) -> None:
    """``objdump`` interleaves the source's lines when it can read them; a FIFO in the source's place hung it."""
    source = tmp_path / "hello.zir"
    shutil.copy(ROOT / "examples" / "hello.zir", source)
    assert zir("build", str(source), "-o", str(tmp_path / "hello")).returncode == 0
    with_lines = zir("objdump", str(tmp_path / "hello"))
    assert with_lines.returncode == 0 and "%rc_write = asm(" in with_lines.stdout
    source.unlink()
    os.mkfifo(source)
    result = zir("objdump", str(tmp_path / "hello"))
    assert result.returncode == 0, result.stderr
    assert f"{source}:" in result.stdout and "%rc_write = asm(" not in result.stdout


def test_the_svg_map_never_replaces_the_source_or_opens_a_fifo(tmp_path: Path) -> None:
    """``--svg`` is written like ``--emit-zir``: ``--svg hello.zir`` replaced the binary's source with the map
    (the program was lost), and a FIFO hung the command in ``open``."""
    source = tmp_path / "hello.zir"
    shutil.copy(ROOT / "examples" / "hello.zir", source)
    binary = tmp_path / "hello"
    assert zir("build", str(source), "-o", str(binary)).returncode == 0
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target, reason in (
        (source, f"output path '{source}' is the input file"),
        (fifo, f"unable to write output '{fifo}': not a regular file"),
        (tmp_path, f"unable to write output '{tmp_path}': is a directory"),
    ):
        result = zir("layout", str(binary), "--svg", str(target))
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr == f"zir layout: {binary}: {reason}\n"
    assert source.read_bytes() == (ROOT / "examples" / "hello.zir").read_bytes()
    svg = tmp_path / "map.svg"
    svg.write_text("an older map")
    assert zir("layout", str(binary), "--svg", str(svg)).returncode == 0
    assert svg.read_text().startswith("<svg")  # an existing file is replaced
