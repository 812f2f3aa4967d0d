"""A parser that keeps no region (``IncrementalParser.cache_regions`` off, a one-shot build's) parses exactly like
one that does, and keeps nothing for a later parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.gen import ChainProgram
from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.source import FileSource
from compiler.zir.parser import parse
from compiler.zir.regions import IncrementalParser
from tests.compiler.zir.test_properties import assert_identical
from tests.compiler.zir.test_regions import big_file

CASES = sorted((Path(__file__).parents[2] / "cases" / "examples").rglob("*.zir"))

ODD_TEXTS = [
    big_file(30),
    b"@a = int(1)\n@a = int(2)\n@b = int(3)\n",  # a redefinition (the assembled result)
    b"@x = int(1)\n@y = fn(@t, {\n@z = int(2)\n",  # a span that runs past its region, then EOF
    b'@p = int(1\n@q = int(2)\n;c\n@r = str("a")',  # errors, a comment, no final newline
    b"",
]


@pytest.mark.parametrize("text", ODD_TEXTS + [p.read_bytes() for p in CASES], ids=lambda t: str(len(t)))
def test_without_the_region_cache_a_parse_is_the_same(text: bytes) -> None:
    keeping, one_shot = IncrementalParser(), IncrementalParser()
    one_shot.cache_regions = False
    a, b = keeping.parse(text), one_shot.parse(text)
    assert_identical(b, a)
    assert_identical(b, parse(text))
    assert [repr(d.inst) for d in b.decls] == [repr(d.inst) for d in a.decls]
    assert one_shot._cache == {}  # nothing kept for a parse that will not come


def test_a_one_shot_build_keeps_no_parsed_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / "cache"))
    src, out = tmp_path / "chain.zir", tmp_path / "chain"
    src.write_bytes(ChainProgram(20).source())
    kept = []
    for one_shot in (False, True):
        comp = Compilation(Options(str(src), str(out), OutputMode.EXE), FileSource(str(src)))
        try:
            if one_shot:
                comp.one_shot(keep_air=False)
            assert comp.update().ok
            kept.append(len(comp.module.parser._cache))
        finally:
            comp.close()
    assert kept[0] >= 20 and kept[1] == 0
