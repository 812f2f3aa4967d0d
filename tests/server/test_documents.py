"""Splicing incremental didChange edits into the document bytes, against a naive str-based reference."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from server.documents import apply_change
from server.positions import Encoding


def _naive_offset(text: str, line: int, character: int) -> int:
    """Byte offset of a UTF-16 LSP position, found by walking the text one character at a time."""
    chars: list[str] = list(text)
    i = 0
    for _ in range(line):
        while i < len(chars) and chars[i] not in "\r\n":
            i += 1
        if i == len(chars):
            return len(text.encode("utf-8"))
        i += 2 if chars[i] == "\r" and i + 1 < len(chars) and chars[i + 1] == "\n" else 1
    used = 0
    while i < len(chars) and chars[i] not in "\r\n":
        cost = 2 if ord(chars[i]) > 0xFFFF else 1
        if used + cost > character:
            break
        used += cost
        i += 1
    return len("".join(chars[:i]).encode("utf-8"))


_PIECES = st.sampled_from(["\n", "\r\n", "\r", "a", "é", "😀", "\x0c", " "])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_PIECES, max_size=40),
    st.tuples(st.integers(0, 12), st.integers(0, 8), st.integers(0, 12), st.integers(0, 8)),
    st.lists(_PIECES, max_size=5),
)
def test_partial_change_splices_like_the_reference(
    pieces: list[str], where: tuple[int, int, int, int], inserted: list[str]
) -> None:
    text = "".join(pieces)
    data = text.encode("utf-8")
    sl, sc, el, ec = where
    if (el, ec) < (sl, sc):
        sl, sc, el, ec = el, ec, sl, sc
    new = "".join(inserted)
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec)),
        text=new,
    )
    start = _naive_offset(text, sl, sc)
    end = max(start, _naive_offset(text, el, ec))
    assert apply_change(data, change, Encoding.UTF16) == data[:start] + new.encode("utf-8") + data[end:]


def test_successive_changes_use_each_versions_own_lines() -> None:
    data = b"a\r\nb\rc\n"
    first = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=1, character=0), end=types.Position(line=1, character=1)),
        text="x\ny",
    )
    data = apply_change(data, first, Encoding.UTF16)
    assert data == b"a\r\nx\ny\rc\n"
    second = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=3, character=0), end=types.Position(line=3, character=1)),
        text="z",
    )
    assert apply_change(data, second, Encoding.UTF16) == b"a\r\nx\ny\rz\n"
