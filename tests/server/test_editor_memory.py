"""The editor tier's memory: no AIR kept after code generation, and ``zir.emitZir`` still answers
(docs/design/performance.md §9)."""

from __future__ import annotations

import gc

from compiler.air import AirInst
from compiler.module import local_types
from server.backend import EditorCompilation
from tests.compiler.module.test_memory import PROGRAM
from tests.compiler.module.util import Session


def air_objects() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, AirInst))


def test_the_editor_compilation_keeps_no_air_and_still_emits_zir() -> None:
    """The language server's editor tier drops AIR once generated; ``zir.emitZir`` analyses the same text
    again and prints what a build that kept it prints."""
    before = air_objects()
    editor = EditorCompilation("test.zir", "obj")
    try:
        assert editor.update(PROGRAM.encode()) == []
        fns = [d.fn for d in editor.compilation.decls() if d.fn is not None]
        assert len(fns) == 2 and all(fn.air is None for fn in fns)
        assert air_objects() <= before  # hover's per-local results keep types and values, not AIR instructions
        kept = Session(PROGRAM)
        kept.update()
        assert editor.emit_zir(False) == kept.emit()
    finally:
        editor.close()


def _chain(n: int) -> str:
    """``n`` functions, each calling the one before, exported (every one analysed)."""
    parts = ["@usize = primitive(usize)\n@fty = fntype([], @usize)\n"]
    for i in range(n):
        call = f"  %p = call(@f{i - 1}, [])\n" if i else ""
        ret = "add(%p, %k)" if i else "as(@usize, %k)"
        parts.append(
            f"@f{i} = fn(@fty, {{\n{call}  %c = int({i})\n  %k = as(@usize, %c)\n  %s = {ret}\n  %r = return(%s)\n}})\n"
        )
    parts.append(f'@n = str("f")\n@e = export(@n, "f{n - 1}")\n')
    return "".join(parts)


def _kept(editor: EditorCompilation) -> set[str]:
    return {d.name for d in editor.compilation.decls() if d.fn is not None and d.fn.local_results is not None}


def test_the_editor_keeps_the_locals_of_the_functions_asked_about_only() -> None:
    """Hover and inlay hints read the `%` locals of the functions they show: the editor tier keeps those K
    functions' results, not all N, and analyses a function again (alone) when first asked about it."""
    n = 60
    text = _chain(n)
    editor = EditorCompilation("test.zir", "obj")
    everything = Session(text)
    try:
        assert editor.update(text.encode()) == []
        assert _kept(editor) == set()
        asked = ["f7", "f30", "f31"]
        found = editor.decl_locals(asked)
        counters = editor.compilation.module.counters.as_dict()
        assert counters["fn_bodies_analyzed"] == 3  # the functions asked about, nothing else
        assert _kept(editor) == set(asked)
        assert [d.name for d in found] == asked
        assert dict((f.name, f.value_text) for f in found[0].locals)["k"] == "7"
        everything.comp.module.record_locals = True  # a Module that keeps every function's (locals_wanted None)
        everything.update()
        assert found == local_types.decl_locals(everything.comp.module, asked)
        assert editor.decl_locals(["f30"]) == found[1:2]  # asked again: kept, no analysis
        assert editor.compilation.module.counters.as_dict()["fn_bodies_analyzed"] == 3
        edited = text.replace("int(12)", "int(120)").replace("int(30)", "int(300)")
        assert editor.update(edited.encode()) == []
        assert _kept(editor) == set(asked)  # the edited f12 was not asked about; f30 keeps its new facts
        assert dict((f.name, f.value_text) for f in editor.decl_locals(["f30"])[0].locals)["k"] == "300"
    finally:
        editor.close()
        everything.comp.close()


def _copies_held(text: bytes) -> int:
    """Distinct bytes objects equal to ``text`` that some container object refers to."""
    gc.collect()
    found: set[int] = set()
    for o in gc.get_objects():  # a loop, not a comprehension: its closure cell would hold ``text`` itself
        for r in gc.get_referents(o):
            if type(r) is bytes and r == text and r is not text:
                found.add(id(r))
    return len(found)


def test_the_editor_keeps_no_copy_of_an_older_text() -> None:
    """After an update the editor Compilation holds the text it analysed, not the one before it (the diff
    reads that one only while it runs: kept, it was a second copy of the text, 12 MB at N = 100 000)."""
    first = _chain(40)
    texts = [first, first.replace("int(12)", "int(120)"), first.replace("int(12)", "int(1200)")]
    editor = EditorCompilation("test.zir", "obj")
    try:
        for text in texts:
            assert editor.update(text.encode()) == []
        assert editor.compilation.module.counters.as_dict()["decls_diffed"] == 1  # the edit was diffed
        assert _copies_held(texts[1].encode()) == 0
        assert _copies_held(texts[2].encode()) >= 1
    finally:
        editor.close()
