"""The per-region parse cache: work proportional to the edit, reused objects, and exactness in corner cases."""

from __future__ import annotations

import gc

from compiler.zir.ast import ParsedFile, SourceDecl
from compiler.zir.parser import SpanDecl, parse
from compiler.zir.regions import IncrementalParser
from tests.compiler.zir.test_properties import assert_identical


def snapshot(parsed: ParsedFile) -> ParsedFile:
    """A copy of a parse result that stays readable after the parser's next parse."""
    return ParsedFile(list(parsed.decls), list(parsed.errors))


def big_file(n: int) -> bytes:
    parts = [b"@void = primitive(void)\n@fnty = fntype([], @void, cc=C)\n"]
    for i in range(n):
        parts.append(
            b"@f%d = fn(@fnty, {\n  %%a = int(%d)\n  %%b = add(%%a, %%a)\n  %%r = returnvoid()\n})\n\n" % (i, i)
        )
    return b"".join(parts)


def test_one_function_edit_parses_one_region_and_reuses_everything_else() -> None:
    source = big_file(1000)
    parser = IncrementalParser()
    first = snapshot(parser.parse(source))
    assert parser.stats.spans_parsed == parser.stats.regions == 1002
    edited = source.replace(b"%a = int(500)", b"%a = int(5000)")
    second = parser.parse(edited)
    assert parser.stats.spans_parsed == 1
    assert parser.stats.bytes_parsed < 100
    assert_identical(second, parse(edited))
    for i, (old, new) in enumerate(zip(first.decls, second.decls, strict=True)):
        if old.name == "f500":
            assert new.inst is not old.inst and new.contents_hash != old.contents_hash
        elif i < 502:
            assert new.inst is old.inst and new.src == old.src  # did not move: the very same Inst tree, in place
        else:
            assert new.inst is old.inst and new.src == old.src + 1  # moved by one byte: same Inst tree


def test_inserting_a_decl_at_the_top_moves_but_does_not_reparse_the_rest() -> None:
    source = big_file(200)
    parser = IncrementalParser()
    first = snapshot(parser.parse(source))
    edited = b"@new = int(1)\n" + source
    second = parser.parse(edited)
    assert parser.stats.spans_parsed == 1
    assert second.decls[0].name == "new"
    assert [d.inst for d in second.decls[1:]] == [d.inst for d in first.decls]
    assert all(n.contents_start == o.contents_start + 14 for n, o in zip(second.decls[1:], first.decls, strict=True))
    assert_identical(second, parse(edited))


def test_a_string_scanned_into_the_next_region_is_not_cached_by_its_own_region() -> None:
    parser = IncrementalParser()
    v1 = b'@s = str("abc\n@b = str("x")\n'
    v2 = b'@s = str("abc\n@b = int(1)\n'
    assert_identical(parser.parse(v1), parse(v1))
    r2 = parser.parse(v2)
    assert_identical(r2, parse(v2))
    assert [e.msg for e in r2.errors] == ["unexpected EOF"] and r2.decls == []


def test_last_region_is_keyed_apart_from_the_same_bytes_followed_by_more() -> None:
    parser = IncrementalParser()
    v1 = b"@a = fntype([],\n"
    v2 = b"@a = fntype([],\n@void)\n"
    assert_identical(parser.parse(v1), parse(v1))
    r2 = parser.parse(v2)
    assert_identical(r2, parse(v2))
    assert r2.errors == [] and [d.name for d in r2.decls] == ["a"]


def test_a_decl_continued_on_a_line_starting_with_at() -> None:
    parser = IncrementalParser()
    v1 = b"@x = int(1)\n@t = fntype([],\n@void, cc=C)\n@y = int(2)\n"
    r1 = parser.parse(v1)
    assert r1.errors == [] and [d.name for d in r1.decls] == ["x", "t", "y"]
    assert_identical(r1, parse(v1))
    v2 = v1.replace(b"@y = int(2)", b"@y = int(3)")
    assert_identical(parser.parse(v2), parse(v2))
    v3 = v1.replace(b"@void, cc=C)", b"@void = int(1)")
    assert_identical(parser.parse(v3), parse(v3))


def test_duplicates_restart_at_the_next_line_start_at() -> None:
    parser = IncrementalParser()
    v1 = b"@a = int(1)\n@b = int(2)\n@c = int(3)\n"
    parser.parse(v1)
    v2 = b"@a = int(1)\n@a = int(2) @d = int(9)\n@c = int(3)\n"
    r2 = parser.parse(v2)
    assert_identical(r2, parse(v2))
    assert [d.name for d in r2.decls] == ["a", "c"]
    assert [e.msg for e in r2.errors] == ["redefinition of identifier 'a'"]


def test_cache_memory_is_bounded_by_the_current_file() -> None:
    parser = IncrementalParser()
    for k in range(300):
        parser.parse(b"@a = int(%d)\n@b = int(1)\n" % k)
    assert len(parser._cache) <= 2 * 64 + 2


def test_stats_say_which_decls_are_unchanged() -> None:
    source = big_file(100)
    parser = IncrementalParser()
    first = snapshot(parser.parse(source))
    edited = source.replace(b"%a = int(40)", b"%a = int(4000)")
    second = parser.parse(edited)
    stats = parser.stats
    assert stats.shift == 2
    assert stats.same_prefix_decls == 42  # @void, @fnty, f0..f39
    assert stats.same_suffix_decls == 59  # f41..f99
    for old, new in zip(first.decls[:42], second.decls[:42], strict=True):
        assert new.inst is old.inst and new.contents_start == old.contents_start
    for old, new in zip(first.decls[-59:], second.decls[-59:], strict=True):
        assert new.inst is old.inst and new.contents_start == old.contents_start + 2
    duplicate = edited.replace(b"@f41 =", b"@f40 =")
    parser.parse(duplicate)
    assert parser.stats.same_prefix_decls == parser.stats.same_suffix_decls == 0


def test_a_changed_span_is_parsed_from_its_region_unless_it_runs_past_it() -> None:
    parser = IncrementalParser()
    body = b"".join(b"@f%d = int(%d)\n" % (k, k) for k in range(200))
    v1 = body + b"@t = fntype([],\n@void, cc=C)\n" + body.replace(b"@f", b"@g")
    assert_identical(parser.parse(v1), parse(v1))
    v2 = v1.replace(b"@f100 = int(100)", b"@f100 = int(100000)")
    assert_identical(parser.parse(v2), parse(v2))
    assert parser.stats.bytes_copied == len(b"@f100 = int(100000)\n") + 2  # the region, '@' and the sentinel
    v3 = v2.replace(b"@void, cc=C)", b"@void, cc=Unspecified)")  # ``@t`` runs on past its region
    assert_identical(parser.parse(v3), parse(v3))
    assert parser.stats.bytes_copied > len(v3)  # parsed again in the whole content


def test_a_nul_byte_typed_removed_or_moved_ends_the_content_as_a_fresh_parse_does() -> None:
    """The NUL that ends the content (zir-language.md §2.1) is searched only between the common prefix and
    suffix of two versions; wherever it appears, goes or moves, the result equals ``parse`` of the bytes."""
    source = big_file(40)
    at = source.index(b"@f20 ")
    inside = source.index(b"int(30)") + 4
    versions = [
        source,
        source[:at] + b"\0" + source[at:],  # typed before f20: f20 … f39 are not content any more
        source[:at] + b"\0" + source[at:].replace(b"int(25)", b"int(255)"),  # an edit after the NUL
        source[:at] + source[at:].replace(b"int(25)", b"int(255)"),  # the NUL deleted: all of it again
        source[:inside] + b"\0" + source[inside:],  # inside a decl: it no longer parses
        source[:inside] + b"\0\0" + source[inside:],
        source[:inside] + source[inside + 1 :],
        source + b"\0trailing bytes",
        source,
    ]
    parser = IncrementalParser()
    for data in versions:
        assert_identical(parser.parse(data), parse(data))
        assert parser.stats.nul_scanned <= len(data)


def test_a_parse_keeps_one_relative_record_per_decl_and_no_absolute_one() -> None:
    """Per decl the parser keeps its ``SpanDecl`` (relative offsets) and the region cache holds that very record:
    no ``SourceDecl`` with absolute offsets, no list or entry object per region (docs/design/performance.md §9)."""
    parser = IncrementalParser()
    source = big_file(300)
    result = parser.parse(source)
    parser.parse(source.replace(b"%a = int(150)", b"%a = int(15000)"))  # one region parsed again
    gc.collect()
    assert sum(1 for o in gc.get_objects() if type(o) is SourceDecl) == 0
    cached = list(parser._cache.values())
    assert len(cached) == 303  # every region, and the edited one's first version (evicted only past twice as many)
    assert all(type(e) is SpanDecl for e in cached)
    assert len({id(e) for e in cached}) == len(cached)
    del result
    decls = parser.parse(source).decls  # back to the first text: every region from the cache
    assert parser.stats.spans_parsed == 0 and decls[152].name == "f150" and decls[152].contents_start > 0
