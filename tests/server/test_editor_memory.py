"""The editor tier's memory: no AIR kept after code generation, and ``zir.emitZir`` still answers
(docs/design/performance.md §9)."""

from __future__ import annotations

import gc

from compiler.air import AirInst
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
