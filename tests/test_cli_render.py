"""The diagnostic renderer: carets stay under the span through tabs, CRLF, wide and non-UTF-8 bytes; notes,
the count, colour choice; and the CLI drawing them only for people (piped output unchanged)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from compiler.cli_render import (
    ColorChoice,
    Diagnostic,
    Located,
    Style,
    choose_style,
    display_line,
    render,
    render_located,
)
from compiler.errors import ErrorKind

FULL = Style(snippets=True, color=False)


def draw(text: bytes, needle: bytes, message: str = "msg") -> list[str]:
    return render_located(Located("f.zir", text, text.index(needle), "error", message), FULL)


def test_plain_line_caret_under_the_name() -> None:
    text = b"@f = fn(@t, {\n  %x = as(@usize, @nothere)\n})\n"
    assert draw(text, b"@nothere") == [
        "f.zir:2:19: error: msg",
        "  %x = as(@usize, @nothere)",
        "                  ^~~~~~~~",
    ]


def test_tabs_are_expanded_in_the_line_and_under_it() -> None:
    text = b"\t\t%x = as(@usize, @nope)\n"
    lines = draw(text, b"@nope")
    assert lines[0] == "f.zir:1:19: error: msg"  # the machine line keeps the byte column
    assert lines[1] == " " * 8 + "%x = as(@usize, @nope)"
    assert lines[2] == " " * 8 + " " * len("%x = as(@usize, ") + "^~~~~"
    assert lines[1].index("@nope") == lines[2].index("^")


def test_crlf_line_end_is_not_shown_and_caret_at_line_end_follows_the_last_character() -> None:
    text = b"@a = int(1)\r\n@b = int(\r\n"
    lines = render_located(Located("f.zir", text, text.index(b"(\r\n") + 1, "error", "expected"), FULL)
    assert lines[1] == "@b = int("
    assert lines[2] == " " * len("@b = int(") + "^"


def test_span_at_end_of_file_without_newline() -> None:
    text = b"@a = int(1)\n@b = str("
    lines = render_located(Located("f.zir", text, len(text), "error", "unexpected EOF"), FULL)
    assert lines == ["f.zir:2:10: error: unexpected EOF", "@b = str(", " " * 9 + "^"]


def test_span_at_newline_of_a_middle_line() -> None:
    text = b"@a = int(1)\n@b = int(2)\n"
    lines = render_located(Located("f.zir", text, text.index(b"\n"), "error", "m"), FULL)
    assert lines[1:] == ["@a = int(1)", " " * 11 + "^"]


def test_wide_characters_take_two_cells_and_are_underlined_whole() -> None:
    text = '@s = str("漢字")\n@t = as(@u8, @漢)\n'.encode()
    lines = draw(text, "@漢".encode())
    assert lines[1] == "@t = as(@u8, @漢)"
    assert lines[2] == " " * len("@t = as(@u8, ") + "^~~"  # '@' one cell, '漢' two
    # after wide characters on the same line, the caret still lines up (display cells, not code points)
    text2 = '%a = str("日本語") @x\n'.encode()
    lines2 = draw(text2, b"@x")
    assert lines2[2] == " " * (len('%a = str("') + 6 + len('") ')) + "^~"


def test_combining_marks_take_no_cell() -> None:
    text = '%e = str("e\u0301") @x\n'.encode()
    lines = draw(text, b"@x")
    assert lines[2].index("^") == len('%e = str("e") ')


def test_invalid_utf8_bytes_are_one_replacement_cell_each() -> None:
    text = b'%s = str("\xff\xfe") @x\n'
    lines = draw(text, b"@x")
    assert lines[1] == '%s = str("\ufffd\ufffd") @x'
    assert lines[2].index("^") == lines[1].index("@x")
    shown, cols = display_line(b"\xe6\xbc")  # a truncated 3-byte sequence
    assert shown == "\ufffd\ufffd" and cols == [0, 1, 2]


def test_control_characters_shown_as_pictures() -> None:
    shown, cols = display_line(b"a\x01b\rc")
    assert shown == "a\u2401b\u240dc" and cols == [0, 1, 2, 3, 4, 5]


def test_string_literal_span_and_single_byte_span() -> None:
    text = b'%m = str("a \\" b") ?\n'
    assert draw(text, b'"a')[2] == " " * 9 + "^" + "~" * (len('"a \\" b"') - 1)
    assert draw(text, b"?")[2] == " " * text.index(b"?") + "^"


def test_file_level_messages_have_no_snippet() -> None:
    """Whether a message gets a snippet follows its ErrorKind, not its text."""
    text = b"@a = int(1)\n"
    assert render_located(Located("f.zir", text, 0, "error", "no entry point found", has_location=False), FULL) == [
        "f.zir:1:1: error: no entry point found"
    ]
    for kind in (ErrorKind.FILE, ErrorKind.OUTPUT):
        lines = render([Diagnostic("f.zir", text, 0, "no entry point found", kind=kind)], FULL).splitlines()
        assert lines[0] == "f.zir:1:1: error: no entry point found" and "@a = int(1)" not in lines
    located = render([Diagnostic("f.zir", text, 0, "no entry point found", kind=ErrorKind.SOURCE)], FULL)
    assert "@a = int(1)" in located.splitlines()


def test_notes_and_count_only_with_snippets() -> None:
    text = b"@a = int(1)\n@a = int(2)\n"
    d = Diagnostic("f.zir", text, 23, "redefinition of identifier 'a'", [(0, "previous definition here")])
    assert render([d], Style(snippets=False, color=False)) == "f.zir:2:12: error: redefinition of identifier 'a'\n"
    assert render([d, d], FULL).splitlines() == [
        "f.zir:2:12: error: redefinition of identifier 'a'",
        "@a = int(2)",
        " " * 11 + "^",
        "f.zir:1:1: note: previous definition here",
        "@a = int(1)",
        "^~",
    ] * 2 + ["2 errors"]
    assert render([d], FULL).splitlines()[-1] == "1 error"
    assert render([], FULL) == ""


def test_colour_codes_wrap_severity_and_caret() -> None:
    lines = render_located(Located("f.zir", b"@x\n", 0, "error", "m"), Style(snippets=True, color=True))
    assert lines[0] == "\x1b[1mf.zir:1:1: \x1b[1;31merror:\x1b[0m\x1b[1m m\x1b[0m"
    assert lines[2] == "\x1b[1;32m^~\x1b[0m"


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_color_choice_tty_no_color_and_forcing() -> None:
    tty, pipe = _Stream(True), _Stream(False)
    assert choose_style(ColorChoice.AUTO, tty, {}) == Style(True, True)  # type: ignore[arg-type]
    assert choose_style(ColorChoice.AUTO, tty, {"NO_COLOR": "1"}) == Style(True, False)  # type: ignore[arg-type]
    assert choose_style(ColorChoice.AUTO, pipe, {}) == Style(False, False)  # type: ignore[arg-type]
    assert choose_style(ColorChoice.NEVER, tty, {}) == Style(True, False)  # type: ignore[arg-type]
    assert choose_style(ColorChoice.ALWAYS, pipe, {"NO_COLOR": "1"}) == Style(True, True)  # type: ignore[arg-type]


ZIR = [sys.executable, "-m", "compiler"]
COLLISION = Path(__file__).resolve().parent / "cases" / "examples" / "005-zig-ce-exported-symbol-collision"


def test_cli_piped_is_bare_and_color_always_draws_snippet_note_and_count(tmp_path: Path) -> None:
    (tmp_path / "col.zir").write_bytes((COLLISION / "update1.zir").read_bytes())
    args = [*ZIR, "build", "col.zir", "--no-emit-bin"]
    piped = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (piped.returncode, piped.stderr) == (1, "col.zir:8:13: error: exported symbol collision: _start\n")
    never = subprocess.run([*args, "--color", "never"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert never.stderr == piped.stderr
    full = subprocess.run([*args, "--color", "always"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    plain = full.stderr.replace("\x1b[1;31m", "").replace("\x1b[1;36m", "").replace("\x1b[1;32m", "")
    plain = plain.replace("\x1b[1m", "").replace("\x1b[0m", "")
    assert plain.splitlines() == [
        "col.zir:8:13: error: exported symbol collision: _start",
        '@2 = export(@0, "start")',
        "            ^~",
        "col.zir:7:13: note: other symbol here",
        '@1 = export(@0, "start")',
        "            ^~",
        "1 error",
    ]
    bad = subprocess.run([*args, "--color", "sometimes"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid --color 'sometimes'" in bad.stderr


def test_fmt_errors_drawn_for_people_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "r.zir").write_bytes(b"@a = int(1)\n@a = int(2)\n")
    piped = subprocess.run([*ZIR, "fmt", "--check", "r.zir"], cwd=tmp_path, capture_output=True, text=True)
    assert (piped.returncode, piped.stderr) == (1, "r.zir:2:12: error: redefinition of identifier 'a'\n")
    full = subprocess.run(
        [*ZIR, "fmt", "--check", "r.zir", "--color", "always"], cwd=tmp_path, capture_output=True, text=True
    )
    plain = re.sub(r"\x1b\[[0-9;]*m", "", full.stderr)
    assert plain.splitlines() == [
        "r.zir:2:12: error: redefinition of identifier 'a'",
        "@a = int(2)",
        " " * 11 + "^",
        "r.zir:1:1: note: previous definition here",
        "@a = int(1)",
        "^~",
        "1 error",
    ]
