"""One open root document: its text, version, the two Compilations and the state of their runs (lsp.md §3).

Fields are read and written on the event loop, except ``editor`` (only the editor thread touches it) and
``build`` (only the build thread) — see ``server.jobs``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from compiler.zir.incremental_format import FormatCache
from server import backend
from server.live import LiveRun
from server.outline import DocOutline, OutlineTracker
from server.positions import Encoding, LspLineIndex, line_index
from server.protocol import BuildFinished


@dataclass(eq=False, slots=True)
class Session:
    """One open root document and its two Compilations."""

    uri: str
    path: str | None
    """The file on disk, or None for an ``untitled:`` document (editor tier only)."""
    text: bytes
    """The editor buffer, encoded as UTF-8 (changes are applied here with our own line index)."""
    version: int
    disk_digest: bytes | None = None
    """The hash of the bytes last seen on disk (at open or save; None: unreadable), to tell a clean buffer from a
    dirty one (``documents._digest``)."""
    closed: bool = False
    editor: backend.EditorCompilation | None = None
    """Touched only by the editor executor."""
    build: backend.BuildCompilation | None = None
    """Touched only by the build executor."""
    debounce: asyncio.Task[None] | None = None
    """The pending debounce sleep (cancelled by the next change)."""
    editor_task: asyncio.Task[None] | None = None
    """The running editor-tier loop, if any."""
    editor_again: bool = False
    """Set when a newer editor run was requested while one was running."""
    build_task: asyncio.Task[None] | None = None
    build_waiters: list[asyncio.Future[BuildFinished]] = field(default_factory=list)
    """Requests waiting for the next build (one waiting build per URI; newer requests join it)."""
    outlines: OutlineTracker = field(default_factory=OutlineTracker)
    """The outline, spliced on every change (built off the loop at first use)."""
    last_build: BuildFinished | None = None
    editor_runs: int = 0
    """Editor-tier compilations started for this document (a machine-independent cost measure)."""
    builds: int = 0
    """Build-tier updates started for this document."""
    binary_path: str | None = None
    """The output of the last committed build (its symbols are read only when hover asks)."""
    live: LiveRun | None = None
    """The live run (``zir.runLive``) while one is attached; its process work runs on the build thread."""
    formats: FormatCache = field(default_factory=FormatCache)
    """The formatting of the latest text formatted, per unit (``formatting`` re-formats only changed units)."""
    binary_symbols: tuple[tuple[str, int, int], dict[str, tuple[int, int]]] | None = None
    """Hover's cache: ``((path, st_mtime_ns, st_size), name → (address, size))`` of the binary read last."""

    def is_open(self) -> bool:
        """False once the document was closed (results for it are dropped)."""
        return not self.closed

    async def outline(self) -> DocOutline:
        """The outline of the current text (spliced per edit; the first one is built off the loop)."""
        return await self.outlines.get(self.text)

    def index(self, encoding: Encoding) -> LspLineIndex:
        """A line index over the current text."""
        return line_index(self.text, encoding)
