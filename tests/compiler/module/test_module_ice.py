"""An unexpected exception in code generation becomes an "internal compiler error" diagnostic on the decl,
the update goes on, and the traceback is logged (so the defect can be found)."""

from __future__ import annotations

import logging

import pytest

from compiler.compilation import Compilation, Options
from compiler.link import DeclIndex, OutputMode
from compiler.link.null import NullLinker
from compiler.source import BufferSource

PROGRAM = """@void = primitive(void)
@noreturn = primitive(noreturn)
@fnty = fntype([], @void)
@g = fn(@fnty, {
  %0 = returnvoid()
})
@start_ty = fntype([], @noreturn)
@_start = fn(@start_ty, {
  %0 = call(@g, [])
  %1 = unreachable()
})
@0 = str("_start")
@1 = export(@0, "_start")
"""


class FaultyGotLinker(NullLinker):
    """Fault injection: the GOT address of one decl cannot be given (a defect below code generation)."""

    def __init__(self) -> None:
        super().__init__(OutputMode.EXE)
        self.faulty: set[DeclIndex] = set()

    def allocate_decl(self, decl: DeclIndex, name: str) -> None:
        super().allocate_decl(decl, name)
        if name == "g":
            self.faulty.add(decl)

    def got_address(self, decl: DeclIndex) -> int:
        if decl in self.faulty:
            raise RuntimeError("injected: no GOT address")
        return super().got_address(decl)


def test_unexpected_codegen_exception_is_a_diagnostic_with_a_logged_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = BufferSource("ice.zir", PROGRAM.encode())
    comp = Compilation(Options("ice.zir", None, OutputMode.EXE), source, FaultyGotLinker())
    with caplog.at_level(logging.ERROR, logger="compiler.module.module"):
        comp.update()
    messages = [e.message for e in comp.all_errors()]
    assert messages == ["internal compiler error in code generation: RuntimeError: injected: no GOT address"]
    (record,) = [r for r in caplog.records if r.name == "compiler.module.module"]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "_start" in record.getMessage()
