"""``zir run --hot``: the same running process picks up new code on each update (issue 14).

Real processes throughout: the CLI as a child, the program as its child, ptrace on the program. Every wait is
on an event (a JSON line of ``zir``, a line or a partial line of the program's output).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hot.programs import function, print_decl, print_text, program
from tests.hot.support import HotCli, assert_counts_on

FOLLOW = 20
"""Lines checked after the first line of new output: the old output must not come back."""


@pytest.fixture
def tmp(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def _start(tmp: Path, source: str, *extra: str) -> tuple[HotCli, Path, dict[str, object]]:
    src = tmp / "live.zir"
    src.write_text(source)
    cli = HotCli(src, tmp / "live", *extra)
    first = cli.update()
    assert first["ok"] and first["committed"], first
    return cli, src, first


def _swap(cli: HotCli, src: Path, source: str, pid: object, suffix: str) -> list[str]:
    """Save ``source``, update, and check the same process prints lines ending in ``suffix`` from then on."""
    src.write_text(source)
    event = cli.update()
    hot = event["hot"]
    assert event["ok"] and event["committed"], event
    assert hot["swapped"] is True and hot["pid"] == pid and hot["restarted"] is False, event
    assert hot["reason"] is None, event
    assert isinstance(hot["ms"], float) and hot["ms"] > 0
    before, first = cli.wait_line(suffix)
    after = [cli.line() for _ in range(FOLLOW)]
    assert all(line.endswith(suffix) for line in after), after
    return [*before, first, *after]


HELPER = function("helper", print_text("h", "h1 "))
HELPER2 = function("helper", print_text("h", "h2 ") + print_text("g", "+ "))
EXTRA = function("extra", print_text("e", "E "))


def test_edits_reach_the_same_process(tmp: Path) -> None:
    """@step's message, @step's code, a helper @step calls and a new function @step calls: each save changes
    the output of the same PID, and the counter in @main's stack slots counts on."""
    msg = '@msg = str("A")\n'
    nl = print_text("n", "\n")
    step = "  %hc = call(@helper, [])\n" + print_decl("m", "msg") + nl
    cli, src, first = _start(tmp, program(step, msg + HELPER))
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        assert isinstance(pid, int)
        lines = list(cli.wait_line(" h1 A")[0])
        lines += _swap(cli, src, program(step, '@msg = str("BB")\n' + HELPER), pid, " h1 BB")
        step2 = print_text("x", "X ") + step
        lines += _swap(cli, src, program(step2, '@msg = str("BB")\n' + HELPER), pid, " X h1 BB")
        lines += _swap(cli, src, program(step2, '@msg = str("BB")\n' + HELPER2), pid, " X h2 + BB")
        step3 = "  %ec = call(@extra, [])\n" + step2
        lines += _swap(cli, src, program(step3, '@msg = str("BB")\n' + HELPER2 + EXTRA), pid, " E X h2 + BB")
        assert_counts_on(lines)
    finally:
        cli.close()


SLEEPY = print_text("b", "s1 ") + "  %sl = call(@sleep, [@nap])\n" + print_text("e", " end1\n")
SLEEPY2 = print_text("b", "s2 ") + "  %sl = call(@sleep, [@nap])\n" + print_text("e", " end2\n")
NAP = "@nap = int(1500)\n"


def test_on_stack_function_finishes_in_old_code(tmp: Path) -> None:
    """@step is replaced while it sleeps inside: that call finishes in the old code, the next runs the new."""
    cli, src, first = _start(tmp, program(SLEEPY, NAP))
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        cli.wait_line(" s1  end1")
        cli.wait_partial(b" s1 ")  # @step is now sleeping inside its body
        src.write_text(program(SLEEPY2, NAP))
        event = cli.update()
        assert event["hot"]["swapped"] is True and event["hot"]["pid"] == pid, event
        current = cli.line()
        assert current.endswith(" s1  end1"), current  # the old frame ran to completion in old code
        following = cli.line()
        assert following.endswith(" s2  end2"), following
        assert_counts_on([current, following])
    finally:
        cli.close()


def test_type_change_of_on_stack_function_restarts(tmp: Path) -> None:
    """Changing @step's type while it is on the stack cannot be swapped: restart, with the reason."""
    cli, src, first = _start(tmp, program(SLEEPY, NAP))
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        cli.wait_line(" s1  end1")
        cli.wait_partial(b" s1 ")
        changed = program(
            '  %arg = arg("x")\n' + SLEEPY2, NAP + "@seven = int(7)\n", step_params="@usize", step_args="@seven"
        )
        src.write_text(changed)
        event = cli.update()
        hot = event["hot"]
        assert hot["swapped"] is False and hot["restarted"] is True and hot["pid"] != pid, event
        assert hot["reason"] is not None and "on the stack" in hot["reason"] and "type" in hot["reason"], event
        _, line = cli.wait_line(" s2  end2")
        assert line.endswith("0000 s2  end2"), (
            line
        )  # a new process counts from zero (after the killed one's partial line)
    finally:
        cli.close()


def test_growth_past_reserved_room_restarts(tmp: Path) -> None:
    """A data decl larger than the reserved room (1 MiB past .text) cannot be placed in the running image."""
    step = print_decl("m", "msg") + print_text("n", "\n")
    cli, src, first = _start(tmp, program(step, '@msg = str("small")\n'))
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        cli.wait_line(" small")
        big = "x" * (1536 * 1024)
        src.write_text(program(step + "  %bp = ptrtoint(@big)\n", f'@msg = str("large")\n@big = str("{big}")\n'))
        event = cli.update()
        hot = event["hot"]
        assert event["committed"] and hot["restarted"] is True and hot["pid"] != pid, event
        assert "reserved room" in hot["reason"], event
        _, line = cli.wait_line(" large")
        assert line.endswith("0000 large"), line  # a new process (after the killed one's partial line)
    finally:
        cli.close()


def test_ptrace_denied_restarts(tmp: Path) -> None:
    """A program that is already traced (PTRACE_TRACEME) cannot be seized: restart, naming the tracer."""
    step = print_decl("m", "msg") + print_text("n", "\n")
    cli, src, first = _start(tmp, program(step, '@msg = str("one")\n', traceme=True))
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        cli.wait_line(" one")
        src.write_text(program(step, '@msg = str("two")\n', traceme=True))
        event = cli.update()
        hot = event["hot"]
        assert hot["restarted"] is True and hot["pid"] != pid, event
        assert hot["reason"].startswith("the process is traced by someone else (TracerPid "), event
        cli.wait_line(" two")
    finally:
        cli.close()


def test_no_restart_keeps_old_process(tmp: Path) -> None:
    """With --no-restart an impossible swap leaves the old process on its old code."""
    step = print_decl("m", "msg") + print_text("n", "\n")
    cli, src, first = _start(tmp, program(step, '@msg = str("one")\n', traceme=True), "--no-restart")
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        cli.wait_line(" one")
        src.write_text(program(step, '@msg = str("two")\n', traceme=True))
        event = cli.update()
        hot = event["hot"]
        assert hot["swapped"] is False and hot["restarted"] is False and hot["pid"] == pid, event
        assert "traced by someone else" in hot["reason"], event
        lines = [cli.line() for _ in range(FOLLOW)]
        assert all(line.endswith(" one") for line in lines), lines
    finally:
        cli.close()


def test_exit_between_updates_is_reported_and_restarted(tmp: Path) -> None:
    """The program ends by itself: one ``exited`` line; the next committed update starts it again."""
    step = print_decl("m", "msg") + print_text("n", "\n")
    cli, src, first = _start(tmp, program(step, '@msg = str("one")\n', iterations=3))
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        exited = cli.event()
        assert exited == {"exited": 0, "pid": pid}
        lines = [cli.line() for _ in range(3)]
        assert lines == ["0000 one", "0001 one", "0002 one"]
        src.write_text(program(step, '@msg = str("two")\n', iterations=3))
        event = cli.update()
        hot = event["hot"]
        assert hot["restarted"] is True and hot["pid"] != pid and hot["swapped"] is False, event
        assert hot["reason"] == "the program was not running", event
        assert [cli.line() for _ in range(3)] == ["0000 two", "0001 two", "0002 two"]
    finally:
        cli.close()


def test_errors_leave_the_program_running(tmp: Path) -> None:
    """An update with a compile error commits nothing and touches no process; the fix is swapped in."""
    step = print_decl("m", "msg") + print_text("n", "\n")
    cli, src, first = _start(tmp, program(step, '@msg = str("one")\n'))
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        cli.wait_line(" one")
        src.write_text(program(step + "  %bad = call(@nowhere, [])\n", '@msg = str("two")\n'))
        event = cli.update()
        assert not event["ok"] and not event["committed"], event
        assert event["hot"] == {"pid": pid, "swapped": False, "restarted": False, "reason": None, "ms": 0.0}
        _swap(cli, src, program(step, '@msg = str("three")\n'), pid, " three")
    finally:
        cli.close()


def test_a_save_is_picked_up_without_a_command(tmp: Path) -> None:
    """Without --manual, zir watches FILE (inotify): the first build starts the program, a save swaps."""
    step = print_decl("m", "msg") + print_text("n", "\n")
    src = tmp / "watched.zir"
    src.write_text(program(step, '@msg = str("one")\n'))
    cli = HotCli(src, tmp / "watched", manual=False)
    try:
        first = cli.event()
        pid = first["hot"]["pid"]
        assert first["update"] == 1 and first["committed"] and isinstance(pid, int), first
        cli.wait_line(" one")
        tmp_file = tmp / "watched.zir.tmp"
        tmp_file.write_text(program(step, '@msg = str("two")\n'))
        tmp_file.replace(src)  # an editor's atomic save
        event = cli.event()
        assert event["update"] == 2 and event["hot"]["swapped"] is True and event["hot"]["pid"] == pid, event
        cli.wait_line(" two")
    finally:
        cli.close()


def test_data_size_change_under_a_holding_frame_restarts(tmp: Path) -> None:
    """@main (always on the stack, never replaced: it reaches @buf through the GOT) takes @buf's address before
    its loop and passes it to @step on every turn. @buf grows and the new @step prints as many bytes as the
    new @buf has: swapped in, it would read past the old bytes through @main's old pointer. Restart, with the
    reason naming both; the new process prints the new bytes."""
    hold = "  %bp = ptrtoint(@buf)\n"

    def step(n: int) -> str:
        return '  %p = arg("p")\n' + f"  %c = call(@print, [%p, @n{n}])\n" + print_text("n", "\n")

    before = program(step(2), '@buf = str("xx")\n@n2 = int(2)\n', prelude=hold, step_params="@usize", step_args="%bp")
    cli, src, first = _start(tmp, before)
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        cli.wait_line(" xx")
        after = program(
            step(12),
            '@buf = str("yyyyyyyyyyyy")\n@n12 = int(12)\n',
            prelude=hold,
            step_params="@usize",
            step_args="%bp",
        )
        src.write_text(after)
        event = cli.update()
        hot = event["hot"]
        assert event["committed"] and hot["restarted"] is True and hot["pid"] != pid, event
        assert hot["reason"] == (
            "data decl @buf changed size while @main, which may hold a pointer into it, is on the stack"
        ), event
        _, line = cli.wait_line(" yyyyyyyyyyyy")
        assert line.endswith("0000 yyyyyyyyyyyy"), line  # a new process (after the killed one's partial line)
    finally:
        cli.close()


def test_data_size_change_without_a_holding_frame_swaps(tmp: Path) -> None:
    """@msg grows: its only user, @step, gets new code (its length constant changed), so no frame of old code
    that is not ending its call holds the old address; the same process prints the new text."""
    step = print_decl("m", "msg") + print_text("n", "\n")
    cli, src, first = _start(tmp, program(step, '@msg = str("one")\n'))
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        cli.wait_line(" one")
        lines = _swap(cli, src, program(step, '@msg = str("twotwotwo")\n'), pid, " twotwotwo")
        assert_counts_on(lines)
    finally:
        cli.close()


def test_entry_point_change_restarts(tmp: Path) -> None:
    """@start (the entry point, Naked) gets new code: it has already run in the process, so a new block for it
    would never run there. Restart with the reason; the new process runs the new @start."""
    step = print_decl("m", "msg") + print_text("n", "\n")
    cli, src, first = _start(tmp, program(step, '@msg = str("one")\n'))
    pid = first["hot"]["pid"]  # type: ignore[index]
    try:
        cli.wait_line(" one")
        changed = program(step, '@msg = str("two")\n', iterations=20).replace(
            "args=[@sys_exit, @0])", "args=[@sys_exit, @1])"
        )
        assert changed.count("args=[@sys_exit, @1])") == 1
        src.write_text(changed)
        event = cli.update()
        hot = event["hot"]
        assert event["committed"] and hot["restarted"] is True and hot["pid"] != pid, event
        assert hot["reason"] == "the entry point changed (_start was replaced, and it has already run)", event
        _, line = cli.wait_line(" two")
        assert line.endswith("0000 two"), line  # a new process (after the killed one's partial line)
        new_pid = hot["pid"]
        while (obj := cli.event()).get("pid") != new_pid:
            pass
        assert obj == {"exited": 1, "pid": new_pid}  # the new @start's exit status
    finally:
        cli.close()
