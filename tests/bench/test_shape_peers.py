"""The peers' versions of the shape programs compute what the ZIR programs compute (bench/shape_peers.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.peers import zig_executable
from bench.shape_peers import shape_asm, shape_zig, zig_edits
from bench.shapes import SHAPES, ShapeProgram

needs_binutils = pytest.mark.skipif(shutil.which("as") is None or shutil.which("ld") is None, reason="binutils")


def _zir_exit_code(prog: ShapeProgram, tmp_path: Path) -> int:
    src, out = tmp_path / f"{prog.shape}.zir", tmp_path / f"{prog.shape}.zir.out"
    src.write_bytes(prog.source())
    subprocess.run([sys.executable, "-m", "compiler", "build", str(src), "-o", str(out)], check=True)
    return subprocess.run([str(out)], check=False).returncode


@needs_binutils
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("constant", [10, 100_001])
def test_the_assembly_exits_as_the_zir_program_does(tmp_path: Path, shape: str, constant: int) -> None:
    prog = ShapeProgram(shape, 37, constant)
    src, obj, exe = tmp_path / "p.s", tmp_path / "p.o", tmp_path / "p"
    src.write_text(shape_asm(prog))
    subprocess.run(["as", "-o", str(obj), str(src)], check=True)
    subprocess.run(["ld", "-static", "-o", str(exe), str(obj)], check=True)
    got = subprocess.run([str(exe)], check=False).returncode
    assert got == _zir_exit_code(prog, tmp_path) == prog.exit_code()


def test_the_zig_program_calls_as_the_shape_does() -> None:
    text = shape_zig(ShapeProgram("tree", 5, 70_000))
    assert "fn g1() usize {\n    return 1001 + g3() + g4();\n}" in text
    assert "fn g2() usize {\n    return 70000;\n}" in text  # g{N/2} holds the edited constant
    assert text.endswith("pub fn main() u8 {\n    return @truncate(g0());\n}\n")
    star = shape_zig(ShapeProgram("star", 3))
    assert "    s += g2();\n    return s;\n}\npub fn main() u8 {\n    return @truncate(all());\n}\n" in star


@pytest.mark.skipif(zig_executable(False) is None, reason="Zig 0.17.1 is fetched only by `bench.run --zig`")
def test_zig_builds_and_edits_the_star(tmp_path: Path) -> None:
    zig = zig_executable(False)
    assert zig is not None
    result = zig_edits(zig, "star", 20, tmp_path, 2)  # waits for each edit's binary to exit with its value
    assert result["save_to_runnable"]["count"] == 1
