"""Issue 11 item 8 in every decl order: the incremental update equals a fresh build, through the Module
(every one of the 40 320 orders with ``ZIR_FUZZ_SEEDS`` set, an even spread of them otherwise; also typed one
byte at a time) and through
``zir watch --manual`` (the server's path is tests/server/e2e/test_item8_orders.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fuzz.differential import Tally, _compilation, _errors, _run, check_steps
from tests.fuzz.item8 import ORDERS, UPDATE1, spread, update2
from tests.fuzz.programs import Step

DEEP = bool(os.environ.get("ZIR_FUZZ_SEEDS"))


def test_every_order_through_the_module_equals_a_fresh_build() -> None:
    orders = range(ORDERS) if DEEP else spread(200)
    for order in orders:
        text = update2(order)
        inc = _compilation(UPDATE1, None)
        fresh = _compilation(text, None)
        try:
            inc.update()
            inc.source.text = text  # type: ignore[attr-defined]
            inc.update()
            fresh.update()
            assert _errors(inc) == _errors(fresh) == [], f"order {order}:\n{text.decode()}"
        finally:
            inc.close()
            fresh.close()


def test_typing_update_two_one_byte_at_a_time_equals_fresh_builds(tmp_path: Path) -> None:
    """As an editor produces it: after update 1, every prefix of update 2 (one more byte each time, most of
    them broken texts) is an update, each compared with a fresh build by the differential fuzzer's rules."""
    tally = Tally()
    for order in spread(4 if not DEEP else 200):
        text = update2(order)
        steps = [Step(UPDATE1, None, "update 1")] + [
            Step(text[:k], None, f"{k} bytes") for k in range(1, len(text) + 1)
        ]
        tally.add(check_steps(order, steps, build=False, workdir=str(tmp_path)))
    findings = tally.crashes + tally.mismatches
    assert not findings, findings[0].describe()
    assert tally.inputs == sum(len(update2(o)) + 1 for o in spread(4 if not DEEP else 200))


def test_orders_through_elf_builds_run_like_a_fresh_build(tmp_path: Path) -> None:
    """The written executables too: both builds of each order end the same way (``@main`` returns into
    ``unreachable``: the safety panic, SIGABRT)."""
    for order in spread(12):
        text = update2(order)
        inc = _compilation(UPDATE1, str(tmp_path / "inc"))
        fresh = _compilation(text, str(tmp_path / "fresh"))
        try:
            inc.update()
            inc.source.text = text  # type: ignore[attr-defined]
            report = inc.update()
            assert fresh.update().ok and report.ok, f"order {order}: {_errors(inc)} / {_errors(fresh)}"
        finally:
            inc.close()
            fresh.close()
        got, want = _run(str(tmp_path / "inc")), _run(str(tmp_path / "fresh"))
        assert got == want and want[0] == -6, f"order {order}"  # SIGABRT from the panic handler


def test_orders_through_zir_watch_manual(tmp_path: Path) -> None:
    """One ``zir watch --json --manual`` process alternates update 1 and update 2 in many orders; each update 2
    reports what a fresh build reports (no errors), and its program runs like the fresh one."""
    src = tmp_path / "w.zir"
    src.write_bytes(UPDATE1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "compiler", "watch", str(src), "--json", "--manual", "-o", str(tmp_path / "w")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def command(line: str) -> dict[str, Any]:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        out: dict[str, Any] = json.loads(proc.stdout.readline())
        return out

    def update1() -> None:
        line = command("update")
        assert [e["message"] for e in line["errors"]] == ["no entry point found"]  # as a fresh build of it

    try:
        update1()
        for order in spread(60):
            text = update2(order)
            src.write_bytes(text)
            line = command("update")
            fresh = _compilation(text, None)
            try:
                fresh.update()
                assert line["errors"] == [] and _errors(fresh) == [], f"order {order}: {line['errors']}"
            finally:
                fresh.close()
            assert line["ok"] is True
            run = command("run")
            assert run["event"] == "run" and run["exitCode"] == -6, f"order {order}: {run}"
            assert "reached unreachable code" in str(run["stderr"])
            src.write_bytes(UPDATE1)
            update1()
        proc.stdin.write("exit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
