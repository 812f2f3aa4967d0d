"""Turns one benchmark run (its JSON file) into docs/benchmarks.md and docs/benchmarks.png.

Usage: ``.venv/bin/python -m bench.report bench/results/run-….json``. Text below the line
``<!-- notes: kept across regenerations -->`` in the existing document is preserved. The plot needs the
optional extra ``bench`` (matplotlib); without it the document says so and no image is written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import verdict_report
from bench.watch import REPO

DOC = REPO / "docs" / "benchmarks.md"
PLOT = REPO / "docs" / "benchmarks.png"
NOTES_MARKER = "<!-- notes: kept across regenerations -->"
CHAIN_CODE_BOUND = 64
"""Upper bound of one chain function's machine code in bytes (prologue 11, call 7, add 6, epilogue ≤ 10)."""


def _get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def _ms(v: Any) -> str:
    return "—" if v is None else (f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms")


def _num(v: Any, unit: str = "") -> str:
    if v is None:
        return "—"
    return f"{v:,}{unit}" if isinstance(v, int) else f"{v}{unit}"


def _ratio(ours: Any, theirs: Any) -> str:
    if not isinstance(ours, int | float) or not isinstance(theirs, int | float) or not theirs:
        return "—"
    return f"{ours / theirs:.2f}×"


def _load(v: Any) -> str:
    return "/".join(f"{x:.2f}" for x in v) if isinstance(v, list) else "?"


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def _s6_counters(counters: Any) -> str:
    """The linker's counters of the S6 update (replaced the running file, bytes copied), when it reports them."""
    if not isinstance(counters, dict) or "replaced_running" not in counters:
        return ""
    return f"; replaced running file {counters['replaced_running']}×, copied {counters.get('bytes_copied', 0):,} B"


def goal_rows(run: dict[str, Any]) -> list[list[str]]:
    """One row per (goal, N): goal, N, ours, peer, ratio, target, verdict."""
    per_n: dict[str, Any] = run["per_n"]
    rows: list[list[str]] = []

    def add(
        goal: str, n: str, ours: Any, fmt: Callable[[Any], str], peer_name: str, peer: Any, target: str, ok: bool | None
    ) -> None:
        if ours is None and peer is None:
            return
        peer_txt = f"{peer_name}: {fmt(peer)}" if peer is not None else "—"
        rows.append([goal, n, fmt(ours), peer_txt, _ratio(ours, peer), target, _verdict(ok)])

    for n, r in per_n.items():
        v = _get(r, "zir_watch", "save_to_runnable", "p50")
        zig = _get(r, "zig", "save_to_runnable", "p50")
        target = {"1000": 10.0, "10000": 15.0}.get(n)
        add(
            "P1 save → runnable p50 (zir watch, end to end)",
            n,
            v,
            _ms,
            "Zig 0.17.1",
            zig,
            f"≤ {target:g} ms" if target else "flat in N",
            (v <= target) if (v is not None and target) else None,
        )
    for n, r in per_n.items():
        v = _get(r, "zir_lsp_disassembly", "after_build", "p95")
        warm = _get(r, "zir_lsp_disassembly", "again", "p95")
        if v is not None:
            ok = v <= 50.0 if n == "10000" else None
            rows.append(
                ["V1 zir/disassembly of one decl p95, first after a build (again)", n, f"{_ms(v)} ({_ms(warm)})",
                 "—", "—", "≤ 50 ms at N = 10 000", _verdict(ok)]
            )  # fmt: skip
    for n, r in per_n.items():
        v = _get(r, "zir_watch", "save_to_json", "p50")
        rep = _get(r, "zir_watch", "update_reported_ms", "p50")
        if v is not None:
            rows.append(
                ["P1 save → JSON line p50 (update ms reported by zir)", n, f"{_ms(v)} ({_ms(rep)})", "—", "—", "—", "—"]
            )
    for n, r in per_n.items():
        v = _get(r, "zir_inproc_null", "save_to_committed", "p50")
        if v is not None:
            p95 = _get(r, "zir_inproc_null", "save_to_committed", "p95")
            rows.append(
                [
                    "P1 lower bound: update without output (null linker, in process) p50 / p95",
                    n,
                    f"{_ms(v)} / {_ms(p95)}",
                    "—",
                    "—",
                    "—",
                    "—",
                ]
            )
    for n, r in per_n.items():
        v = _get(r, "zir_inproc", "save_to_committed", "p50")
        target = {"1000": 10.0, "10000": 15.0}.get(n)
        if v is not None:
            add(
                "P1 save → committed p50 (in process)",
                n,
                v,
                _ms,
                "",
                None,
                f"≤ {target:g} ms" if target else "flat in N",
                (v <= target) if target else None,
            )
    # issue 13: wall p50 of each edit kind and shape, judged; the length-changing edits' CPU time beside them
    # (steadier than wall time on a busy machine), reported only
    edits = (
        ("update", "L1 length-changing edit p50, {} (in process, committed)", True),
        ("update_lines", "L2 edit adding or removing a line p50, {} (in process, committed)", True),
        ("update_cpu", "L1 length-changing edit, CPU p50 (every thread, no disk waits), {}", False),
        ("update_moving", "L3 length-changing edit, each in another function, p50, {} (in process, committed)", True),
        ("update_moving_cpu", "L3 edit in another function each time, CPU p50, {}", False),
        ("update_file_cpu", "L1 length-changing edit, CPU p50 of reading and comparing the saved file, {}", False),
        ("update_rest_cpu", "L1 length-changing edit, CPU p50 of the rest of the update, {}", False),
    )
    for (key, label, judged), shape in ((e, s) for e in edits for s in ("chain", "star", "tree", "strings")):
        small = _get(per_n.get("1000"), "zir_shapes", shape, key, "p50")
        for n, r in per_n.items():
            v = _get(r, "zir_shapes", shape, key, "p50")
            if v is None:
                continue
            flat = v / small if (n == "10000" and small) else None
            judge = judged and n == "10000"
            rows.append(
                [
                    label.format(shape),
                    n,
                    _ms(v) + (f" (×{flat:.2f} of N = 1 000)" if flat is not None else ""),
                    "—",
                    "—",
                    "≤ 2 ms, ×1.3" if judge else "—",
                    _verdict(v <= 2.0 and flat is not None and flat <= 1.3) if judge else "—",
                ]
            )
    for shape in ("chain", "star", "tree"):  # the L1 edit end to end beside the peers (bench/shape_peers.py)
        for n, r in per_n.items():
            ours = _get(r, "shape_peers", shape, "zir", "save_to_runnable", "p50")
            label = f"L4 length-changing edit, save → runnable p50, {shape} (zir watch, end to end)"
            add(label, n, ours, _ms, "Zig 0.17.1 --watch", _get(r, "shape_peers", shape, "zig", "save_to_runnable", "p50"),
                "—", None)  # fmt: skip
            add(label, n, ours, _ms, "as+ld full build", _get(r, "shape_peers", shape, "gnu", "save_to_runnable", "p50"),
                "—", None)  # fmt: skip
    for n, r in per_n.items():  # the work the L3 edits defer to the next reader of the names (module.md §9.6)
        v = _get(r, "zir_shapes", "strings", "names_after_moving_cpu_ms")
        if v is not None:
            rows.append(["L3 their anonymous decls' names brought up to date (CPU, once, when read)", n, _ms(v)]
                        + ["—"] * 4)  # fmt: skip
    for n, r in per_n.items():
        v = _get(r, "zir_watch", "bytes_written_per_edit", "max")
        zig = _get(r, "zig", "installed_bytes_changed")
        gnu = _get(r, "gnu", "bytes_written_per_build")
        peer_name, peer = ("Zig (bytes changed)", zig) if zig is not None else ("as+ld (whole build)", gnu)
        add(
            "P2 bytes written per body-only edit (max)",
            n,
            v,
            lambda x: _num(x, " B"),
            peer_name,
            peer,
            f"≤ code + 1 KiB (≤ {1024 + CHAIN_CODE_BOUND} B)",
            (v <= 1024 + CHAIN_CODE_BOUND) if v is not None else None,
        )
    for n, r in per_n.items():
        v = _get(r, "zir_watch", "edit_cmp", "bytes_changed")
        if v is not None:
            pages = _get(r, "zir_watch", "edit_cmp", "pages_changed")
            rows.append(["P2 bytes changed on disk (`cmp -l`), pages", n, f"{v} B, {pages} pages", "—", "—", "—", "—"])
    for n, r in per_n.items():
        v = _get(r, "zir_inproc", "linker_only", "p50")
        if v is not None:
            add("P3 linker only p50", n, v, _ms, "", None, "≤ 1 ms", v <= 1.0)
    for n, r in per_n.items():
        v = _get(r, "zir_cold_build", "wall", "p50")
        gnu = _get(r, "gnu", "full_build", "p50")
        zig = _get(r, "zig", "cold_build_ms")
        ok = (v <= 1000.0) if (v is not None and n == "10000") else None
        add("P4 full build, fresh process (`zir build`)", n, v, _ms, "as+ld", gnu, "≤ 1 s" if n == "10000" else "—", ok)
        if zig is not None:
            rows.append(["P4 full build, Zig cold `zig build`", n, "—", f"Zig: {_ms(zig)}", _ratio(v, zig), "—", "—"])
    for n, r in per_n.items():
        v = _get(r, "zir_watch", "full_build_warm", "wall_ms")
        if v is not None:
            rows.append(["P4′ full build, warm process (first `update`)", n, _ms(v), "—", "—", "—", "—"])
    for n, r in per_n.items():
        v = _get(r, "progress_cost", "overhead_pct")
        if v is not None:
            off = _get(r, "progress_cost", "off_p50")
            bar = _get(r, "progress_cost", "bar_p50")
            what = f"{v:+.1f} % (CPU p50 {_ms(off)} → {_ms(bar)})"
            rows.append(["Progress bar cost, full build (issue 17)", n, what, "—", "—", "< 2 %", _verdict(v < 2.0)])
    for n, r in per_n.items():
        v = _get(r, "zir_lsp_save", "save_to_build_finished", "p50")
        ran = _get(r, "zir_lsp_save", "save_to_binary_ran", "p50")
        if v is not None:
            then = f"; until the new binary has run: {_ms(ran)}" if ran is not None else ""
            rows.append(
                [
                    "P1 through the language server: didSave → `zir/buildFinished` p50",
                    n,
                    _ms(v) + then,
                    "—",
                    "—",
                    "—",
                    "—",
                ]
            )
    for n, r in per_n.items():
        v = _get(r, "zir_lsp", "keystroke_to_diagnostics", "p50")
        if v is not None:
            add(
                "P5 keystroke → diagnostics p50",
                n,
                v,
                _ms,
                "",
                None,
                "≤ 20 ms" if n == "10000" else "—",
                (v <= 20.0) if n == "10000" else None,
            )
    for n, r in per_n.items():
        for case, limit in (("in_place", 6), ("moved", 10)):
            w = _get(r, "zir_strace", case, "write_calls")
            if w is None:
                continue
            b = _get(r, "zir_strace", case, "bytes_written")
            agree = _get(r, "zir_strace", case, "agrees_with_counters")
            label = "stays in place" if case == "in_place" else "moves"
            row = [
                f"S1 write syscalls per body-only edit, function {label} (strace)",
                n,
                f"{w} calls, {b} B (counters agree: {agree})",
                "—",
                "—",
                f"≤ {limit}",
                _verdict(w <= limit),
            ]
            rows.append(row)
    for n, r in per_n.items():
        b = _get(r, "zir_watch", "move_edit", "bytes_written")
        if b is not None:
            changed = _get(r, "zir_watch", "move_edit", "cmp_bytes_changed")
            ok = b <= 1024 + CHAIN_CODE_BOUND + 64
            rows.append(
                [
                    "P2 bytes written when f{N/2} grows and moves",
                    n,
                    f"{b:,} B ({changed:,} B changed, cmp -l)",
                    "—",
                    "—",
                    "≤ code + 1 KiB",
                    _verdict(ok),
                ]
            )
    for n, r in per_n.items():
        for case in ("writes_in_place", "writes_moved", "writes_line_edit"):
            w = _get(r, "zir_inproc", case)
            if w:
                text = ", ".join(f"{k} {c}×/{nb} B" for k, (c, nb) in sorted(w.items(), key=lambda kv: -kv[1][1]))
                label = {
                    "writes_in_place": "body edit in place",
                    "writes_moved": "body edit, f{N/2} moves",
                    "writes_line_edit": "S5 line-only edit",
                }[case]
                rows.append([f"P2/S1 file-layer writes by region, {label} (calls/bytes)", n, text, "—", "—", "—", "—"])
    for n, r in per_n.items():
        b = _get(r, "zir_watch", "line_edit", "bytes_written")
        if b is not None:
            rows.append(
                [
                    "S5 line-only edit (2 lines above f{N-2}): bytes written",
                    n,
                    _num(b, " B"),
                    "—",
                    "—",
                    "12 B of line fields + header/marker",
                    "—",
                ]
            )
    for n, r in per_n.items():
        s6 = r.get("zir_running")
        if s6:
            ok = bool(
                s6["update_ok"]
                and s6["new_binary_exit_code_ok"]
                and s6["old_process_survived_update"]
                and s6["old_process_exit_code_ok"]
                and s6["old_blocked_during_update"]
            )
            rows.append(
                [
                    "S6 update while the output runs",
                    n,
                    f"update ok {s6['update_ok']}, new runs {s6['new_binary_exit_code_ok']}, old survives "
                    f"{s6['old_process_survived_update']} and exits right {s6['old_process_exit_code_ok']}"
                    + _s6_counters(s6.get("counters")),
                    "—",
                    "—",
                    "no ETXTBSY, old unharmed",
                    _verdict(ok),
                ]
            )
    for n, r in per_n.items():
        rss = _get(r, "zir_watch", "peak_rss_kib")
        lsp = _get(r, "zir_lsp", "peak_rss_kib")
        if rss is not None or lsp is not None:
            rows.append(
                [
                    "S7 peak RSS (watch / server)",
                    n,
                    f"{_num(rss, ' KiB')} / {_num(lsp, ' KiB')}",
                    "—",
                    "—",
                    "report",
                    "—",
                ]
            )
    return rows


def availability_lines(run: dict[str, Any]) -> list[str]:
    lines = []
    for part, reason in run.get("availability", {}).items():
        lines.append(f"- `{part}`: " + ("available" if reason is None else f"**not run** — {reason}"))
    for err in run.get("errors", []):
        n = f" N={err['n']}" if err.get("n") is not None else ""
        lines.append(f"- scenario `{err['scenario']}`{n} **failed**: `{err['error'][:300]}`")
    return lines


def plot(run: dict[str, Any], path: Path) -> bool:
    """Update latency and bytes written per edit against N. False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    per_n = run["per_n"]
    ns = sorted(int(n) for n in per_n)
    series: dict[str, tuple[list[int], list[float]]] = {}

    def collect(label: str, *key: str) -> None:
        xs, ys = [], []
        for n in ns:
            v = _get(per_n[str(n)], *key)
            if isinstance(v, int | float):
                xs.append(n)
                ys.append(float(v))
        if xs:
            series[label] = (xs, ys)

    collect("ZIR Live save → runnable (watch)", "zir_watch", "save_to_runnable", "p50")
    collect("ZIR Live update (in process)", "zir_inproc", "save_to_committed", "p50")
    collect("ZIR Live update, no output (in process)", "zir_inproc_null", "save_to_committed", "p50")
    collect("ZIR Live linker only", "zir_inproc", "linker_only", "p50")
    collect("ZIR Live keystroke → diagnostics", "zir_lsp", "keystroke_to_diagnostics", "p50")
    collect("Zig 0.17.1 save → runnable", "zig", "save_to_runnable", "p50")
    collect("GNU as + ld full build", "gnu", "full_build", "p50")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for label, (xs, ys) in series.items():
        ax1.plot(xs, ys, marker="o", label=label)
    ax1.axhline(10, color="grey", ls=":", lw=1, label="P1 goal at N = 1 000 (10 ms)")
    ax1.axhline(15, color="grey", ls="--", lw=1, label="P1 goal at N = 10 000 (15 ms)")
    ax1.set(xscale="log", yscale="log", xlabel="N (functions)", ylabel="ms (p50)", title="Latency of one edit")
    ax1.legend(fontsize=7)
    bseries: dict[str, tuple[list[int], list[float]]] = {}
    for label, key in (
        ("ZIR Live bytes written", ("zir_watch", "bytes_written_per_edit", "max")),
        ("ZIR Live bytes changed (cmp -l)", ("zir_watch", "edit_cmp", "bytes_changed")),
        ("Zig installed bytes changed (cmp -l)", ("zig", "installed_bytes_changed")),
        ("as + ld bytes written per build", ("gnu", "bytes_written_per_build")),
    ):
        xs, ys = [], []
        for n in ns:
            v = _get(per_n[str(n)], *key)
            if isinstance(v, int | float):
                xs.append(n)
                ys.append(float(v))
        if xs:
            bseries[label] = (xs, ys)
    for label, (xs, ys) in bseries.items():
        ax2.plot(xs, ys, marker="o", label=label)
    ax2.set(xscale="log", yscale="log", xlabel="N (functions)", ylabel="bytes", title="Bytes written per edit")
    ax2.legend(fontsize=7)
    fig.suptitle(f"ZIR Live benchmarks, {run['date']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def render(run: dict[str, Any], json_path: Path, plotted: bool, notes: str) -> str:
    m = run["machine"]
    out = [
        "# Benchmarks",
        "",
        "Generated by `bench/report.py` from one run of `bench/run.py` (performance.md §4). Numbers are",
        "comparable only within one run on one machine (§4.8). Re-run with:",
        "",
        "```",
        ".venv/bin/python -m bench.run --quick --report        # N ≤ 10 000, fewer repetitions (a trial run)",
        ".venv/bin/python -m bench.run --zig --report          # the full run, all N, with Zig 0.17.1",
        "```",
        "",
        f"- run: `{run['command']}` on {run['date']}, JSON `{json_path.name}` (under `bench/results/`, not committed)",
        f"- machine: {m.get('cpu')}, {m.get('cores')} cores, Linux {m.get('kernel')}, Python {m.get('python')}; "
        f"**{verdict_report.conditions(m)}**"
        + (
            " (other processes shared the cores: expect noise, above all in p95)"
            if verdict_report.conditions(m).startswith("loaded")
            else ""
        ),
        f"- sizes N = {', '.join(str(n) for n in run['sizes'])}; {run['edits_per_n']} edits per N "
        "(p50/p95 exclude the first edit, which is reported separately in the JSON)",
        "",
        *verdict_report.goal_sections(run),
        "",
        "## Goals of performance.md, ours, peers",
        "",
        "| goal | N | ZIR Live | peer | ratio ours/peer | target | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    out += ["| " + " | ".join(row) + " |" for row in goal_rows(run)]
    seq = run.get("sequence")
    if seq:
        out += [
            "",
            "## Random edit sequence (S2, S3, S4)",
            "",
            f"Seed {seq['seed']}, N = {seq['n']}, {seq['edits']} edits ({seq['edit_kinds']}), "
            f"{seq['checked_against_fresh_build']} checked against a fresh build: "
            f"{seq['failure_count']} failures. Bytes written in total: {seq['total_bytes_written']:,}; "
            f"`.text` {seq['text_size_initial']:,} → {seq['text_size_final']:,} bytes.",
        ]
        totals = seq.get("counter_totals") or {}
        if "code_bytes" in totals:
            out.append(
                f"S2: bytes written {seq['total_bytes_written']:,} vs 3 × code bytes emitted "
                f"{3 * totals['code_bytes']:,} — {_verdict(seq.get('s2_bytes_met'))}; `.text` moves "
                f"{totals.get('text_moves', '—')} vs bound {seq.get('s2_text_moves_bound')} — "
                f"{_verdict(seq.get('s2_text_moves_met'))}; counters summed over the sequence: {totals}."
            )
        for f in seq["failures"][:10]:
            out.append(f"- {f}")
    fl_runs = run.get("free_list")
    for fl in fl_runs if isinstance(fl_runs, list) else [fl_runs] if fl_runs else []:
        out += [
            "",
            f"S3 free-list reuse (N = {fl['n']}): deleting {fl['k']} leaf functions and adding {fl['k']} of the same "
            f"shape grew `.text` by {fl['growth']} bytes (one such function: {fl['one_function_size']} bytes) — "
            f"{_verdict(fl['met'])}; wrong results: {fl['wrong'] or 'none'}.",
        ]
    out += ["", "## What ran and what did not", ""]
    out += availability_lines(run)
    if plotted:
        out += ["", "## Plot", "", "![latency and bytes written against N](benchmarks.png)"]
    else:
        out += ["", "(No plot: install the optional extra `bench` — `pip install -e '.[bench]'` — for matplotlib.)"]
    prof = run.get("profile")
    if prof:
        out += [
            "",
            f"## Profile of one edit at N = {prof['n']} (cProfile, {prof['edits']} edits, by tottime)",
            "",
            "```",
            prof["by_tottime"].strip()[:6000],
            "```",
        ]
    out += verdict_report.profile_sections(run)
    out += verdict_report.duration_section(run)
    out += ["", NOTES_MARKER, "", notes.strip("\n"), ""]
    return "\n".join(out)


def write_report(run: dict[str, Any], json_path: Path) -> None:
    notes = ""
    if DOC.exists():
        text = DOC.read_text()
        if NOTES_MARKER in text:
            notes = text.split(NOTES_MARKER, 1)[1].strip("\n")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    plotted = plot(run, PLOT)
    DOC.write_text(render(run, json_path, plotted, notes))
    print(f"wrote {DOC}" + (f" and {PLOT}" if plotted else ""), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bench.report RUN.json", file=sys.stderr)
        return 2
    path = Path(args[0])
    write_report(json.loads(path.read_text()), path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
