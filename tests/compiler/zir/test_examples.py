"""Every shared example parses as its case says; the formatter is idempotent on it and keeps its meaning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.zir.formatter import format_source
from compiler.zir.parser import parse
from compiler.zir.writer import write_module
from tests.compiler.zir.helpers import normalize_compat, rendered, same_decls

ROOT = Path(__file__).parents[3]
CASES = ROOT / "tests" / "cases" / "examples"
SOURCES = [*sorted(CASES.glob("*/*.zir")), ROOT / "examples" / "hello.zir"]
EXPECTED_EMIT = sorted(CASES.glob("*/*.expected.zir"))


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


def _expected_parse_errors(path: Path) -> list[str]:
    """The case's expected errors when they are parse errors (the only kind the parser can see)."""
    case = path.parent / "case.json"
    if not case.exists():
        return []
    for update in json.loads(case.read_text())["updates"]:
        if update["source"] == path.name:
            errors: list[str] = update["expect"].get("errors", [])
            return [e for e in errors if "unrecognized identifier" in e]
    return []


def test_the_examples_exist() -> None:
    assert len(SOURCES) >= 20 and len(EXPECTED_EMIT) >= 4


@pytest.mark.parametrize("path", SOURCES, ids=_ids(SOURCES))
def test_example_parses(path: Path) -> None:
    source = path.read_bytes()
    parsed = parse(source)
    assert rendered(source, parsed) == _expected_parse_errors(path)
    if not parsed.errors:
        assert parsed.decls


@pytest.mark.parametrize("path", SOURCES, ids=_ids(SOURCES))
def test_formatter_is_idempotent_and_keeps_the_meaning(path: Path) -> None:
    source = path.read_bytes()
    parsed = parse(source)
    if parsed.errors:
        return
    once = format_source(source)
    assert format_source(once) == once
    assert once.endswith(b"\n") and not once.endswith(b"\n\n")
    assert same_decls(normalize_compat(parse(once)), normalize_compat(parsed))


def test_hello_is_canonical() -> None:
    source = (ROOT / "examples" / "hello.zir").read_bytes()
    assert format_source(source) == source


@pytest.mark.parametrize("path", EXPECTED_EMIT, ids=_ids(EXPECTED_EMIT))
def test_writer_reprints_emitted_zir_byte_for_byte(path: Path) -> None:
    source = path.read_bytes()
    parsed = parse(source)
    assert parsed.errors == []
    text = write_module([(d.name, d.inst) for d in parsed.decls])
    assert text.encode() == source
