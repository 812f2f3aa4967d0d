"""Memory: an analysed program holds no syntax tree of its function bodies; a body analysed again is parsed
again from its text, and only that body (docs/design/performance.md §9)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from bench.shapes import ShapeProgram
from compiler.module import local_types
from compiler.module.decl import Decl
from compiler.zir.ast import Body, Inst
from tests.compiler.module.util import Session

N = 200
EXAMPLES = Path(__file__).resolve().parents[2] / "cases" / "examples"


def live_insts() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Inst)


def body_of(s: Session, name: str) -> Body:
    d = s.comp.module.decl_table[name]
    fn = d.fn
    assert fn is not None and fn.zir_body is not None  # kept: these sessions keep AIR (no release_generated)
    return fn.zir_body


@pytest.mark.parametrize("record_locals", [False, True], ids=["cli", "editor"])
def test_an_analysed_program_keeps_no_body_instructions(record_locals: bool) -> None:
    before = live_insts()
    s = Session(ShapeProgram("chain", N).source().decode(), obj=False)
    s.comp.module.record_locals = record_locals
    s.comp.module.parser.keep_parsed = 0  # every body kept as text from its check parse on (as in a large file)
    s.update()
    assert s.errors() == []
    decls: list[Decl] = list(s.comp.decls())
    # left: each decl's own instruction and its `@` operands; a body instruction would add 5 per function
    assert live_insts() - before <= 2 * len(decls)
    fns = [d for d in decls if d.fn is not None]
    assert len(fns) == N + 1  # f0..f{N-1} and _start
    bodies = [d.fn.zir_body for d in fns if d.fn is not None and d.fn.zir_body is not None]
    assert len(bodies) == len(fns)
    assert all(b.parses == 2 for b in bodies)  # checked, then analysed
    assert not any(b.resident for b in bodies)


PROGRAM = """@usize = primitive(usize)
@two = int(2)
@fnty = fntype([@usize], @usize)
@double = fn(@fnty, {
  %n = arg(0)
  %k = as(@usize, @two)
  %m = add(%k, %k)
  %r = return(%m)
})
@other = fn(@fnty, {
  %x = arg(0)
  %r = return(%x)
})
@e1 = export(@n1, "double")
@n1 = str("double")
@e2 = export(@n2, "other")
@n2 = str("other")
"""


def test_a_body_analysed_again_is_parsed_again_and_released() -> None:
    s = Session(PROGRAM)
    s.comp.module.record_locals = True
    s.update()
    assert s.errors() == []
    double, other = body_of(s, "double"), body_of(s, "other")
    assert (double.parses, other.parses) == (1, 1)  # a small file: analysed as parsed, then released
    s.update(PROGRAM.replace("@two = int(2)", "@two = int(3)"))
    assert s.errors() == []
    double, other = body_of(s, "double"), body_of(s, "other")
    assert (double.parses, other.parses) == (2, 1)  # only the body that uses @two
    assert not double.resident and not other.resident
    [facts] = local_types.decl_locals(s.comp.module, ["double"])
    assert [(f.name, f.value_text) for f in facts.locals] == [("n", None), ("k", "3"), ("m", "6"), ("r", None)]


def test_a_build_without_emit_zir_keeps_no_air_and_still_replays() -> None:
    """``keep_air`` off (a CLI build without ``--emit-zir``): no function keeps its AIR once its code is
    generated, and a body that only lost its own strings is still replayed, not analysed (module.md §9.4)."""
    text = (EXAMPLES / "009-zig-hello-world" / "update1.zir").read_text()
    s = Session(text, obj=False)
    s.comp.module.keep_air = False
    s.comp.module.anon_fast.tainted = True  # the full path of §9.2 (an unused new decl is fast: module.md §9.6)
    s.update()
    fns = [d.fn for d in s.comp.decls() if d.fn is not None]
    assert fns and all(fn.air is None for fn in fns)
    r = s.update(text + "\n@unused = int(5)\n")
    assert r.ok
    assert r.counters["fn_bodies_analyzed"] == 0 and r.counters["decls_generated"] == 0
    assert r.counters["anon_revived"] == 12
    r = s.update(text.replace("%exit_code = as(@usize, @0)", "%exit_code = as(@usize, @1)"))
    assert r.ok and r.counters["fn_bodies_analyzed"] == 1
    assert all(d.fn is None or d.fn.air is None for d in s.comp.decls())


def test_a_one_shot_build_parses_each_body_once_and_still_releases_it() -> None:
    """``drop_bodies`` off (``zir build``: analysis follows at once): the parse's instructions are analysed,
    not parsed again, and released once analysed."""
    s = Session(ShapeProgram("chain", N).source().decode(), obj=False)
    s.comp.module.parser.drop_bodies = False
    s.update()
    assert s.errors() == []
    fns = [d.fn for d in s.comp.decls() if d.fn is not None]
    assert len(fns) == N + 1
    bodies = [fn.zir_body for fn in fns if fn.zir_body is not None]
    assert len(bodies) == len(fns) and all(b.parses == 1 and not b.resident for b in bodies)


def test_an_edited_body_is_parsed_once_and_released() -> None:
    text = ShapeProgram("chain", N).source().decode()
    edited = ShapeProgram("chain", N, edited_constant=70_000).source().decode()  # f{N/2}'s constant
    s = Session(text, obj=False)
    s.comp.module.parser.keep_parsed = 0
    s.update()
    r = s.update(edited)
    assert r.ok and r.counters["fn_bodies_analyzed"] == 1
    s.comp.module.parser.keep_parsed = 1024  # the default: a parse's first spans keep their bodies as parsed
    r = s.update(ShapeProgram("chain", N, edited_constant=70_001).source().decode())  # a region never parsed
    assert r.ok and r.counters["fn_bodies_analyzed"] == 1
    body = body_of(s, "f100")
    assert body.parses == 1 and not body.resident  # analysed as the check parse made it, then released
    assert body_of(s, "f99").parses == 2  # untouched: checked, analysed once, not parsed since
