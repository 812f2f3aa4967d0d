"""Process-wide tuning for processes that hold a compilation: the garbage collector's thresholds."""

from __future__ import annotations

import gc

GC_THRESHOLDS = (100_000, 50, 100)
"""Collector thresholds for compiler processes (the CLI commands, the language server): a build allocates
millions of long-lived objects (the ZIR, AIR, decl tables), and the default gen-0 threshold of 700 rescans them
over and over (≈ 15 % of a full build at N = 10 000, performance.md P4; occasional 150 ms pauses in the server's
keystroke path). Cycles are still collected, just in larger batches."""


def tune_gc() -> None:
    """Apply ``GC_THRESHOLDS`` to this process."""
    gc.set_threshold(*GC_THRESHOLDS)
