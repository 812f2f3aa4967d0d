"""A function whose code is generated keeps no syntax in a long-lived process: neither its body nor its decl's
instruction tree; both are parsed again from the decl's text when read, as the same text parses
(docs/design/performance.md §9.1)."""

from __future__ import annotations

import gc

from bench.shapes import ShapeProgram
from compiler.zir.ast import Body, Inst
from compiler.zir.regions import DeclView
from tests.compiler.module.util import Session


def watch_session(text: str, *, obj: bool = False) -> Session:
    """A Session configured as `zir watch` and the server's editor tier: AIR dropped after code generation."""
    s = Session(text, obj=obj)
    s.comp.module.keep_air = False
    return s


def released(s: Session) -> tuple[int, int]:
    """(functions whose syntax is released, functions that keep it). A function that owns strings keeps it: its
    decl is analysed again at every update for now (module.md §9.4), which would parse it again each time."""
    fns = [d for d in s.comp.decls() if d.fn is not None]
    assert all((d.fn is not None and d.fn.zir_body is None) is not bool(d.anon_created) for d in fns)
    return sum(1 for d in fns if not d.anon_created), sum(1 for d in fns if d.anon_created)


def live(kind: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def held_after_build(n: int) -> tuple[int, int, int]:
    """(Inst objects, Body objects, decls parsed again) held by a watch-like session of chain ``n``."""
    insts, bodies = live(Inst), live(Body)
    s = watch_session(ShapeProgram("chain", n).source().decode())
    s.update()
    assert s.errors() == []
    assert released(s) == (n, 1)
    parsed = s.comp.module.file.parsed
    assert parsed is not None and isinstance(parsed.decls, DeclView)
    held = (live(Inst) - insts, live(Body) - bodies, s.comp.module.parser.decls_reattached())
    del s
    return held


def test_generated_functions_hold_no_instruction_or_body_whatever_the_program_size() -> None:
    held_after_build(20)  # the shared top-level `@` operands (ast.shared_declval) made once
    small, large = held_after_build(20), held_after_build(300)
    assert small == large  # the non-function decls' instructions only: nothing per function
    assert large[2] == 0  # no decl parsed again during the build


PROGRAM = """@usize = primitive(usize)
@fty = fntype([], @usize)
@seven = fn(@fty, {
  %c = int(7)
  %k = as(@usize, %c)
  %r = return(%k)
})
@user = fn(@fty, {
  %v = call(@seven, [])
  %r = return(%v)
})
@e = export(@n, "user")
@n = str("user")
"""


def test_a_comptime_call_of_a_generated_function_parses_its_body_again() -> None:
    s = watch_session(PROGRAM, obj=True)
    s.update()
    assert s.errors() == []
    seven = s.comp.module.decl_table["seven"].fn
    assert seven is not None and seven.zir_body is None
    comptime = PROGRAM.replace("call(@seven, [])", "call(@seven, [], modifier=compile_time)")
    r = s.update(comptime)
    assert r.ok and s.errors() == []
    assert s.comp.module.parser.decls_reattached() == 1  # @seven's region, for its body
    # a comptime failure inside the body parsed again is reported where a fresh build reports it
    failing = comptime.replace("%k = as(@usize, %c)", "%z = int(0)\n  %k = div(%c, %z)")
    fresh = Session(failing)
    fresh.update()
    s.update(PROGRAM.replace("%c = int(7)", "%c = int(7)\n  %z = int(0)\n  %k0 = div(%c, %z)"))
    s.update(PROGRAM)
    s.update(failing)
    assert s.errors() == fresh.errors() != []


def test_dependants_analysed_again_after_a_type_change_match_a_fresh_build() -> None:
    text = ShapeProgram("chain", 40).source().decode()
    s = watch_session(text)
    s.update()
    assert s.errors() == []
    for edited in (
        text.replace("fntype([], @usize)", "fntype([], @u8)").replace(
            "@usize = primitive(usize)", "@usize = primitive(usize)\n@u8 = primitive(u8)"
        ),
        text,
    ):
        r = s.update(edited)
        fresh = Session(edited, obj=False)
        fresh.update()
        assert s.errors() == fresh.errors()
        assert r.counters["fn_bodies_analyzed"] >= 40


def test_edits_that_move_generated_functions_parse_none_of_them_again() -> None:
    """An edit reads its neighbours' positions (line shifts, the changed region's bounds) from the parser's
    records: no generated function is parsed again, so none gets its syntax back."""
    n = 300
    s = watch_session(ShapeProgram("chain", n).source().decode())
    s.update()
    for k, constant in enumerate((70_000, 7, 700_000)):
        text = ShapeProgram("chain", n, edited_constant=constant).source().decode()
        if k:  # a line added before the edited function as well (kept: a region cache hit on a released
            # neighbour's earlier text would parse it, as a miss would)
            text = text.replace(f"@f{n // 2} = fn", f"\n@f{n // 2} = fn")
        r = s.update(text)
        assert r.ok and r.counters["fn_bodies_analyzed"] == 1
    assert s.comp.module.parser.decls_reattached() == 0
    assert released(s) == (n, 1)
