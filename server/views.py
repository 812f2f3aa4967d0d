"""``zir/disassembly`` and ``zir/layout``: each document's last two committed binaries and their JSON.

After every committed build the output's bytes are kept (the last two builds per document), so a request
answers for the document's last good binary even while a newer build is failing, and marks what differs
from the build before it. Parsing and disassembly run off the event loop (docs/inspect.md).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from server import backend
from server.protocol import BuildFinished

KEPT_BUILDS = 2
"""The binary of the last build and of the one before it (for ``changed``)."""


@dataclass(slots=True)
class Snapshot:
    """The bytes of one committed build's output, parsed on first use."""

    build_id: int
    path: str
    data: bytes
    parsed: backend.InspectedBinary | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def binary(self) -> backend.InspectedBinary:
        with self.lock:
            if self.parsed is None:
                self.parsed = backend.inspect(self.path, self.data)
            return self.parsed


class BinaryViews:
    """The snapshots of every open document, by URI (mutated on the event loop only)."""

    def __init__(self) -> None:
        self.snapshots: dict[str, list[Snapshot]] = {}

    def record(self, payload: BuildFinished) -> None:
        """After a build: keep the output's bytes if the build committed it."""
        if not payload.committed or payload.binary is None or payload.image is None:
            return
        data = payload.image  # read by the build's thread right after its commit, not here on the loop
        history = self.snapshots.setdefault(payload.uri, [])
        history.append(Snapshot(payload.build_id, payload.binary, data))
        del history[:-KEPT_BUILDS]

    def forget(self, uri: str) -> None:
        """The document was closed."""
        self.snapshots.pop(uri, None)

    def _pair(self, uri: str) -> tuple[Snapshot, Snapshot | None]:
        history = self.snapshots.get(uri)
        if not history:
            raise JsonRpcException(
                f"no binary has been built for {uri} yet (save the file to build it)",
                code=types.LSPErrorCodes.RequestFailed,
            )
        return history[-1], history[-2] if len(history) > 1 else None

    async def disassembly(self, uri: str, decl: str | None) -> dict[str, Any]:
        """The ``zir/disassembly`` result."""
        current, previous = self._pair(uri)

        def job() -> dict[str, Any]:
            old = _parsed_or_none(previous)
            return backend.disassembly_json(current.binary(), old, decl)

        return _answer(uri, current, await asyncio.to_thread(_guard, job))

    async def layout(self, uri: str) -> dict[str, Any]:
        """The ``zir/layout`` result."""
        current, previous = self._pair(uri)

        def job() -> dict[str, Any]:
            return backend.layout_json(current.binary(), _parsed_or_none(previous))

        return _answer(uri, current, await asyncio.to_thread(_guard, job))


def _parsed_or_none(snapshot: Snapshot | None) -> backend.InspectedBinary | None:
    if snapshot is None:
        return None
    try:
        return snapshot.binary()
    except backend.InspectError:
        return None


def _guard(job: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = job()
    except backend.InspectError as error:
        raise JsonRpcException(str(error), code=types.LSPErrorCodes.RequestFailed) from None
    return result


def _answer(uri: str, snapshot: Snapshot, result: dict[str, Any]) -> dict[str, Any]:
    result["uri"] = uri
    result["update"] = snapshot.build_id
    return result


def params_of(params: Any) -> tuple[str, str | None]:
    """``(uri, decl)`` from the request's params (``{"textDocument": {"uri"}, "decl"?}``)."""

    def get(obj: Any, key: str) -> Any:
        return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)

    document = get(params, "textDocument")
    uri = get(document, "uri") if document is not None else None
    if not isinstance(uri, str):
        raise JsonRpcException("params.textDocument.uri is required", code=types.ErrorCodes.InvalidParams)
    decl = get(params, "decl")
    return uri, decl if isinstance(decl, str) and decl else None
