"""W^X in the hot layout (issue 14): no mapping of the running program is both writable and executable, before
and after swaps that place new code in the reserved room; the swap writes read-only text through
``/proc/PID/mem``. Checked on the ELF program headers (pyelftools) and on the live process's
``/proc/PID/maps``."""

from __future__ import annotations

from pathlib import Path

from elftools.elf.elffile import ELFFile

from tests.hot.programs import function, print_decl, print_text, program
from tests.hot.support import HotCli

PF_X, PF_W = 1, 2


def _mappings(pid: int) -> list[tuple[str, str]]:
    """``(address range, permissions)`` of every mapping of the process, from ``/proc/PID/maps``."""
    rows: list[tuple[str, str]] = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        rows.append((fields[0], fields[1]))
    return rows


def _writable_and_executable(pid: int) -> list[tuple[str, str]]:
    return [(span, perms) for span, perms in _mappings(pid) if "w" in perms and "x" in perms]


def _text_mappings(pid: int) -> list[str]:
    """Permissions of the mappings at the text segment's addresses (0x8000000 and up, below the stack)."""
    perms: list[str] = []
    for span, p in _mappings(pid):
        start = int(span.split("-")[0], 16)
        if 0x8000000 <= start < 0x10000000:
            perms.append(p)
    return perms


def test_no_segment_or_mapping_is_writable_and_executable(tmp_path: Path) -> None:
    step = "  %hc = call(@helper, [])\n" + print_decl("m", "msg") + print_text("n", "\n")
    helper = function("helper", print_text("h", "h1 "))
    src = tmp_path / "wx.zir"
    out = tmp_path / "wx"
    src.write_text(program(step, '@msg = str("A")\n' + helper))
    cli = HotCli(src, out)
    try:
        first = cli.update()
        pid = first["hot"]["pid"]
        assert first["committed"] and isinstance(pid, int), first
        cli.wait_line(" h1 A")
        with out.open("rb") as f:
            segments = [(s["p_flags"], s["p_filesz"], s["p_memsz"]) for s in ELFFile(f).iter_segments()]
        assert not [s for s in segments if s[0] & PF_W and s[0] & PF_X], segments
        assert _writable_and_executable(pid) == [], _mappings(pid)
        assert _text_mappings(pid) == ["r-xp"], _mappings(pid)
        # New code in the room (a grown helper and a new function), swapped into the same process.
        extra = function("extra", print_text("e", "E" * 300 + " "))
        grown = function("helper", print_text("h", "h2 ") + print_text("g", "+ "))
        src.write_text(program("  %ec = call(@extra, [])\n" + step, '@msg = str("A")\n' + grown + extra))
        event = cli.update()
        assert event["hot"]["swapped"] is True and event["hot"]["pid"] == pid, event
        cli.wait_line("E h2 + A")
        assert _writable_and_executable(pid) == [], _mappings(pid)
        assert _text_mappings(pid) == ["r-xp"], _mappings(pid)
    finally:
        cli.close()
