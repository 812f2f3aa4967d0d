"""A restart's first parse starts from the parse table the compile cache recorded and parses only what changed
since (compiler/zir/seed.py, docs/design/performance.md §7.4); the result is the parse of the new text."""

from __future__ import annotations

import base64
import json
import logging
from array import array
from pathlib import Path
from typing import Any

import pytest

from bench.shapes import ShapeProgram
from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.source import BufferSource
from compiler.zir import seed
from compiler.zir.parser import KnownGood, parse
from compiler.zir.regions import IncrementalParser
from tests.compiler.cache.restarts import build, built_and_edited
from tests.compiler.cache.test_cache_parse import CASES, decl_view, known_of


def seeded_parser(old: bytes, known: KnownGood) -> IncrementalParser:
    """A new parser seeded with the table of ``old``'s parse, the way a restart gets it (through JSON)."""
    first = IncrementalParser(known=known)
    first.cache_regions = False
    assert first.parse(old).errors == []
    table = json.loads(json.dumps(seed.table_of(first)))
    seeded = IncrementalParser(known=known)
    seeded.seed(*seed.seed_version(table, known, seeded))
    return seeded


EDITS = [
    (b"", b""),  # the same text
    (b"int(1004)", b"int(7)"),  # a function's length
    (b"int(1002)", b"int(1002)\n  %zz = int(3)"),  # a line more
    (b"@f3 = fn(", b"@f3x = fn("),  # a rename
    (b"@f6 = fn(@fty, {", b'@f6 = fn(@fty, {\n  %q = str("}")'),  # a brace in a string
]


@pytest.mark.parametrize(("old", "new"), EDITS)
def test_a_seeded_parse_of_an_edit_is_the_parse_of_the_new_text(old: bytes, new: bytes) -> None:
    source = ShapeProgram("chain", 12).source()
    changed = source.replace(old, new, 1)
    result = seeded_parser(source, known_of(source)).parse(changed)
    eager = parse(changed)
    assert result.errors == eager.errors
    assert [decl_view(d) for d in result.decls] == [decl_view(d) for d in eager.decls]


@pytest.mark.parametrize(
    ("old_tail", "new_tail", "old", "new"),
    [
        (b"; caf\xc3\xa9 \xff\x00\n", b"; caf\xc3\xa9 \xfe\n", b"int(1004)", b"int(70004)"),  # bytes past 0x7f
        (b"\x00@zz = garbage(", b"\x00", b"int(1004)", b"int(4)"),  # a NUL ends the content
        (b"", b"", b"\n@f2 = fn(", b"\r\n@f2 = fn("),  # a carriage return before a decl
    ],
    ids=["non-ascii", "nul", "crlf"],
)
def test_a_seeded_parse_reads_the_recorded_text_byte_for_byte(
    old_tail: bytes, new_tail: bytes, old: bytes, new: bytes
) -> None:
    source = ShapeProgram("chain", 12).source() + old_tail
    changed = ShapeProgram("chain", 12).source().replace(old, new, 1) + new_tail
    result = seeded_parser(source, known_of(source)).parse(changed)
    eager = parse(changed)
    assert result.errors == eager.errors
    assert [decl_view(d) for d in result.decls] == [decl_view(d) for d in eager.decls]


def test_a_seeded_parse_of_an_edit_with_a_parse_error_reports_it() -> None:
    source = ShapeProgram("chain", 12).source()
    changed = source.replace(b"%r = return(%a)", b"%r = return(%a) }", 1)
    result = seeded_parser(source, known_of(source)).parse(changed)
    eager = parse(changed)
    assert eager.errors and result.errors == eager.errors
    assert [decl_view(d) for d in result.decls] == [decl_view(d) for d in eager.decls]


@pytest.mark.parametrize("case", [c for c in CASES if not parse(c.read_bytes()).errors], ids=lambda p: p.name)
def test_every_example_seeds_to_its_own_parse(case: Path) -> None:
    source = case.read_bytes()
    known = known_of(source)
    for text in (source, source + b"\n@zz_added = primitive(u8)\n"):
        result = seeded_parser(source, known).parse(text)
        eager = parse(text)
        assert result.errors == eager.errors
        assert [decl_view(d) for d in result.decls] == [decl_view(d) for d in eager.decls]


def _restart_parses(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, dict[str, int]]:
    """Build chain N with the cache, edit one function, restart: the spans parsed while seeding and by the parse,
    and the build's counters."""
    text, out = built_and_edited(tmp_path, n, monkeypatch)
    again = build(text, out)
    try:
        assert again.all_errors() == []
        stats = again.module.parser.stats
        return stats.seed_parsed, stats.spans_parsed, again._counters()
    finally:
        again.close()


def test_a_restart_parses_spans_independent_of_n(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small_seed, small_parsed, small = _restart_parses(tmp_path, 10, monkeypatch)
    large_seed, large_parsed, large = _restart_parses(tmp_path, 1000, monkeypatch)
    # seeding: the types, ``_start`` and the first function of each header; then only the edited function
    assert small_seed == large_seed and 0 < large_seed <= 8
    assert small_parsed == large_parsed == 1
    assert small["bodies_deferred"] == 10 - 1 and large["bodies_deferred"] == 1000 - 1
    assert small["bodies_kept"] == 10 - 1 and large["bodies_kept"] == 1000 - 1


def _cache_file(tmp_path: Path) -> Path:
    (found,) = (tmp_path / "cache").rglob("*.json")
    return found


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t.update(digest="0" * 32),
        lambda t: t.update(spans=t["spans"][:-8]),
        lambda t: t.update(spans="!"),
        lambda t: t.update(names=t["names"][1:]),
        lambda t: t.update(text=t["text"].replace("int(1003)", "int(1004)")),
    ],
    ids=["digest", "spans-short", "spans-not-base64", "names", "text"],
)
def test_a_damaged_parse_table_is_ignored_with_a_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, damage: Any
) -> None:
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "p"
    prog = ShapeProgram("chain", 20)
    build(prog.source(), out).close()
    path = _cache_file(tmp_path)
    doc = json.loads(path.read_bytes())
    damage(doc["parse"])
    path.write_text(json.dumps(doc, separators=(",", ":")))
    prog.edited_constant = 70_000
    with caplog.at_level(logging.WARNING):
        again = build(prog.source(), out)
    try:
        assert again.all_errors() == []
        counters = again._counters()
        parsed = again.module.file.parsed
        assert parsed is not None
        eager = parse(prog.source())
        assert [decl_view(d) for d in parsed.decls] == [decl_view(d) for d in eager.decls]
    finally:
        again.close()
    assert "parse table ignored: corrupt" in caplog.text
    assert counters["bodies_kept"] == 20 - 1  # the rest of the cache is used


def test_a_cache_written_by_a_long_lived_process_seeds_its_released_functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``zir watch`` drops a generated function's syntax (performance.md §9.1): the table records such a decl
    without its body's offset, and the restart finds it and checks it like any other."""
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "p"
    prog = ShapeProgram("chain", 40)
    watch = Compilation(Options("p.zir", str(out), OutputMode.EXE, cache=True), BufferSource("p.zir", prog.source()))
    watch.module.keep_air = False  # as `zir watch`: the AIR and syntax of a generated function are released
    assert watch.update().committed
    watch.close()
    table = json.loads(_cache_file(tmp_path).read_bytes())["parse"]
    packed = array("i", base64.b64decode(table["spans"]))
    released = [packed[k + seed.FIELDS - 1] for k in range(0, len(packed), seed.FIELDS)].count(-1)
    assert released >= 40  # every chain function was generated and released
    prog.edited_constant = 70_000
    again = build(prog.source(), out)
    try:
        assert again.all_errors() == []
        stats = again.module.parser.stats
        assert stats.spans_parsed == 1 and 0 < stats.seed_parsed <= 8
        parsed = again.module.file.parsed
        assert parsed is not None
        assert [decl_view(d) for d in parsed.decls] == [decl_view(d) for d in parse(prog.source()).decls]
        assert again._counters()["bodies_kept"] == 40 - 1
    finally:
        again.close()
