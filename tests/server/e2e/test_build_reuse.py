"""One Module serves both tiers (docs/design/lsp.md §8.3): a build of the text the editor tier already analysed
analyses nothing and writes exactly what a fresh ``zir build`` of the saved file writes; a build of a saved
text that differs from the buffer compiles the saved text, and the editor tier keeps the buffer's analysis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.e2e.conftest import ROOT, Workspace, example, wait_build, wait_diagnostics

V1 = example("104-edit-message-error-and-fix", 1)
V3 = example("104-edit-message-error-and-fix", 3)


def fresh_build(source: Path, output: Path) -> bytes:
    """The bytes a fresh ``zir build`` process writes for ``source`` (an independent expectation)."""
    subprocess.run(
        [sys.executable, "-m", "compiler", "build", str(source), "-o", str(output)],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return output.read_bytes()


def run(binary: str) -> tuple[int, bytes]:
    proc = subprocess.run([binary], capture_output=True, timeout=10, check=False)
    return proc.returncode, proc.stdout


async def analysed(client: LanguageClient) -> Any:
    """``zir.memoryUsage`` queries the editor thread, so it answers after the editor tier's queued analysis."""
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command="zir.memoryUsage"))


@pytest.mark.parametrize("client", ["visual_studio_code"], indirect=True)
async def test_first_build_of_the_analysed_text_analyses_nothing_and_equals_a_fresh_build(
    client: LanguageClient, ws: Workspace
) -> None:
    uri = ws.open("app.zir", V1)
    await wait_diagnostics(client, uri, lambda p: p.version == 1 and not p.diagnostics)
    await analysed(client)
    ws.save(uri)
    first = await wait_build(client, uri, 1)
    assert first["ok"] is True
    assert first["declsAnalyzed"] == 0  # the editor tier's analysis was committed as it stood
    binary = ws.root / "zig-out" / "bin" / "app"
    assert binary.read_bytes() == fresh_build(ws.root / "app.zir", ws.root / "fresh")
    assert run(str(binary)) == (0, b"first version\n")


@pytest.mark.parametrize("client", ["visual_studio_code"], indirect=True)
async def test_a_dirty_buffer_builds_the_saved_text_and_keeps_analysing_the_buffer(
    client: LanguageClient, ws: Workspace
) -> None:
    uri = ws.open("app.zir", V1)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    buffer = V1.replace("first version", "buffer version")
    version = ws.replace(uri, buffer)
    await wait_diagnostics(client, uri, lambda p: p.version == version and not p.diagnostics)
    ws.save(uri, V3)  # another text on disk than in the editor
    build = await wait_build(client, uri, 1)
    assert build["ok"] is True
    assert build["version"] is None  # the saved text is no editor version
    assert 0 < build["declsAnalyzed"] < 10  # only the saved text's difference was analysed
    assert run(build["binary"]) == (0, b"second version\n")
    # The editor Compilation is back on the buffer: its emitted ZIR is the buffer's program.
    emitted = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="zir.emitZir", arguments=[uri])
    )
    assert isinstance(emitted, str)
    assert "buffer version" in emitted and "second version" not in emitted
    # Saving the buffer itself now builds without analysing anything.
    ws.save(uri, buffer)
    again = await wait_build(client, uri, 2)
    assert (again["ok"], again["declsAnalyzed"], again["version"]) == (True, 0, version)
    assert run(again["binary"]) == (0, b"buffer version\n")
