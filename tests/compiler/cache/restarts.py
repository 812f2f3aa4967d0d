"""A chain built in process with the compile cache, then one function edited: the text a restart starts from."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.shapes import ShapeProgram
from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.source import BufferSource


def build(text: bytes, out: Path) -> Compilation:
    """A Compilation of ``text`` into ``out`` with the cache on, after its first update."""
    comp = Compilation(Options("p.zir", str(out), OutputMode.EXE, cache=True), BufferSource("p.zir", text), None)
    comp.update()
    return comp


def built_and_edited(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, Path]:
    """Build chain N (cache in ``tmp_path/cacheN``) and close it; the text with one constant changed by four
    digits, and the output, for the restart the caller makes."""
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / f"cache{n}"))
    out = tmp_path / f"p{n}"
    prog = ShapeProgram("chain", n)
    first = build(prog.source(), out)
    assert first.all_errors() == []
    first.close()
    prog.edited_constant = 70_000
    return prog.source(), out
