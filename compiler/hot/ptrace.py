"""ptrace(2) and waitpid(2) through ctypes: seize, interrupt, read registers, detach (x86-64 Linux).

Only what the hot swap needs (docs/design/elf-linker.md §17). Every call must come from the thread that
seized the tracee: the kernel ties a tracee to the tracing *thread*.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

PTRACE_GETREGS = 12
PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_EVENT_STOP = 128
WALL = 0x40000000
"""``__WALL``: wait for any child or tracee, thread or not."""

_libc = ctypes.CDLL(None, use_errno=True)
_ptrace = _libc.ptrace
_ptrace.restype = ctypes.c_long
_ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]


class UserRegs(ctypes.Structure):
    """``struct user_regs_struct`` of x86-64 (sys/user.h)."""

    _fields_ = [
        (name, ctypes.c_ulonglong)
        for name in (
            "r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss "
            "fs_base gs_base ds es fs gs"
        ).split()
    ]


class PtraceError(OSError):
    """A failed ptrace or waitpid call (``errno`` as in OSError)."""


def _check(result: int, what: str) -> int:
    if result == -1:
        err = ctypes.get_errno()
        raise PtraceError(err, f"{what}: {os.strerror(err)}")
    return result


def seize(tid: int) -> None:
    """Attach to ``tid`` without stopping it."""
    _check(_ptrace(PTRACE_SEIZE, tid, None, None), f"PTRACE_SEIZE {tid}")


def interrupt(tid: int) -> None:
    """Ask the seized ``tid`` to stop (a group-stop-like ``PTRACE_EVENT_STOP`` follows)."""
    _check(_ptrace(PTRACE_INTERRUPT, tid, None, None), f"PTRACE_INTERRUPT {tid}")


def detach(tid: int, signal: int = 0) -> None:
    """Let ``tid`` run on, delivering ``signal`` if a signal stop held one back."""
    _check(_ptrace(PTRACE_DETACH, tid, None, ctypes.c_void_p(signal)), f"PTRACE_DETACH {tid}")


def get_regs(tid: int) -> UserRegs:
    regs = UserRegs()
    _check(_ptrace(PTRACE_GETREGS, tid, None, ctypes.byref(regs)), f"PTRACE_GETREGS {tid}")
    return regs


@dataclass(frozen=True, slots=True)
class Stop:
    """What ``wait_stop`` saw for one thread."""

    exited: bool
    """The thread (or process) is gone: ``status`` is its wait status."""
    status: int
    pending_signal: int
    """A signal that stopped the thread and must be re-delivered at detach (0 for none)."""


def wait_stop(tid: int) -> Stop:
    """Wait until the seized ``tid`` stops (or exits)."""
    while True:
        try:
            _, status = os.waitpid(tid, WALL)
        except ChildProcessError as exc:
            raise PtraceError(exc.errno, f"waitpid {tid}: {exc.strerror}") from exc
        except InterruptedError:
            continue
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            return Stop(True, status, 0)
        if os.WIFSTOPPED(status):
            event = status >> 16
            if event == PTRACE_EVENT_STOP:
                return Stop(False, status, 0)
            return Stop(False, status, os.WSTOPSIG(status) if event == 0 else 0)
