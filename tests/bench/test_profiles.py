"""The profile tables of missed goals: waiting is left out, and a server's measured part is after minus before."""

from __future__ import annotations

from bench import profiles

WORK = ("/repo/compiler/module/module.py", 161, "update")
WAIT = ("~", 0, "<method 'get' of '_queue.SimpleQueue' objects>")
LOOP = ("/usr/lib/python3.11/asyncio/base_events.py", 593, "run_forever")


def test_waiting_entries_are_left_out_of_the_tables() -> None:
    stats: profiles.StatDict = {
        WORK: (10, 10, 0.5, 2.0, {}),
        WAIT: (90, 90, 300.0, 300.0, {}),
        LOOP: (1, 1, 0.1, 400.0, {}),
    }
    assert list(profiles.working(stats)) == [WORK]
    table = profiles.top(stats, "cumulative")
    assert "module.py:161(update)" in table and "SimpleQueue" not in table and "run_forever" not in table


def test_the_measured_part_is_the_difference_of_two_snapshots() -> None:
    before: profiles.StatDict = {WORK: (4, 4, 0.2, 0.8, {}), LOOP: (1, 1, 0.1, 50.0, {})}
    after: profiles.StatDict = {WORK: (10, 10, 0.5, 2.0, {}), LOOP: (1, 1, 0.1, 90.0, {})}
    diff = profiles.difference(after, before)
    assert set(diff) == {WORK}  # the loop frame made no call and spent no own time in between
    calls, _, own, cumulative, _ = diff[WORK]
    assert calls == 6 and abs(own - 0.3) < 1e-9 and abs(cumulative - 1.2) < 1e-9
