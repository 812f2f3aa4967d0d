"""Compiler errors → LSP Diagnostics: token-sized ranges, exact messages, merged per-URI publishing."""

from __future__ import annotations

from lsprotocol import types

from server.diagnostics import CompileError, DiagnosticStore, to_diagnostics, token_end
from server.positions import Encoding


def _range(text: bytes, offset: int, encoding: Encoding = Encoding.UTF16) -> tuple[int, int, int, int]:
    (d,) = to_diagnostics([CompileError(offset, "m", text)], encoding, "zir")
    return d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character


def test_token_ranges() -> None:
    text = b'@a = call(@say_hi, [%x], "str\\"ing", -42, Naked)\n'
    assert text[10 : token_end(text, 10)] == b"@say_hi"
    at = text.index(b"%x")
    assert text[at : token_end(text, at)] == b"%x"
    at = text.index(b'"str')
    assert text[at : token_end(text, at)] == b'"str\\"ing"'
    at = text.index(b"-42")
    assert text[at : token_end(text, at)] == b"-42"
    at = text.index(b"Naked")
    assert text[at : token_end(text, at)] == b"Naked"
    at = text.index(b"(")
    assert token_end(text, at) == at + 1  # one character otherwise
    assert token_end(text, len(text) - 1) == len(text) - 1  # a line break: empty
    assert token_end(text, len(text)) == len(text)  # end of file: empty


def test_one_character_is_a_whole_utf8_sequence() -> None:
    text = "x😀y".encode()
    assert _range(text, 1) == (0, 1, 0, 3)  # one UTF-16 character of two units


def test_non_ascii_before_the_error_uses_utf16_columns() -> None:
    text = "; ünïcødé 😀\n@é = int(1) @bad\n".encode()
    at = text.index(b"@bad")
    assert _range(text, at) == (1, 12, 1, 16)
    assert _range(text, at, Encoding.UTF8) == (1, len("@é = int(1) ".encode()), 1, len("@é = int(1) @bad".encode()))


def test_crlf_lines() -> None:
    text = b"@a = int(1)\r\n@b = foo(1)\r\n"
    at = text.index(b"foo")
    assert _range(text, at) == (1, 5, 1, 8)


def test_end_of_file_is_zero_width() -> None:
    text = b"@a = int("
    assert _range(text, len(text)) == (0, 9, 0, 9)


def test_message_trailing_newline_removed_and_fields() -> None:
    (d,) = to_diagnostics([CompileError(0, "invalid string literal character: '\n'\n", b"x")], Encoding.UTF16, "zir")
    assert d.message == "invalid string literal character: '\\n'"  # no raw newline inside (issue 15)
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.source == "zir"


def test_store_merges_tiers_and_publishes_empty_lists() -> None:
    sent: list[types.PublishDiagnosticsParams] = []
    store = DiagnosticStore(sent.append)
    uri = "file:///a.zir"
    editor = to_diagnostics([CompileError(0, "e", b"ab")], Encoding.UTF16, "zir")
    build = to_diagnostics(
        [CompileError(0, "unable to write output 'x': AccessDenied", b"ab")], Encoding.UTF16, "zir-build"
    )
    store.set("zir", uri, editor, version=3)
    store.set("zir-build", uri, build)
    store.publish(uri)
    assert [d.source for d in sent[-1].diagnostics] == ["zir", "zir-build"]
    assert sent[-1].version == 3
    store.set("zir", uri, [], version=4)
    store.publish(uri)
    assert [d.source for d in sent[-1].diagnostics] == ["zir-build"]
    assert sent[-1].version == 4
    store.clear(uri)
    assert sent[-1].diagnostics == []
    assert sent[-1].uri == uri


def test_duplicate_name_gets_a_non_empty_range() -> None:
    text = b"@a = int(1)\n@b = int(2)\n@a = int(3)\n@ab = int(4)\n"
    offset = text.index(b"(3)") + 3  # the spec's position: just after the duplicate's ")"
    (d,) = to_diagnostics([CompileError(offset, "redefinition of identifier 'a'", text)], Encoding.UTF16, "zir")
    assert d.range.start == types.Position(line=2, character=0)
    assert d.range.end == types.Position(line=2, character=2)
