"""The per-unit format cache against the whole-file formatter: byte-identical on every version of edit sequences."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.gen import ChainProgram
from compiler.zir.formatter import format_result
from compiler.zir.incremental_format import FormatCache
from tests.compiler.zir.gen import edits, module
from tests.fuzz import programs

CASES = Path(__file__).resolve().parents[2] / "cases"
EXAMPLES = sorted(CASES.rglob("*.zir"))


def expected(text: bytes) -> bytes | None:
    result = format_result(text)
    return None if isinstance(result, list) else result


def check(cache: FormatCache, text: bytes) -> None:
    """The cache, given ``text`` as its next version, agrees with ``format_result`` byte for byte: its edit turns
    ``text`` into the canonical form (none when canonical or unparsable), and so does its whole result."""
    want = expected(text)
    change = cache.edit(text)
    if want is None or want == text:
        assert change is None
    else:
        assert change is not None
        start, end, new = change
        assert text[:start] + new + text[end:] == want
    assert cache.formatted(text) == want


def check_sequence(texts: list[bytes], apply_formatting: bool = True) -> None:
    """Every version through one cache; with ``apply_formatting``, also each version's formatted text (what an
    editor holds after accepting the edit) as the version after it."""
    cache = FormatCache()
    for text in texts:
        check(cache, text)
        want = expected(text)
        if apply_formatting and want is not None:
            check(cache, want)


def line_edits(rng: random.Random, text: bytes, count: int) -> list[bytes]:
    """``count`` successive versions of ``text``, each one random line-level edit of the last: blank lines and
    comments inserted, trailing comments, CRLF line ends, lines deleted, duplicated or moved, spaces added."""
    versions: list[bytes] = []
    lines = text.splitlines(keepends=True) or [b""]
    for _ in range(count):
        at = rng.randrange(len(lines) + 1)
        roll = rng.randrange(9)
        if roll == 0:
            lines[at:at] = [b"\n" * rng.randrange(1, 4)]
        elif roll == 1:
            lines[at:at] = [rng.choice([b"; c\n", b";\n", b"  ; indented\n", b"; \xff\r\n"])]
        elif roll == 2 and lines:
            k = min(at, len(lines) - 1)
            lines[k] = lines[k].rstrip(b"\r\n") + rng.choice([b" ; t", b" ;", b";x", b"\t; \xc3\xa9"]) + b"\n"
        elif roll == 3 and lines:
            k = min(at, len(lines) - 1)
            lines[k] = lines[k].rstrip(b"\r\n") + b"\r\n"
        elif roll == 4 and len(lines) > 1:
            del lines[min(at, len(lines) - 1)]
        elif roll == 5 and lines:
            k = min(at, len(lines) - 1)
            lines.insert(k, lines[k])
        elif roll == 6 and len(lines) > 1:
            k = min(at, len(lines) - 1)
            lines.insert(rng.randrange(len(lines)), lines.pop(k))
        elif roll == 7 and lines:
            k = min(at, len(lines) - 1)
            lines[k] = lines[k].replace(b", ", b",  ", 1).replace(b"= ", b"=   ", 1)
        else:
            if lines and lines[-1].endswith(b"\n"):
                lines[-1] = lines[-1].rstrip(b"\n")  # a file ending without a newline
            else:
                lines.append(b"\n")
        versions.append(b"".join(lines))
    return versions


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.relative_to(CASES).as_posix())
def test_conformance_examples_and_line_edits_of_them(path: Path) -> None:
    text = path.read_bytes()
    rng = random.Random(path.name)
    check_sequence([text, *line_edits(rng, text, 25)])


def test_all_conformance_examples_through_one_cache() -> None:
    check_sequence([p.read_bytes() for p in EXAMPLES])


def test_fuzz_corpora_sequences() -> None:
    for seed in range(12):
        rng = random.Random(7000 + seed)
        for make in (programs.sequence, programs.chaos_sequence, programs.bytes_sequence, programs.types_sequence):
            check_sequence([step.text for step in make(rng, 8)])
        text = programs.initial(rng).render()
        check_sequence([text, *line_edits(rng, text, 30)])


def test_language_fuzzer_programs() -> None:
    from tests.compiler.langgen import Generator
    from tests.compiler.langzir import render
    from tests.compiler.test_language_differential import GROUPS

    feats = GROUPS["small-mixed"][0]
    for seed in range(6):
        text = render(Generator(seed, feats).program()).encode()
        check_sequence([text, *line_edits(random.Random(seed), text, 20)])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_generated_modules_under_random_edits(data: st.DataObject) -> None:
    text = data.draw(module()).encode("utf-8", "surrogateescape")
    versions = data.draw(edits(text, count=6))
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    check_sequence([text, *versions, text, *line_edits(rng, text, 10)])


EDGE_CASES: list[bytes] = [
    b"",
    b"\n\n\n",
    b"; only a comment",
    b"; only a comment\n\n\n",
    b"@a = int(1)",
    b"@a   =   int(1)\n\n\n\n@b = int(2)\n@c = int(3)\n\n\n",
    b"\n\n@a = int(1)\n",
    b"; head\n\n@a = int(1)   ;  trailing \n  ; own line\n@f = fn(@t, { ; after brace\n  %a = int(1) ;t\n    ; inner\n}) ;\n",
    b"@a = int(1) @b = int(2)\n@c = int(3) ; x\n\n; y\n\n\n@d = int(4)",
    b"@a = int(1)\r\n; end\r\n\r\n\r\n@b = int(2)\r\n",
    b"@a = int(1)\n\0@b = garbage(\n",
    b"@a = int(1)\n@b = int(2)\n\0",
    b"\0",
    b"@a =  int(1)\n\0junk (\n",
    b"@a = int(1)\n@b =  int(2)\0\0@c = int(3)",
    b"@a = int(1)\n@a = int(2)\n",
    b"@a = int(1) @a = int(2)\n@b = int(3)\n",
    b"@a = int(1) @b = int(2)\n@b = int(3)\n",
    b"@a = int(1)\n@b = int(\n@c = int(3)\n",
    b'@s = str("abc\n@t = int(1)\n',
    b"@f = fn(@t, {\n  %c = call(\n@g, [])\n})\n@g = int(1)\n",
    b"@f = fn(@t, {\n  %c = call(\n@g, [])\n})",
    b"@a = int(1)\n;\n\n;\n@b = int(2) ;\n",
    b'@e = export(@name, "start")\n@a = asm(@s, @u, volatile=1, output=@o, inputs=[@a, @b], clobbers=[@c, @d], args=[@x, @y])\n',
]


def test_hand_written_edge_cases_in_every_order() -> None:
    check_sequence(EDGE_CASES)
    check_sequence(EDGE_CASES[::-1])
    rng = random.Random(5)
    for _ in range(20):
        check_sequence(rng.sample(EDGE_CASES, len(EDGE_CASES)), apply_formatting=rng.random() < 0.5)


def test_typing_a_file_one_byte_at_a_time() -> None:
    text = EDGE_CASES[7] + EDGE_CASES[8] + b"\n" + EDGE_CASES[16]
    check_sequence([text[:k] for k in range(len(text) + 1)], apply_formatting=False)


def _one_function_edit(n: int) -> tuple[FormatCache, bytes]:
    """A cache holding the formatted chain program of ``n`` functions, and that text with f{n/2}'s constant
    changed."""
    prog = ChainProgram(n)
    text = expected(prog.source())
    assert text is not None
    cache = FormatCache()
    assert cache.edit(text) is None
    prog.bump += 1
    edited = expected(prog.source())
    assert edited is not None and edited != text
    return cache, edited


def test_a_one_function_edit_formats_as_many_units_at_n_10_as_at_n_10000() -> None:
    counts = []
    for n in (10, 10_000):
        cache, edited = _one_function_edit(n)
        constant = b"= int(%d)" % (1000 + n // 2 + 1)
        messy = edited.replace(constant, b"=   " + constant[2:], 1)
        assert messy != edited
        change = cache.edit(messy)
        assert change is not None
        start, end, new = change
        assert messy[:start] + new + messy[end:] == edited
        counts.append((cache.stats.units_looked_up, cache.stats.units_formatted, cache.stats.bytes_formatted > 0))
    assert counts[0] == counts[1]
    assert counts[0][1] <= 2


def test_the_edit_covers_only_the_lines_that_differ() -> None:
    cache, edited = _one_function_edit(50)
    line = b"  %c = int(1026)\n"
    at = edited.index(line)
    messy = edited[:at] + b"  %c =   int(1026)\n" + edited[at + len(line) :]
    assert cache.edit(messy) == (at, at + len(line) + 2, line)


def test_an_unterminated_string_and_its_fix_format_only_the_edited_unit_again() -> None:
    text = b"@t = fntype([], @u)\n@u = primitive(usize)\n" + b"".join(
        b"@f%d = fn(@t, {\n  %%c = int(%d)\n  %%r = return(%%c)\n})\n" % (i, i) for i in range(300)
    )
    assert expected(text) == text
    cache = FormatCache()
    assert cache.edit(text) is None
    at = text.index(b"@f3 = ")
    broken = text[:at] + b'@s = str("abc\n' + text[at:]  # no quote follows: the string runs to the end
    assert cache.edit(broken) is None and cache.formatted(broken) is None
    fixed = text[:at] + b'@s = str("abc")\n' + text[at:]
    assert cache.edit(fixed) is None
    assert cache.stats.units_formatted == 1
    assert cache.stats.units_looked_up > 290  # the units the string had swallowed came back from the memo
