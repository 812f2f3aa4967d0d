"""examples/live-loop.zir, the main-loop idiom of docs/hot-swap.md: editing @frame's text reaches the running
program through `zir run --hot`, while @main's loop (and its counter) goes on."""

from __future__ import annotations

from pathlib import Path

from tests.hot.support import ROOT, HotCli

EXAMPLE = ROOT / "examples" / "live-loop.zir"


def test_editing_the_frame_reaches_the_running_loop(tmp_path: Path) -> None:
    src = tmp_path / "live-loop.zir"
    text = EXAMPLE.read_text()
    src.write_text(text)
    cli = HotCli(src, tmp_path / "live-loop")
    try:
        first = cli.update()
        pid = first["hot"]["pid"]
        assert first["committed"] and isinstance(pid, int), first
        _, line = cli.wait_line(": hello from the first version")
        digit = int(line[0])
        src.write_text(text.replace("hello from the first version", "hello from the second version, same process"))
        event = cli.update()
        assert event["hot"]["swapped"] is True and event["hot"]["pid"] == pid, event
        before, line = cli.wait_line(": hello from the second version, same process")
        assert int(line[0]) == (digit + len(before) + 1) % 10, (before, line)  # the loop's counter went on
    finally:
        cli.close()
