"""Byte offset ↔ LSP position conversion: LSP line endings, UTF-16 surrogates, UTF-8/UTF-32, invalid UTF-8."""

from __future__ import annotations

import bisect
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.positions import Encoding, LspLineIndex, line_index, line_starts, units_of


def test_line_breaks_are_lf_crlf_and_lone_cr_only() -> None:
    data = b"a\nb\r\nc\rd\x0ce\xc2\x85f"
    index = LspLineIndex(data)
    assert index.line_count == 4
    assert index.position(data.index(b"b")) == (1, 0)
    assert index.position(data.index(b"c")) == (2, 0)
    assert index.position(data.index(b"d")) == (3, 0)
    # Form feed and NEL are ordinary characters (pygls's str.splitlines would break there).
    assert index.position(data.index(b"e")) == (3, 2)
    assert index.position(data.index(b"f")) == (3, 4)


def test_offset_inside_crlf_maps_to_end_of_line() -> None:
    index = LspLineIndex(b"ab\r\ncd")
    assert index.position(2) == (0, 2)
    assert index.position(3) == (0, 2)
    assert index.position(4) == (1, 0)
    assert index.offset(0, 99) == 2  # past the end of the line clamps before the terminator
    assert index.offset(5, 0) == 6  # past the last line clamps to the end


def test_utf16_counts_surrogate_pairs() -> None:
    line = "; 😀 é\n@x = int(1)".encode()
    index = LspLineIndex(line, Encoding.UTF16)
    # ';', ' ', U+1F600 (2 units), ' ', 'é' (1 unit)
    assert index.position(line.index(b"\n")) == (0, 6)
    assert index.offset(0, 4) == line.index("😀".encode()) + 4  # just after the emoji
    # a position inside a surrogate pair rounds down to the character's start
    assert index.offset(0, 3) == line.index("😀".encode())


@pytest.mark.parametrize(
    ("encoding", "column"),
    [(Encoding.UTF8, len("é😀".encode())), (Encoding.UTF16, 3), (Encoding.UTF32, 2)],
)
def test_each_encoding_counts_its_units(encoding: Encoding, column: int) -> None:
    data = "é😀x".encode()
    index = LspLineIndex(data, encoding)
    at_x = data.index(b"x")
    assert index.position(at_x) == (0, column)
    assert index.offset(0, column) == at_x


def test_invalid_utf8_counts_one_unit_per_byte() -> None:
    data = b"\xff\xfe@x"
    assert units_of(data[:2], Encoding.UTF16) == 2
    assert LspLineIndex(data).position(2) == (0, 2)
    assert LspLineIndex(data).offset(0, 2) == 2


def test_encoding_negotiation_names() -> None:
    assert Encoding.from_lsp("utf-8") is Encoding.UTF8
    assert Encoding.from_lsp("utf-32") is Encoding.UTF32
    assert Encoding.from_lsp(None) is Encoding.UTF16
    assert Encoding.from_lsp("utf-7") is Encoding.UTF16


@given(st.text(alphabet=["a", "é", "😀", "\n", "\r", "\x0c", "€"]))
def test_round_trip_on_character_boundaries(text: str) -> None:
    data = text.encode()
    for encoding in Encoding:
        index = LspLineIndex(data, encoding)
        offset = 0
        for ch in text:
            line, col = index.position(offset)
            if data[offset : offset + 1] != b"\n" or offset == 0 or data[offset - 1 : offset] != b"\r":
                assert index.offset(line, col) == offset
            offset += len(ch.encode())
        assert index.position(len(data)) == index.end_position()


def _naive_starts(data: bytes) -> list[int]:
    """The LSP line starts by one byte-at-a-time walk (the reference the fast index must agree with)."""
    starts = [0]
    i = 0
    while i < len(data):
        if data[i] == 0x0D:
            i += 2 if i + 1 < len(data) and data[i + 1] == 0x0A else 1
            starts.append(i)
        elif data[i] == 0x0A:
            i += 1
            starts.append(i)
        else:
            i += 1
    return starts


_PIECES = st.sampled_from(["\n", "\r\n", "\r", "a", "é", "😀", "\x0c", "\u2028", " ", "const"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=60))
def test_line_starts_match_naive_reference(pieces: list[str]) -> None:
    data = "".join(pieces).encode("utf-8")
    assert list(line_starts(data)) == _naive_starts(data)
    index = LspLineIndex(data, Encoding.UTF16)
    assert index.line_count == len(_naive_starts(data))


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=40), st.sampled_from(list(Encoding)))
def test_positions_round_trip_against_reference(pieces: list[str], encoding: Encoding) -> None:
    data = "".join(pieces).encode("utf-8")
    index = LspLineIndex(data, encoding)
    starts = _naive_starts(data)
    for offset in range(len(data) + 1):
        line, _ = index.position(offset)
        assert line == bisect.bisect_right(starts, offset) - 1
    for line in range(len(starts)):
        assert index.offset(line, 0) == starts[line]


def test_line_index_is_shared_per_bytes_object() -> None:
    data = b"a\nb\r\nc\rd"
    first = line_index(data, Encoding.UTF16)
    assert line_index(data, Encoding.UTF16) is first
    assert line_index(data, Encoding.UTF8) is not first
    other = bytes(bytearray(data))
    assert line_index(other, Encoding.UTF16) is not first
    assert line_index(other, Encoding.UTF16).data is other


def _traced_bytes(make: Callable[[], object]) -> tuple[object, int]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        return made, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_a_line_index_costs_a_few_bytes_a_line() -> None:
    """The server keeps an index per recent version of each open text: its line starts are packed (4 bytes a
    line), not a list of int objects (~40 bytes a line; 700 000 lines at N = 100 000), and a splice that moves
    every later line shares their blocks with the old index instead of copying them (well under a byte a line)."""
    lines = 100_000
    data = b"x = 1\n" * lines
    index, built = _traced_bytes(lambda: LspLineIndex(data, Encoding.UTF16))
    assert isinstance(index, LspLineIndex)
    assert built < 6 * lines
    new = data[:6] + b"yy\n" + data[6:]
    spliced, cost = _traced_bytes(lambda: index.spliced(6, 6, new))
    assert isinstance(spliced, LspLineIndex)
    assert cost < lines // 5  # one rebuilt block of 2 048 lines and a few per-block lists
    assert spliced.position(len(new) - 1) == (lines, 5)
    assert line_starts(new) == spliced.starts()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_PIECES, max_size=40),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 6), st.lists(_PIECES, max_size=4)), max_size=6),
    st.sampled_from([1, 2, 3, 2048]),
)
def test_spliced_indexes_equal_fresh_ones(
    pieces: list[str], edits: list[tuple[int, int, list[str]]], block: int
) -> None:
    """Splices moving lines across block boundaries give the index of the new text, line by line."""
    data = "".join(pieces).encode("utf-8")
    index = LspLineIndex(data, Encoding.UTF16, block=block)
    for at, length, inserted in edits:
        start = min(at, len(data))
        end = min(len(data), start + length)
        data = data[:start] + "".join(inserted).encode("utf-8") + data[end:]
        index = index.spliced(start, end, data)
        fresh = LspLineIndex(data, Encoding.UTF16)
        assert index.starts() == fresh.starts() and index.line_count == fresh.line_count
        for offset in range(len(data) + 1):
            assert index.position(offset) == fresh.position(offset)
        for line in range(fresh.line_count + 1):
            assert index.offset(line, 1) == fresh.offset(line, 1)


def test_the_index_cache_forgets_a_text_nobody_holds() -> None:
    """Indexes are shared by the identity of their text: once no one else holds a text, no caller can ask about
    it again, and its cached index must not keep it (an old version of the document) alive."""
    size = 1 << 20
    tracemalloc.start()
    try:
        old = bytes(bytearray(b"x" * (size - 1) + b"\n"))
        line_index(old, Encoding.UTF16)
        held = tracemalloc.get_traced_memory()[0]
        del old
        line_index(b"new\ntext", Encoding.UTF16)
        assert held - tracemalloc.get_traced_memory()[0] > size // 2  # the old text was freed
    finally:
        tracemalloc.stop()
