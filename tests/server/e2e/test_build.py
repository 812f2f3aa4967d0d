"""The build tier end to end: save → the ELF output is rebuilt in place and runs; progress, zir/buildFinished,
the log line; erroneous saves keep the last good binary; output problems are build-tier diagnostics."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.e2e.conftest import (
    Workspace,
    builds,
    example,
    publishes,
    wait_build,
    wait_diagnostics,
    wait_until,
)

V1 = example("104-edit-message-error-and-fix", 1)
V2_ERROR = example("104-edit-message-error-and-fix", 2)
V3 = example("104-edit-message-error-and-fix", 3)


def run(binary: str) -> tuple[int, bytes]:
    proc = subprocess.run([binary], capture_output=True, timeout=10, check=False)
    return proc.returncode, proc.stdout


async def test_save_builds_then_errors_keep_the_last_good_binary(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("app.zir", V1)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    ws.save(uri)
    first = await wait_build(client, uri, 1)
    binary = str(ws.root / "zig-out" / "bin" / "app")
    assert first["ok"] is True
    assert first["binary"] == binary
    assert first["errors"] == 0
    assert first["bytesWritten"] > 0
    assert first["version"] == 1  # the saved text is the editor's version 1
    assert isinstance(first["ms"], float | int)
    assert run(binary) == (0, b"first version\n")

    version = ws.replace(uri, V2_ERROR)
    await wait_diagnostics(client, uri, lambda p: p.version == version and len(p.diagnostics) == 1)
    ws.save(uri, V2_ERROR)
    second = await wait_build(client, uri, 2)
    assert second["ok"] is False
    assert second["binary"] is None
    assert second["errors"] == 1
    assert second["bytesWritten"] == 0
    assert run(binary) == (0, b"first version\n")  # the last good program, untouched
    # The build's compile errors are the editor tier's: not published twice.
    last = publishes(client, uri)[-1]
    assert [d.source for d in last.diagnostics] == ["zir"]

    version = ws.replace(uri, V3)
    await wait_diagnostics(client, uri, lambda p: p.version == version and len(p.diagnostics) == 0)
    ws.save(uri, V3)
    third = await wait_build(client, uri, 3)
    assert third["ok"] is True and third["binary"] == binary
    assert 0 < third["bytesWritten"] < first["bytesWritten"]  # updated in place, not rewritten
    assert run(binary) == (0, b"second version\n")
    assert [b["buildId"] for b in builds(client, uri)] == sorted(b["buildId"] for b in builds(client, uri))


def _progress(client: LanguageClient) -> list[object]:
    """Every progress report so far (begin, report and end values), in order per token."""
    return [r for reports in client.progress_reports.values() for r in reports]


async def test_progress_and_log_per_build(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("prog.zir", V1)
    ws.save(uri)
    await wait_build(client, uri, 1)
    ends = [r.message for r in _progress(client) if isinstance(r, types.WorkDoneProgressEnd)]
    begins = [r.title for r in _progress(client) if isinstance(r, types.WorkDoneProgressBegin)]
    assert begins == ["Building prog.zir"]
    assert ends == [f"built → {ws.root / 'zig-out' / 'bin' / 'prog'}"]
    assert any(m.type == types.MessageType.Info and m.message.startswith("built ") for m in client.log_messages)

    ws.save(uri, V2_ERROR)
    await wait_build(client, uri, 2)
    ends = [r.message for r in _progress(client) if isinstance(r, types.WorkDoneProgressEnd)]
    assert ends[-1] == f"1 errors; {ws.root / 'zig-out' / 'bin' / 'prog'} not updated"


async def test_rebuild_command_returns_the_payload(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("cmd.zir", V1)
    result: Any = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="zir.rebuild", arguments=[uri])
    )
    assert result["ok"] is True
    assert result["uri"] == uri
    assert run(result["binary"]) == (0, b"first version\n")
    everything: Any = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="zir.rebuild"))
    assert [r["uri"] for r in everything] == [uri]
    assert everything[0]["bytesWritten"] == 0  # nothing changed since the last build


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": 0}, "build": {"outputPath": "${fileDirname}/blocked/out"}})
async def test_unwritable_output_is_a_build_diagnostic(client: LanguageClient, ws: Workspace) -> None:
    (ws.root / "blocked").write_text("a file where a directory should be")
    uri = ws.open("w.zir", V1)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    ws.save(uri)
    payload = await wait_build(client, uri, 1)
    assert payload["ok"] is False
    assert payload["binary"] is None
    published = await wait_diagnostics(client, uri, lambda p: any(d.source == "zir-build" for d in p.diagnostics))
    (d,) = published.diagnostics
    assert d.source == "zir-build"
    assert d.message.startswith(f"unable to write output '{ws.root / 'blocked' / 'out'}': ")
    ends = [r.message for r in _progress(client) if isinstance(r, types.WorkDoneProgressEnd)]
    assert ends == [f"output not written: {d.message}"]
    # Fixing the setting's cause and saving again clears the build diagnostic.
    os.remove(ws.root / "blocked")
    ws.save(uri)
    payload = await wait_build(client, uri, 2)
    assert payload["ok"] is True
    await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) == 0)
    assert run(str(ws.root / "blocked" / "out")) == (0, b"first version\n")


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": 0}, "build": {"onSave": False}})
async def test_build_on_save_can_be_disabled(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("off.zir", V1)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    ws.save(uri)
    # An explicit rebuild still works, and it is the first build: the save started none.
    result: Any = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="zir.rebuild", arguments=[uri])
    )
    assert result["buildId"] == 1
    assert len(builds(client, uri)) == 1


async def test_a_burst_of_saves_coalesces(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("burst.zir", V1)
    for _ in range(10):
        ws.save(uri)
    await wait_until(client, lambda: len(builds(client, uri)) >= 1)
    result: Any = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="zir.rebuild", arguments=[uri])
    )
    count = len(builds(client, uri))
    # at most one build running and one waiting per URI at any time: far fewer builds than saves
    assert result["buildId"] == count
    assert count <= 3
    assert Path(result["binary"]).exists()
