"""The server-side ``zir.run`` command: run the document's last good binary and report how it ended.

For clients without the VS Code extension's terminal (Neovim and others): the result is returned, sent as
``zir/runFinished`` and summed up with ``window/showMessage``; the output goes to ``window/logMessage``.
The program runs as a child process off the event loop, with a time limit, its output capped.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from server.protocol import CMD_RUN, RUN_FINISHED

if TYPE_CHECKING:
    from server.server import ZirLanguageServer

REQUEST_FAILED = -32803
OUTPUT_LIMIT = 64 * 1024
"""Bytes of each stream kept for the reply (the rest is dropped and ``truncated`` set)."""
TIME_LIMIT = 30.0
"""Seconds a run may take before it is killed (reported with its signal)."""


async def run_binary(uri: str, binary: str) -> dict[str, Any]:
    """Run ``binary`` in its directory; the ``zir/runFinished`` payload."""
    proc = await asyncio.create_subprocess_exec(
        binary,
        cwd=os.path.dirname(binary) or ".",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), TIME_LIMIT)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
    code = proc.returncode
    assert code is not None
    return {
        "uri": uri,
        "binary": binary,
        "exitCode": code if code >= 0 else None,
        "signal": signal.Signals(-code).name if code < 0 else None,
        "stdout": out[:OUTPUT_LIMIT].decode("utf-8", "replace"),
        "stderr": err[:OUTPUT_LIMIT].decode("utf-8", "replace"),
        "truncated": len(out) > OUTPUT_LIMIT or len(err) > OUTPUT_LIMIT,
    }


def register(server: ZirLanguageServer) -> None:
    """The ``zir.run`` server command (argument ``uri``)."""

    @server.command(CMD_RUN)
    async def run(ls: object, uri: str) -> object:  # pygls evaluates these annotations: no server types
        session = server.session(str(uri))
        if session is None or session.path is None:
            raise JsonRpcException(f"{uri} is not an open file", code=REQUEST_FAILED)
        if not server.documents.workspace_trusted:
            raise JsonRpcException("running is disabled in an untrusted workspace", code=REQUEST_FAILED)
        binary = session.binary_path
        if binary is None:  # nothing built yet: build the saved file first
            payload = await server.documents.request_build(session)
            binary = payload.binary if payload.ok else None
        if binary is None or not os.path.exists(binary):
            raise JsonRpcException("nothing to run: the file has no successful build yet", code=REQUEST_FAILED)
        try:
            result = await run_binary(session.uri, binary)
        except OSError as exc:  # an object file (outputMode obj), an output deleted or replaced since the build
            raise JsonRpcException(f"unable to run '{binary}': {exc.strerror or exc}", code=REQUEST_FAILED) from None
        server.protocol.notify(RUN_FINISHED, result)
        for stream in ("stdout", "stderr"):
            if result[stream]:
                server.window_log_message(
                    types.LogMessageParams(type=types.MessageType.Log, message=f"{binary} {stream}:\n{result[stream]}")
                )
        ended = f"exited with {result['exitCode']}" if result["signal"] is None else f"killed by {result['signal']}"
        kind = types.MessageType.Info if result["exitCode"] == 0 else types.MessageType.Warning
        server.window_show_message(types.ShowMessageParams(type=kind, message=f"{os.path.basename(binary)} {ended}"))
        return result
