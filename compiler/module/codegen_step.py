"""The one place the Module calls code generation: liveness + machine code or data for a decl (module.md §13)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from compiler.errors import AnalysisFail
from compiler.link import GeneratedSymbol, SymbolType
from compiler.module.decl import DeclStatus, FnStatus

if TYPE_CHECKING:
    from compiler.module.decl import Decl
    from compiler.module.module import Module


def _backend(name: str) -> Callable[..., Any] | None:
    """A code-generation entry point, or None while the backend does not provide it yet."""
    try:
        mod = importlib.import_module("compiler.codegen" if name != "analyze" else "compiler.liveness")
    except ImportError:
        return None
    fn = getattr(mod, name, None)
    return cast("Callable[..., Any] | None", fn)


def generate_symbol(m: Module, d: Decl) -> GeneratedSymbol:
    """Machine code (functions) or data for ``d``; raises CodegenFailure, or AnalysisFail when a data
    decl refers to a decl that is not complete (the caller marks ``d`` dependency_failure)."""
    tv = d.typed_value
    assert tv is not None
    fn = d.fn
    linker = m.linker
    if fn is not None:
        assert fn.analysis is FnStatus.SUCCESS and fn.air is not None
        analyze = _backend("analyze")
        gen_fn = _backend("generate_function")
        if analyze is not None:
            analyze(fn.air)
        if gen_fn is None:
            return GeneratedSymbol(b"", 1, SymbolType.FUNC)
        fn_src = m.source_decl(d).src  # the fn( instruction: DebugInfo.line and the function's own errors
        safety = m.optimize_mode.has_safety  # ReleaseFast and ReleaseSmall: no safety checks
        return cast(GeneratedSymbol, gen_fn(d, fn.fn_type, fn.air, linker, line_of=m.line_of, fn_src=fn_src, safety=safety))
    _check_data_targets(d)
    gen_data = _backend("generate_data")
    if gen_data is None:
        return GeneratedSymbol(b"", 1, SymbolType.OBJECT)
    return cast(GeneratedSymbol, gen_data(d, tv, linker, src=_decl_src(m, d)))


def _decl_src(m: Module, d: Decl) -> int:
    """The absolute src of the decl's instruction (an anonymous decl: its owner's)."""
    owner = d.owner if d.is_anonymous and d.owner is not None else d
    return m.source_decl(owner).src


def _check_data_targets(d: Decl) -> None:
    """A pointer in data to a decl that is not complete: dependency failure (module.md §13)."""
    from compiler.sema.values import DeclRef

    tv = d.typed_value
    assert tv is not None
    val = tv.val
    if isinstance(val, DeclRef):
        target = val.decl
        status = getattr(target, "analysis", DeclStatus.COMPLETE)
        if status is not DeclStatus.COMPLETE or getattr(target, "is_retired", False):
            raise AnalysisFail()
