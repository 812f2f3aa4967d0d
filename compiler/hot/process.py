"""The running program: started as our own child, watched through a pidfd, reaped exactly once.

``zir run --hot`` and the language server start the program themselves so that ptrace permission holds under
the usual ``ptrace_scope`` settings (docs/design/elf-linker.md §17). The exit status may be collected by
``wait`` or by the swap (a process that exits while being stopped is reaped by the tracer's waitpid); both
go through ``record_status`` so it is reported once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Segment:
    """One ``PT_LOAD`` of the image the process was started from: ``[vaddr, vaddr + memsz)``."""

    vaddr: int
    memsz: int

    @property
    def end(self) -> int:
        """The end of the mapping (the kernel maps whole pages)."""
        return (self.vaddr + self.memsz + 0xFFF) & ~0xFFF


@dataclass(slots=True)
class Program:
    """One started process of the output."""

    pid: int
    text: Segment
    got: Segment
    entry: int
    pidfd: int
    status: int | None = None
    """The wait status once reaped."""
    swaps: int = 0
    killed: bool = False
    """Stopped by us (a restart or ``stop``): its end is not reported as an exit."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def exit_code(self) -> int | None:
        """The exit code, or minus the signal number; None while running."""
        if self.status is None:
            return None
        if os.WIFSIGNALED(self.status):
            return -os.WTERMSIG(self.status)
        return os.WEXITSTATUS(self.status)

    def record_status(self, status: int) -> None:
        with self.lock:
            if self.status is None:
                self.status = status

    def poll(self) -> int | None:
        """Reap the process if it has exited (without blocking); its exit code or None."""
        if self.status is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return self.exit_code
            if pid == self.pid and (os.WIFEXITED(status) or os.WIFSIGNALED(status)):
                self.record_status(status)
        return self.exit_code

    def wait(self) -> int:
        """Block until the process has exited and been reaped."""
        while self.poll() is None:
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                break
            if os.WIFEXITED(status) or os.WIFSIGNALED(status):
                self.record_status(status)
        code = self.exit_code
        return -1 if code is None else code

    def kill(self) -> int:
        """SIGKILL and reap; the exit code (normally -9)."""
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        code = self.wait()
        self.close()
        return code

    def close(self) -> None:
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1

    def thread_ids(self) -> list[int]:
        """The process's threads (``/proc/PID/task``); empty when it is gone."""
        try:
            return sorted(int(t) for t in os.listdir(f"/proc/{self.pid}/task"))
        except (FileNotFoundError, ProcessLookupError):
            return []

    def watch_exit(self, on_exit: Callable[[Program], None]) -> None:
        """Call ``on_exit(self)`` from a daemon thread once the process has terminated (pidfd readable).
        The callback decides who reaps (it runs on the watcher thread)."""
        import select

        fd = os.dup(self.pidfd)

        def run() -> None:
            try:
                select.select([fd], [], [])
            finally:
                os.close(fd)
            on_exit(self)

        threading.Thread(target=run, name=f"zir-hot-exit-{self.pid}", daemon=True).start()


def spawn(
    path: str,
    args: list[str],
    text: Segment,
    got: Segment,
    entry: int,
    *,
    stdout: int | None = None,
    stderr: int | None = None,
) -> Program:
    """Start ``path`` with ``args``: stdin ``/dev/null``, stdout/stderr inherited unless given."""
    actions: list[tuple[int, ...] | tuple[int, int, str, int, int]] = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)
    ]
    if stdout is not None:
        actions.append((os.POSIX_SPAWN_DUP2, stdout, 1))
    if stderr is not None:
        actions.append((os.POSIX_SPAWN_DUP2, stderr, 2))
    pid = os.posix_spawn(os.path.abspath(path), [path, *args], dict(os.environ), file_actions=actions)
    pidfd = os.pidfd_open(pid)
    return Program(pid, text, got, entry, pidfd)
