"""The common prefix and suffix of two versions of a file, compared in place at C speed (performance.md §6)."""

from __future__ import annotations

from typing import Final

_CHUNK: Final = 1 << 16


def common_prefix(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix of ``a`` and ``b`` (in-place comparisons, C speed)."""
    limit = min(len(a), len(b))
    va = memoryview(a)
    lo = 0
    while lo < limit and b.startswith(va[lo : lo + _CHUNK], lo):
        lo += _CHUNK
    hi = min(limit, lo + _CHUNK)
    while lo < hi:  # a[:lo] == b[:lo]; a difference lies before hi
        mid = (lo + hi + 1) // 2
        if b.startswith(va[lo:mid], lo):
            lo = mid
        else:
            hi = mid - 1
    return min(lo, limit)


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """The length (at most ``limit``) of the longest common suffix of ``a`` and ``b``."""
    la, lb = len(a), len(b)
    va = memoryview(a)
    lo = 0
    while lo < limit:
        step = min(limit, lo + _CHUNK)
        if not b.startswith(va[la - step : la - lo], lb - step):
            break
        lo = step
    hi = min(limit, lo + _CHUNK)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if b.startswith(va[la - mid : la - lo], lb - mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
