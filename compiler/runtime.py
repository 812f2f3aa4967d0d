"""Process-wide runtime settings for compiler work: the garbage collector's thresholds and the deep-stack runner."""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from collections.abc import Callable, Iterator

GC_THRESHOLDS = (100_000, 50, 100)
"""Collector thresholds for compiler processes (the CLI commands, the language server): a build allocates
millions of long-lived objects (the ZIR, AIR, decl tables), and the default gen-0 threshold of 700 rescans them
over and over (≈ 15 % of a full build at N = 10 000, performance.md P4; occasional 150 ms pauses in the server's
keystroke path). Cycles are still collected, just in larger batches."""


def tune_gc() -> None:
    """Apply ``GC_THRESHOLDS`` to this process."""
    gc.set_threshold(*GC_THRESHOLDS)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cycle collection inside: for a one-shot build, whose process exits after it. The collector's passes
    over the millions of objects a build keeps cost about 8% of its CPU time at N = 10 000; the cyclic garbage
    left meanwhile adds about 4% to the peak memory."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


DEEP_STACK_BYTES = 512 * 1024 * 1024
"""Stack of the analysis thread for bigger files: decl-level references are analysed recursively (a decl
using a later decl analyses it first), about ten Python frames per level."""
DEEP_RECURSION_LIMIT = 1_000_000


def run_with_deep_stack(fn: Callable[[], None], *, deep: bool) -> None:
    """Run ``fn`` on a thread with a large stack and recursion limit when ``deep``; re-raise its exception."""
    if not deep:
        fn()
        return
    failure: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            failure.append(exc)

    if sys.getrecursionlimit() < DEEP_RECURSION_LIMIT:
        sys.setrecursionlimit(DEEP_RECURSION_LIMIT)
    previous = threading.stack_size(DEEP_STACK_BYTES)
    try:
        worker = threading.Thread(target=target, name="zir-analysis")
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    if failure:
        raise failure[0]
