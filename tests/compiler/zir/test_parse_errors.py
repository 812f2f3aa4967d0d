"""Every parse-error message and position of zir-language.md §2 and §3.7, pinned by line and column."""

from __future__ import annotations

import pytest

from compiler.zir.parser import parse
from tests.compiler.zir.helpers import rendered

FN = b"@f = fn(@t, {\n"

CASES: list[tuple[str, bytes, str]] = [
    # unexpected byte: the byte
    ("top-level byte", b"x", ":1:1: error: unexpected byte: 'x'"),
    ("byte after a decl", b"@a = int(1) x\n", ":1:13: error: unexpected byte: 'x'"),
    ("byte in a body", FN + b"  x\n})", ":2:3: error: unexpected byte: 'x'"),
    ("byte where an operand goes", b"@a = as(@b, 3)", ":1:13: error: unexpected byte: '3'"),
    ("non-ASCII byte", b"@a = int(1)\n\xff", ":2:1: error: unexpected byte: '\udcff'"),
    # unexpected EOF: end of input
    ("EOF in a definition name", b"@abc", ":1:5: error: unexpected EOF"),
    ("EOF in a tag", b"@a = int", ":1:9: error: unexpected EOF"),
    ("EOF in a body", FN + b"  %a = int(1)\n", ":3:1: error: unexpected EOF"),
    ("EOF in a body after a comment", FN + b"  ; c", ":2:6: error: unexpected EOF"),
    ("EOF in a string", b'@s = str("abc', ":1:14: error: unexpected EOF"),
    ("EOF after a backslash", b'@s = str("abc\\', ":1:15: error: unexpected EOF"),
    ("EOF in an enum word", b"@v = primitive(void", ":1:20: error: unexpected EOF"),
    ("EOF in a keyword name", b"@t = fntype([], @v, cc", ":1:23: error: unexpected EOF"),
    ("EOF for an operand", b"@a = as(", ":1:9: error: unexpected EOF"),
    ("EOF in a body name", FN + b"  %a", ":2:5: error: unexpected EOF"),
    # expected '…': where the expected text should start
    ("expected '='", b"@a x", ":1:4: error: expected '='"),
    ("expected '=' after CR", b"@a\r\r:", ":1:5: error: expected '='"),
    ("expected '{'", b"@f = fn(@t, x)", ":1:13: error: expected '{'"),
    ("expected '['", b"@t = fntype(@v, @v)", ":1:13: error: expected '['"),
    ("expected ']'", b"@t = fntype([@a @b], @v)", ":1:17: error: expected ']'"),
    ("expected '\"'", b"@s = str(x)", ":1:10: error: expected '\"'"),
    ("expected '\"' for a May-2020 export", b"@e = export(@s, @f)", ":1:17: error: expected '\"'"),
    ("expected ')' (extra positional)", b"@a = int(1 2)", ":1:12: error: expected ')'"),
    ("expected ')' at EOF", b"@a = int(1", ":1:11: error: expected ')'"),
    ("whitespace after '('", b"@a = int( 1)", ":1:10: error: invalid digit in integer literal"),
    # unknown instruction: just after the '('
    ("unknown instruction", b"@a = foo(1)", ":1:10: error: unknown instruction 'foo'"),
    ("tag with a space", b"@a = in t(1)", ":1:11: error: unknown instruction 'in t'"),
    ("tag across lines", b"@a = x\n@b = int(1)", ":2:10: error: unknown instruction 'x\n@b = int'"),
    # expected positional parameter: the ')'
    ("missing positional", b"@a = int()", ":1:10: error: expected positional parameter 'int'"),
    ("second positional", b"@a = add(@x)", ":1:12: error: expected positional parameter 'rhs'"),
    ("cmp operator", b"@a = cmp(@x)", ":1:12: error: expected positional parameter 'op'"),
    ("const with nothing", b"@c = const()", ":1:12: error: expected positional parameter 'typed_value'"),
    # unrecognized keyword parameter: just after the '='
    ("unknown keyword", b"@t = fntype([], @v, foo=C)", ":1:25: error: unrecognized keyword parameter: 'foo'"),
    ("space before '='", b"@t = fntype([], @v, cc =C)", ":1:25: error: unrecognized keyword parameter: 'cc '"),
    ("keyword on a no-keyword tag", b"@a = int(1, x=1)", ":1:15: error: unrecognized keyword parameter: 'x'"),
    # invalid string literal character: the offending byte
    ("unknown escape", b'@s = str("a\\qb")', ":1:13: error: invalid string literal character: 'q'\n"),
    ("raw newline", b'@s = str("ab\ncd")', ":1:13: error: invalid string literal character: '\n'\n"),
    ("escaped newline", b'@s = str("ab\\\ncd")', ":1:14: error: invalid string literal character: '\n'\n"),
    ("bad hex digit", b'@s = str("\\x4g")', ":1:14: error: invalid string literal character: 'g'\n"),
    ("short hex escape", b'@s = str("\\x4")', ":1:14: error: invalid string literal character: '\"'\n"),
    ("\\u without brace", b'@s = str("\\u41")', ":1:13: error: invalid string literal character: '4'\n"),
    ("\\u with no digits", b'@s = str("\\u{}")', ":1:14: error: invalid string literal character: '}'\n"),
    ("\\u with 7 digits", b'@s = str("\\u{0000041}")', ":1:20: error: invalid string literal character: '1'\n"),
    ("\\u out of range", b'@s = str("\\u{110000}")', ":1:12: error: invalid string literal character: 'u'\n"),
    ("\\u surrogate", b'@s = str("\\u{d800}")', ":1:12: error: invalid string literal character: 'u'\n"),
    # invalid digit in integer literal: first byte of the literal
    ("minus alone", b"@a = int(-)", ":1:10: error: invalid digit in integer literal"),
    ("letters", b"@a = int(x)", ":1:10: error: invalid digit in integer literal"),
    # integer literal: {}: just after the literal
    ("usize too big", b"@p = param_type(@f, 18446744073709551616)", ":1:41: error: integer literal: TargetTooSmall"),
    ("usize negative", b"@p = param_type(@f, -1)", ":1:23: error: integer literal: NegativeIntoUnsigned"),
    ("arg(N) too big", FN + b"  %a = arg(99999999999999999999)\n})", ":2:32: error: integer literal: TargetTooSmall"),
    # booleans: the byte
    ("bad bool", b"@a = asm(@s, @t, volatile=2)", ":1:27: error: expected '0' or '1' for boolean value, found 2"),
    # enum words: the byte that ended the word
    (
        "primitive",
        b"@v = primitive(foo)",
        ":1:19: error: tag 'foo' not a member of enum 'zir.Inst.Primitive.Builtin'",
    ),
    ("cc", b"@t = fntype([], @v, cc=c)", ":1:25: error: tag 'c' not a member of enum 'std.builtin.CallingConvention'"),
    (
        "modifier",
        FN + b"  %c = call(@g, [], modifier=tail)\n})",
        ":2:34: error: tag 'tail' not a member of enum 'std.builtin.CallOptions.Modifier'",
    ),
    (
        "compare op",
        b"@a = cmp(@x, less, @y)",
        ":1:18: error: tag 'less' not a member of enum 'std.math.CompareOperator'",
    ),
    # identifiers
    ("unknown %", FN + b"  %a = add(%b, %b)\n})", ":2:12: error: unrecognized identifier: %b"),
    ("% used by itself", FN + b"  %a = add(%a, %a)\n})", ":2:12: error: unrecognized identifier: %a"),
    (
        "% of another decl",
        FN + b"  %a = int(1)\n})\n@g = fn(@t, {\n  %b = add(%a, %a)\n})",
        ":5:12: error: unrecognized identifier: %a",
    ),
    ("% in global scope", b"@x = as(%t, @y)", ":1:9: error: referencing a % instruction in global scope"),
    ("% as fn type", b"@f = fn(%t, {})", ":1:9: error: referencing a % instruction in global scope"),
    # redefinition: just after the duplicate's ')'
    ("top-level duplicate", b"@a = int(1)\n@a = int(2)", ":2:12: error: redefinition of identifier 'a'"),
    ("body duplicate", FN + b"  %a = int(1)\n  %a = int(2)\n})", ":3:14: error: redefinition of identifier 'a'"),
    (
        "duplicate across nested bodies",
        FN + b"  %c = condbr(@x, {\n    %a = int(1)\n  }, {\n    %a = int(2)\n  })\n})",
        ":5:16: error: redefinition of identifier 'a'",
    ),
    # special instructions: where the operand would start
    ("const", b"@c = const(1)", ":1:12: error: 'const' is a special instruction; not legal in ZIR text"),
    (
        "declval_in_module",
        b"@d = declval_in_module(x)",
        ":1:24: error: 'declval_in_module' is a special instruction; not legal in ZIR text",
    ),
    # block labels: the opening quote
    ("unknown label", FN + b'  %b = breakvoid("nope")\n})', ":2:18: error: unrecognized block label: 'nope'"),
    (
        "label of another decl",
        b'@g = fn(@t, {\n  %b = block({\n    %x = breakvoid("b")\n  })\n})\n' + FN + b'  %y = breakvoid("b")\n})',
        ":7:18: error: unrecognized block label: 'b'",
    ),
    (
        "label_N of a non-block",
        FN + b'  %0 = int(1)\n  %1 = breakvoid("label_0")\n})',
        ":3:18: error: unrecognized block label: 'label_0'",
    ),
]


@pytest.mark.parametrize(("source", "expected"), [(s, e) for _, s, e in CASES], ids=[c[0] for c in CASES])
def test_message_and_position(source: bytes, expected: str) -> None:
    parsed = parse(source)
    assert rendered(source, parsed) == [expected]


def test_erroneous_decl_is_dropped_and_others_kept() -> None:
    source = b"@a = int(1)\n@b = int(x)\n@c = int(3)\n"
    parsed = parse(source)
    assert [d.name for d in parsed.decls] == ["a", "c"]
    assert rendered(source, parsed) == [":2:10: error: invalid digit in integer literal"]


def test_every_error_reported_in_file_order_one_per_decl() -> None:
    source = (
        b"@a = int(1) x\n"  # top-level byte, recovery skips the rest of the line
        b"@b = int(2)\n"
        b"@c = foo(\n"  # unknown instruction
        b"@d = fn(@t, {\n"
        b"  %x = int(y)\n"  # first error of @d ...
        b"  %z = bogus(1)\n"  # ... and not this one
        b"})\n"
        b'@e = str("ok")\n'
        b"@b = int(3)\n"  # duplicate of an earlier good decl
        b"@f = int(4) @g = int(5)\n"
    )
    parsed = parse(source)
    assert rendered(source, parsed) == [
        ":1:13: error: unexpected byte: 'x'",
        ":3:10: error: unknown instruction 'foo'",
        ":5:12: error: invalid digit in integer literal",
        ":9:12: error: redefinition of identifier 'b'",
    ]
    assert [d.name for d in parsed.decls] == ["a", "b", "e", "f", "g"]


def test_recovery_skips_to_a_line_start_at_sign() -> None:
    source = b"@a = int(x) @b = int(1)\n  @c = int(2)\n@d = int(3)\n"
    parsed = parse(source)
    assert [d.name for d in parsed.decls] == ["d"]
    assert len(parsed.errors) == 1


def test_duplicate_recovery_skips_the_rest_of_its_line() -> None:
    source = b"@a = int(1)\n@a = int(2) @b = int(3)\n@c = int(4)\n"
    parsed = parse(source)
    assert [d.name for d in parsed.decls] == ["a", "c"]
    assert rendered(source, parsed) == [":2:12: error: redefinition of identifier 'a'"]


def test_unclosed_string_swallows_the_rest_of_the_file() -> None:
    source = b'@s = str("abc)\n@b = int(1)\n'
    parsed = parse(source)
    assert parsed.decls == []
    assert rendered(source, parsed) == [":3:1: error: unexpected EOF"]


def test_string_error_found_after_scanning_to_a_later_quote() -> None:
    source = b'@s = str("abc)\n@b = str("x")\n@c = int(1)\n'
    parsed = parse(source)
    assert rendered(source, parsed) == [":1:15: error: invalid string literal character: '\n'\n"]
    assert [d.name for d in parsed.decls] == ["b", "c"]


def test_body_nesting_limit_is_an_error_not_a_crash() -> None:
    depth = 150
    inner = b"%x = block({ " * depth + b"%r = unreachable() " + b"}) " * depth
    source = b"@f = fn(@t, {" + inner + b"})"
    parsed = parse(source)
    assert parsed.decls == []
    assert [e.msg for e in parsed.errors] == ["bodies nested deeper than 100 levels"]
