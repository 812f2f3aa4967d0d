"""ZIR Live's scenarios through its real edges: `zir build` (cold), `zir watch` (warm), the language server.

performance.md §4.2 (P1 end to end), §4.3 (P2, S1 with strace and `cmp -l`), §4.5 (P4), §4.6 (P5),
§4.7 (S4 per edit, S5, S7). Every scenario checks the program it produced runs with the expected exit code,
so a fast wrong answer is reported as a failure, not as a good number.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.gen import ChainProgram
from bench.lspclient import LspClient, is_diagnostics_for, server_command
from bench.measure import byte_diff, parse_strace, stats
from bench.watch import REPO, WatchProcess, run_binary, zir_command


def cold_build(n: int, workdir: Path, repeats: int) -> dict[str, Any]:
    """P4: wall time of `zir build chainN.zir -o out --json` in a fresh process with no output (median)."""
    src, out = workdir / f"chain{n}.zir", workdir / f"cold{n}"
    src.write_bytes(ChainProgram(n).source())
    walls: list[float] = []
    reported: list[float] = []
    last: dict[str, Any] = {}
    for _ in range(repeats):
        out.unlink(missing_ok=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [*zir_command(), "build", str(src), "-o", str(out), "--json"],
            cwd=REPO, capture_output=True, text=True, check=False, timeout=1800,
        )  # fmt: skip
        walls.append((time.perf_counter() - t0) * 1000)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"zir build failed (rc={proc.returncode}): {proc.stderr.strip()[-400:]}")
        last = json.loads(lines[-1])
        reported.append(float(last.get("ms", 0.0)))
    rc = run_binary(out)
    return {
        "wall": stats(walls).as_json(),
        "reported_ms": stats(reported).as_json(),
        "bytes_written": last.get("bytes_written"),
        "output_size": out.stat().st_size,
        "exit_code_ok": rc == ChainProgram(n).exit_code(),
    }


def watch_session(n: int, workdir: Path, edits: int) -> dict[str, Any]:
    """P1 end to end, P2, S5, S7 through one `zir watch --json --manual` process.

    The first `update` is the warm-process full build (a fresh Module in a process that has imported
    everything). Then `edits` times: write the edited source, `update`, wait for the JSON line, run the
    binary and check its exit code. Then one line-only edit (two blank lines above f{N-2}).
    """
    src, out = workdir / f"chain{n}.zir", workdir / f"watch{n}"
    out.unlink(missing_ok=True)
    prog = ChainProgram(n)
    src.write_bytes(prog.source())
    # an empty compile cache of its own, outside the source's directory (where the cache is refused): the first
    # update is a full build, not a restore from an earlier run
    cache = Path(tempfile.mkdtemp(prefix="zir-watch-cache-"))
    watch = WatchProcess(src, out, cache_dir=cache)
    result: dict[str, Any] = {}
    try:
        first = watch.update()
        if not first.line.get("ok"):
            raise RuntimeError(f"full build failed: {first.line.get('errors')}")
        result["full_build_warm"] = {
            "wall_ms": round(first.wall_ms, 3),
            "reported_ms": first.line.get("ms"),
            "bytes_written": first.line.get("bytes_written"),
            "output_size": out.stat().st_size,
        }
        result["full_build_exit_code_ok"] = run_binary(out) == prog.exit_code()
        before, after = workdir / f"watch{n}.before", workdir / f"watch{n}.after"
        to_json: list[float] = []
        to_run: list[float] = []
        reported: list[float] = []
        written: list[int] = []
        counters: list[Any] = []
        wrong: list[int] = []
        for k in range(1, edits + 1):
            if k == 1:
                shutil.copyfile(out, before)
            prog.bump = k
            data = prog.source()
            t0 = time.perf_counter()
            src.write_bytes(data)
            upd = watch.update()
            t1 = time.perf_counter()
            rc = run_binary(out)
            t2 = time.perf_counter()
            if not upd.line.get("ok") or rc != prog.exit_code():
                wrong.append(k)
            to_json.append((t1 - t0) * 1000)
            to_run.append((t2 - t0) * 1000)
            reported.append(float(upd.line.get("ms", 0.0)))
            written.append(int(upd.line.get("bytes_written", -1)))
            counters.append(upd.line.get("counters"))
            if k == 1:
                shutil.copyfile(out, after)
                d = byte_diff(before, after)
                result["edit_cmp"] = {"bytes_changed": d.bytes_changed, "pages_changed": d.pages_changed}
        result["save_to_json"] = stats(to_json, skip_first=True).as_json()
        result["save_to_runnable"] = stats(to_run, skip_first=True).as_json()
        result["update_reported_ms"] = stats(reported, skip_first=True).as_json()
        result["bytes_written_per_edit"] = {"first": written[0], "max": max(written), "min": min(written)}
        result["edit_counters_first"] = counters[0]
        result["edit_counters_last"] = counters[-1]
        result["wrong_results"] = wrong
        # the edit that moves f{N/2}: four more adds outgrow its capacity (GOT slot rewritten)
        shutil.copyfile(out, before)
        prog.extra_adds = 4
        src.write_bytes(prog.source())
        upd = watch.update()
        shutil.copyfile(out, after)
        d = byte_diff(before, after)
        result["move_edit"] = {
            "bytes_written": upd.line.get("bytes_written"),
            "counters": upd.line.get("counters"),
            "cmp_bytes_changed": d.bytes_changed,
            "cmp_pages_changed": d.pages_changed,
            "exit_code_ok": run_binary(out) == prog.exit_code(),
        }
        # S5: the line-only edit
        shutil.copyfile(out, before)
        prog.blank_lines_above = 2
        src.write_bytes(prog.source())
        upd = watch.update()
        shutil.copyfile(out, after)
        d = byte_diff(before, after)
        result["line_edit"] = {
            "bytes_written": upd.line.get("bytes_written"),
            "counters": upd.line.get("counters"),
            "cmp_bytes_changed": d.bytes_changed,
            "exit_code_ok": run_binary(out) == prog.exit_code(),
        }
        rss, hwm = watch.rss_kib()
        result["rss_kib"] = rss
        result["peak_rss_kib"] = hwm
    finally:
        watch.close()
        shutil.rmtree(cache, ignore_errors=True)
    return result


def strace_edit(n: int, workdir: Path) -> dict[str, Any]:
    """S1 / P2 cross-check: syscalls of body-only edits of a `zir watch` process run under strace.

    Two edits: the constant bump (code stays in place) and four extra adds (the function moves).
    """
    src, out, log = workdir / f"chain{n}.zir", workdir / f"strace{n}", workdir / f"strace{n}.log"
    out.unlink(missing_ok=True)
    prog = ChainProgram(n)
    src.write_bytes(prog.source())
    watch = WatchProcess(src, out, trace_log=log)
    result: dict[str, Any] = {}
    try:
        first = watch.update()
        if not first.line.get("ok"):
            raise RuntimeError(f"full build failed: {first.line.get('errors')}")
        for name, bump, extra in (("in_place", 1, 0), ("moved", 1, 4)):
            time.sleep(0.2)  # strace writes its log asynchronously to the traced calls
            size_before = log.stat().st_size if log.exists() else 0
            prog.bump, prog.extra_adds = bump, extra
            src.write_bytes(prog.source())
            upd = watch.update()
            time.sleep(0.2)
            with log.open("rb") as f:
                f.seek(size_before)
                segment = f.read().decode(errors="replace")
            trace = parse_strace(segment, out)
            result[name] = {
                "write_calls": trace.write_calls,
                "bytes_written": trace.bytes_written,
                "copy_calls": trace.copy_calls,
                "opens": trace.opens,
                "renames": trace.renames,
                "by_call": trace.by_call,
                "json_bytes_written": upd.line.get("bytes_written"),
                "agrees_with_counters": trace.bytes_written == upd.line.get("bytes_written"),
                "exit_code_ok": run_binary(out) == prog.exit_code(),
            }
    finally:
        watch.close()
    return result


def lsp_keystrokes(n: int, workdir: Path, edits: int) -> dict[str, Any]:
    """P5: didChange → publishDiagnostics (matching version) with debounce 0, alternating error / fix."""
    src = workdir / f"lsp{n}.zir"
    prog = ChainProgram(n)
    text = prog.source().decode()
    src.write_text(text)
    uri = src.resolve().as_uri()
    client = LspClient(server_command(), REPO)
    result: dict[str, Any] = {}
    try:
        t0 = client.open_session(workdir, uri, text)
        got = client.wait(is_diagnostics_for(uri, 1), timeout=1800)
        result["open_ms"] = round((got.at - t0) * 1000, 3)
        samples: list[float] = []
        wrong: list[int] = []
        line_start = text.rfind("\n", 0, prog.constant_span()[0]) + 1
        for k in range(1, edits + 1):
            old_start, old_end = prog.constant_span()
            # alternate: introduce an error, then fix it with a new constant
            if k % 2 == 1:
                prog.broken = True
            else:
                prog.broken = False
                prog.bump = k
            new_text = prog.source().decode()
            new_start, new_end = prog.constant_span()
            change = {
                "range": {
                    "start": {"line": prog.constant_line(), "character": old_start - line_start},
                    "end": {"line": prog.constant_line(), "character": old_end - line_start},
                },
                "text": new_text[new_start:new_end],
            }
            version = k + 1
            t0 = client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
            got = client.wait(is_diagnostics_for(uri, version), timeout=600)
            samples.append((got.at - t0) * 1000)
            has_errors = bool(got.message["params"]["diagnostics"])
            if has_errors != prog.broken:
                wrong.append(k)
        result["keystroke_to_diagnostics"] = stats(samples, skip_first=True).as_json()
        result["wrong_diagnostics"] = wrong
        rss, hwm = client.rss_kib()
        result["rss_kib"], result["peak_rss_kib"] = rss, hwm
        # what an editor asks for when it shows the file: the outline, folds and the whole file's tokens
        document = {"textDocument": {"uri": uri}}
        for method in ("textDocument/documentSymbol", "textDocument/foldingRange", "textDocument/semanticTokens/full"):
            client.request(method, document, timeout=1800)
        result["peak_rss_kib_editor_requests"] = client.rss_kib()[1]
    finally:
        client.close()
    return result


def lsp_saves(n: int, workdir: Path, edits: int) -> dict[str, Any]:
    """Save → binary through the language server: didSave → `zir/buildFinished`, and until the new binary has run.

    One body-only edit of f{N/2} per save (the text is written to disk, then didChange and didSave are sent, as an
    editor does); the server's build tier updates the ELF in place, and the harness runs it and checks its exit code.
    """
    src = workdir / f"lspsave{n}.zir"
    out = workdir / f"lspsave{n}"
    prog = ChainProgram(n)
    text = prog.source().decode()
    src.write_text(text)
    uri = src.resolve().as_uri()
    settings: dict[str, Any] = {
        "diagnostics": {"debounceMs": 0, "onType": False},
        "build": {"onSave": True, "outputPath": str(out)},
    }
    client = LspClient(server_command(), REPO, settings)

    def finished(m: dict[str, Any]) -> bool:
        return m.get("method") == "zir/buildFinished" and m.get("params", {}).get("uri") == uri

    result: dict[str, Any] = {}
    try:
        client.open_session(workdir, uri, text)
        t0 = client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        got = client.wait(finished, timeout=1800)
        result["first_build_ms"] = round((got.at - t0) * 1000, 3)
        to_notification: list[float] = []
        to_ran: list[float] = []
        wrong: list[int] = []
        for k in range(1, edits + 1):
            prog.bump = k
            text = prog.source().decode()
            src.write_text(text)
            client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": k + 1}, "contentChanges": [{"text": text}]},
            )
            t0 = client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            got = client.wait(finished, timeout=600)
            to_notification.append((got.at - t0) * 1000)
            params = got.message["params"]
            code = run_binary(Path(params["binary"])) if params.get("ok") and params.get("binary") else None
            to_ran.append((time.perf_counter() - t0) * 1000)
            if code != prog.exit_code():
                wrong.append(k)
        result["save_to_build_finished"] = stats(to_notification, skip_first=True).as_json()
        result["save_to_binary_ran"] = stats(to_ran, skip_first=True).as_json()
        result["wrong_exit_codes"] = wrong
    finally:
        client.close()
    return result


def _wait_blocked(pid: int, timeout: float = 10.0) -> bool:
    """True once the process sleeps (blocked in its read), False if it exited or the time ran out."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state == "S":
            return True
        time.sleep(0.001)
    return False


def running_update(n: int, workdir: Path) -> dict[str, Any]:
    """S6: an update while the output runs never fails (ETXTBSY) and never disturbs the running process.

    The program blocks reading its stdin; while it is blocked the harness edits and updates, runs the new
    file (stdin closed at once: new exit code), then releases the old process and checks it exits with the
    old code.
    """
    src, out = workdir / f"running{n}.zir", workdir / f"running{n}"
    out.unlink(missing_ok=True)
    prog = ChainProgram(n, wait_for_stdin=True)
    src.write_bytes(prog.source())
    watch = WatchProcess(src, out)
    try:
        first = watch.update()
        if not first.line.get("ok"):
            raise RuntimeError(f"full build failed: {first.line.get('errors')}")
        old_code = prog.exit_code()
        old = subprocess.Popen([str(out)], stdin=subprocess.PIPE)
        blocked = _wait_blocked(old.pid)
        prog.bump = 1
        src.write_bytes(prog.source())
        upd = watch.update()
        new_rc = subprocess.run([str(out)], stdin=subprocess.DEVNULL, check=False, timeout=60).returncode
        old_alive = old.poll() is None
        assert old.stdin is not None
        old.stdin.close()
        old_rc = old.wait(60)
    finally:
        watch.close()
    return {
        "old_blocked_during_update": blocked,
        "update_ok": bool(upd.line.get("ok")),
        "update_errors": upd.line.get("errors"),
        "bytes_written": upd.line.get("bytes_written"),
        "counters": upd.line.get("counters"),
        "new_binary_exit_code_ok": new_rc == prog.exit_code(),
        "old_process_survived_update": old_alive,
        "old_process_exit_code_ok": old_rc == old_code,
    }
