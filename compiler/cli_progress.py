"""The progress bar of ``zir build`` / ``zir run`` on a terminal (rich): phase, decls done / total, elapsed.

It appears only once an update has run ``delay`` seconds (``ZIR_PROGRESS_DELAY``, default 0.5) and never
when stderr is not a terminal; it is transient, so the errors printed afterwards are all that remains.
"""

from __future__ import annotations

import os
import threading
from types import TracebackType
from typing import TextIO

from compiler.progress import Phase

REFRESH_PER_SECOND = 2
"""Redraws per second by rich's thread (one redraw costs about a millisecond: bench/progress_cost.py)."""
DEFAULT_DELAY_S = 0.5
DELAY_ENV = "ZIR_PROGRESS_DELAY"
"""Seconds before the bar appears (0: from the start of the update; used by the tests)."""


def wanted(stream: TextIO) -> bool:
    """A bar is drawn only on a terminal (and not for ``TERM=dumb``)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty()) and os.environ.get("TERM") != "dumb"


def delay_from_env() -> float:
    try:
        return max(0.0, float(os.environ.get(DELAY_ENV, DEFAULT_DELAY_S)))
    except ValueError:
        return DEFAULT_DELAY_S


class ProgressBar:
    """A ``ProgressSink`` drawing one rich progress line on ``stream``; use as a context manager around an
    update. The sink only records the numbers (cheap); rich's own thread redraws the line."""

    def __init__(self, stream: TextIO, delay: float) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(file=stream, force_terminal=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("decls"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            refresh_per_second=REFRESH_PER_SECOND,
        )
        self.task = self.progress.add_task(Phase.PARSE.value, total=None)
        self.delay = delay
        self.lock = threading.Lock()
        self.shown = False
        self.closed = False
        self.timer: threading.Timer | None = None
        self.phase = Phase.PARSE

    def __call__(self, phase: Phase, done: int, total: int) -> None:
        if total:
            self.progress.update(self.task, description=phase.value, completed=done, total=total)
        else:  # parsing, writing: no decl count of their own; the last one stays shown
            self.progress.update(self.task, description=phase.value)
        if phase is not self.phase:  # every phase is drawn at least once, however short
            self.phase = phase
            with self.lock:
                if self.shown and not self.closed:
                    self.progress.refresh()

    def _show(self) -> None:
        with self.lock:
            if not self.closed and not self.shown:
                self.shown = True
                self.progress.start()

    def __enter__(self) -> ProgressBar:
        if self.delay <= 0:
            self._show()
        else:
            self.timer = threading.Timer(self.delay, self._show)
            self.timer.daemon = True
            self.timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            self.closed = True
            if self.shown:
                self.progress.stop()
