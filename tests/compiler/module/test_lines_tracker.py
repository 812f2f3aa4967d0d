"""LineTracker: every answer is the full index's, and backward walks count back instead of indexing the file."""

from __future__ import annotations

import random

from compiler.module.lines import LineTracker
from compiler.source import LineIndex


def _text(rng: random.Random, size: int) -> bytes:
    return bytes(rng.choice(b"ab \n\n") for _ in range(size))


def test_every_answer_is_the_line_indexs() -> None:
    rng = random.Random(13)
    for _ in range(40):
        text = _text(rng, rng.randrange(0, 3000))
        index = LineIndex(text)
        tracker = LineTracker()
        for _update in range(3):
            tracker.drop_index()
            for _query in range(60):
                kind = rng.random()
                if kind < 0.4:  # near the last query, either way
                    last = tracker._cache[0]
                    offset = max(0, min(len(text), last + rng.randrange(-80, 80)))
                else:
                    offset = rng.randrange(0, len(text) + 1)
                assert tracker.line_of(text, offset) == index.position(offset)[0]
                assert tracker.peek(text, rng.randrange(0, len(text) + 1) if text else 0) >= 0


def test_a_walk_from_the_last_function_to_the_first_builds_no_index() -> None:
    """The work queue of a restart or a full build visits a chain's functions from the last to the first, each
    one's rows forwards: counted back one function at a time, never a whole-file index (~16 ms at N = 10 000)."""
    functions = [b"@f%d = fn(@t, {\n  %%a = int(1)\n  %%r = return(%%a)\n})\n" % i for i in range(2000)]
    text = b"".join(functions)
    starts = [0]
    for f in functions[:-1]:
        starts.append(starts[-1] + len(f))
    index = LineIndex(text)
    tracker = LineTracker()
    tracker.drop_index()
    for start in reversed(starts):
        for row in (start, start + 18, start + 34):
            assert tracker.line_of(text, row) == index.position(row)[0]
    assert tracker.index_builds == 0


def test_jumps_back_across_the_file_build_one_index_per_update() -> None:
    text = b"x\n" * 50_000
    tracker = LineTracker()
    for _update in range(2):
        tracker.drop_index()
        before = tracker.index_builds
        for _ in range(10):
            assert tracker.line_of(text, len(text) - 2) == 49_999
            assert tracker.line_of(text, 2) == 1
        assert tracker.index_builds - before == 1
