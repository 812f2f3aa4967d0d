"""Progress of one update: its phase and decls done / total, handed to an optional sink every few work items.

The Module calls ``QueueProgress.step`` once per work item only when a sink is set (one ``is None`` test per
item otherwise); the sink itself is called every ``REPORT_EVERY`` items and at each phase change, so its cost
is bounded by the number of decls / ``REPORT_EVERY`` (bench/progress_cost.py measures it).
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from typing import Any, Final

REPORT_EVERY: Final = 64
"""Work items between two calls of the sink (within one phase)."""


class Phase(enum.Enum):
    """The phases of an update, in order."""

    PARSE = "parse"
    ANALYSE = "analyse"
    """Decl-level analysis (types, constants, function signatures)."""
    GENERATE = "generate"
    """Function bodies: analysis to AIR and machine code."""
    WRITE = "write"
    """The linker's flush and commit."""

    @property
    def share(self) -> tuple[int, int]:
        """The percentage range of the whole update this phase covers (for one overall figure)."""
        match self:
            case Phase.PARSE:
                return (0, 10)
            case Phase.ANALYSE:
                return (10, 30)
            case Phase.GENERATE:
                return (30, 95)
            case Phase.WRITE:
                return (95, 100)


ProgressSink = Callable[[Phase, int, int], None]
"""Called with (phase, done, total); total 0 when unknown (parsing, writing)."""


def percentage(phase: Phase, done: int, total: int) -> int:
    """One 0–100 figure for the whole update."""
    low, high = phase.share
    if total <= 0:
        return low
    return low + (high - low) * min(done, total) // total


class QueueProgress:
    """Counts the work queue's items per phase and reports to ``sink`` every ``REPORT_EVERY`` of them."""

    __slots__ = ("codegen_kind", "countdown", "done", "estimate", "generating", "phase", "queue", "sink", "total")

    def __init__(
        self, sink: ProgressSink, queue: deque[tuple[Any, Any]], codegen_kind: object, estimate: Callable[[], int]
    ) -> None:
        self.sink = sink
        self.queue = queue
        """The Module's work queue: (kind, decl) items."""
        self.codegen_kind = codegen_kind
        self.estimate = estimate
        """Decls not analysed yet: code generation reaches many of them only through the bodies it analyses
        (a callee is queued when its caller's body is), so they count in the generate phase's total."""
        self.phase = Phase.ANALYSE
        self.generating = False
        self.done = 0
        self.countdown = REPORT_EVERY
        self.total = len(queue)
        sink(Phase.ANALYSE, 0, self.total)

    def step(self, kind: object) -> None:
        """One work item of ``kind`` was taken from the queue (kept to a few attribute operations)."""
        if kind is self.codegen_kind and not self.generating:
            self._start_generate()
        self.done += 1
        self.countdown -= 1
        if not self.countdown:
            self.countdown = REPORT_EVERY
            self.total = max(self.total, self.done)
            self.sink(self.phase, self.done, self.total)

    def _start_generate(self) -> None:
        """The first code-generation item starts the generate phase for good (its total counted once from the
        queue); later analysis items count there."""
        self.generating = True
        self.phase = Phase.GENERATE
        self.done = 0
        self.countdown = REPORT_EVERY
        self.total = sum(1 for k, _ in self.queue if k is self.codegen_kind) + 1 + self.estimate()
        self.sink(Phase.GENERATE, 0, self.total)

    def finish(self) -> None:
        """The queue is empty: report the phase as complete."""
        self.total = max(self.total, self.done)
        self.sink(self.phase, self.total, self.total)
