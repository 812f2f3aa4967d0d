"""Multi-update scenarios of the incremental Module (module.md §4–§10, §15), through the Compilation API."""

from __future__ import annotations

from pathlib import Path

from compiler.module.decl import DeclStatus, FnStatus
from tests.compiler.module.util import Session, pos

EXAMPLES = Path(__file__).resolve().parents[2] / "cases" / "examples"


def example(case: str, n: int = 1) -> str:
    return (EXAMPLES / case / f"update{n}.zir").read_text()


FNS = """@void = primitive(void)
@fnty = fntype([], @void)
@entry = fn(@fnty, {
  %0 = call(@a, [])
  %1 = returnvoid()
})
@a = fn(@fnty, {
  %0 = call(@b, [])
  %1 = returnvoid()
})
@b = fn(@fnty, {
  %0 = returnvoid()
})
@n = str("entry")
@e = export(@n, "entry")
"""


def test_15_1_reference_cycle_with_error_then_garbage() -> None:
    s = Session()
    s.update(example("008-zig-reference-cycle-compile-error", 1))
    assert s.errors() == []
    assert {"a", "b", "9__anon_0"} <= set(s.names())
    s.update(example("008-zig-reference-cycle-compile-error", 2))
    assert s.errors() == [":18:21: error: message"]
    b = s.comp.decl("b")
    assert b is not None and b.analysis is DeclStatus.COMPLETE
    assert b.fn is not None and b.fn.analysis is FnStatus.SEMA_FAILURE
    assert s.comp.decl("a") not in b.dependencies  # the body stopped before call(@a)
    r = s.update(example("008-zig-reference-cycle-compile-error", 3))
    assert s.errors() == []
    assert "a" not in s.names() and "b" not in s.names()
    assert r.counters["decls_deleted"] == 2
    assert "9__anon_2" in s.names()


def test_complete_cycle_is_collected_as_garbage() -> None:
    text = example("008-zig-reference-cycle-compile-error", 1)
    s = Session(text)
    s.update()
    cut = text.replace("  %0 = call(@a, [])\n  %1 = returnvoid()\n})\n\n@a", "  %0 = returnvoid()\n})\n\n@a", 1)
    assert cut != text
    r = s.update(cut)
    assert s.errors() == []
    assert "a" not in s.names() and "b" not in s.names()
    assert r.counters["decls_deleted"] == 2


def test_15_2_collision_then_fix_keeps_winner() -> None:
    s = Session()
    s.update(example("005-zig-ce-exported-symbol-collision", 1))
    assert s.errors() == [":8:13: error: exported symbol collision: _start"]
    s.update(example("005-zig-ce-exported-symbol-collision", 2))
    assert s.errors() == []
    m = s.comp.module
    assert set(m.symbol_exports) == {b"_start"}
    assert m.symbol_exports[b"_start"].owner.name == "1"
    assert m.failed_exports == {} and m.collision_losers == {}


def test_collision_loser_takes_over_when_winner_is_deleted() -> None:
    text = example("005-zig-ce-exported-symbol-collision", 1)
    s = Session(text)
    s.update()
    assert len(s.errors()) == 1
    without_winner = text.replace('@1 = export(@0, "start")\n', "")
    assert without_winner != text
    s.update(without_winner)
    assert s.errors() == []
    assert s.comp.module.symbol_exports[b"_start"].owner.name == "2"


def test_15_3_hello_world_message_edit_renews_anonymous_decls() -> None:
    text = example("009-zig-hello-world")
    s = Session(text, obj=False)
    s.update()
    assert s.errors() == []
    names = s.names()
    assert "9__anon_0" in names and "msg__anon_10" in names and "start__anon_11" in names
    assert [f"start__anon_{i}" for i in range(1, 10)] == [n for n in names if n.startswith("start__anon_")][:9]
    old_anon = s.comp.decl("msg__anon_10")
    r = s.update(text.replace("Hello, world!\\n", "Hello, ZIR!\\n"))
    assert s.errors() == []
    names = s.names()
    assert "msg__anon_12" in names and "9__anon_13" in names
    assert [f"start__anon_{i}" for i in range(14, 24)] == [n for n in names if n.startswith("start__anon_")]
    assert r.counters["anon_created"] == 1 and r.counters["anon_revived"] == 11
    assert r.counters["anon_released"] == 1
    assert old_anon is not None and old_anon.destroyed


def test_15_4_parse_error_keeps_previous_state() -> None:
    text = example("009-zig-hello-world")
    s = Session(text, obj=False)
    s.update()
    before = {n: s.comp.decl(n) for n in s.names()}
    broken = text.replace('@msg = str("Hello, world!\\n")', '@msg = str("Hello')
    r = s.update(broken)
    newline = broken.index('@msg = str("Hello') + len('@msg = str("Hello')
    assert s.errors() == [
        f"{pos(broken, broken[:newline], after=True)}: error: invalid string literal character: '\n'\n"
    ]
    assert r.counters["decls_analyzed"] == 0 and not r.ok
    assert {n: s.comp.decl(n) for n in s.names()} == before
    r = s.update(text)
    assert s.errors() == []
    # the text of the last good update again: nothing changed, nothing analysed; the anonymous decls are
    # renumbered all the same, renamed when read (module.md §9.6)
    assert r.counters["decls_analyzed"] == 0
    assert s.comp.decl("start") is before["start"]


def test_15_5_inserted_lines_move_anchored_errors_without_reanalysis() -> None:
    body_error = FNS.replace("@b = fn(@fnty, {\n  %0 = returnvoid()", '@b = fn(@fnty, {\n  %9 = compileerror("bad")')
    s = Session(body_error)
    s.update()
    assert s.errors() == [f"{pos(body_error, '%9 = compileerror(')}: error: bad"]
    moved = "\n\n" + body_error
    r = s.update(moved)
    assert s.errors() == [f"{pos(moved, '%9 = compileerror(')}: error: bad"]
    assert r.counters["decls_analyzed"] == 0  # @n, the export name's string, is replayed (module.md §9.4)
    assert r.counters["anon_revived"] == 1
    assert r.counters["fn_bodies_analyzed"] == 0


def test_15_6_fixed_dependency_reanalyses_its_user() -> None:
    text = """@usize = primitive(usize)
@k = as(@usize, @big)
@big = int(-1)
@fnty = fntype([], @usize)
@f = fn(@fnty, { %0 = return(@k) })
@e = export(@name, "f")
@name = str("f")
"""
    s = Session(text)
    s.update()
    assert s.errors() == [":2:17: error: type comptime_int cannot represent integer value -1"]
    f = s.comp.decl("f")
    assert f is not None and f.fn is not None and f.fn.analysis is FnStatus.DEPENDENCY_FAILURE
    s.update(text.replace("int(-1)", "int(1)"))
    assert s.errors() == []
    f = s.comp.decl("f")
    assert f is not None and f.fn is not None and f.fn.analysis is FnStatus.SUCCESS


def test_body_edit_does_not_reanalyse_callers() -> None:
    s = Session(FNS)
    s.update()
    entry = s.comp.decl("entry")
    a_fn_before = s.comp.function("a")
    r = s.update(
        FNS.replace(
            "@b = fn(@fnty, {\n  %0 = returnvoid()", "@b = fn(@fnty, {\n  %x = breakpoint()\n  %0 = returnvoid()"
        )
    )
    assert s.errors() == []
    assert r.counters["fn_bodies_analyzed"] == 1
    assert r.counters["decls_analyzed"] == 1  # b only (@n, owner of a string, is replayed)
    assert s.comp.function("a") is a_fn_before
    assert s.comp.decl("entry") is entry


def test_type_change_reanalyses_callers() -> None:
    s = Session(FNS)
    s.update()
    a_fn_before = s.comp.function("a")
    changed = FNS.replace("@b = fn(@fnty,", "@bty = fntype([], @void, cc=C)\n@b = fn(@bty,")
    s.update(changed)
    assert s.errors() == []
    assert s.comp.function("a") is not a_fn_before


def test_deleting_a_callee_reports_decl_not_found_then_restoring_fixes_it() -> None:
    s = Session(FNS)
    s.update()
    without_b = FNS.replace("@b = fn(@fnty, {\n  %0 = returnvoid()\n})\n", "")
    s.update(without_b)
    assert s.errors() == [f"{pos(without_b, '@b', after=False)}: error: decl 'b' not found"]
    s.update(FNS)
    assert s.errors() == []
    assert "b" in s.names()


def test_error_appears_then_clears() -> None:
    s = Session(FNS)
    s.update()
    bad = FNS.replace("%0 = call(@b, [])", "%0 = call(@b, [@void])")
    s.update(bad)
    # @b is defined after @a: a forward reference is positioned at its '@'
    assert s.errors() == [f"{pos(bad, '%0 = call(', nth=1)}: error: expected 0 arguments, found 1"]
    s.update(FNS)
    assert s.errors() == []


def test_string_length_change_creates_a_new_anonymous_decl() -> None:
    text = FNS.replace('@n = str("entry")', '@n = str("entry")\n@m = str("abc")').replace(
        "%1 = returnvoid()\n})\n@a", "%p = ptrtoint(@m)\n  %1 = returnvoid()\n})\n@a"
    )
    s = Session(text)
    s.update()
    assert s.errors() == []
    old = next(s.comp.decl(n) for n in s.names() if n.startswith("m__anon_"))
    entry_fn = s.comp.function("entry")
    r = s.update(text.replace('str("abc")', 'str("abcdef")'))
    assert s.errors() == []
    new = next(s.comp.decl(n) for n in s.names() if n.startswith("m__anon_"))
    assert new is not old and old is not None and old.destroyed
    assert r.counters["anon_created"] == 1 and r.counters["anon_released"] == 1
    assert s.comp.function("entry") is not entry_fn  # @m's type changed: its user was re-analysed


def test_export_renamed() -> None:
    s = Session(FNS)
    s.update()
    renamed = FNS.replace('@n = str("entry")', '@n = str("main")')
    s.update(renamed)
    assert s.errors() == []
    assert set(s.comp.module.symbol_exports) == {b"main"}


def test_entry_point_removed_and_restored() -> None:
    text = example("009-zig-hello-world")
    s = Session(text, obj=False)
    s.update()
    assert s.errors() == []
    no_export = text.replace('@11 = export(@9, "start")', "")
    s.update(no_export)
    assert s.errors() == [":1:1: error: no entry point found"]
    s.update(text)
    assert s.errors() == []


def test_edited_unreferenced_decl_stays_unreferenced() -> None:
    text = FNS + '@unused = compileerror("x")\n'
    s = Session(text)
    s.update()
    r = s.update(text.replace('compileerror("x")', 'compileerror("y")'))
    assert s.errors() == []
    d = s.comp.decl("unused")
    assert d is not None and d.analysis is DeclStatus.UNREFERENCED
    assert r.counters["decls_analyzed"] == 0


def test_decl_that_stops_being_an_export_is_deleted() -> None:
    s = Session(FNS)
    s.update()
    plain = FNS.replace('@e = export(@n, "entry")\n', "@e = int(3)\n")
    s.update(plain)
    assert s.errors() == []
    assert "entry" not in s.names() and "a" not in s.names() and "e" not in s.names()
    s.update(plain)  # deleted decls still in the file come back unreferenced
    e = s.comp.decl("e")
    assert e is not None and e.analysis is DeclStatus.UNREFERENCED


def chain(n: int, edited: int | None = None) -> str:
    """A chain of n functions: f0 (exported) calls f1, …; f{edited}'s body gets one extra instruction."""
    lines = ["@void = primitive(void)", "@fnty = fntype([], @void)"]
    for i in range(n):
        extra = "  %x = breakpoint()\n" if i == edited else ""
        call = f"  %0 = call(@f{i + 1}, [])\n" if i + 1 < n else ""
        lines.append(f"@f{i} = fn(@fnty, {{\n{extra}{call}  %1 = returnvoid()\n}})")
    lines += ['@n = str("f0")', '@e = export(@n, "f0")', ""]
    return "\n".join(lines)


def _body_edit_counters(n: int) -> dict[str, int]:
    s = Session(chain(n))
    first = s.update()
    assert first.ok and first.counters["fn_bodies_analyzed"] == n
    r = s.update(chain(n, edited=n // 2))
    assert r.ok
    return r.counters


def test_body_only_edit_costs_one_decl_at_n_10() -> None:
    c = _body_edit_counters(10)
    assert c["fn_bodies_analyzed"] == 1
    assert c["decls_analyzed"] == 1  # the edited function
    assert c["decls_generated"] == 1
    assert c["anon_revived"] == 0  # @n's string keeps its decl, renamed when read (module.md §9.6)
    assert c["decls_deleted"] == 0


def test_body_only_edit_costs_one_decl_at_n_10000() -> None:
    c = _body_edit_counters(10_000)
    assert c["fn_bodies_analyzed"] == 1
    assert c["decls_analyzed"] == 1
    assert c["decls_generated"] == 1
    assert c["anon_revived"] == 0
    assert c["decls_deleted"] == 0


def test_long_chain_of_decl_references_does_not_overflow() -> None:
    """A decl using a later decl analyses it first (recursively); thousands of levels must work."""
    n = 5000
    lines = ["@usize = primitive(usize)", "@t = fntype([], @usize)", "@f = fn(@t, {\n  %0 = return(@a0)\n})"]
    lines += [f"@a{i} = as(@usize, @a{i + 1})" for i in range(n)]
    lines += [f"@a{n} = int(7)", '@n = str("f")', '@e = export(@n, "f")', ""]
    text = "\n".join(lines)
    s = Session(text)
    r = s.update()
    assert r.ok and r.counters["decls_analyzed"] == n + 6
    r = s.update(text.replace(f"@a{n} = int(7)", f"@a{n} = int(-7)"))
    assert s.errors() == [
        f"{pos(text, f'@a{n - 1} = as(@usize, ')}: error: type comptime_int cannot represent integer value -7"
    ]


def test_function_owning_strings_is_replayed_not_reanalysed() -> None:
    """module.md §9.4: @start only lost its own strings; its body is replayed with a re-analysis's names."""
    text = example("009-zig-hello-world")
    edited = text + "\n@unused = int(5)\n"
    replaying, analysing = Session(text, obj=False), Session(text, obj=False)
    analysing.comp.module.replay_enabled = False
    replaying.comp.module.anon_fast.tainted = True  # the full path of §9.2 (an unused new decl is fast: §9.6)
    for s in (replaying, analysing):
        s.update()
    r = replaying.update(edited)
    plain = analysing.update(edited)
    assert r.ok and plain.ok
    assert r.counters["fn_bodies_analyzed"] == 0 and plain.counters["fn_bodies_analyzed"] == 1
    assert r.counters["decls_generated"] == 0 and r.counters["anon_revived"] == 12
    assert replaying.emit() == analysing.emit()
    assert replaying.names() == analysing.names()
