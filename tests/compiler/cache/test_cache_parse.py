"""A restart's parser defers the bodies of functions whose contents the compile cache knows parsed, and a deferred
body, once read, is exactly the eager parse's (docs/design/performance.md §7.6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.shapes import ShapeProgram
from compiler.compilation import Compilation, Options
from compiler.zir.ast import Body, Inst, Label, SourceDecl
from compiler.zir.parser import KnownGood, parse
from compiler.zir.regions import IncrementalParser
from compiler.zir.tags import Tag

CASES = sorted(Path(__file__).resolve().parents[2].joinpath("cases").rglob("*.zir"))


def render(x: object, seen: dict[int, int]) -> object:
    """An instruction tree with every field and offset, ``%`` operands by their definition's number."""
    if isinstance(x, Inst):
        if id(x) in seen:
            return ("ref", seen[id(x)])
        seen[id(x)] = len(seen)
        return (x.tag, x.src, x.name, x.hidden, tuple((k, render(v, seen)) for k, v in x.args.items()))
    if isinstance(x, Body):
        return ("body", tuple(render(i, seen) for i in x.insts))
    if isinstance(x, Label):
        return ("label", x.text, render(x.block, seen))
    if isinstance(x, list):
        return tuple(render(i, seen) for i in x)
    return x


def decl_view(d: SourceDecl) -> object:
    return (d.name, d.name_offset, d.contents_start, d.contents_end, d.contents_hash, render(d.inst, {}))


def known_of(source: bytes) -> KnownGood:
    """What a cache written after an eager parse of ``source`` would know: every function's contents."""
    return {
        d.name: (d.contents_end - d.contents_start, d.contents_hash.hex())
        for d in parse(source).decls
        if d.inst.tag is Tag.FN
    }


def is_deferred(d: SourceDecl) -> bool:
    body = d.inst.args.get("body")
    return isinstance(body, Body) and body.deferred


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_a_deferred_body_reads_as_the_eager_parse(case: Path) -> None:
    source = case.read_bytes()
    eager = parse(source)
    known = known_of(source)
    parser = IncrementalParser(known=known)
    lazy = parser.parse(source)
    good = sum(1 for d in eager.decls if d.inst.tag is Tag.FN and d.name in known)
    assert parser.stats.bodies_deferred == sum(1 for d in lazy.decls if is_deferred(d))
    assert lazy.errors == eager.errors
    assert [decl_view(d) for d in lazy.decls] == [decl_view(d) for d in eager.decls]
    assert all(not is_deferred(d) for d in lazy.decls)  # rendering read every body
    assert good == 0 or parser.stats.bodies_deferred > 0


def test_the_examples_do_defer_bodies() -> None:
    deferred = 0
    for case in CASES:
        parser = IncrementalParser(known=known_of(case.read_bytes()))
        parser.parse(case.read_bytes())
        deferred += parser.stats.bodies_deferred
    assert deferred >= 20


BROKEN = [
    (b"%r = return(%a)", b"%r = return(%zz)"),  # an unknown local
    (b"%r = return(%a)", b'%r = str("x}\n'),  # a string that does not end, with a brace in it
    (b"%r = return(%a)", b"%r = return(%a) }"),  # a brace too many
]


@pytest.mark.parametrize(("old", "new"), BROKEN)
def test_a_body_that_changed_is_parsed_and_its_errors_reported(old: bytes, new: bytes) -> None:
    source = ShapeProgram("chain", 3).source()
    known = known_of(source)
    changed = source.replace(old, new, 1)
    assert changed != source
    parser = IncrementalParser(known=known)
    lazy = parser.parse(changed)
    eager = parse(changed)
    assert eager.errors and lazy.errors == eager.errors
    assert [decl_view(d) for d in lazy.decls] == [decl_view(d) for d in eager.decls]


def test_a_known_name_with_other_contents_is_parsed_eagerly() -> None:
    source = ShapeProgram("chain", 3).source()
    known = {name: (length + 1, digest) for name, (length, digest) in known_of(source).items()}
    parser = IncrementalParser(known=known)
    parser.parse(source)
    assert parser.stats.bodies_deferred == 0


def restart_parses(tmp: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, int]:
    """Build N with the cache, edit one function, restart: (bodies deferred, function bodies parsed, kept)."""
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp / "cache"))
    (tmp / "ws").mkdir(parents=True)
    src, out = tmp / "ws" / "p.zir", tmp / "ws" / "p"
    prog = ShapeProgram("chain", n)
    src.write_bytes(prog.source())
    first = Compilation(Options(str(src), str(out), cache=True))
    assert first.update().committed
    prog.edited_constant = 70_000
    src.write_bytes(prog.source())
    second = Compilation(Options(str(src), str(out), cache=True))
    report = second.update()
    assert report.committed
    decls = second.module.file.parsed
    assert decls is not None
    fns = [d for d in decls.decls if d.inst.tag is Tag.FN]
    parsed = sum(1 for d in fns if not is_deferred(d))
    return second.module.parser.stats.bodies_deferred, parsed, report.counters["bodies_kept"]


def test_a_restart_parses_bodies_independent_of_n(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = restart_parses(tmp_path / "10", 10, monkeypatch)
    large = restart_parses(tmp_path / "1000", 1000, monkeypatch)
    assert small[0] == 10 - 1 and large[0] == 1000 - 1  # every function but the edited one and _start
    assert small[1] == large[1] == 2  # the edited function and _start
    assert small[2] == 10 - 1 and large[2] == 1000 - 1
