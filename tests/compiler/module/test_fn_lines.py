"""FnLines (code generation's per-function line counter) answers what a full line index answers."""

from __future__ import annotations

import random

from compiler.module.lines import FnLines, LineTracker
from compiler.source import LineIndex


def test_a_functions_rows_get_the_index_lines_forward_and_before_its_start() -> None:
    rng = random.Random(13)
    text = b"".join(b"x" * rng.randrange(0, 7) + b"\n" for _ in range(400))
    index = LineIndex(text)
    for _ in range(50):
        start = rng.randrange(len(text))
        tracker = LineTracker()
        lines = FnLines(tracker, text, start, tracker.line_of(text, start))
        offsets = sorted(rng.randrange(start, len(text)) for _ in range(20))
        offsets += [rng.randrange(start + 1) for _ in range(3)]  # before the start: asked of the tracker
        for offset in offsets:
            assert lines.line_of(offset) == index.position(offset)[0], (start, offset)


def test_rows_count_only_the_bytes_between_them() -> None:
    # rows after the start count from the previous row, each newline once
    text = b"\n" * 1000 + b"fn\na\nb\nc\n"
    tracker = LineTracker()
    lines = FnLines(tracker, text, 1000, 1000)
    assert [lines.line_of(o) for o in (1000, 1003, 1005, 1007)] == [1000, 1001, 1002, 1003]
