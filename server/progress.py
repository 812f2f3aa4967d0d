"""``$/progress`` reports of long compilations: throttled on the compiler's thread, sent from the event loop.

The compiler reports its phase and decls done / total from an executor thread (``backend.ProgressReport``);
``LoopReporter`` forwards a report when the phase changes or ``MIN_INTERVAL_S`` has passed since the last one,
through ``call_soon_threadsafe``, so the event loop sends every notification and none after the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

LARGE_FILE_BYTES = 256 * 1024
"""The first analysis of a document at least this big reports progress (smaller ones finish too soon)."""
MIN_INTERVAL_S = 0.1
"""At most this often within one phase."""

Send = Callable[[str, str, int], None]
"""(token, message, percentage): sends one ``WorkDoneProgressReport``; called on the event loop."""


class LoopReporter:
    """A ``backend.ProgressReport`` for one progress token; ``close()`` (on the loop) stops it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, send: Send, token: str) -> None:
        self.loop = loop
        self.send = send
        self.token = token
        self.last = float("-inf")
        self.active = True

    def __call__(self, message: str, percentage: int, phase_changed: bool) -> None:
        """Executor thread: forward the report unless one of the same phase went out just now."""
        now = time.monotonic()
        if not phase_changed and now - self.last < MIN_INTERVAL_S:
            return
        self.last = now
        self.loop.call_soon_threadsafe(self._send, message, percentage)

    def _send(self, message: str, percentage: int) -> None:
        if self.active:
            self.send(self.token, message, percentage)

    def close(self) -> None:
        self.active = False
