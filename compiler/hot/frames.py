"""Live code addresses of a stopped process: each thread's RIP and its frame-pointer chain of return addresses.

The backend keeps frame pointers in every non-Naked function (``push rbp; mov rbp, rsp``,
docs/design/x86_64.md §5), so ``[rbp]`` is the caller's ``rbp`` and ``[rbp + 8]`` a return address. A thread
stopped inside a prologue or epilogue has not linked (or has unlinked) its frame, so the two words at
``rsp`` are taken too: extra candidates only make the quarantine stricter, never unsafe.
"""

from __future__ import annotations

import os
import struct

from compiler.hot import ptrace

MAX_FRAMES = 65536
"""A chain longer than this is cut (a corrupted or cyclic chain must not hang the swap)."""
STACK_WINDOW = 1 << 20
"""Bytes read from RSP upwards in one pread (a short read ends at the top of the stack mapping): deep chains
are walked in memory, not with one system call per frame."""
_TWO = struct.Struct("<QQ")


def _read_pair(mem_fd: int, address: int, base: int, window: bytes) -> tuple[int, int] | None:
    offset = address - base
    if offset >= 0 and offset + 16 <= len(window):
        a, b = _TWO.unpack_from(window, offset)
        return a, b
    try:
        data = os.pread(mem_fd, 16, address)
    except OSError:
        return None
    if len(data) != 16:
        return None
    a, b = _TWO.unpack(data)
    return a, b


def thread_addresses(mem_fd: int, tid: int) -> list[int]:
    """RIP, the two words at RSP, and every return address on ``tid``'s frame-pointer chain."""
    regs = ptrace.get_regs(tid)
    found = [regs.rip]
    try:
        window = os.pread(mem_fd, STACK_WINDOW, regs.rsp)
    except OSError:
        window = b""
    base = regs.rsp
    top = _read_pair(mem_fd, regs.rsp, base, window)
    if top is not None:
        found.extend(top)
    rbp = regs.rbp
    previous = regs.rsp
    for _ in range(MAX_FRAMES):
        if rbp == 0 or rbp < previous or rbp % 8:
            break
        pair = _read_pair(mem_fd, rbp, base, window)
        if pair is None:
            break
        saved_rbp, return_address = pair
        found.append(return_address)
        previous = rbp + 16
        rbp = saved_rbp
    return found
