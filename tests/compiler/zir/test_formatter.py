"""The formatter's rules (zir-language.md §10.4), each on a small input with its exact canonical output."""

from __future__ import annotations

import pytest

from compiler.zir.formatter import ParseErrors, format_result, format_source


def fmt(text: str) -> str:
    out = format_source(text.encode()).decode()
    assert format_source(out.encode()).decode() == out  # idempotent
    return out


def test_layout_of_decls_and_bodies() -> None:
    assert fmt("@f   =   fn(@t,{%a = int(1)   %b = add(%a,%a)})") == (
        "@f = fn(@t, {\n  %a = int(1)\n  %b = add(%a, %a)\n})\n"
    )


def test_nested_bodies_indent_by_two() -> None:
    assert fmt('@f = fn(@t, {\n%c = condbr(@x, {\n%b = block({\n%r = breakvoid("b")\n})\n}, {})\n})') == (
        '@f = fn(@t, {\n  %c = condbr(@x, {\n    %b = block({\n      %r = breakvoid("b")\n    })\n  }, {\n  })\n})\n'
    )


def test_blank_line_runs_collapse_and_none_are_added() -> None:
    assert fmt("\n\n@a = int(1)\n\n\n\n@b = int(2)\n@c = int(3)\n\n\n") == "@a = int(1)\n\n@b = int(2)\n@c = int(3)\n"
    assert fmt("@f = fn(@t, {\n\n  %a = int(1)\n\n\n  %b = int(2)\n\n})") == (
        "@f = fn(@t, {\n  %a = int(1)\n\n  %b = int(2)\n})\n"
    )


def test_decls_on_one_line_are_split() -> None:
    assert fmt("@a = int(1) @b = int(2)") == "@a = int(1)\n@b = int(2)\n"


def test_comments_are_kept() -> None:
    source = "; head\n\n@a = int(1)   ;  trailing \n  ; own line\n@f = fn(@t, { ; after brace\n  %a = int(1) ;t\n    ; inner\n}) ;\n"
    assert fmt(source) == (
        "; head\n\n@a = int(1) ;  trailing \n; own line\n@f = fn(@t, {\n  ; after brace\n  %a = int(1) ;t\n"
        "  ; inner\n})\n"
    )


def test_comment_at_eof_and_crlf() -> None:
    assert fmt("@a = int(1)\r\n; end") == "@a = int(1)\n; end\n"
    assert fmt("; one\r\n@a = int(1) ; two\r\n") == "; one\n@a = int(1) ; two\n"


def test_keywords_only_when_not_default() -> None:
    assert fmt("@t = fntype([], @v, cc=Unspecified)\n@u = fntype([], @v, cc=C)") == (
        "@t = fntype([], @v)\n@u = fntype([], @v, cc=C)\n"
    )
    assert fmt("@f = fn(@t, {\n  %c = call(@g, [], modifier=auto)\n  %d = call(@g, [%c], modifier=never_tail)\n})") == (
        "@f = fn(@t, {\n  %c = call(@g, [])\n  %d = call(@g, [%c], modifier=never_tail)\n})\n"
    )
    assert fmt("@p = ptr_type(@u8, allowzero=0, const=1, volatile=1, align=@a)") == (
        "@p = ptr_type(@u8, align=@a, volatile=1)\n"
    )


def test_long_instruction_with_keywords_breaks_at_100_columns() -> None:
    short = "@f = fn(@t, {\n  %r = asm(@s, @usize, volatile=1, inputs=[@a], args=[@b])\n})"
    assert fmt(short) == short + "\n"
    long = (
        "@f = fn(@t, {\n  %r = asm(@syscall, @usize, volatile=1, output=@out, inputs=[@rax, @rdi], "
        "clobbers=[@rcx, @r11], args=[@n])\n})"
    )
    assert fmt(long) == (
        "@f = fn(@t, {\n"
        "  %r = asm(@syscall, @usize,\n"
        "    volatile=1,\n"
        "    output=@out,\n"
        "    inputs=[@rax, @rdi],\n"
        "    clobbers=[@rcx, @r11],\n"
        "    args=[@n])\n"
        "})\n"
    )


def test_exactly_100_columns_stays_on_one_line() -> None:
    head = "@t = fntype(["
    tail = "], @v, cc=C)"
    names = "@" + "x" * (100 - len(head) - len(tail) - 1)
    line = head + names + tail
    assert len(line) == 100
    assert fmt(line) == line + "\n"
    longer = head + names + "y" + tail
    assert fmt(longer) == head + names + "y], @v,\n  cc=C)\n"


def test_august_spellings() -> None:
    assert fmt("@f = fn(@t, {\n  %a = cmp(@x, neq, @y)\n  %r = return()\n})") == (
        "@f = fn(@t, {\n  %a = cmp_neq(@x, @y)\n  %r = returnvoid()\n})\n"
    )


def test_arg_n_becomes_a_name_only_in_the_leading_run() -> None:
    source = (
        "@f = fn(@t, {\n  %a = arg(0)\n  %b = arg(1)\n  %c = arg(0)\n  %d = int(1)\n  %e = arg(4)\n})\n"
        "@g = fn(@t, {\n  %a = arg(1)\n})\n"
        '@h = fn(@t, {\n  %x = arg("x")\n  %y = arg(1)\n})'
    )
    assert fmt(source) == (
        '@f = fn(@t, {\n  %a = arg("a")\n  %b = arg("b")\n  %c = arg(0)\n  %d = int(1)\n  %e = arg(4)\n})\n'
        "@g = fn(@t, {\n  %a = arg(1)\n})\n"
        '@h = fn(@t, {\n  %x = arg("x")\n  %y = arg("y")\n})\n'
    )


def test_values_are_re_rendered() -> None:
    assert fmt('@s = str("\\x32\\x08\\u{41}\\\'\\x7f")\n@i = int(-0007)') == (
        '@s = str("2\\x08A\'\\x7f")\n@i = int(-7)\n'
    )


def test_labels_keep_their_text() -> None:
    source = '@f = fn(@t, {\n  %3 = block({\n    %x = breakvoid("label_3")\n  })\n})\n'
    assert fmt(source) == source


def test_file_ends_with_one_newline_and_empty_stays_empty() -> None:
    assert fmt("@a = int(1)") == "@a = int(1)\n"
    assert fmt("") == ""
    assert fmt("\n\n  \n") == ""


def test_bytes_after_nul_are_kept() -> None:
    assert format_source(b"@a   = int(1)\0junk (((") == b"@a = int(1)\n\0junk ((("


def test_refuses_a_file_with_parse_errors() -> None:
    result = format_result(b"@a = int(1)\n@b = int(\n")
    assert isinstance(result, list) and [e.msg for e in result] == ["invalid digit in integer literal"]
    with pytest.raises(ParseErrors) as info:
        format_source(b"@a = foo()")
    assert [e.msg for e in info.value.errors] == ["unknown instruction 'foo'"]


def test_non_utf8_names_and_strings_survive() -> None:
    source = b'@\xff = str("\xfe")\n@b = as(@\xff, @\xff)\n'
    out = format_source(source)
    assert out == b'@\xff = str("\\xfe")\n@b = as(@\xff, @\xff)\n'
    assert format_source(out) == out
