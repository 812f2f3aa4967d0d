"""Markdown for docs/benchmarks.md's issue sections: goal verdicts (``bench.goals``), missed-goal profiles, durations.

``bench.report.render`` places these after its performance.md goal table.
"""

from __future__ import annotations

from typing import Any

from bench.goals import Status, status_text, verdicts

ISSUES = {
    13: "Issue 13 — fast for every edit, fast from cold",
    14: "Issue 14 — hot code swap",
    15: "Issue 15 — the editor at 10 000 functions",
}
PROFILE_LINES = 22


def conditions(machine: dict[str, Any]) -> str:
    """``quiet`` when the 1-minute load average was below 1 when the run started, else ``loaded``, with the loads.

    The run's own processes add about 1–2 to the load at the end; the start shows what else was running.
    """
    start, end = machine.get("loadavg_at_start"), machine.get("loadavg_at_end")

    def fmt(v: Any) -> str:
        return "/".join(f"{x:.2f}" for x in v) if isinstance(v, list | tuple) else "?"

    loaded = not (isinstance(start, list | tuple) and start and float(start[0]) < 1.0)
    return f"{'loaded' if loaded else 'quiet'} (load average {fmt(start)} at start, {fmt(end)} at end)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def goal_sections(run: dict[str, Any]) -> list[str]:
    """One table per issue: goal, ZIR Live, target, verdict, detail (peers, the other N, or why not measured)."""
    all_verdicts = verdicts(run)
    out: list[str] = []
    counts = {s: sum(1 for v in all_verdicts if v.status is s) for s in Status}
    out += [
        "## Goals of the open issues (13, 14, 15)",
        "",
        f"Measured {conditions(run.get('machine', {}))}. {counts[Status.MET]} met, {counts[Status.MISSED]} missed, "
        f"{counts[Status.NOT_MEASURED]} not measured. Every missed goal's largest remaining cost is profiled "
        "below (§ Profiles of missed goals).",
    ]
    for issue, title in ISSUES.items():
        rows = [v for v in all_verdicts if v.issue == issue]
        if not rows:
            continue
        out += ["", f"### {title}", "", "| goal | ZIR Live | target | verdict | detail |", "|---|---|---|---|---|"]
        out += [
            f"| {_cell(v.goal)} | {_cell(v.ours)} | {_cell(v.target)} | {status_text(v.status)} | {_cell(v.detail)} |"
            for v in rows
        ]
    return out


def _trim(text: str, lines: int = PROFILE_LINES) -> str:
    return "\n".join(text.strip("\n").splitlines()[: lines + 1])


def profile_sections(run: dict[str, Any]) -> list[str]:
    """Each missed goal's profile: what ran, the goals it explains, top entries by cumulative and own time."""
    keys = [k for k in run if k.startswith("profile:")]
    failed = [e for e in run.get("errors", []) if str(e.get("scenario", "")).startswith("profile:")]
    if not keys and not failed:
        return []
    out = ["", "## Profiles of missed goals", ""]
    out.append(
        "cProfile over every thread of a fresh process (the figures include cProfile's own overhead, so they are "
        "larger than the timings above; read the proportions). Memory goals show tracemalloc's top allocation sites."
    )
    for key in keys:
        prof = run[key]
        out += ["", f"### `{key.removeprefix('profile:')}`", "", f"Explains: {prof.get('why', '?')}.", ""]
        out.append(f"Profiled: {prof.get('what', '?')}.")
        for field, title in (("by_import_time", "of `-X importtime` by cumulative time"),
                             ("by_cumulative", "by cumulative time"), ("by_tottime", "by own time"),
                             ("by_size", "by allocated size")):  # fmt: skip
            if prof.get(field):
                out += ["", f"Top entries {title}:", "", "```", _trim(prof[field]), "```"]
    for err in failed:
        out += [
            "",
            f"### `{str(err['scenario']).removeprefix('profile:')}`: profile failed",
            "",
            f"`{err['error'][:300]}`",
        ]
    return out


def duration_section(run: dict[str, Any]) -> list[str]:
    """How long each part of the run took (for sizing the full run)."""
    durations = run.get("durations") or []
    if not durations:
        return []
    total = run.get("total_seconds")
    out = ["", "## Duration of each part", ""]
    if isinstance(total, int | float):
        out.append(f"Whole run: {total / 60:.1f} min.")
        out.append("")
    cpu = sum(float(d.get("cpu_seconds") or 0.0) for d in durations)
    if cpu:
        out += [f"CPU time of the run and its children: {cpu / 60:.1f} min (on a loaded machine, the better guide "
                "to a quiet run's duration).", ""]  # fmt: skip
    out += ["| scenario | N | wall s | CPU s |", "|---|---|---|---|"]
    out += [
        f"| {d['scenario']} | {d['n'] if d.get('n') is not None else '—'} | {d['seconds']} | {d.get('cpu_seconds', '—')} |"
        for d in durations
    ]
    return out
