"""Emitted ZIR (zir-language.md §10.3): naming, ordering, failed decls, bodies, liveness annotations."""

from __future__ import annotations

from pathlib import Path

from compiler.zir.parser import parse
from tests.compiler.module.util import Session

EXAMPLES = Path(__file__).resolve().parents[2] / "cases" / "examples"


def example(case: str, n: int = 1) -> str:
    return (EXAMPLES / case / f"update{n}.zir").read_text()


def test_liveness_annotations_of_the_zig_cases() -> None:
    s = Session(example("006-zig-referencing-decls-later"))
    s.update()
    plain = s.emit()
    annotated = s.comp.emit_zir(liveness=True).decode()
    assert annotated == plain.replace("  %0 = returnvoid()\n", "  %0 = returnvoid() ; deaths=0b1000000000000000\n")
    s = Session(example("008-zig-reference-cycle-compile-error"))
    s.update()
    annotated = s.comp.emit_zir(liveness=True).decode()
    assert "  %0 = call(@a, [], modifier=auto) ; deaths=0b1000000000000001\n" in annotated
    assert "  %1 = returnvoid() ; deaths=0b1000000000000000\n" in annotated


def test_failed_body_prints_as_compileerror_in_the_function() -> None:
    s = Session(example("008-zig-reference-cycle-compile-error"))
    s.update()
    s.update(example("008-zig-reference-cycle-compile-error", 2))
    out = s.emit()
    assert '@b = fn(@unnamed$10, {\n  %0 = compileerror("message")\n})\n' in out


def test_failed_decl_prints_as_compileerror() -> None:
    text = "@one = int(1)\n@k = as(@one, @one)\n@void = primitive(void)\n@t = fntype([], @void)\n"
    text += '@f = fn(@t, {\n  %0 = as(@void, @k)\n})\n@n = str("f")\n@e = export(@n, "f")\n'
    s = Session(text)
    s.update()
    assert s.errors() == [":1:12: error: expected type, found comptime_int"]
    out = s.emit()
    assert '@k = compileerror("expected type, found comptime_int")\n' in out
    assert '  %0 = compileerror("depends on another failed Decl")\n' in out


RUNTIME = """@void = primitive(void)
@usize = primitive(usize)
@bool = primitive(bool)
@fnty = fntype([@bool, @usize], @usize)
@f = fn(@fnty, {
  %c = arg("c")
  %a = arg("a")
  %b = block({
    %d = condbr(%c, {
      %x = add(%a, %a)
      %r = break("b", %x)
    }, {
      %r2 = break("b", %a)
    })
  })
  %l = loop({
    %y = breakpoint()
  })
})
@n = str("f")
@e = export(@n, "f")
"""

RUNTIME_EMITTED = """@usize = primitive(usize)
@bool = primitive(bool)
@fnty = fntype([@bool, @usize], @usize, cc=Unspecified)
@unnamed$3 = fntype([@bool, @usize], @usize, cc=Unspecified)
@f = fn(@unnamed$3, {
  %0 = arg("c")
  %1 = arg("a")
  %2 = block({
    %3 = condbr(%0, {
      %4 = add(%1, %1)
      %5 = break("label_2", %4)
    }, {
      %6 = break("label_2", %1)
    })
  })
  %7 = loop({
    %8 = breakpoint()
  })
})
@n = declref("n__anon_0")
@n__anon_0 = str("f")
@unnamed$7 = str("f")
@unnamed$8 = export(@unnamed$7, "f")
"""


def test_runtime_blocks_loops_and_branches() -> None:
    s = Session(RUNTIME)
    s.update()
    assert s.errors() == []
    assert s.emit() == RUNTIME_EMITTED
    annotated = s.comp.emit_zir(liveness=True).decode()
    # %4 is computed in the then branch only: it dies on entry to the else branch
    assert "    }, {\n      ; deaths={%4}\n      %6 = break" in annotated


def test_emitted_zir_parses_back() -> None:
    for text in (RUNTIME, example("009-zig-hello-world"), example("104-edit-message-error-and-fix")):
        s = Session(text, obj=False)
        s.update()
        for liveness in (False, True):
            parsed = parse(s.comp.emit_zir(liveness=liveness))
            assert parsed.errors == []


def test_hello_world_asm_strings_in_zig_order() -> None:
    s = Session(example("009-zig-hello-world"), obj=False)
    s.update()
    out = s.emit()
    # inputs, then clobbers, then the asm source, then the output constraint
    i = out.index('str("{rax}")')
    assert i < out.index('str("rcx")', i) < out.index('str("syscall")', i) < out.index('str("={rax}")', i)
    assert "asm(@" in out and "volatile=1, output=@" in out
