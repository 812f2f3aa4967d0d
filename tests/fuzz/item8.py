"""Issue 11 item 8's two updates, with update 2's decls in any order (the module, watch and server tests).

Update 1 is ``@noreturn = primitive(noreturn)``; update 2 keeps it and adds ``@u32``, ``@main_fnty``,
``@main = fn(@main_fnty, {})``, ``@start_fnty`` using ``@noreturn``, ``@start`` calling ``@main`` and the
export of ``_start``. The issue saw a spurious ``decl 'main_fnty' not found`` from the incremental update; a
file's decls may come in any order (docs/design/module.md §6), so every order must equal a fresh build.
"""

from __future__ import annotations

import math

UPDATE1 = b"@noreturn = primitive(noreturn)\n"

DECLS = [
    b"@noreturn = primitive(noreturn)\n",
    b"@u32 = primitive(u32)\n",
    b"@main_fnty = fntype([], @u32)\n",
    b"@main = fn(@main_fnty, {})\n",
    b"@start_fnty = fntype([], @noreturn)\n",
    b"@start = fn(@start_fnty, {\n  %0 = call(@main, [])\n  %1 = unreachable()\n})\n",
    b'@0 = str("_start")\n',
    b'@1 = export(@0, "start")\n',
]
"""Update 2's decls in the issue's order."""

ORDERS = math.factorial(len(DECLS))
"""40 320."""


def update2(order: int) -> bytes:
    """Update 2 with its decls in permutation number ``order`` (0 is the issue's order), lexicographic."""
    rest = list(DECLS)
    out = []
    for k in range(len(DECLS), 0, -1):
        i, order = divmod(order, math.factorial(k - 1))
        out.append(rest.pop(i))
    return b"".join(out)


def spread(count: int) -> list[int]:
    """``count`` permutation numbers spread evenly over all of them, the first and the last included."""
    if count >= ORDERS:
        return list(range(ORDERS))
    step = (ORDERS - 1) / (count - 1)
    return sorted({round(i * step) for i in range(count)})
