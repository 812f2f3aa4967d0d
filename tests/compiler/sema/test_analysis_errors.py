"""Every analysis error of zir-language.md §5–§6, pinned by message and position, through the Compilation API."""

from __future__ import annotations

import pytest

from compiler.sema.analyze import ANALYZERS
from compiler.zir.tags import Tag
from tests.compiler.module.util import compile_errors, pos

PRELUDE = """@void = primitive(void)
@noreturn = primitive(noreturn)
@usize = primitive(usize)
@u8 = primitive(u8)
@bool = primitive(bool)
@ci = primitive(comptime_int)
@cf = primitive(comptime_float)
@f32 = primitive(f32)
@null = primitive(null)
@undef = primitive(undefined)
@true = primitive(true)
@one = int(1)
@zero = int(0)
@big = int(300)
@fnty = fntype([], @void)
@fnty_u = fntype([@usize], @void)
@fnty_u8 = fntype([@u8], @void)
@fnty_f32 = fntype([@f32], @void)
@f64 = primitive(f64)
@fnty_nr = fntype([], @noreturn)
@g = fn(@fnty_u8, {})
@naked_ty = fntype([], @noreturn, cc=Naked)
@nk = fn(@naked_ty, {
  %0 = unreachable()
})
@msg = str("hello")
@anyerror = primitive(anyerror)
@opt_u8 = optional_type(@u8)
"""

EPILOGUE = """
@en = str("ent")
@ex = export(@en, "ent")
"""


def program(body: str, fnty: str = "@fnty") -> str:
    lines = "\n".join("  " + line for line in body.strip().splitlines())
    return PRELUDE + f"@ent = fn({fnty}, {{\n{lines}\n}})" + EPILOGUE


# (fn type, body, message, needle, after-needle?)
BODY_CASES: list[tuple[str, str, str, str, bool]] = [
    ("@fnty", '%e = compileerror("boom")', "boom", "%e = compileerror(", True),
    ("@fnty", "%c = call(@usize, [])", "type 'type' not a function", "@usize = primitive(", True),
    ("@fnty", "%c = call(@nk, [])", "unable to call function with naked calling convention", "@nk = fn(", True),
    ("@fnty", "%c = call(@g, [])", "expected 1 arguments, found 0", "@g = fn(", True),
    ("@fnty", "%c = call(@g, [@big])", "type comptime_int cannot represent integer value 300", "@big = int(", True),
    ("@fnty_nr", "%r = returnvoid()", "expected noreturn, found void", "%r = returnvoid(", True),
    ("@fnty", '%a = arg("x")', "parameter index 0 outside list of length 0", "%a = arg(", True),
    ("@fnty", "%a = arg(3)", "parameter index 3 outside list of length 0", "%a = arg(", True),
    (
        "@fnty",
        '%s = str("syscall")\n%i = str("{rax}")\n%x = asm(%s, @void, inputs=[%i])',
        "asm has 1 inputs but only 0 args",
        "%x = asm(",
        True,
    ),
    ("@fnty", "%p = ref(@one)\n%s = store(%p, @one)", "cannot assign to constant", "%s = store(", True),
    ("@fnty", "%d = deref(@one)", "expected pointer, found 'comptime_int'", "@one = int(", True),
    ("@fnty", "%d = ptrtoint(@one)", "expected pointer, found 'comptime_int'", "@one = int(", True),
    (
        "@fnty",
        '%n = str("foo")\n%f = fieldptr(@msg, %n)',
        "no member named 'foo' in '[5:0]u8'",
        "%n = str(",
        True,
    ),
    (
        "@fnty",
        '%p = ref(@one)\n%n = str("len")\n%f = fieldptr(%p, %n)',
        "type 'comptime_int' does not support field access",
        "%f = fieldptr(",
        True,
    ),
    ("@fnty", "%i = intcast(@bool, @one)", "expected integer type, found 'bool'", "@bool = primitive(", True),
    ("@fnty", "%i = intcast(@usize, @true)", "expected integer type, found 'bool'", "@true = primitive(", True),
    (
        "@fnty_u",
        '%a = arg("a")\n%i = intcast(@ci, %a)',
        "unable to cast runtime value to 'comptime_int'",
        "%i = intcast(",
        True,
    ),
    ("@fnty", "%i = floatcast(@usize, @one)", "expected float type, found 'usize'", "@usize = primitive(", True),
    ("@fnty", "%i = floatcast(@f32, @true)", "expected float type, found 'bool'", "@true = primitive(", True),
    # A runtime float cannot exist (language-complete.md §12): the parameter fails first.
    (
        "@fnty_f32",
        '%a = arg("a")\n%i = floatcast(@cf, %a)',
        "floating-point type 'f32' is not supported at runtime",
        "%a = arg(",
        True,
    ),
    ("@fnty", "%u = unwrap_optional_safe(@one)", "expected pointer, found 'comptime_int'", "@one = int(", True),
    (
        "@fnty",
        "%p = ref(@one)\n%u = unwrap_optional_unsafe(%p)",
        "expected optional type, found comptime_int",
        "%u = unwrap_optional_unsafe(",
        True,
    ),
    ("@fnty", "%u = ensure_result_used(@one)", "expression value is ignored", "@one = int(", True),
    (
        "@fnty",
        "%u = add(@usize, @usize)",
        "invalid operands to binary expression: 'Type' and 'Type'",
        "%u = add(",
        True,
    ),
    (
        "@fnty",
        "%a = as(@u8, @big)",
        "type comptime_int cannot represent integer value 300",
        "@big = int(",
        True,
    ),
    (
        "@fnty",
        "%x = as(@u8, @one)\n%y = add(%x, @one)",
        "incompatible types: 'u8' and 'comptime_int'",
        "@one = int(",
        True,
    ),
    (
        "@fnty",
        "%h = int(200)\n%x = as(@u8, %h)\n%y = add(%x, %x)",
        "overflow of integer type 'u8' with value '400'",
        "%y = add(",
        True,
    ),
    ("@fnty", "%y = cmp_lt(@one, @null)", "comparison of 'comptime_int' with null", "%y = cmp_lt(", True),
    (
        "@fnty",
        "%b = block({\n  %x = breakpoint()\n})",
        "block body must end with a noreturn instruction",
        "%b = block(",
        True,
    ),
    (
        "@fnty",
        '%b = block({\n  %x = breakvoid("b")\n})\n%c = breakvoid("b")',
        "break target 'b' is not an enclosing block",
        "%c = breakvoid(",
        True,
    ),
    ("@fnty", "%r = returnvoid()\n%d = dbg_stmt()", "unreachable code", "%d = dbg_stmt(", True),
    (
        "@fnty_u",
        '%a = arg("a")\n%c = cmp_eq(%a, @one)\n%x = condbr(%c, {\n  %t = add(%a, %a)\n  %r1 = returnvoid()\n}, {\n  %r2 = return(%t)\n})',
        "use of '%t' outside the body that defines it",
        "%r2 = return(",
        True,
    ),
    (
        "@fnty",
        "%x = condbr(@true, {\n  %t1 = breakpoint()\n}, {\n  %s = int(5)\n})\n%u = as(@usize, %s)",
        "use of '%s' outside the body that defines it",
        "%u = as(",
        True,
    ),
    (
        "@fnty",
        "%un = primitive(undefined)\n%x = condbr(%un, {\n  %t1 = breakpoint()\n}, {\n  %t2 = breakpoint()\n})",
        "use of undefined value here causes undefined behavior",
        "%un = primitive(",
        True,
    ),
    ("@fnty", "%f = fn(@fnty, {})", "fn instruction must be a top-level declaration", "%f = fn(", True),
    ("@fnty", '%d = declval("nope")', "use of undeclared identifier 'nope'", "%d = declval(", True),
    ("@fnty", '%d = declref("nope")', "decl 'nope' not found", "%d = declref(", True),
    ("@fnty", "%d = call(@nope, [])", "decl 'nope' not found", "@nope", False),
    ("@fnty", "%d = param_type(@usize, 0)", "expected function, found 'type'", "@usize = primitive(", True),
    (
        "@fnty",
        "%d = param_type(@g, 1)",
        "arg index 1 out of bounds; 'fn(u8) void' has 1 arguments",
        "%d = param_type(",
        True,
    ),
    (
        "@fnty",
        "%un = primitive(undefined)\n%x = as(@anyerror, %un)\n%y = ensure_result_non_error(%x)",
        "error is discarded",
        "%x = as(",
        True,
    ),
    (
        "@fnty",
        "%un = primitive(undefined)\n%x = as(@anyerror, %un)\n%y = cmp_lt(%x, %x)",
        "lt operator not allowed for errors",
        "%y = cmp_lt(",
        True,
    ),
    (
        "@fnty",
        "%x = as(@opt_u8, @null)\n%p = ref(%x)\n%u = unwrap_optional_safe(%p)",
        "unable to unwrap null",
        "%u = unwrap_optional_safe(",
        True,
    ),
    (
        "@fnty",
        "%c = call(@nk, [])\n%d = dbg_stmt()",
        "unable to call function with naked calling convention",
        "@nk = fn(",
        True,
    ),
    (
        "@fnty",
        "%un = primitive(undefined)\n%x = boolnot(%un)",
        "use of undefined value here causes undefined behavior",
        "%un = primitive(",
        True,
    ),
    (
        "@fnty",
        "%x = as(@usize, @undef)",
        "use of undefined value here causes undefined behavior",
        "@undef = primitive(",
        True,
    ),
    ("@fnty", "%x = boolnot(@one)", "expected bool, found comptime_int", "@one = int(", True),
    ("@fnty", "%x = as(@u8, @msg)", "expected u8, found *const [5:0]u8", "@msg = str(", True),
    ("@fnty", "%x = declref_str(@one)", "expected []const u8, found comptime_int", "@one = int(", True),
    ("@fnty", '%n = str("zz")\n%x = declref_str(%n)', "decl 'zz' not found", "%x = declref_str(", True),
    (
        "@fnty",
        "%x = typeof(@one)\n%y = as(%x, @msg)",
        "expected comptime_int, found *const [5:0]u8",
        "@msg = str(",
        True,
    ),
]


@pytest.mark.parametrize(("fnty", "body", "message", "needle", "after"), BODY_CASES, ids=[c[2] for c in BODY_CASES])
def test_body_error(fnty: str, body: str, message: str, needle: str, after: bool) -> None:
    text = program(body, fnty)
    assert compile_errors(text) == [f"{pos(text, needle, after=after)}: error: {message}"]


DECL_CASES: list[tuple[str, str, str, bool]] = [
    (
        '@usize = primitive(usize)\n@x = int(-1)\n@k = as(@usize, @x)\n@e = export(@k, "k")\n',
        "type comptime_int cannot represent integer value -1",
        "@x = int(",
        True,
    ),
    (
        '@a = arg("x")\n@n = str("a")\n@e = export(@n, "a")\n',
        ILLEGAL := "instruction illegal outside function body",
        "@a = arg(",
        True,
    ),
    ('@r = ret_type()\n@n = str("r")\n@e = export(@n, "r")\n', ILLEGAL, "@r = ret_type(", True),
    ('@b = block({\n  %0 = unreachable()\n})\n@n = str("b")\n@e = export(@n, "b")\n', ILLEGAL, "@b = block(", True),
    ('@n = str("x")\n@e = export(@n, "nope")\n', "decl 'nope' not found", "@e = export(", True),
    (
        '@usize = primitive(usize)\n@n = str("x")\n@e = export(@n, "usize")\n',
        "unable to export type 'type'",
        "@e = export(",
        True,
    ),
    ('@n = str("x")\n@e = export(@n, "n")\n', "unable to export type '*const [1:0]u8'", "@e = export(", True),
    (
        '@usize = primitive(usize)\n@f = fn(@usize, {})\n@n = str("f")\n@e = export(@n, "f")\n',
        "expected function type, found 'usize'",
        "@usize = primitive(",
        True,
    ),
    (
        '@one = int(1)\n@t = fntype([], @one)\n@f = fn(@t, {})\n@n = str("f")\n@e = export(@n, "f")\n',
        "expected type, found comptime_int",
        "@one = int(",
        True,
    ),
    (
        '@u = primitive(undefined)\n@f = fn(@u, {})\n@n = str("f")\n@e = export(@n, "f")\n',
        "use of undefined value here causes undefined behavior",
        "@u = primitive(",
        True,
    ),
    ('@one = int(1)\n@e = export(@one, "e")\n', "expected []const u8, found comptime_int", "@one = int(", True),
    ('@c = compileerror("top")\n@e = export(@c, "e")\n', "top", "@c = compileerror(", True),
    (
        "@void = primitive(void)\n@t = fntype([], @void)\n@f = fn(@t, {\n  %0 = as(@void, @a)\n})\n"
        '@a = as(@void, @b)\n@b = as(@void, @a)\n@n = str("f")\n@e = export(@n, "f")\n',
        "dependency loop detected",
        "@a = as(",
        True,
    ),
]


@pytest.mark.parametrize(("text", "message", "needle", "after"), DECL_CASES, ids=[c[1] for c in DECL_CASES])
def test_decl_error(text: str, message: str, needle: str, after: bool) -> None:
    assert compile_errors(text) == [f"{pos(text, needle, after=after)}: error: {message}"]


def test_every_tag_has_a_handler() -> None:
    assert set(ANALYZERS) == set(Tag)


def test_unreferenced_decl_errors_are_not_reported() -> None:
    text = PRELUDE + '@bad = compileerror("never")\n' + program("%r = returnvoid()")[len(PRELUDE) :]
    assert compile_errors(text) == []


def test_comptime_folding_is_not_an_error() -> None:
    text = program(
        '%a = str("\\x32\\x08")\n%e0 = elemptr(%a, @zero)\n%v0 = deref(%e0)\n%x = add(%v0, %v0)\n'
        "%k = int(100)\n%ok = cmp_eq(%x, %k)\n%c = condbr(%ok, {\n  %r = returnvoid()\n}, {\n  %b = breakpoint()\n})"
    )
    assert compile_errors(text) == []
