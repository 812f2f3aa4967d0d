"""Large answers as JSON text written in pieces: no Python object per value of the answer, no copy of the whole.

A whole-document answer at N = 100 000 is 10⁵–10⁷ JSON values (documentSymbol, foldingRange, full semantic
tokens). Built as dicts and lists and then ``json.dumps``-ed by pygls, it held the objects (hundreds of MiB), the
text, the text with its header and the encoded bytes at once (docs/design/performance.md §9.4). Here the
features append the JSON text of each part as they go, in pieces of about 64 KiB; ``write_response`` sends the
response's header and then the pieces, so the answer exists once, as compact bytes, until it is written.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

_PIECE = 64 * 1024
"""Bytes gathered before a piece is closed (a handful of writes per MiB, little slack per piece)."""


class EncodedJson:
    """One JSON value, its text encoded as UTF-8 (ASCII: ``json`` escapes the rest) in ``pieces``."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def __len__(self) -> int:
        """The length of the text in bytes."""
        return sum(map(len, self.pieces))

    def value(self) -> Any:
        """The value decoded (tests and small answers only: this builds every object the pieces avoid)."""
        return json.loads(b"".join(self.pieces))


class JsonWriter:
    """Collects JSON text in order and closes it into pieces of about ``_PIECE`` bytes."""

    __slots__ = ("_parts", "_size", "pieces")

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self._parts: list[str] = []
        self._size = 0

    def add(self, text: str) -> None:
        """Append ``text`` (already JSON: strings quoted with ``string``)."""
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _PIECE:
            self._close()

    def _close(self) -> None:
        if self._parts:
            self.pieces.append("".join(self._parts).encode("ascii"))
            self._parts = []
            self._size = 0

    def done(self) -> EncodedJson:
        """The value written so far."""
        self._close()
        return EncodedJson(self.pieces)


def string(value: str) -> str:
    """``value`` as a JSON string (ASCII, as pygls's ``json.dumps`` writes it)."""
    return json.dumps(value)


def write_response(writer: Any, msg_id: int | str, result: EncodedJson, headers: bool) -> None:
    """Send the JSON-RPC response ``{"id", "jsonrpc", "result"}`` with ``result`` written piece by piece.

    ``writer`` is pygls's: a stream whose ``write`` takes bytes (stdio, TCP) or returns an awaitable (web
    sockets, one message per call: the response is joined into one write there)."""
    head = b'{"id":%s,"jsonrpc":"2.0","result":' % json.dumps(msg_id).encode("ascii")
    length = len(head) + len(result) + 1
    header = b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % length
    if not headers:
        _write(writer, b"".join([head, *result.pieces, b"}"]))
        return
    _write(writer, header + head)
    for piece in result.pieces:
        _write(writer, piece)
    _write(writer, b"}")


_PENDING: set[asyncio.Future[Any]] = set()
"""Writes of an awaitable writer still running (held so they are not collected mid-way)."""


def _write(writer: Any, data: bytes) -> None:
    res = writer.write(data)
    if inspect.isawaitable(res):
        future = asyncio.ensure_future(res)
        _PENDING.add(future)
        future.add_done_callback(_PENDING.discard)
