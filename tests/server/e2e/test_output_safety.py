"""The language server writes only its own outputs, only inside the workspace, and answers every request
(issue 11): hostile ``zir.build.outputPath`` values, untrusted workspaces, out-of-range positions."""

from __future__ import annotations

import json
import os
import select
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.server.e2e.conftest import ROOT, WAIT, Workspace, example, wait_build, wait_diagnostics, wait_until

V1 = example("104-edit-message-error-and-fix", 1)


def build_messages(client: LanguageClient, uri: str) -> list[str]:
    found = [
        p
        for m, p in client.protocol.notifications  # type: ignore[attr-defined]
        if m == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS and p.uri == uri
    ]
    return [d.message for d in found[-1].diagnostics if d.source == "zir-build"] if found else []


async def rebuild(client: LanguageClient, uri: str) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="zir.rebuild", arguments=[uri])
    )
    assert isinstance(result, dict)
    return result


async def saved_build(client: LanguageClient, ws: Workspace, name: str) -> tuple[str, dict[str, Any]]:
    uri = ws.open(name, V1)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    ws.save(uri)
    return uri, await wait_build(client, uri, 1)


async def refused(client: LanguageClient, uri: str, payload: dict[str, Any]) -> str:
    """The one build diagnostic of a refused build."""
    assert payload["ok"] is False and payload["committed"] is False and payload["binary"] is None
    await wait_diagnostics(client, uri, lambda p: any(d.source == "zir-build" for d in p.diagnostics))
    (message,) = build_messages(client, uri)
    return message


# ---------------------------------------------------------------------- 1: a FIFO as the output


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": 0}, "build": {"outputPath": "${workspaceFolder}/fifo"}})
async def test_fifo_output_path_does_not_hang_the_build_thread(client: LanguageClient, ws: Workspace) -> None:
    os.mkfifo(ws.root / "fifo")
    uri, payload = await saved_build(client, ws, "f.zir")  # today: the build never finishes
    assert await refused(client, uri, payload) == f"unable to write output '{ws.root / 'fifo'}': not a regular file"
    assert stat.S_ISFIFO(os.lstat(ws.root / "fifo").st_mode)
    # a second build is answered too (and the fixture's shutdown must be answered at the end)
    again = await rebuild(client, uri)
    assert again["ok"] is False


# ---------------------------------------------------------------------- 2: the output is the source


@pytest.mark.zir_settings(
    {"diagnostics": {"debounceMs": 0}, "build": {"outputPath": "${fileDirname}/${fileBasenameNoExtension}.zir"}}
)
async def test_output_path_resolving_to_the_source_is_refused(client: LanguageClient, ws: Workspace) -> None:
    uri, payload = await saved_build(client, ws, "same.zir")
    assert await refused(client, uri, payload) == f"output path '{ws.root / 'same.zir'}' is the input file"
    assert (ws.root / "same.zir").read_text() == V1


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": 0}, "build": {"outputPath": "zig-out/bin/"}})
async def test_an_output_path_ending_in_a_slash_is_refused_as_a_directory(
    client: LanguageClient, ws: Workspace
) -> None:
    """As ``zir build -o zig-out/bin/`` (docs/reliability.md §1); the server normalised the slash away and wrote
    its executable as a file named ``bin``."""
    uri, payload = await saved_build(client, ws, "slash.zir")
    out = ws.root / "zig-out" / "bin"
    assert await refused(client, uri, payload) == f"unable to write output '{out}/': is a directory"
    assert not out.exists() or out.is_dir()


# ---------------------------------------------------------------------- 3: files the server did not write


async def test_a_foreign_file_at_the_output_is_never_replaced(client: LanguageClient, ws: Workspace) -> None:
    out = ws.root / "zig-out" / "bin" / "notes"
    out.parent.mkdir(parents=True)
    out.write_text("precious notes\n")
    uri, payload = await saved_build(client, ws, "notes.zir")
    message = await refused(client, uri, payload)
    assert message == (
        f"unable to write output '{out}': refusing to replace a file that is not an executable or object file"
        " (delete it first)"
    )
    assert out.read_text() == "precious notes\n"


async def test_an_elf_file_the_server_did_not_write_is_never_replaced(client: LanguageClient, ws: Workspace) -> None:
    out = ws.root / "zig-out" / "bin" / "tool"
    out.parent.mkdir(parents=True)
    shutil.copyfile("/bin/true", out)
    before = out.read_bytes()
    uri, payload = await saved_build(client, ws, "tool.zir")
    message = await refused(client, uri, payload)
    assert (
        message
        == f"unable to write output '{out}': refusing to replace a file ZIR Live did not write (delete it first)"
    )
    assert out.read_bytes() == before
    out.unlink()  # once the user deletes it, the next build writes the output
    ws.save(uri)
    assert (await wait_build(client, uri, 2))["ok"] is True
    assert subprocess.run([str(out)], capture_output=True, timeout=10).stdout == b"first version\n"


# ---------------------------------------------------------------------- 4: only inside the workspace


@pytest.mark.zir_settings(
    {
        "diagnostics": {"debounceMs": 0},
        "build": {"outputPath": "${workspaceFolder}/../${fileBasenameNoExtension}-x/out"},
    }
)
async def test_output_outside_the_workspace_is_refused_with_one_warning(client: LanguageClient, ws: Workspace) -> None:
    target = ws.root.parent / f"escape-{ws.profile}-x"
    uri, payload = await saved_build(client, ws, f"escape-{ws.profile}.zir")
    message = await refused(client, uri, payload)
    assert message == (
        f"unable to write output '{target / 'out'}': outside the workspace folder '{ws.root}' "
        "(zir.build.outputPath; set zir.build.allowOutsideWorkspace to allow it)"
    )
    assert not target.exists()  # not even the directory
    await wait_until(client, lambda: client.messages)
    ws.save(uri)
    await wait_build(client, uri, 2)
    warnings = [m for m in client.messages if "outside the workspace" in m.message]
    assert len(warnings) == 1 and warnings[0].type == types.MessageType.Warning


@pytest.mark.zir_settings(
    {
        "diagnostics": {"debounceMs": 0},
        "build": {
            "outputPath": "${workspaceFolder}/../${fileBasenameNoExtension}-x/out",
            "allowOutsideWorkspace": True,
        },
    }
)
async def test_allow_outside_workspace_lets_the_build_write_there(client: LanguageClient, ws: Workspace) -> None:
    target = ws.root.parent / f"allowed-{ws.profile}-x" / "out"
    _, payload = await saved_build(client, ws, f"allowed-{ws.profile}.zir")
    assert payload["ok"] is True and payload["binary"] == str(target)
    assert subprocess.run([str(target)], capture_output=True, timeout=10).stdout == b"first version\n"


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": 0}, "workspaceTrusted": False})
async def test_an_untrusted_workspace_gets_diagnostics_but_no_build(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("u.zir", V1.replace("@zero = int(0)", "@zero = int(0"))
    await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) == 1)  # diagnostics still work
    ws.save(uri, V1)
    result = await rebuild(client, uri)
    assert result["ok"] is False and result["committed"] is False
    assert build_messages(client, uri) == [
        "builds are disabled in an untrusted workspace (trust the workspace to build and run)"
    ]
    assert result["buildId"] == 1  # the save started no build
    assert not (ws.root / "zig-out").exists()


# ---------------------------------------------------------------------- 21: one warning for invalid settings


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": "soon"}})
async def test_invalid_settings_warning_is_shown_once(client: LanguageClient, ws: Workspace) -> None:
    same: dict[str, Any] = {"diagnostics": {"debounceMs": "soon"}}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"zir": same}))
    other: dict[str, Any] = {"diagnostics": {"debounceMs": "later"}}
    client.set_configuration(other, section="zir")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"zir": other}))
    await wait_until(client, lambda: any("later" in m.message for m in client.messages))
    texts = [m.message for m in client.messages if "invalid settings" in m.message]
    # initialize, initialized's pull and the first change all carry 'soon': one warning; 'later' is new
    assert len(texts) == 2, texts
    assert "'soon'" in texts[0] and "'later'" in texts[1]


# ---------------------------------------------------------------------- 20: positions out of range


def _frame(obj: dict[str, Any]) -> bytes:
    data = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


def _read_exactly(proc: subprocess.Popen[bytes], size: int) -> bytes:
    """``size`` bytes of the server's stdout, waiting at most ``WAIT`` for each piece. The pipe is unbuffered
    (``bufsize=0``): a buffered reader could hold the next message while ``select`` waits on the empty pipe."""
    assert proc.stdout is not None
    data = b""
    while len(data) < size:
        ready, _, _ = select.select([proc.stdout], [], [], WAIT)
        assert ready, "the server did not answer"
        chunk = proc.stdout.read(size - len(data))
        assert chunk, "the server closed its output"
        data += chunk
    return data


def _read_message(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    header = b""
    while not header.endswith(b"\r\n\r\n"):
        header += _read_exactly(proc, 1)
    length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
    message: dict[str, Any] = json.loads(_read_exactly(proc, length))
    return message


def _response(proc: subprocess.Popen[bytes], msg_id: int) -> dict[str, Any]:
    while True:
        message = _read_message(proc)
        if message.get("id") == msg_id and "method" not in message:
            return message


@pytest.mark.parametrize("line,character", [(-1, 0), (0, -5), (0, 2**32), (2**40, 0)])
def test_every_request_with_an_out_of_range_position_is_answered(tmp_path: Path, line: int, character: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        bufsize=0,
    )
    assert proc.stdin is not None
    uri = (tmp_path / "x.zir").as_uri()
    try:
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}))
        proc.stdin.flush()
        assert "result" in _response(proc, 1)
        doc = {"uri": uri, "languageId": "zir", "version": 1, "text": "@a = int(1)\n"}
        position = {"line": line, "character": character}
        requests = [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/references",
            "textDocument/completion",
        ]
        proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": doc}}))
        for i, method in enumerate(requests):
            params: dict[str, Any] = {"textDocument": {"uri": uri}, "position": position}
            if method == "textDocument/references":
                params["context"] = {"includeDeclaration": True}
            proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 10 + i, "method": method, "params": params}))
        proc.stdin.flush()
        for i, method in enumerate(requests):
            answer = _response(proc, 10 + i)
            assert answer.get("error", {}).get("code") == types.ErrorCodes.InvalidParams, (method, answer)
        # the server keeps serving: a valid request is answered normally
        ok = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}}
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 99, "method": "textDocument/hover", "params": ok}))
        proc.stdin.flush()
        assert "result" in _response(proc, 99)
    finally:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------------- a file URI of another host


async def test_a_file_uri_naming_another_host_is_not_built(client: LanguageClient, ws: Workspace) -> None:
    """``file://HOST/p`` names a file on another machine: the document gets the editor tier only, like an
    ``untitled:`` one, and a rebuild is refused with a clear answer. pygls's ``to_fs_path`` turned it into
    ``//HOST/p``, which Linux reads as ``/HOST/p``, and a save built there: a ``file://server/x.zir`` document
    made the server create ``/server/zig-out/bin`` at the root of the file system. Here HOST is the workspace's
    own first path component, so that the old reading lands inside the workspace (and the test stays harmless
    when the bug is back)."""
    (ws.root / "remote.zir").write_text(V1)
    host, *rest = ws.root.parts[1:]
    uri = f"file://{host}/{'/'.join(rest)}/remote.zir"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="zir", version=1, text=V1)
        )
    )
    await wait_diagnostics(client, uri, lambda p: p.version == 1)  # the editor tier serves it
    with pytest.raises(JsonRpcException) as refusal:
        await rebuild(client, uri)
    assert refusal.value.code == types.LSPErrorCodes.RequestFailed
    assert str(refusal.value.message) == f"{uri} has no file to build"
    assert not (ws.root / "zig-out").exists()
