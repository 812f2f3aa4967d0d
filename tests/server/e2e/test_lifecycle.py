"""Settings (pull, change, invalid values), debounce, watched files, capabilities, transports and exit."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient as PlainClient
from pytest_lsp import LanguageClient

from tests.server.e2e.conftest import ROOT, Workspace, builds, example, wait_build, wait_diagnostics, wait_until

MISSPELLED = example("103-misspelled-decl")
FIXED = MISSPELLED.replace("@great", "@greet")
PROGRAM = example("101-print-and-exit-code")


async def _usage(client: LanguageClient) -> dict[str, dict[str, int]]:
    usage: Any = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="zir.memoryUsage"))
    documents: dict[str, dict[str, int]] = usage["documents"]
    return documents


async def test_capabilities_and_registrations(client: LanguageClient, ws: Workspace) -> None:
    # initialize already happened in the fixture; registrations arrive after `initialized`.
    if ws.profile == "visual_studio_code":
        await wait_until(client, lambda: len(client.registrations) == 2)  # type: ignore[attr-defined]
        methods = {r.method for r in client.registrations}  # type: ignore[attr-defined]
        assert methods == {"workspace/didChangeConfiguration", "workspace/didChangeWatchedFiles"}
    else:
        assert client.registrations == []  # type: ignore[attr-defined]


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": 1000}})
async def test_a_burst_of_edits_is_one_analysis(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("burst.zir", MISSPELLED)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)  # didOpen: no debounce
    last = 0
    for i in range(20):
        last = ws.replace(uri, FIXED if i % 2 else MISSPELLED)
    published = await wait_diagnostics(client, uri, lambda p: p.version == last)
    assert published.diagnostics == ()
    assert (await _usage(client))[uri]["editorRuns"] == 2  # open + one run for the whole burst


@pytest.mark.zir_settings({"diagnostics": {"onType": False, "debounceMs": 0}, "build": {"onSave": False}})
async def test_on_type_off_checks_on_open_and_save_only(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("quiet.zir", MISSPELLED)
    await wait_diagnostics(client, uri, lambda p: p.version == 1 and len(p.diagnostics) == 1)
    version = ws.replace(uri, FIXED)
    assert (await _usage(client))[uri]["editorRuns"] == 1  # the change compiled nothing
    ws.save(uri, FIXED)
    published = await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert published.diagnostics == ()


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": "soon"}, "build": {"outputMode": "dll"}})
async def test_invalid_settings_fall_back_with_one_warning(client: LanguageClient, ws: Workspace) -> None:
    await wait_until(client, lambda: client.messages)
    (message,) = client.messages[:1]
    assert message.type == types.MessageType.Warning
    assert "zir.diagnostics.debounceMs" in message.message and "zir.build.outputMode" in message.message
    assert any("zir.build.outputMode" in m.message for m in client.log_messages)
    uri = ws.open("ok.zir", PROGRAM)  # the defaults are in force: builds still work
    ws.save(uri)
    payload = await wait_build(client, uri, 1)
    assert payload["ok"] is True


async def test_changed_settings_are_pulled_and_change_the_output(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("cfg.zir", PROGRAM)
    ws.save(uri)
    first = await wait_build(client, uri, 1)
    assert first["binary"] == str(ws.root / "zig-out" / "bin" / "cfg")
    settings = {
        "diagnostics": {"debounceMs": 0},
        "build": {"outputPath": "${workspaceFolder}/out/${fileBasenameNoExtension}.elf"},
    }
    client.set_configuration(settings, section="zir")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"zir": settings}))
    # Settings apply asynchronously (a pull for VS Code): rebuild until the new output path is used.
    target = str(ws.root / "out" / "cfg.elf")

    async def rebuilt() -> dict[str, Any]:
        while True:
            result: Any = await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="zir.rebuild", arguments=[uri])
            )
            assert isinstance(result, dict)
            if result["binary"] == target:
                return result
            await wait_until(client, lambda: len(client.log_messages) > 0)

    result = await asyncio.wait_for(rebuilt(), 30)
    assert result["ok"] is True
    assert result["bytesWritten"] > 0  # a new output: the build Module was discarded and started fresh
    run = subprocess.run([target], capture_output=True, timeout=10, check=False)
    assert (run.returncode, run.stdout) == (3, b"bye for now\n")


async def test_a_file_changed_on_disk_rebuilds_a_clean_buffer(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("ext.zir", PROGRAM)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    changed = PROGRAM.replace("bye for now", "changed outside")
    Path(ws.root / "ext.zir").write_text(changed)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=uri, type=types.FileChangeType.Changed)])
    )
    payload = await wait_build(client, uri, 1)
    assert payload["ok"] is True
    run = subprocess.run([payload["binary"]], capture_output=True, timeout=10, check=False)
    assert run.stdout == b"changed outside\n"
    # A dirty buffer is not rebuilt behind the user's back.
    ws.replace(uri, PROGRAM + "; unsaved edit\n")
    Path(ws.root / "ext.zir").write_text(PROGRAM)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=uri, type=types.FileChangeType.Changed)])
    )
    assert (await _usage(client))[uri]["builds"] == 1
    assert len(builds(client, uri)) == 1


def test_zir_lsp_and_tcp_transport(tmp_path: Path) -> None:
    """`zir lsp --tcp HOST:PORT` serves a real client over TCP; the process exits after `exit`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "compiler", "lsp", "--tcp", f"127.0.0.1:{port}", "-v"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # connect only once the server listens (the -v log says so)
            if "Serving on" in line:
                break
        else:
            raise AssertionError(f"the server exited with {proc.wait()} before listening")
        drain = threading.Thread(target=proc.stderr.read, daemon=True)
        drain.start()
        asyncio.run(_tcp_session(port, tmp_path))
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


async def _tcp_session(port: int, root: Path) -> None:
    client = PlainClient("tcp-test", "1")
    published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # type: ignore[untyped-decorator]  # pygls
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait(params)

    await client.start_tcp("127.0.0.1", port)
    result = await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=root.as_uri())
    )
    assert result.server_info is not None and result.server_info.name == "zir-live"
    client.initialized(types.InitializedParams())
    uri = (root / "t.zir").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="zir", version=1, text=MISSPELLED)
        )
    )
    params = await asyncio.wait_for(published.get(), 30)
    assert [d.message for d in params.diagnostics] == ["decl 'great' not found"]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]  # pygls


async def test_shutdown_waits_for_the_running_build(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("late.zir", PROGRAM)
    ws.save(uri)
    # `begin` is sent right before the build job enters the build executor: shut down in the middle of it.
    await wait_until(
        client,
        lambda: any(
            isinstance(r, types.WorkDoneProgressBegin) for reports in client.progress_reports.values() for r in reports
        ),
    )
    await client.shutdown_session()  # shutdown (waits for the build) + exit + process end
    client.capabilities = None  # the fixture's teardown must not shut down twice
    binary = ws.root / "zig-out" / "bin" / "late"
    run = subprocess.run([str(binary)], capture_output=True, timeout=10, check=False)
    assert (run.returncode, run.stdout) == (3, b"bye for now\n")  # complete, never a half-written file
