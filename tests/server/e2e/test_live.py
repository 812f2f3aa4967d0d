"""Run live through the language server (docs/hot-swap.md): ``zir.runLive`` starts the document's program, each
save is swapped into the same process (``hot`` in ``zir/buildFinished``), its output arrives as
``zir/programOutput``, its end as ``zir/programExited``; ``zir.stop`` ends it; a "Run live" code lens."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.hot.programs import print_decl, print_text, program
from tests.server.e2e.conftest import Workspace, builds, recorder, wait_build, wait_until

STEP = print_decl("m", "msg") + print_text("n", "\n")


def _source(message: str, iterations: int = 9999) -> str:
    return program(STEP, f'@msg = str("{message}")\n', iterations=iterations)


def _notes(client: LanguageClient, method: str) -> list[dict[str, Any]]:
    out = []
    for name, params in recorder(client).notifications:
        if name == method:
            out.append(params if isinstance(params, dict) else dict(params._asdict()))
    return out


def _output(client: LanguageClient, pid: int) -> str:
    return "".join(
        n["text"] for n in _notes(client, "zir/programOutput") if n["pid"] == pid and n["stream"] == "stdout"
    )


async def _run_live(client: LanguageClient, uri: str) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="zir.runLive", arguments=[uri])
    )
    assert isinstance(result, dict), result
    return result


async def test_run_live_swaps_each_save_into_the_same_process(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("live.zir", _source("A"))
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert lenses is not None
    titles = [lens.command.title for lens in lenses if lens.command is not None]
    assert "⚡ Run live" in titles and "▶ Run" in titles
    started = await _run_live(client, uri)
    hot = started["hot"]
    pid = hot["pid"]
    assert isinstance(pid, int) and hot["swapped"] is False and hot["reason"] is None, started
    await wait_until(client, lambda: " A\n" in _output(client, pid))

    count = len(builds(client, uri))
    ws.replace(uri, _source("BB"))
    ws.save(uri, _source("BB"))
    build = await wait_build(client, uri, count + 1)
    assert build["committed"] and build["hot"]["swapped"] is True and build["hot"]["pid"] == pid, build
    assert build["hot"]["restarted"] is False and build["hot"]["ms"] > 0
    seen = len(_output(client, pid))
    await wait_until(client, lambda: " BB\n" in _output(client, pid)[seen:])

    stopped = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="zir.stop", arguments=[uri])
    )
    assert stopped == {"uri": uri, "exitCode": -9}
    assert _notes(client, "zir/programExited") == []  # stopped by us: not an exit of its own


async def test_program_exit_is_notified_and_the_next_save_restarts_it(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("short.zir", _source("one", iterations=3))
    started = await _run_live(client, uri)
    pid = started["hot"]["pid"]
    exited = await wait_until(client, lambda: _notes(client, "zir/programExited"))
    assert exited == [{"uri": uri, "pid": pid, "exitCode": 0}]
    await wait_until(client, lambda: _output(client, pid) == "0000 one\n0001 one\n0002 one\n")

    count = len(builds(client, uri))
    ws.replace(uri, _source("two", iterations=3))
    ws.save(uri, _source("two", iterations=3))
    build = await wait_build(client, uri, count + 1)
    hot = build["hot"]
    assert hot["restarted"] is True and hot["pid"] != pid and hot["reason"] == "the program was not running", build
    await wait_until(client, lambda: _output(client, hot["pid"]) == "0000 two\n0001 two\n0002 two\n")


async def test_builds_without_a_live_run_have_no_hot_object(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("plain.zir", _source("x"))
    ws.save(uri)
    build = await wait_build(client, uri, 1)
    assert build["ok"] and build["hot"] is None


async def test_run_live_after_a_save_replaces_the_saved_build(client: LanguageClient, ws: Workspace) -> None:
    """The usual order: save (a normal build writes the executable), then Run live. A hot build adopts no existing
    output (docs/hot-swap.md), and the server refused it as a file ZIR Live did not write, so Run live failed
    until the user deleted the executable."""
    uri = ws.open("saved.zir", _source("S"))
    ws.save(uri)
    first = await wait_build(client, uri, 1)
    assert first["ok"] and first["hot"] is None, first
    started = await _run_live(client, uri)
    pid = started["hot"]["pid"]
    assert started["ok"] and started["committed"] and isinstance(pid, int), started
    await wait_until(client, lambda: " S\n" in _output(client, pid))
    stopped = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="zir.stop", arguments=[uri])
    )
    assert stopped == {"uri": uri, "exitCode": -9}


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": 0}, "build": {"outputMode": "obj"}})
async def test_run_of_an_object_file_fails_with_a_plain_answer(client: LanguageClient, ws: Workspace) -> None:
    """``zir.run`` exec'd the output whatever it was: an object file raised ``PermissionError`` as an internal
    error (code -32603, a traceback in the answer)."""
    uri = ws.open("object.zir", _source("O", iterations=1))
    ws.save(uri)
    built = await wait_build(client, uri, 1)
    assert built["ok"] and str(built["binary"]).endswith(".o"), built
    with pytest.raises(JsonRpcException) as refusal:
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="zir.run", arguments=[uri]))
    assert refusal.value.code == types.LSPErrorCodes.RequestFailed
    assert str(refusal.value.message) == f"unable to run '{built['binary']}': Permission denied"
