"""A cache file damaged so that it is still valid JSON (a digit or a hex digit changed: an offset, a size, a
count, a digest, a GOT address) is either ignored with at most one log line or used without changing the program:
the restart equals a fresh build (docs/design/performance.md §7). The damage that breaks the JSON itself is
``test_cache_trust.py``'s. A campaign of 1 030 such restarts (digit, hex, bit, truncation, swapped and zeroed
numbers; three kinds of programs) found nothing; these seeds keep the class in CI."""

from __future__ import annotations

import logging
import os
import random
import re
from pathlib import Path

import pytest

from bench.shapes import ShapeProgram
from compiler.cache.location import locate
from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.source import BufferSource
from tests.fuzz.differential import _run


def _build(src: Path, text: bytes, out: Path, *, cache: bool) -> list[str]:
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE, cache=cache), BufferSource(str(src), text), None)
    try:
        comp.update()
        return sorted(e.render("") for e in comp.all_errors())
    finally:
        comp.close()


def _flip(rng: random.Random, data: bytes) -> bytes:
    """One digit of a number, or one hex digit of a digest, changed to another (the JSON stays valid)."""
    spans = [m.span() for m in re.finditer(rb"\d+|\"[0-9a-f]{16,}\"", data)]
    start, end = rng.choice(spans)
    i = rng.randrange(start, end)
    while not chr(data[i]).isalnum():  # the digest's quotes
        i = rng.randrange(start, end)
    alphabet = "0123456789" if chr(data[i]).isdigit() and data[start] != ord('"') else "0123456789abcdef"
    new = rng.choice([c for c in alphabet if ord(c) != data[i]])
    return data[:i] + new.encode() + data[i + 1 :]


@pytest.mark.parametrize("seed", range(16))
def test_a_changed_number_in_the_cache_never_changes_the_program(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / "cache"))
    rng = random.Random(seed)
    (tmp_path / "ws").mkdir()
    src, out, fresh = tmp_path / "ws" / "p.zir", tmp_path / "ws" / "p", tmp_path / "fresh"
    prog = ShapeProgram(["chain", "strings", "star", "tree"][seed % 4], 10)
    first = prog.source()
    prog.edited_constant = 1000 + seed
    edited = prog.source()
    assert _build(src, first, out, cache=True) == []
    location = locate(str(out), str(src))
    assert not isinstance(location, str)
    cache = Path(location.path)
    cache.write_bytes(_flip(rng, cache.read_bytes()))
    text = edited if seed % 3 else first
    with caplog.at_level(logging.INFO):
        errors = _build(src, text, out, cache=True)
    assert len([r for r in caplog.records if "compile cache" in r.getMessage()]) <= 1, caplog.text
    assert errors == _build(src, text, fresh, cache=False) == []
    want = _run(str(fresh))
    assert _run(str(out)) == want
    if text == edited:
        assert want[0] == prog.exit_code()
    assert os.path.exists(cache)  # the restart wrote a valid cache again
