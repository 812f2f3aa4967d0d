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


def changed_content(prev: bytes, source: bytes) -> tuple[bytes, int, int, int]:
    """``source``'s content (up to its first NUL, zir-language.md §2.1) and its common prefix and suffix
    lengths with ``prev``, a content (it has no NUL), plus the bytes searched for the NUL.

    A NUL can only lie between the common prefix and suffix, so only the edit's bytes are searched, not the
    file's; when one is found the content ends there and the suffix is compared again."""
    data, n = source, len(source)
    p = common_prefix(prev, data)
    s = common_suffix(prev, data, min(len(prev), n) - p)
    searched = n - s - p
    nul = data.find(b"\0", p, n - s)
    if nul >= 0:
        data, n = data[:nul], nul
        s = common_suffix(prev, data, min(len(prev), n) - p)
    return data, p, s, searched
