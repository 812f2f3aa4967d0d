"""The Compilation API the CLI and the language server use: errors, retained errors, queries, reports."""

from __future__ import annotations

from pathlib import Path

from compiler import BufferSource, Compilation, Options, OutputMode
from compiler.module.decl import DeclStatus
from compiler.sema.types import TypeTag
from compiler.source import LineIndex
from tests.compiler.module.util import Session, pos

EXAMPLES = Path(__file__).resolve().parents[2] / "cases" / "examples"
HELLO = (EXAMPLES / "009-zig-hello-world" / "update1.zir").read_text()


def test_retained_errors_are_repositioned_while_the_file_does_not_parse() -> None:
    """module.md §12.2: parse errors first, then still-valid semantic errors in the newest text."""
    bad_body = HELLO.replace("%99 = unreachable()", '%98 = compileerror("later")\n  %99 = unreachable()')
    s = Session(bad_body, obj=False)
    s.update()
    assert s.errors() == [f"{pos(bad_body, '%98 = compileerror(')}: error: later"]
    broken = "@x = int(\n\n" + bad_body  # a parse error above, the failing function moved two lines down
    s.update(broken)
    errors = s.errors()
    assert len(errors) == 2
    assert errors[1] == f"{pos(broken, '%98 = compileerror(')}: error: later"
    assert errors[0].endswith("error: invalid digit in integer literal")


def test_source_error_positions_match_the_line_index() -> None:
    text = '@a = int(1)\r\n\t@b = compileerror("x")\n@e = export(@b, "a")\n'
    s = Session(text)
    s.update()
    (err,) = s.comp.all_errors()
    assert err.text == text.encode()
    assert err.position() == LineIndex(err.text).position(err.byte_offset)
    assert err.render("f.zir") == f"f.zir{pos(text, 'compileerror(')}: error: x"


def test_queries_for_editor_features() -> None:
    src = BufferSource("hello.zir", HELLO.encode())
    comp = Compilation(Options("hello.zir", None, OutputMode.EXE), src)
    report = comp.update()
    assert report.ok and not report.committed and report.binary is None
    assert comp.parsed is not None and [d.name for d in comp.parsed.decls][:3] == ["noreturn", "void", "usize"]
    assert comp.source_bytes == HELLO.encode()
    start = comp.source_decl("start")
    assert start is not None and HELLO.encode()[start.contents_start :].startswith(b"fn(")
    assert comp.decl_status("start") is DeclStatus.COMPLETE
    assert comp.decl_status("usize") is DeclStatus.COMPLETE
    assert comp.decl_status("void") is DeclStatus.UNREFERENCED
    ty = comp.decl_type("start")
    assert ty is not None and ty.tag is TypeTag.FN_NAKED_NORETURN_NO_ARGS
    assert comp.typed_value("nothere") is None
    air = comp.air("start")
    assert air is not None and [i.tag.value for i in air][-2:] == ["breakpoint", "unreach"]
    size = comp.decl_size("start")
    assert size is not None and size > 0
    got = comp.got_address("start")
    assert got is not None and got >= 0x4000000
    assert comp.decl_address("start") is not None
    assert comp.decl_address("void") is None
    assert comp.total_error_count() == 0
    comp.close()


def test_update_report_counters_and_error_count() -> None:
    s = Session(HELLO, obj=False)
    r = s.update()
    assert r.ok and r.error_count == 0
    assert r.counters["anon_created"] == 12 and r.counters["fn_bodies_analyzed"] == 1
    r = s.update(HELLO.replace("@usize, @0)", "@usize, @nope)"))
    assert not r.ok and r.error_count == 1


def test_unreadable_source_is_reported_and_nothing_changes(tmp_path: Path) -> None:
    path = tmp_path / "gone.zir"
    path.write_text(HELLO)
    comp = Compilation(Options(str(path), None, OutputMode.EXE))
    assert comp.update().ok
    names = [d.name for d in comp.decls()]
    path.unlink()
    r = comp.update()
    assert not r.ok
    assert [e.message for e in comp.all_errors()] == [f"unable to load source file '{path}': FileNotFound"]
    assert [d.name for d in comp.decls()] == names
    path.write_text(HELLO)
    assert comp.update().ok


def test_no_entry_point_blocks_the_commit(tmp_path: Path) -> None:
    """module.md §4 step 9: items 1–4 of §12.1 block the commit; the last good program stays on disk."""
    path = tmp_path / "p.zir"
    out = tmp_path / "p"
    path.write_text(HELLO)
    comp = Compilation(Options(str(path), str(out), OutputMode.EXE))
    first = comp.update()
    assert first.ok and first.committed and first.binary == str(out)
    good = out.read_bytes()
    path.write_text(HELLO.replace('@11 = export(@9, "start")', ""))
    r = comp.update()
    assert [e.message for e in comp.all_errors()] == ["no entry point found"]
    assert not r.committed and r.binary is None and r.bytes_written == 0
    assert out.read_bytes() == good
    path.write_text(HELLO)
    r = comp.update()
    assert r.ok and r.committed
    comp.close()
