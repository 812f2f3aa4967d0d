"""A restart restores an unchanged function reached for the first time in one step (``Restorer.restore_reached``)
instead of the general decl analysis, and the Module it leaves is the one the general path leaves
(docs/design/performance.md §7.6)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.shapes import ShapeProgram
from compiler.cache.restore import Restorer
from compiler.compilation import Compilation
from compiler.link import DeclIndex
from compiler.module.decl import Decl
from compiler.module.module import Module
from tests.compiler.cache.restarts import build, built_and_edited

pytestmark = pytest.mark.skipif(
    not hasattr(Restorer.restore_reached, "__code__"),
    reason="counts and switches calls by patching methods, which the accelerated (mypyc) build calls directly",
)


def _names(decls: object) -> list[str]:
    assert not isinstance(decls, (str, bytes))
    return [x.name for x in decls]  # type: ignore[attr-defined]


def _state(comp: Compilation) -> dict[str, tuple[object, ...]]:
    """Every decl's analysis state after an update: statuses, value type, edges in order, linker-facing fields."""
    m = comp.module
    out: dict[str, tuple[object, ...]] = {}
    for d in m.decl_table.values():
        fn = d.fn
        fn_state: tuple[object, ...] = ()
        if fn is not None:
            fn_state = (fn.analysis, fn.header_deps, _names(fn.dependencies), fn.fn_type)
        tv = d.typed_value
        out[d.name] = (
            d.index,
            d.analysis,
            d.generation,
            d.value_changed_generation,
            d.last_analysis_failed,
            d.has_bits,
            d.deletion_flag,
            d.is_export_root,
            d.code_size,
            d.line,
            None if tv is None else tv.ty,
            _names(d.dependencies),
            _names(d.dependants),
            fn_state,
            m.linker.got_address(DeclIndex(d.index)) if d.has_bits else -1,
        )
    return out


def _built_and_edited(tmp_path: Path, n: int, shape: str, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, Path]:
    """Program ``shape`` N built with the cache (``restarts.built_and_edited`` for other shapes than the chain)."""
    if shape == "chain":
        return built_and_edited(tmp_path, n, monkeypatch)
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / f"cache{n}"))
    out = tmp_path / f"p{n}"
    prog = ShapeProgram(shape, n)
    first = build(prog.source(), out)
    assert first.all_errors() == []
    first.close()
    prog.edited_constant = 70_000
    return prog.source(), out


def _restart(
    tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch, *, fast: bool, shape: str = "chain"
) -> tuple[dict[str, tuple[object, ...]], Counter[str], dict[str, int]]:
    """Build ``shape`` N with the cache, edit one function, restart: the state, calls counted, the counters."""
    where = tmp_path / ("fast" if fast else "general")
    where.mkdir(parents=True)
    text, out = _built_and_edited(where, n, shape, monkeypatch)
    calls: Counter[str] = Counter()
    real_analyze, real_value = Module.analyze_zir_decl, Restorer.decl_value
    real_reached = Restorer.restore_reached

    def analyze(self: Module, d: Decl) -> None:
        calls["analyze_zir_decl"] += 1
        real_analyze(self, d)

    def decl_value(self: Restorer, m: Module, d: Decl) -> object:
        calls["decl_value"] += 1
        return real_value(self, m, d)

    def reached(self: Restorer, m: Module, d: Decl) -> bool:
        return fast and real_reached(self, m, d)

    with monkeypatch.context() as patch:
        patch.setattr(Module, "analyze_zir_decl", analyze)
        patch.setattr(Restorer, "decl_value", decl_value)
        patch.setattr(Restorer, "restore_reached", reached)
        again = build(text, out)
        try:
            assert again.all_errors() == []
            return _state(again), calls, again._counters()
        finally:
            again.close()


@pytest.mark.parametrize("shape", ["chain", "star", "tree"])
def test_the_one_step_restore_leaves_the_general_paths_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    fast, calls, fast_counters = _restart(tmp_path, 40, monkeypatch, fast=True, shape=shape)
    general, general_calls, general_counters = _restart(tmp_path, 40, monkeypatch, fast=False, shape=shape)
    assert fast_counters == general_counters
    assert fast_counters["bodies_kept"] >= 35 and fast_counters["decls_restored"] >= 35
    assert calls["analyze_zir_decl"] < general_calls["analyze_zir_decl"] - 25  # the one-step restore was taken
    assert fast.keys() == general.keys()
    for name in fast:
        assert fast[name] == general[name], name


def test_restored_functions_are_not_analysed_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At N = 10 and N = 1 000 the restart enters the decl analysis (and ``decl_value``) equally often: for the
    decls that are not functions, the edited function and the first function of each decl-level dependency set
    (before: once more per unchanged function)."""
    seen = []
    for n in (10, 1000):
        _unused, calls, counters = _restart(tmp_path / str(n), n, monkeypatch, fast=True)
        assert counters["bodies_kept"] == n - 1 and counters["decls_restored"] == n - 1
        seen.append(calls)
    assert seen[0] == seen[1]
    assert seen[0]["analyze_zir_decl"] <= 9  # before: 17 at N = 10, 1 007 at N = 1 000
