"""Issue 11 item 8 through the language server: one document alternates update 1 and update 2 (its decls in
many orders, tests/fuzz/item8.py); every update 2 shows what a fresh build shows (no diagnostics), builds on
save, and the program runs like the fresh build's (``@main`` returns into ``unreachable``: the panic)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.fuzz.differential import _compilation, _errors
from tests.fuzz.item8 import UPDATE1, spread, update2
from tests.server.e2e.conftest import Workspace, wait_build, wait_diagnostics


def _version(v: int) -> Callable[[types.PublishDiagnosticsParams], bool]:
    return lambda p: p.version == v


def _fresh_errors(text: bytes) -> list[str]:
    fresh = _compilation(text, None)
    try:
        fresh.update()
        return _errors(fresh)
    finally:
        fresh.close()


async def test_update_two_in_many_orders_equals_a_fresh_build(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("app.zir", UPDATE1.decode())
    ws.save(uri)
    builds = 1
    first = await wait_build(client, uri, builds)
    assert first["ok"] is False and first["errors"] == 1  # no entry point found, as a fresh build of it
    binary = str(ws.root / "zig-out" / "bin" / "app")
    for order in spread(6):
        text = update2(order)
        assert _fresh_errors(text) == []
        version = ws.replace(uri, text.decode())
        shown = await wait_diagnostics(client, uri, _version(version))
        assert [d.message for d in shown.diagnostics] == [], f"order {order}"
        ws.save(uri, text.decode())
        builds += 1
        done = await wait_build(client, uri, builds)
        assert done["ok"] is True and done["errors"] == 0, f"order {order}: {done}"
        proc = subprocess.run([binary], capture_output=True, timeout=10, check=False)
        assert (proc.returncode, proc.stderr) == (-6, b"panic: reached unreachable code\n"), f"order {order}"
        version = ws.replace(uri, UPDATE1.decode())
        await wait_diagnostics(client, uri, _version(version))
        ws.save(uri, UPDATE1.decode())
        builds += 1
        assert (await wait_build(client, uri, builds))["ok"] is False
