"""A restart takes unchanged functions' decl-level results (their types) from the compile cache instead of
analysing them (docs/design/performance.md §7.6), and still equals a fresh build."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from bench.gen import start_decls
from bench.shapes import ShapeProgram
from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.source import BufferSource
from tests.compiler.cache.test_cache_restart import Workspace, edited_restart, fresh_exit, run, sections
from tests.fuzz.typed import typed_sequence


def test_restart_analyses_a_constant_number_of_decls(tmp_path: Path) -> None:
    """After a one-function edit, the decls analysed at decl level do not grow with N: every unchanged function
    takes its type from the cache."""
    analysed = []
    for n in (10, 1000):
        ws = Workspace(tmp_path / f"ws{n}", tmp_path / f"cache{n}")
        ws.root.mkdir()
        counters, err, prog = edited_restart(ws, n)
        assert err == ""
        assert counters["decls_restored"] == n - 1  # all but the edited f{N/2}
        assert run(ws.out) == prog.exit_code() == fresh_exit(ws)
        assert sections(ws.out) == sections(ws.root / "fresh")
        analysed.append(counters["decls_analyzed"])
    assert analysed[0] == analysed[1]
    assert analysed[0] <= 12  # the header's decls, _start's and the edited function


def _chain_with_type(ret: str) -> bytes:
    """Chain 8 whose functions' type ``@fty`` returns ``ret`` (``@usize`` or ``@u64t``); the functions' text
    does not name the return type, so only ``@fty``'s value changes between the two."""
    text = ShapeProgram("chain", 8).source().decode()
    text = text.replace("@fty = fntype([], @usize)", f"@u64t = primitive(u64)\n@fty = fntype([], {ret})")
    return text.replace("%a = as(@usize, %c)", "%t = ret_type()\n  %a = as(%t, %c)").encode()


def _types(comp: Compilation) -> dict[str, str]:
    return {name: str(d.typed_value.ty) for name, d in comp.module.decl_table.items() if d.typed_value is not None}


def _restart(text: bytes, out: Path) -> Compilation:
    comp = Compilation(Options("p.zir", str(out), OutputMode.EXE, cache=True), BufferSource("p.zir", text), None)
    comp.update()
    return comp


def _fresh(text: bytes, out: Path) -> Compilation:
    comp = Compilation(Options("p.zir", str(out), OutputMode.EXE), BufferSource("p.zir", text), None)
    comp.update()
    return comp


def test_a_changed_function_type_is_not_taken_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``@fty`` returns ``u64`` instead of ``usize``; every function's text is the same as when the cache was
    written, so only the recorded fingerprint of ``@fty`` tells that their recorded type is stale."""
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "p"
    first = _restart(_chain_with_type("@usize"), out)
    assert first.module.all_errors() == []
    first.close()
    text = _chain_with_type("@u64t")
    again = _restart(text, out)
    fresh = _fresh(text, tmp_path / "fresh")
    try:
        assert again.all_errors() == fresh.all_errors() == []
        assert again._counters()["decls_restored"] == 0
        assert _types(again) == _types(fresh)
        assert "fn() u64" in _types(again).values()
    finally:
        again.close()
        fresh.close()
    # unchanged since: every function takes its type from the cache
    third = _restart(text, out)
    try:
        assert third._counters()["decls_restored"] == 8
        assert _types(third) == _types(_fresh(text, tmp_path / "fresh2"))
    finally:
        third.close()


SWAPPED = """@noreturn = primitive(noreturn)
@usize = primitive(usize)
@fa = fntype({a}, @usize)
@fb = fntype({b}, @usize)
@mty = fntype([], @usize)
@f1 = fn(@fa, {{
  %c = int(3)
  %a = as(@usize, %c)
  %r = return(%a)
}})
@f2 = fn(@fb, {{
  %c = int(4)
  %a = as(@usize, %c)
  %r = return(%a)
}})
@k = int(5)
@main = fn(@mty, {{
  %x = call(@f1, {call_a})
  %y = call(@f2, {call_b})
  %s = add(%x, %y)
  %r = return(%s)
}})
"""


def _swapped(swap: bool) -> bytes:
    one, none = ("[@usize]", "[@k]"), ("[]", "[]")
    (a, call_a), (b, call_b) = (none, one) if swap else (one, none)
    return (SWAPPED.format(a=a, b=b, call_a=call_a, call_b=call_b) + start_decls("main")).encode()


def test_a_function_whose_type_decl_changed_does_not_take_a_type_of_the_same_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``@fa`` and ``@fb`` swap their values; ``f1`` and ``f2`` keep their text. ``f2`` was recorded with the
    type ``f1`` now has (known to the restart once ``f1`` is analysed): only the recorded fingerprint of ``@fb``
    tells that it must not take it."""
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "p"
    first = _restart(_swapped(False), out)
    assert first.all_errors() == [] and first._counters()["decls_restored"] == 0
    first.close()
    assert run(out) == 7
    again = _restart(_swapped(True), out)
    fresh = _fresh(_swapped(True), tmp_path / "fresh")
    try:
        assert again.all_errors() == fresh.all_errors() == []
        assert _types(again) == _types(fresh)
        assert again._counters()["decls_restored"] == 0
    finally:
        again.close()
        fresh.close()
    assert run(out) == 7


@pytest.mark.parametrize("seed", range(4))
def test_restarts_of_typed_programs_have_a_fresh_builds_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """The fuzzer's ``typed`` family (type decls feeding functions' types: renamed, deleted, used before they are
    defined, changing length under ``typeof``) restarted after every edit: each decl's type equals a fresh
    build's."""
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / "cache"))
    restored = 0
    for i, step in enumerate(typed_sequence(random.Random(seed), 10)):
        comp = _restart(step.text, tmp_path / "p")
        fresh = _fresh(step.text, tmp_path / f"fresh{i}")
        try:
            restored += comp._counters().get("decls_restored", 0)
            assert [str(e) for e in comp.all_errors()] == [str(e) for e in fresh.all_errors()], step.what
            if not fresh.all_errors():
                assert _types(comp) == _types(fresh), step.what
        finally:
            comp.close()
            fresh.close()
    assert restored > 0  # the sequence did exercise the restore


def test_a_damaged_decl_level_count_ignores_that_record(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "src", tmp_path / "cache")
    ws.root.mkdir()
    prog = ShapeProgram("chain", 20)
    ws.src.write_bytes(prog.source())
    ws.build()
    (path,) = ws.cache_files()
    doc = json.loads(path.read_bytes())
    doc["fns"]["f3"][4] = 99  # more decl-level dependencies than it has
    path.write_text(json.dumps(doc))
    os.chmod(path, 0o600)
    prog.edited_constant = 70_000
    ws.src.write_bytes(prog.source())
    report, err = ws.build()
    assert "compile cache record of 'f3' ignored: corrupt" in err
    assert report["ok"] and report["counters"]["decls_restored"] == 20 - 2  # f10 (edited) and f3 analysed
    assert run(ws.out) == prog.exit_code() == fresh_exit(ws)
