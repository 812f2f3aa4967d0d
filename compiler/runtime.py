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


class _DeepWorker:
    """One parked thread with a deep stack that runs the calls handed to it, one at a time.

    Starting a thread per update cost about 0.2 ms of a one-function edit (the 512 MB stack is mapped, its
    touched pages faulted in and unmapped again, since glibc caches only small stacks) and two scheduler
    wake-ups; the worker is started once and reused, so an update only hands ``fn`` over and waits."""

    def __init__(self) -> None:
        self._request = threading.Lock()
        self._request.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self._fn: Callable[[], None] | None = None
        self._failure: BaseException | None = None
        self.busy = threading.Lock()
        """Held by the caller whose ``fn`` the worker runs (a second caller meanwhile gets its own thread)."""
        self.abandoned = False
        self.thread = _start_deep_thread(self._serve, "zir-analysis")

    def _serve(self) -> None:
        _state.deep = True
        while True:
            self._request.acquire()
            fn, self._fn = self._fn, None
            assert fn is not None
            try:
                fn()
            except BaseException as exc:  # re-raised in the caller
                self._failure = exc
            fn = None  # parked, the worker keeps nothing alive (the last Module would stay reachable)
            self._done.release()

    def run(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the worker and wait for it; re-raise its exception. The caller holds ``busy``."""
        self._fn, self._failure = fn, None
        self._request.release()
        try:
            self._done.acquire()
        except BaseException:  # interrupted (KeyboardInterrupt) while fn still runs: never hand it more work
            self.abandoned = True
            raise
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure


class _State(threading.local):
    deep = False
    """This thread has a deep stack (the worker, or a thread started for a nested call)."""


_state = _State()
_worker: _DeepWorker | None = None
_worker_lock = threading.Lock()
threads_started = 0
"""Deep-stack threads started in this process (tests count them: one for any number of updates)."""


def _start_deep_thread(target: Callable[[], None], name: str) -> threading.Thread:
    global threads_started
    if sys.getrecursionlimit() < DEEP_RECURSION_LIMIT:
        sys.setrecursionlimit(DEEP_RECURSION_LIMIT)
    previous = threading.stack_size(DEEP_STACK_BYTES)
    try:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous)
    threads_started += 1
    return thread


def _shared_worker() -> _DeepWorker:
    global _worker
    with _worker_lock:
        if _worker is None or _worker.abandoned or not _worker.thread.is_alive():
            _worker = _DeepWorker()
        return _worker


def run_with_deep_stack(fn: Callable[[], None], *, deep: bool) -> None:
    """Run ``fn`` on a thread with a large stack and recursion limit when ``deep``; re-raise its exception.

    The process's one deep worker runs it when it is free; a nested call (a compile-time call inside the
    analysis the worker runs) or a second concurrent caller gets a thread of its own, so every call starts
    with the whole deep stack, as before."""
    if not deep:
        fn()
        return
    worker = _shared_worker()
    if not _state.deep and worker.busy.acquire(blocking=False):
        try:
            worker.run(fn)
        finally:
            worker.busy.release()
        return
    failure: list[BaseException] = []

    def target() -> None:
        _state.deep = True
        try:
            fn()
        except BaseException as exc:
            failure.append(exc)

    _start_deep_thread(target, "zir-analysis-nested").join()
    if failure:
        raise failure[0]
