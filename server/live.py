"""Run live (docs/hot-swap.md): the document's program keeps running and every build is swapped into it.

Server commands ``zir.runLive`` (uri) and ``zir.stop`` (uri); notifications ``zir/programOutput``
``{uri, pid, stream, text}`` and ``zir/programExited`` ``{uri, pid, exitCode}``; the ``hot`` object of
``zir/buildFinished``. While a live run is attached the build tier compiles in the hot-swap layout
(``server.jobs``), and right after each build's commit, on the build thread, ``after_build`` applies it to the
process (``compiler.hot.session``). Protocol glue only: the process machinery is in ``compiler/hot``.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from server import backend
from server.protocol import CMD_RUN_LIVE, CMD_STOP, PROGRAM_EXITED, PROGRAM_OUTPUT

if TYPE_CHECKING:
    from server.server import ZirLanguageServer

log = logging.getLogger("zir-live")

Notify = Callable[[str, dict[str, Any]], None]
"""Sends a notification from any thread (the loop does the sending)."""


class LiveRun:
    """The live run of one document: settings taken at ``zir.runLive``, the hot session once built."""

    def __init__(self, uri: str, notify: Notify, *, hot: bool, restart: bool) -> None:
        self.uri = uri
        self.notify = notify
        self.hot = hot
        """``zir.run.hot``: swap updates in (else every committed build restarts the program)."""
        self.restart = restart
        """``zir.run.restartWhenSwapImpossible``."""
        self.program: backend.LiveProgram | None = None
        self.decoders: dict[tuple[int, str], codecs.IncrementalDecoder] = {}

    def after_build(self, build: backend.BuildCompilation, committed: bool, binary: str | None) -> dict[str, object]:
        """Build thread: apply the build to the program (starting it if none runs); the ``hot`` object."""
        try:
            if self.program is None or self.program.build is not build:
                if self.program is not None:
                    self.program.stop()
                self.program = backend.LiveProgram(
                    build, restart=self.restart, on_exit=self._exited, on_output=self._output
                )
            return self.program.after_commit(committed, binary)
        except Exception as exc:  # the build stays good; the run reports why it could not follow
            log.exception("live run of %s failed", self.uri)
            reason = f"internal error: {type(exc).__name__}: {exc}"
            return {"pid": None, "swapped": False, "restarted": False, "reason": reason, "ms": 0.0}

    def stop(self) -> int | None:
        """Stop the program; its exit code (None if none ran)."""
        program, self.program = self.program, None
        return None if program is None else program.stop()

    def _output(self, pid: int, stream: str, data: bytes) -> None:
        decoder = self.decoders.setdefault((pid, stream), codecs.getincrementaldecoder("utf-8")("replace"))
        text = decoder.decode(data)
        if text:
            self.notify(PROGRAM_OUTPUT, {"uri": self.uri, "pid": pid, "stream": stream, "text": text})

    def _exited(self, code: int, pid: int) -> None:
        self.notify(PROGRAM_EXITED, {"uri": self.uri, "pid": pid, "exitCode": code})


def stop_document(server: ZirLanguageServer, uri: str) -> None:
    """The document closes: its program stops with it."""
    session = server.session(uri)
    if session is not None and session.live is not None:
        live, session.live = session.live, None
        live.stop()


def register(server: ZirLanguageServer) -> None:
    """The ``zir.runLive`` and ``zir.stop`` commands."""
    loop_holder: list[asyncio.AbstractEventLoop] = []

    def notify(method: str, params: dict[str, Any]) -> None:
        if loop_holder:
            loop_holder[0].call_soon_threadsafe(server.protocol.notify, method, params)

    @server.command(CMD_RUN_LIVE)
    async def run_live(ls: object, uri: str) -> object:  # pygls evaluates these annotations: no server types
        session = server.session(str(uri))
        if session is None or session.path is None:
            raise JsonRpcException(f"{uri} is not an open file", code=types.LSPErrorCodes.RequestFailed)
        if not loop_holder:
            loop_holder.append(asyncio.get_running_loop())
        if session.live is None:
            run = server.documents.settings.run
            session.live = LiveRun(session.uri, notify, hot=run.hot, restart=run.restart_when_swap_impossible)
        payload = await server.documents.request_build(session)
        return payload.to_json()

    @server.command(CMD_STOP)
    async def stop(ls: object, uri: str) -> object:
        session = server.session(str(uri))
        if session is None or session.live is None:
            return {"uri": uri, "exitCode": None}
        live, session.live = session.live, None
        code = await asyncio.get_running_loop().run_in_executor(None, live.stop)
        return {"uri": uri, "exitCode": code}
