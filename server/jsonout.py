"""Large answers as JSON text written in pieces: no Python object per value of the answer, no copy of the whole.

A whole-document answer at N = 100 000 is 10⁵–10⁷ JSON values (documentSymbol, foldingRange, full semantic
tokens). Built as dicts and lists and then ``json.dumps``-ed by pygls, it held the objects (hundreds of MiB), the
text, the text with its header and the encoded bytes at once (docs/design/performance.md §9.4). Here the
features append the JSON text of each part as they go, in pieces of about 64 KiB; ``write_response`` sends the
response's header and then the pieces, so the answer exists once, as compact bytes, until it is written. Past its
first ``_KEEP_RAW`` bytes an answer keeps its pieces zlib-compressed until each is written: the JSON of these
answers repeats itself (documentSymbol at N = 100 000: 21 MB of text, under 2 MB compressed), and the whole of it
waiting to be sent was the server's peak (docs/design/performance.md §9.4).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import zlib
from collections.abc import Iterator
from typing import Any

_PIECE = 64 * 1024
"""Bytes gathered before a piece is closed (a handful of writes per MiB, little slack per piece)."""
_KEEP_RAW = 2 * 1024 * 1024
"""Bytes of an answer kept as text; the pieces after them are compressed (an answer at N = 10 000 is about this
size, so only larger documents pay for the compression: ~2 ms a MiB, and ~1 ms a MiB to expand when sent)."""
_LEVEL = 1
"""zlib's fastest level: these pieces shrink 10–80 times at it."""


class EncodedJson:
    """One JSON value, its text encoded as UTF-8 (ASCII: ``json`` escapes the rest) in ``pieces``; the pieces
    from ``packed_from`` on are zlib-compressed (each on its own)."""

    __slots__ = ("packed_from", "pieces", "size")

    def __init__(self, pieces: list[bytes], size: int, packed_from: int) -> None:
        self.pieces = pieces
        self.size = size
        """The length of the text in bytes."""
        self.packed_from = packed_from

    def __len__(self) -> int:
        """The length of the text in bytes."""
        return self.size

    def chunks(self) -> Iterator[bytes]:
        """The text's pieces in order, each expanded only when reached."""
        for i, piece in enumerate(self.pieces):
            yield piece if i < self.packed_from else zlib.decompress(piece)

    def value(self) -> Any:
        """The value decoded (tests and small answers only: this builds every object the pieces avoid)."""
        return json.loads(b"".join(self.chunks()))


class JsonWriter:
    """Collects JSON text in order and closes it into pieces of about ``_PIECE`` bytes."""

    __slots__ = ("_parts", "_size", "packed_from", "pieces", "written")

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.written = 0
        """Bytes in ``pieces``."""
        self.packed_from = -1
        """The first compressed piece (-1: none yet)."""
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
            piece = "".join(self._parts).encode("ascii")
            self._parts = []
            self._size = 0
            if self.packed_from < 0 and self.written >= _KEEP_RAW:
                self.packed_from = len(self.pieces)
            self.written += len(piece)
            self.pieces.append(piece if self.packed_from < 0 else zlib.compress(piece, _LEVEL))

    def done(self) -> EncodedJson:
        """The value written so far."""
        self._close()
        return EncodedJson(self.pieces, self.written, len(self.pieces) if self.packed_from < 0 else self.packed_from)


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
        _write(writer, b"".join([head, *result.chunks(), b"}"]))
        return
    _write(writer, header + head)
    for piece in result.chunks():
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
