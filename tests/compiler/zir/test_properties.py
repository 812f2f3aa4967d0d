"""Property tests on generated modules: formatter round trip and idempotence; region cache = whole-file parse."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.zir.ast import ParsedFile, SourceDecl, structurally_equal
from compiler.zir.formatter import format_source
from compiler.zir.parser import parse, parse_with_trivia
from compiler.zir.regions import IncrementalParser
from tests.compiler.zir.gen import edits, module
from tests.compiler.zir.helpers import normalize_compat, same_decls

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(module())
def test_generated_modules_parse(text: str) -> None:
    assert parse(text.encode()).errors == []


@SETTINGS
@given(module())
def test_format_round_trip(text: str) -> None:
    source = text.encode()
    once = format_source(source)
    assert format_source(once) == once
    assert same_decls(normalize_compat(parse(once)), normalize_compat(parse(source)))
    assert (once == b"") or (once.endswith(b"\n") and not once.endswith(b"\n\n"))
    assert comment_texts(once) == comment_texts(source)


def comment_texts(source: bytes) -> list[bytes]:
    """The non-empty comment texts, in order (an empty trailing comment is the only kind dropped)."""
    _, trivia = parse_with_trivia(source)
    texts = [source[start + 1 : end].rstrip(b"\r") for start, end in trivia.comments]
    return [t for t in texts if t]


def assert_identical(incremental: ParsedFile, full: ParsedFile) -> None:
    assert incremental.errors == full.errors
    assert len(incremental.decls) == len(full.decls)
    for a, b in zip(incremental.decls, full.decls, strict=True):
        assert (a.name, a.name_offset, a.contents_start, a.contents_end, a.contents_hash) == (
            b.name,
            b.name_offset,
            b.contents_start,
            b.contents_end,
            b.contents_hash,
        )
        assert a.inst.src == b.inst.src
        assert structurally_equal(a, b)


def same_record(a: SourceDecl, b: SourceDecl) -> bool:
    """The same decl record: the very ``Inst`` tree at the same positions (``SourceDecl`` objects are made when
    read, so two reads give two objects)."""
    return (a.name, a.name_offset, a.contents_start, a.contents_end, a.contents_hash) == (
        b.name,
        b.name_offset,
        b.contents_start,
        b.contents_end,
        b.contents_hash,
    ) and a.inst is b.inst


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_region_cache_equals_whole_file_parse_under_random_edits(data: st.DataObject) -> None:
    text = data.draw(module()).encode("utf-8", "surrogateescape")
    parser = IncrementalParser()
    first = parser.parse(text)
    assert_identical(first, parse(text))
    # stats describe a parse against the latest result without errors, which stays readable meanwhile
    empty = ParsedFile([], [])
    good = first if not first.errors else None
    previous = ParsedFile(list(first.decls), list(first.errors)) if good is not None else empty
    for version in data.draw(edits(text, count=6)):
        if not data.draw(st.booleans(), label="parse this version (else: several edits at once)"):
            continue
        result = parser.parse(version)
        assert_identical(result, parse(version))
        stats = parser.stats
        k, m = stats.same_prefix_decls, stats.same_suffix_decls
        assert k + m <= len(result.decls)
        assert all(same_record(a, b) for a, b in zip(result.decls[:k], previous.decls[:k], strict=True))
        for new, old in zip(
            result.decls[len(result.decls) - m :], previous.decls[len(previous.decls) - m :], strict=True
        ):
            assert new.inst is old.inst and new.name == old.name and new.contents_hash == old.contents_hash
            assert new.contents_start == old.contents_start + stats.shift
        if result.errors:
            if good is not None:
                assert len(good.decls) == len(previous.decls)
                assert all(same_record(a, b) for a, b in zip(good.decls, previous.decls, strict=True))
        else:
            good = result
            previous = ParsedFile(list(result.decls), list(result.errors))
