"""Why a hot swap is impossible: the checks on an update and a stopped process, each giving a one-line reason.

A reason is shown to the user as it is (``hot.reason`` in the ``--json`` line, the editor's terminal), so each
says what happened and names the decl or the kernel setting involved (docs/design/elf-linker.md §17).
"""

from __future__ import annotations

import bisect
import errno
from collections.abc import Sequence

from compiler.hot.process import Program
from compiler.link.elf.hot import HotPatch

PTRACE_SCOPE = "/proc/sys/kernel/yama/ptrace_scope"

PointerHolder = tuple[str, str, int, int]
"""``(data decl, function, block start, block end)``: the function's current block (not replaced by the
update) may hold a pointer into the data decl, which changed size."""


def room(program: Program, patches: Sequence[HotPatch]) -> str | None:
    """Every write must land inside the running image's mappings; the entry point must not move."""
    for patch in patches:
        if patch.text_end > program.text.end:
            return (
                f"output grew beyond the running image's reserved room (.text needs up to {patch.text_end:#x}, "
                f"mapped up to {program.text.end:#x})"
            )
        if patch.got_end > program.got.end:
            return (
                f"output grew beyond the running image's reserved room (the GOT needs up to {patch.got_end:#x}, "
                f"mapped up to {program.got.end:#x})"
            )
        for write in patch.code:
            if not program.text.vaddr <= write.vaddr <= write.vaddr + len(write.data) <= program.text.end:
                return f"output grew beyond the running image's reserved room (a write at {write.vaddr:#x})"
    if patches and patches[-1].entry != program.entry:
        return "the entry point changed (_start was replaced, and it has already run)"
    return None


def frames(
    patches: Sequence[HotPatch],
    type_changed: Sequence[str],
    live: Sequence[int],
    held: Sequence[PointerHolder] = (),
) -> str | None:
    """Refuse when a live frame would run code that no longer fits the program: an on-stack function whose
    type changed (or an on-stack caller compiled against the old type), or a function that may hold a pointer
    into a data decl that changed size (``held``, or a holder patched in place) with a frame in it."""
    addresses = sorted(live)

    def is_live(start: int, end: int) -> bool:
        i = bisect.bisect_left(addresses, start)
        return i < len(addresses) and addresses[i] < end

    if type_changed:
        changed = set(type_changed)
        new_ghosts = {g for p in patches for g in p.ghosts if g[3] and g[4]}
        for vaddr, size, name, _, _ in sorted(new_ghosts, key=lambda g: (g[2] not in changed, g[0])):
            if is_live(vaddr, vaddr + max(size, 1)):
                if name in changed:
                    return f"function @{name} is on the stack and its type changed"
                first = sorted(changed)[0]
                return f"function @{name} is on the stack and was compiled against the old type of @{first}"
    for target, holder, start, end in held:
        if is_live(start, end):
            return (
                f"data decl @{target} changed size while @{holder}, which may hold a pointer into it, is on the stack"
            )
    for patch in patches:
        for item in patch.in_place:
            if is_live(item.start, item.end):
                return (
                    f"data decl @{item.target} changed size while @{item.holder}, which may hold a pointer into it, "
                    "is on the stack"
                )
    return None


def ptrace_denied(pid: int, error: int) -> str:
    """Why ``PTRACE_SEIZE`` failed: someone else traces the process, or the kernel does not permit it."""
    tracer = tracer_pid(pid)
    if tracer:
        return f"the process is traced by someone else (TracerPid {tracer})"
    if error == errno.ESRCH:
        return "the program exited"
    try:
        with open(PTRACE_SCOPE) as f:
            scope = f.read().strip()
        setting = f"kernel.yama.ptrace_scope = {scope}"
    except OSError:
        setting = "kernel.yama.ptrace_scope is not set (no Yama); a seccomp filter or missing CAP_SYS_PTRACE"
    return f"ptrace is not permitted ({errno.errorcode.get(error, str(error))}; {setting})"


def tracer_pid(pid: int) -> int:
    """``TracerPid`` of ``/proc/PID/status`` (0: not traced or unknown)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
