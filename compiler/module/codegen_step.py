"""The one place the Module calls code generation: liveness + machine code or data for a decl (module.md §13)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler import liveness
from compiler.codegen import generate_data, generate_function
from compiler.errors import AnalysisFail
from compiler.link import GeneratedSymbol
from compiler.module.data_refs import with_anon_refs
from compiler.module.decl import Decl, DeclStatus, FnStatus, LifeStage
from compiler.module.lines import FnLines
from compiler.module.panic import got_address_for
from compiler.module.syntax import decl_src
from compiler.sema.values import DeclRef

if TYPE_CHECKING:
    from compiler.module.module import Module


def generate_symbol(m: Module, d: Decl) -> GeneratedSymbol:
    """Machine code (functions) or data for ``d``; raises CodegenFailure, or AnalysisFail when a data
    decl refers to a decl that is not complete (the caller marks ``d`` dependency_failure)."""
    tv = d.typed_value
    assert tv is not None
    fn = d.fn
    if fn is not None:
        assert fn.analysis is FnStatus.SUCCESS and fn.air is not None
        liveness.analyze(fn.air)
        fn_src = m.source_decl(d).src  # the fn( instruction: DebugInfo.line and the function's own errors
        safety = m.optimize_mode.has_safety  # ReleaseFast and ReleaseSmall: no safety checks
        panic = got_address_for(m, d)  # language-complete §10: the routine is created when a check needs it
        lines = FnLines(m.lines, m.file.source or b"", fn_src, m.line_of(fn_src))
        return generate_function(
            d, fn.fn_type, fn.air, m.linker, line_of=lines.line_of, fn_src=fn_src, safety=safety, panic=panic
        )
    _check_data_targets(d)
    src = _decl_src(m, d)
    return generate_data(d, with_anon_refs(m, d, tv, src), m.linker, src=src)


def _decl_src(m: Module, d: Decl) -> int:
    """The absolute src of the decl's instruction (an anonymous decl: its owner's)."""
    owner = d.owner if d.is_anonymous and d.owner is not None else d
    return decl_src(m, owner)  # not its SourceDecl: the owner's syntax may be released (release_generated)


def _check_data_targets(d: Decl) -> None:
    """A pointer in data to a decl that is not complete: dependency failure (module.md §13)."""
    tv = d.typed_value
    assert tv is not None
    val = tv.val
    if isinstance(val, DeclRef):
        target = val.decl
        assert isinstance(target, Decl)  # a Module's values point at its own decls
        if target.analysis is not DeclStatus.COMPLETE or target.stage is not LifeStage.LIVE:
            raise AnalysisFail()
