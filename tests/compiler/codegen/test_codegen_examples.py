"""The worked dumps of x86_64.md §15 once more, this time compiled from the example sources by ``zir build``:
the bytes of each function symbol in the produced ELF file equal the dumps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

EXAMPLES = Path(__file__).resolve().parents[2] / "cases" / "examples"
PROLOGUE_N0 = "55 48 89 E5 48 81 EC 00 00 00 00"


def build_and_read(case: str, tmp_path: Path, mode: str = "Debug") -> dict[str, bytes]:
    out = tmp_path / "out"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compiler",
            "build",
            str(EXAMPLES / case / "update1.zir"),
            "-o",
            str(out),
            "--mode",
            mode,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with out.open("rb") as f:
        elf = ELFFile(f)
        text = elf.get_section_by_name(".text")
        symtab = elf.get_section_by_name(".symtab")
        assert text is not None and isinstance(symtab, SymbolTableSection)
        data = text.data()
        base = text["sh_addr"]
        return {
            sym.name: bytes(data[sym["st_value"] - base : sym["st_value"] - base + sym["st_size"]])
            for sym in symtab.iter_symbols()
            if sym["st_info"]["type"] == "STT_FUNC"
        }


def test_hello_world_start(tmp_path: Path) -> None:
    funcs = build_and_read("009-zig-hello-world", tmp_path)
    assert funcs["start"] == bytes.fromhex(
        "B8 01 00 00 00 BF 01 00 00 00 48 8B 34 25 60 00 00 04 BA 0E 00 00 00 0F 05 B8 E7 00 00 00 31 FF 0F 05 CC"
    )


def test_call_with_args_write(tmp_path: Path) -> None:
    funcs = build_and_read("001-zig-call-with-args", tmp_path)
    assert funcs["write"] == bytes.fromhex(PROLOGUE_N0 + " B8 01 00 00 00 48 8B D6 48 8B F7 BF 01 00 00 00 0F 05 5D C3")
    start = funcs["start"]
    assert len(start) == 30
    assert start[:4] == bytes.fromhex("48 8B 3C 25") and start[8:13] == bytes.fromhex("BE 0E 00 00 00")
    assert start[13:16] == bytes.fromhex("FF 14 25") and start[20:] == bytes.fromhex("B8 E7 00 00 00 31 FF 0F 05 CC")


def test_call_no_args_no_return(tmp_path: Path) -> None:
    # ReleaseFast: no safety, so unreachable emits nothing (Zig adds its breakpoint only with safety)
    funcs = build_and_read("010-zig-call-no-args-no-return", tmp_path, "ReleaseFast")
    assert funcs["exit0"] == bytes.fromhex(PROLOGUE_N0 + " B8 E7 00 00 00 31 FF 0F 05 5D C3")
    # Debug: unreachable in a non-Naked function panics (language-complete §10): mov edi, 7; call [G(panic)]
    debug = build_and_read("010-zig-call-no-args-no-return", tmp_path)
    exit0 = debug["exit0"]
    assert exit0[:20] == bytes.fromhex(PROLOGUE_N0 + " B8 E7 00 00 00 31 FF 0F 05")
    assert exit0[20:28] == bytes.fromhex("BF 07 00 00 00 FF 14 25") and exit0[32:] == bytes.fromhex("5D C3")
    assert "__zirlive_panic" in debug
    assert funcs["start"][:3] == bytes.fromhex("FF 14 25") and len(funcs["start"]) == 7
