"""A hot session: one Compilation in the hot-swap layout and the program started from its output.

After every committed update ``after_update`` applies the update to the running process (``swap.apply``), or
restarts the program when that is impossible (unless ``restart`` is off: then the old process keeps the old
code and the updates wait, to be retried at the next update), or starts it when none runs. Used by
``zir run --hot`` and the language server's ``zir.runLive``; the caller serialises the calls. With
``swap_before_commit`` (``zir run --hot``) the swap happens inside the update, once the image is final and
before the output file is written and synced, so the file's durability syncs are not in the save → new code
latency; ``after_update`` then reports it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from compiler.compilation import Compilation, UpdateReport
from compiler.hot import swap
from compiler.hot.process import Program, Segment, spawn
from compiler.hot.reasons import PointerHolder
from compiler.link.elf.hot import HotPatch, HotState
from compiler.link.elf.linker import ElfLinker
from compiler.module.decl import Decl


@dataclass(frozen=True, slots=True)
class HotOutcome:
    """The ``hot`` object of one update's report."""

    pid: int | None
    swapped: bool = False
    restarted: bool = False
    reason: str | None = None
    ms: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "swapped": self.swapped,
            "restarted": self.restarted,
            "reason": self.reason,
            "ms": round(self.ms, 3),
        }


class HotSession:
    """Keeps the program of ``comp``'s output running and up to date."""

    def __init__(
        self,
        comp: Compilation,
        args: list[str],
        *,
        restart: bool = True,
        stdout: int | None = None,
        stderr: int | None = None,
        on_exit: Callable[[int, int], None] | None = None,
        on_output: Callable[[int, str, bytes], None] | None = None,
        swap_before_commit: bool = False,
    ) -> None:
        linker = comp.linker
        if not isinstance(linker, ElfLinker):
            raise ValueError("a hot session needs a Compilation that writes an ELF output")
        self.comp = comp
        self.linker: ElfLinker = linker
        self.state: HotState | None = linker.hot
        """None for a normal build: every committed update restarts the program (no swapping)."""
        self.args = args
        self.restart = restart
        self.stdout = stdout
        self.stderr = stderr
        self.on_exit = on_exit
        """Called as ``on_exit(exit_code, pid)`` from a watcher thread when the program ends by itself."""
        self.on_output = on_output
        """When set, each program gets pipes for stdout and stderr, and every chunk it writes is passed as
        ``on_output(pid, "stdout" | "stderr", data)`` from a reader thread (``stdout``/``stderr`` are ignored)."""
        self.program: Program | None = None
        self.pending: list[HotPatch] = []
        """Committed updates the running process has not received (only without ``restart``)."""
        self.types: dict[str, str] = {}
        """Decl name → type, as compiled into the running process (functions: their calling convention;
        data decls: their size)."""
        self.resized: dict[str, str] = {}
        """Data decls whose type (so size) the pending updates changed → their new type."""
        self.lock = threading.Lock()
        self.started = 0
        """Processes started so far."""
        self.early: swap.SwapResult | None = None
        """The swap ``swap_before_commit`` made in the current update, for ``after_commit`` to report."""
        if swap_before_commit:
            comp.before_commit = self.swap_before_commit

    # ------------------------------------------------------------------ updates

    def after_update(self, report: UpdateReport) -> HotOutcome:
        """Bring the running program up to date with a committed update (see the module docstring)."""
        return self.after_commit(report.committed, report.binary)

    def swap_before_commit(self) -> None:
        """``Compilation.before_commit``: apply the update to the running program as soon as its image is
        final, before the output file is written and synced; ``after_commit`` then reports it (or restarts the
        program, which needs the committed file). The process gets exactly the bytes the file will hold; if the
        file write fails, the program runs code the file does not have yet (the linker keeps the write queued
        and retries it at the next update)."""
        with self.lock:
            program = self.program
            self.early = None
            if program is None or self.state is None or program.poll() is not None:
                return
            self.early = self._swap(program)

    def after_commit(self, committed: bool, binary: str | None) -> HotOutcome:
        """``after_update`` from the two facts it needs: the update committed, and the output's path."""
        with self.lock:
            early, self.early = self.early, None
            program = self.program
            if not committed or binary is None:
                if early is not None and early.swapped and program is not None:
                    return HotOutcome(program.pid, swapped=True, ms=early.ms)
                return HotOutcome(self._pid())
            if program is None or program.poll() is not None:
                reason = None if self.started == 0 else "the program was not running"
                return self._start(binary, reason)
            if self.state is None:
                self._kill(program)
                return self._start(binary, "hot swapping is off: the program was restarted")
            result = early if early is not None else self._swap(program)
            if result is None:
                return HotOutcome(program.pid)
            if result.swapped:
                return HotOutcome(program.pid, swapped=True, ms=result.ms)
            if result.exited:
                return self._start(binary, result.reason)
            if not self.restart:
                return HotOutcome(program.pid, reason=result.reason, ms=result.ms)
            self._kill(program)
            return self._start(binary, result.reason, ms=result.ms)

    def _swap(self, program: Program) -> swap.SwapResult | None:
        """Apply the pending patches and this update's to ``program``; None when there is nothing to write."""
        state = self.state
        assert state is not None
        self.pending.append(self.linker.hot_patch())
        if not any(p.code or p.got for p in self.pending):
            self.pending = []
            return None
        result = swap.apply(program, self.pending, self._type_changes(), self._pointer_holders())
        if result.swapped:
            self.pending = []
            self._remember_types()
            state.release(result.free_ghosts)
        return result

    def _pid(self) -> int | None:
        program = self.program
        return None if program is None or program.status is not None else program.pid

    def _type_changes(self) -> list[str]:
        changed: list[str] = []
        for patch in self.pending:
            for name in patch.replaced_functions:
                old = self.types.get(name)
                new = self.comp.decl_type(name)
                if old is not None and new is not None and str(new) != old:
                    changed.append(name)
        return changed

    def _pointer_holders(self) -> list[PointerHolder]:
        """Blocks whose frames could hand an old pointer to new code: for each data decl that changed size
        (it moved, leaving its old bytes as a ghost), the functions that may hold a pointer into it — users of
        the data decl, of its owner (``@buf = str(...)`` owns the array it points at) and so on through data
        decls — and that call a function these updates replaced (new code, compiled for the new size). Every
        version of such a function counts (its current block and its ghosts: a main loop's old frame never
        ends). docs/hot-swap.md explains the rule."""
        self.resized = {}
        replaced = {name for patch in self.pending for name in patch.replaced_functions}
        ghosts: dict[str, list[tuple[int, int]]] = {}
        for patch in self.pending:
            for vaddr, size, name, is_function, _ in patch.ghosts:
                if is_function:
                    ghosts.setdefault(name, []).append((vaddr, vaddr + max(size, 1)))
        held: list[PointerHolder] = []
        for patch in self.pending:
            for _, _, name, is_function, made_now in patch.ghosts:
                if is_function or not made_now:
                    continue
                owner_name = name.rsplit("__anon_", 1)[0]  # a retired anonymous decl: '{owner}__anon_{n}'
                decl = self.comp.decl(owner_name)
                if decl is None or decl.fn is not None or decl.typed_value is None:
                    continue  # a function's own literal: its old frame keeps its old bytes and lengths
                new_type = str(decl.typed_value.ty)
                if self.types.get(owner_name, new_type) == new_type:
                    continue  # same type, same size: only the content changed (a new array of the same size)
                self.resized[owner_name] = new_type
                frontier = [decl]
                seen: set[Decl] = set()
                while frontier:
                    user = frontier.pop()
                    if user in seen:
                        continue
                    seen.add(user)
                    if user.fn is None:
                        frontier.extend(user.dependants)
                        continue
                    if not any(dep.fn is not None and dep.name in replaced for dep in user.dependencies):
                        continue
                    at, length = self.comp.decl_address(user.name), self.comp.decl_size(user.name)
                    spans = list(ghosts.get(user.name, []))
                    if at is not None and length:
                        spans.append((at, at + length))
                    held.extend((owner_name, user.name, a, b) for a, b in spans)
        return held

    def _remember_types(self) -> None:
        self.types.update(self.resized)
        self.resized = {}
        for patch in self.pending:
            for name in patch.replaced_functions:
                ty = self.comp.decl_type(name)
                if ty is not None:
                    self.types[name] = str(ty)

    def _start(self, binary: str, reason: str | None, ms: float = 0.0) -> HotOutcome:
        linker = self.linker
        if self.state is not None:
            self.state.program_started()
        self.pending = []
        self.types = {}
        self.resized = {}
        for decl in self.comp.decls():
            if decl.typed_value is not None and not decl.is_anonymous:
                self.types[decl.name] = str(decl.typed_value.ty)
        text, got = linker.phdrs[0], linker.phdrs[1]
        stdout, stderr = self.stdout, self.stderr
        pipes: list[tuple[str, int, int]] = []
        if self.on_output is not None:
            for stream in ("stdout", "stderr"):
                read_end, write_end = os.pipe()
                pipes.append((stream, read_end, write_end))
            stdout, stderr = pipes[0][2], pipes[1][2]
        try:
            program = spawn(
                os.path.abspath(binary),
                self.args,
                Segment(text.p_vaddr, text.p_memsz),
                Segment(got.p_vaddr, got.p_memsz),
                linker.entry,
                stdout=stdout,
                stderr=stderr,
            )
        finally:
            for _, _, write_end in pipes:
                os.close(write_end)
        for stream, read_end, _ in pipes:
            self._forward(program.pid, stream, read_end)
        restarted = self.started > 0
        self.started += 1
        self.program = program
        program.watch_exit(self._exited)
        return HotOutcome(program.pid, restarted=restarted, reason=reason, ms=ms)

    # ------------------------------------------------------------------ the process

    def _forward(self, pid: int, stream: str, fd: int) -> None:
        """Pass what the program writes on ``fd`` to ``on_output`` until it closes its end."""
        sink = self.on_output
        assert sink is not None

        def run() -> None:
            try:
                while chunk := os.read(fd, 65536):
                    sink(pid, stream, chunk)
            finally:
                os.close(fd)

        threading.Thread(target=run, name=f"zir-hot-{stream}-{pid}", daemon=True).start()

    def _exited(self, program: Program) -> None:
        if program.killed:
            return
        code = program.wait()
        with self.lock:
            if self.program is program and self.state is not None:
                self.state.program_stopped()
        if self.on_exit is not None:
            self.on_exit(code, program.pid)

    def _kill(self, program: Program) -> None:
        program.killed = True
        program.kill()
        if self.state is not None:
            self.state.program_stopped()

    def stop(self) -> int | None:
        """Stop the program (SIGKILL); its exit code, or None if none ran."""
        with self.lock:
            program = self.program
            if program is None:
                return None
            if program.status is None:
                self._kill(program)
            self.program = None
            return program.exit_code

    @property
    def pid(self) -> int | None:
        return self._pid()
