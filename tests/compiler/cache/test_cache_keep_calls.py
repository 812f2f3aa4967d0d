"""A restart keeps an unchanged function without per-function calls it does not need: the panic routine is
looked up once, and the linker's exports are not touched for functions nobody exports
(docs/design/performance.md §7.6)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compiler.module import exports, panic
from tests.compiler.cache.restarts import build, built_and_edited

pytestmark = pytest.mark.skipif(
    not hasattr(panic.ensure, "__code__"),
    reason="counts calls by patching module functions, which the accelerated (mypyc) build calls directly",
)


def _counting(calls: Counter[str], name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return real(*args, **kwargs)

    return counted


def _restart_calls(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[str], dict[str, int]]:
    """Build chain N with the cache, edit one function, and count the calls of a restarted Compilation."""
    text, out = built_and_edited(tmp_path, n, monkeypatch)
    calls: Counter[str] = Counter()
    with monkeypatch.context() as patch:
        patch.setattr(panic, "ensure", _counting(calls, "panic.ensure", panic.ensure))
        patch.setattr(
            exports, "update_linker_exports", _counting(calls, "update_linker_exports", exports.update_linker_exports)
        )
        again = build(text, out)
    try:
        assert again.all_errors() == []
        counters = again._counters()
    finally:
        again.close()
    return calls, counters


def test_keeping_a_function_makes_no_per_function_panic_or_export_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every chain function's code can panic (its ``add`` is checked) and none is exported: at N = 10 and
    N = 1 000 the restart makes the same number of these calls (before: one of each per kept function)."""
    seen = []
    for n in (10, 1000):
        calls, counters = _restart_calls(tmp_path, n, monkeypatch)
        assert counters["bodies_kept"] == n - 1
        seen.append(calls)
    assert seen[0] == seen[1]
    # at least one call of each was seen (the analysed decls make some): the patches count, so equal counts at
    # both sizes are not the zeros of calls the patches never saw
    assert 1 <= seen[0]["panic.ensure"] <= 8
    assert 1 <= seen[0]["update_linker_exports"] <= 16  # the generated decls and the exports analysed
