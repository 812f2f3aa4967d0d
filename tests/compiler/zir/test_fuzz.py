"""Fuzzing the front end: random bytes and mutated examples only ever give reported parse errors, never hang.

The default run is bounded (a few seconds); ``ZIR_FUZZ_SEEDS=N`` deepens the ``slow`` campaign. A SIGALRM guard turns a hang
into a failure naming the input (it is a hang detector, not a timing assertion).
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.zir.formatter import format_result
from compiler.zir.parser import parse
from compiler.zir.regions import IncrementalParser
from tests.compiler.zir.test_properties import assert_identical

ROOT = Path(__file__).parents[3]
CORPUS = [p.read_bytes() for p in sorted((ROOT / "tests" / "cases" / "examples").glob("*/*.zir"))]
TOKENS = [
    b"@",
    b"%",
    b"(",
    b")",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b"=",
    b'"',
    b"\\",
    b";",
    b"\n",
    b"\n@",
    b"\0",
    b"\t",
    b"\r",
    b"-",
    b"0",
    b"1",
    b"99999999999999999999999",
    b"\\x",
    b"\\u{",
    b"fn(",
    b"block({",
    b'break("',
    b"arg(",
    b"cmp(",
    b"return()",
    b"const(",
    b"declval_in_module(",
    b"cc=",
    b"\xff",
    b"label_",
]
HANG_GUARD_S = 20


@contextmanager
def no_hang(data: bytes) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise AssertionError(f"front end hung on {data[:200]!r}")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_GUARD_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check(data: bytes, incremental: IncrementalParser | None = None) -> None:
    """Everything the front end does with ``data`` either succeeds or reports parse errors."""
    with no_hang(data):
        parsed = parse(data)
        content_len = len(data.split(b"\0", 1)[0])
        offsets = [e.byte_offset for e in parsed.errors]
        assert offsets == sorted(offsets)
        assert all(0 <= o <= content_len for o in offsets)
        assert all(isinstance(e.msg, str) and e.msg for e in parsed.errors)
        for decl in parsed.decls:
            assert 0 <= decl.name_offset < decl.contents_start < decl.contents_end <= content_len
        if incremental is not None:
            assert_identical(incremental.parse(data), parsed)
        result = format_result(data)
        if isinstance(result, list):
            assert result == parsed.errors
        else:
            assert not parsed.errors
            assert format_result(result) == result


def mutate(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(5)
        i = rng.randint(0, len(data))
        j = min(len(data), i + rng.randint(0, 12))
        if op == 0:
            data = data[:i] + data[j:]
        elif op == 1:
            data = data[:i] + rng.choice(TOKENS) + data[i:]
        elif op == 2:
            data = data[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 4))) + data[j:]
        elif op == 3:
            data = data[:i] + data[i:j] * 2 + data[j:]
        else:
            k = rng.randint(0, len(data))
            data = data[:k] + data[i:j] + data[k:]
    return data


def run_campaign(seed: int, rounds: int) -> None:
    rng = random.Random(seed)
    for source in CORPUS:
        incremental = IncrementalParser()
        current = source
        for _ in range(rounds):
            current = mutate(rng, current if rng.random() < 0.7 else source)
            check(current, incremental)


def test_mutated_examples() -> None:
    run_campaign(seed=2020, rounds=25)


@pytest.mark.slow
def test_mutated_examples_deep() -> None:
    """One seed (about 5 s) by default; ``ZIR_FUZZ_SEEDS=20`` runs the full campaign (about 100 s)."""
    for seed in range(int(os.environ.get("ZIR_FUZZ_SEEDS", "1"))):
        run_campaign(seed=seed, rounds=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    check(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*TOKENS, b"x", b" ", b"int", b"str", b"@a = ", b"%a = "]), max_size=40))
def test_random_token_soup(tokens: list[bytes]) -> None:
    check(b"".join(tokens))


def test_deep_nesting_and_long_inputs_are_bounded() -> None:
    check(b"@f = fn(@t, {" + b"%b = block({" * 5000)
    check(b"@f = fn(@t, {" + b"%b = loop({ " * 99 + b"})" * 99 + b"})")
    check(b"@i = int(" + b"9" * 20000 + b")")
    check(b'@s = str("' + b"\\x41" * 20000 + b'")')
    check(b"(" * 100000)
    check(b"@a = fntype([" + b"@x, " * 20000 + b"], @v)")
