"""Applying committed updates to a running process: stop every thread, check its frames, write, detach.

docs/design/elf-linker.md §17: ``PTRACE_SEIZE`` + ``PTRACE_INTERRUPT`` + ``waitpid`` for every thread of
``/proc/PID/task``; code (and data) written through ``/proc/PID/mem`` (which writes read-only and executable
pages of a stopped tracee, so the segments keep W^X), then each GOT slot as one aligned 8-byte write — code
always before the slot that publishes it; then detach. The frame walk decides first whether the update may
be applied at all, and which quarantined blocks no frame is in any more.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from compiler.hot import frames, ptrace, reasons
from compiler.hot.process import Program
from compiler.link.elf.hot import HotPatch


@dataclass(slots=True)
class SwapResult:
    """The outcome of one attempt."""

    swapped: bool
    reason: str | None = None
    """Why not (one line); None when swapped."""
    ms: float = 0.0
    """How long the process was stopped."""
    exited: bool = False
    """The process exited before or while it was being stopped."""
    free_ghosts: set[int] = field(default_factory=set)
    """Addresses of quarantined function blocks that no frame is in (after a swap: releasable)."""
    bytes_written: int = 0


def apply(
    program: Program,
    patches: Sequence[HotPatch],
    type_changed: Sequence[str],
    held: Sequence[reasons.PointerHolder] = (),
) -> SwapResult:
    """Apply ``patches`` (in order) to ``program`` or say why not; the process runs on either way."""
    reason = reasons.room(program, patches)
    if reason is not None:
        return SwapResult(False, reason)
    if program.poll() is not None:
        return SwapResult(False, "the program exited", exited=True)
    stopped: dict[int, int] = {}
    """tid → signal to re-deliver at detach."""
    start = time.perf_counter()
    try:
        failure = _stop_all(program, stopped)
        if failure is not None:
            return failure
        mem_fd = os.open(f"/proc/{program.pid}/mem", os.O_RDWR | os.O_CLOEXEC)
        try:
            live: list[int] = []
            for tid in stopped:
                live.extend(frames.thread_addresses(mem_fd, tid))
            reason = reasons.frames(patches, type_changed, live, held)
            if reason is not None:
                return SwapResult(False, reason, ms=_ms(start))
            written = 0
            for patch in patches:
                for write in patch.code:
                    written += os.pwrite(mem_fd, write.data, write.vaddr)
            for patch in patches:
                for write in patch.got:
                    written += os.pwrite(mem_fd, write.data, write.vaddr)
        finally:
            os.close(mem_fd)
        free = _free_ghosts(patches[-1], live) if patches else set()
        result = SwapResult(True, None, free_ghosts=free, bytes_written=written)
    finally:
        for tid, sig in stopped.items():
            with contextlib.suppress(ptrace.PtraceError):  # a thread that exited meanwhile
                ptrace.detach(tid, sig)
    result.ms = _ms(start)
    program.swaps += 1
    return result


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _stop_all(program: Program, stopped: dict[int, int]) -> SwapResult | None:
    """Seize and stop every thread (threads started meanwhile included); a SwapResult when impossible."""
    while True:
        tids = [t for t in program.thread_ids() if t not in stopped]
        if not tids:
            if not stopped:
                program.poll()
                return SwapResult(False, "the program exited", exited=True)
            return None
        for tid in tids:
            try:
                ptrace.seize(tid)
            except ptrace.PtraceError as exc:
                if exc.errno == errno.ESRCH and tid != program.pid:
                    continue  # a thread that just exited
                if exc.errno == errno.ESRCH or program.poll() is not None:
                    return SwapResult(False, "the program exited", exited=True)
                return SwapResult(False, reasons.ptrace_denied(program.pid, exc.errno or 0))
            stopped[tid] = 0
            try:
                ptrace.interrupt(tid)
                stop = ptrace.wait_stop(tid)
            except ptrace.PtraceError as exc:  # gone meanwhile (or reaped by the exit watcher)
                del stopped[tid]
                if tid != program.pid and exc.errno == errno.ESRCH:
                    continue
                if program.poll() is not None or exc.errno in (errno.ESRCH, errno.ECHILD):
                    return SwapResult(False, "the program exited", exited=True)
                return SwapResult(False, f"ptrace failed: {exc}")
            if stop.exited:
                del stopped[tid]
                if tid == program.pid:
                    program.record_status(stop.status)
                    return SwapResult(False, "the program exited", exited=True)
                continue
            stopped[tid] = stop.pending_signal


def _free_ghosts(patch: HotPatch, live: list[int]) -> set[int]:
    addresses = sorted(live)
    free: set[int] = set()
    for vaddr, size, _, is_function, _ in patch.ghosts:
        if not is_function:
            continue
        i = bisect.bisect_left(addresses, vaddr)
        if i < len(addresses) and addresses[i] < vaddr + max(size, 1):
            continue
        free.add(vaddr)
    return free
