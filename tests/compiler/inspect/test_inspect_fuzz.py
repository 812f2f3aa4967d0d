"""Fuzzing the readers: a corrupted or truncated ZIR Live output is either read or refused with
``InspectError``; any other exception is a bug (the CLI would crash with a traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.inspect.binary import InspectError, parse
from compiler.inspect.disasm import objdump_json
from compiler.inspect.layout import layout_json
from compiler.inspect.svg import render

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def hello(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("fuzz") / "hello"
    subprocess.run(
        [sys.executable, "-m", "compiler", "build", str(ROOT / "examples" / "hello.zir"), "-o", str(out)],
        check=True,
        cwd=ROOT,
    )
    return out.read_bytes()


def inspect_all(data: bytes) -> None:
    try:
        one = parse("fuzzed", data)  # the server's path: one decl, without reading every symbol
        objdump_json(one, "start")
        binary = parse("fuzzed", data)
        objdump_json(binary)
        render(layout_json(binary))
    except InspectError as error:
        message = str(error)
        assert message and "\n" not in message


def interesting_offsets(data: bytes) -> list[int]:
    """Where the metadata lives: headers, tables, .symtab, DWARF, .text's start and .got (the rest is zeros)."""
    got = data.rfind(b"\x00\x00\x00\x08\x00\x00\x00\x00")  # a GOT slot holding the first block's address
    return [*range(0, min(len(data), 4400)), *range(max(got - 64, 0), min(got + 128, len(data)))]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_files_are_read_or_refused(hello: bytes, data: st.DataObject) -> None:
    offsets = interesting_offsets(hello)
    mutated = bytearray(hello)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.sampled_from(offsets))
        mutated[at] = data.draw(st.integers(0, 255))
    inspect_all(bytes(mutated))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_truncated_files_are_refused(hello: bytes, data: st.DataObject) -> None:
    length = data.draw(st.integers(0, len(hello) - 1))
    inspect_all(hello[:length])
