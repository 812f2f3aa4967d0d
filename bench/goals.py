"""The open issues' goals (13, 14, 15) judged against one benchmark run: one verdict per goal, with what to profile.

Pure functions of the run dictionary ``bench.run`` writes, so the verdict logic is tested on synthetic runs
(tests/bench/test_goals.py). A goal whose numbers are absent is NOT_MEASURED with the reason (the scenario's
error, its module's availability, or "not run"), never silently dropped. A missed goal names the profile
(``bench.profiles``) of its largest remaining cost.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, assert_never

SHAPES = ("chain", "star", "tree", "strings")
"""bench/shapes.py's shapes, and its chain with a ``str`` in every function (``python -m bench.inproc shapes``)."""
BIG = "10000"
SMALL = "1000"
HUGE = "100000"

REQUEST_TARGETS: dict[str, float] = {
    "hover": 50.0,
    "definition": 50.0,
    "completion": 50.0,
    "signatureHelp": 50.0,
    "documentHighlight": 50.0,
    "inlayHint": 50.0,
    "semanticTokens_range": 50.0,
    "semanticTokens_delta": 50.0,
    "codeAction": 50.0,
    "foldingRange": 50.0,
    "documentSymbol": 200.0,
    "formatting": 50.0,
}
"""Issue 15: p95 right after an edit at N = 10 000 (ms), by request-row prefix (``completion_local`` → ``completion``)."""
REQUESTS_REPORTED = ("semanticTokens_full",)
"""Request rows issue 15 asks to see without a latency target."""


class Status(enum.Enum):
    MET = "met"
    MISSED = "missed"
    NOT_MEASURED = "not measured"
    INFO = "info"


def status_text(status: Status) -> str:
    match status:
        case Status.MET:
            return "met"
        case Status.MISSED:
            return "**missed**"
        case Status.NOT_MEASURED:
            return "not measured"
        case Status.INFO:
            return "—"
    assert_never(status)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One goal (or one reported row) of one issue."""

    issue: int
    goal: str
    ours: str
    target: str
    status: Status
    detail: str = ""
    """Peers, the other N, or why it was not measured."""
    profile: str | None = None
    """The ``bench.profiles`` key of this goal's largest remaining cost, when it is missed."""


def n_text(n: str) -> str:
    """``10000`` → ``10 000`` (the docs' thousands separator)."""
    return f"{int(n):,}".replace(",", " ")


def get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def ms(v: Any) -> str:
    if not isinstance(v, int | float):
        return "—"
    return f"{v:.2f} ms" if v < 100 else (f"{v:.0f} ms" if v < 10_000 else f"{v / 1000:.1f} s")


def mib(kib: Any) -> str:
    """A peak RSS in MiB (the unit the bounds are judged in), with its decimal megabytes beside it."""
    return "—" if not isinstance(kib, int | float) else f"{kib / 1024:.0f} MiB ({kib * 1.024 / 1000:.0f} MB)"


def judge(ok: bool) -> Status:
    return Status.MET if ok else Status.MISSED


def why_missing(run: dict[str, Any], scenario: str, n: str | None = None, module: str | None = None) -> str:
    """Why a scenario's numbers are absent: its error, its module's availability, or that it did not run."""
    for err in run.get("errors", []):
        if err.get("scenario") == scenario and (n is None or str(err.get("n")) == n):
            return f"failed: {str(err.get('error'))[:160]}"
    avail = run.get("availability", {})
    if module and avail.get(f"bench.{module}"):
        return str(avail[f"bench.{module}"])
    needs = "server" if scenario.startswith("zir_lsp") or scenario == "requests" else None
    needs = needs or ("cli" if scenario.startswith("zir_") else None)
    if needs and avail.get(needs):
        return f"not measured: {needs} unavailable ({avail[needs]})"
    where = f" at N = {n_text(n)}" if n else ""
    return f"not measured: `{scenario}` did not run{where} in this run"


def _missing(run: dict[str, Any], issue: int, goal: str, target: str, scenario: str, n: str | None = None,
             module: str | None = None) -> Verdict:  # fmt: skip
    return Verdict(issue, goal, "—", target, Status.NOT_MEASURED, why_missing(run, scenario, n, module))


def _end_to_end(r: Any, shape: str) -> str:
    """The same edit at N = 10 000 end to end beside the peers (``bench/shape_peers.py``), when measured."""
    ours = get(r, "shape_peers", shape, "zir", "save_to_runnable", "p50")
    if ours is None:
        return ""
    peers = [(name, get(r, "shape_peers", shape, key, "save_to_runnable", "p50"))
             for name, key in (("Zig 0.17.1 --watch", "zig"), ("as+ld full build", "gnu"))]  # fmt: skip
    text = ", ".join(f"{ours / v:.2f}× {name} ({ms(v)})" for name, v in peers if v)
    return f"save → runnable at 10 000: zir watch {ms(ours)}" + (f" = {text}" if text else "")


def issue13(run: dict[str, Any]) -> Iterator[Verdict]:
    per_n: dict[str, Any] = run.get("per_n", {})
    target = "p50 ≤ 2 ms at 10 000, ratio 10 000/1 000 ≤ 1.3"
    edits = (
        ("update", "length-changing edit"),
        ("update_lines", "edit adding or removing a line"),
        ("update_moving", "length-changing edit, each in another function"),  # module.md §9.6
    )
    for (key, label), shape in ((e, s) for e in edits for s in SHAPES):
        goal = f"{label}, {shape}: update p50"
        big = get(per_n.get(BIG), "zir_shapes", shape, key, "p50")
        small = get(per_n.get(SMALL), "zir_shapes", shape, key, "p50")
        if big is None or small is None:
            yield _missing(run, 13, goal, target, "zir_shapes", BIG if big is None else SMALL)
            continue
        ratio = big / small if small else float("inf")
        ok = big <= 2.0 and ratio <= 1.3
        detail = _end_to_end(per_n.get(BIG), shape) if key == "update" else ""
        yield Verdict(13, goal, f"{ms(big)} (1 000: {ms(small)}, ratio {ratio:.2f})", target, judge(ok), detail,
                      profile=None if ok or key != "update" else f"shape:{shape}")  # fmt: skip
    kinds = get(run, "sequence", "edit_kinds")
    goal = "the random sequence uses length-changing edits"
    if isinstance(kinds, dict):
        widen = int(kinds.get("widen", 0))
        text = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        yield Verdict(13, goal, text, "widen edits > 0", judge(widen > 0))
    else:
        yield _missing(run, 13, goal, "widen edits > 0", "sequence")
    yield from _full_builds(run, per_n)
    yield from _full_build_accelerated(run, per_n)
    yield from _cache(run)
    yield from _server_first_build(run, per_n)
    yield from _cold(run)
    yield from _rss(run, per_n)
    yield from _accel(run)


def _first_build(r: Any) -> tuple[Any, str]:
    """The server's first build on save at one N: bench/requests.py's (after the editor tier's analysis), else
    zir_lsp_save's (didSave right after didOpen)."""
    value = get(r, "server_first_build", "first_build_on_save_ms")
    if value is not None:
        return value, "didSave after the editor tier's analysis → zir/buildFinished"
    return get(r, "zir_lsp_save", "first_build_ms"), "didSave right after didOpen → zir/buildFinished"


def _server_first_build(run: dict[str, Any], per_n: dict[str, Any]) -> Iterator[Verdict]:
    goal, target = "server first build on save", "≤ 1.5 s at 10 000"
    first, how = _first_build(per_n.get(BIG))
    if first is None:
        yield _missing(run, 13, goal, target, "zir_lsp_save", BIG)
        return
    small, _ = _first_build(per_n.get(SMALL))
    yield Verdict(13, f"{goal} ({how})", ms(first), target, judge(first <= 1500.0), f"1 000: {ms(small)}",
                  profile=None if first <= 1500.0 else "server_first_build")  # fmt: skip


def _full_builds(run: dict[str, Any], per_n: dict[str, Any]) -> Iterator[Verdict]:
    for n, r in sorted(per_n.items(), key=lambda kv: int(kv[0])):
        ours = get(r, "zir_cold_build", "wall", "p50")
        zig = get(r, "zig_cold_build", "cold_build", "p50")
        if zig is None:
            zig = get(r, "zig", "cold_build_ms")
        gnu = get(r, "gnu", "full_build", "p50")
        goal = f"full build, fresh process, N = {n_text(n)}"
        if ours is None:
            if n == BIG:
                yield _missing(run, 13, goal, "≤ 0.5× Zig and ≤ 25× as+ld", "zir_cold_build", n)
            continue
        peers = [f"Zig 0.17.1 {ms(zig)} ({ours / zig:.2f}×)" if zig else "Zig: not run",
                 f"as+ld {ms(gnu)} ({ours / gnu:.0f}×)" if gnu else "as+ld: not run"]  # fmt: skip
        if n != BIG:
            yield Verdict(13, goal, ms(ours), "—", Status.INFO, "; ".join(peers))
            continue
        for name, peer, bound in (("Zig 0.17.1 cold", zig, 0.5), ("GNU as+ld", gnu, 25.0)):
            g, t = f"{goal} vs {name}", f"≤ {bound:g}× {name}"
            if not peer:
                scenario = "gnu" if name.startswith("GNU") else "zig_cold_build"
                yield _missing(run, 13, g, t, scenario, n)
                continue
            ok = ours / peer <= bound
            yield Verdict(13, g, f"{ms(ours)} = {ours / peer:.2f}× ({ms(peer)})", t, judge(ok),
                          profile=None if ok else "full_build")  # fmt: skip


def _full_build_accelerated(run: dict[str, Any], per_n: dict[str, Any]) -> Iterator[Verdict]:
    """The same two full-build goals for the optional mypyc build (bench/accel.py's fresh builds, median of its
    runs, same chain program), against the same run's peers; the pure-Python verdicts above stay the headline."""
    fast = get(run, "accel", "mypyc", BIG, "fresh_build", "median_s")
    pure = get(run, "accel", "python", BIG, "fresh_build", "median_s")
    if not isinstance(fast, int | float):
        return
    ours = 1000.0 * fast
    zig = get(per_n.get(BIG), "zig_cold_build", "cold_build", "p50") or get(per_n.get(BIG), "zig", "cold_build_ms")
    gnu = get(per_n.get(BIG), "gnu", "full_build", "p50")
    same = f"pure Python in the same measurement {ms(1000.0 * pure)}" if isinstance(pure, int | float) else ""
    for name, peer, bound in (("Zig 0.17.1 cold", zig, 0.5), ("GNU as+ld", gnu, 25.0)):
        if not peer:
            continue
        ok = ours / peer <= bound
        goal = f"full build, fresh process, N = {n_text(BIG)}, accelerated (mypyc) build vs {name}"
        yield Verdict(13, goal, f"{ms(ours)} = {ours / peer:.2f}× ({ms(peer)})", f"≤ {bound:g}× {name}", judge(ok),
                      same)  # fmt: skip


def _first_number(d: Any, *needles: str) -> float | None:
    """The first number under a key containing one of ``needles`` (depth first, ``p50`` of a stats dict)."""
    if not isinstance(d, dict):
        return None
    for key, value in d.items():
        if any(needle in key for needle in needles):
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            for field in ("p50", "wall", "median"):  # bench.measure's stats, bench.cold's medians
                inner = get(value, field)
                if isinstance(inner, int | float):
                    return float(inner)
    for value in d.values():
        found = _first_number(value, *needles)
        if found is not None:
            return found
    return None


def _rows_by_n(d: Any) -> dict[str, Any]:
    """``{"rows": [{"n": N, …}, …]}`` (bench/cache.py) as N → row; a dict without rows is one row at its own n."""
    rows = get(d, "rows")
    if isinstance(rows, list):
        return {str(r.get("n")): r for r in rows if isinstance(r, dict)}
    return {str(get(d, "n")): d} if isinstance(d, dict) else {}


def _cache(run: dict[str, Any]) -> Iterator[Verdict]:
    goal, target = "restart with the persistent cache after a one-function edit", "≤ 10% of a full build at 10 000"
    cache = run.get("cache")
    if not isinstance(cache, dict):
        yield _missing(run, 13, f"`zir build` {goal}", target, "cache", module="cache")
        return
    rows = _rows_by_n(cache)
    row = rows.get(BIG) or (rows[max(rows, key=lambda k: int(k) if k.isdigit() else -1)] if rows else None)
    full = _first_number(row, "full_build")
    for who, ratio_key, time_key in (("`zir build`", "ratio", "restart_cache_ms"),
                                     ("`zir watch` (its first update)", "watch_ratio", "watch_restart_first_update_wall_ms")):  # fmt: skip
        ratio = get(row, ratio_key)
        if ratio is None and who.startswith("`zir watch`"):
            continue  # only bench/cache.py measures the watch restart
        restart = get(row, time_key) if time_key in (row or {}) else _first_number(row, "restart")
        if not isinstance(ratio, int | float):
            yield Verdict(13, f"{who} {goal}", "—", target, Status.NOT_MEASURED, "the cache result has no ratio")
            continue
        at = f" at N = {n_text(str(row.get('n')))}" if isinstance(row, dict) and row.get("n") else ""
        ours = f"{ratio * 100:.1f}% ({ms(restart)} of {ms(full)}{at})"
        detail = str(cache.get("source", "bench/cache.py"))
        cpu_ratio, plain = get(row, "cpu_ratio"), get(row, "restart_no_cache_ms")
        if who == "`zir build`" and isinstance(cpu_ratio, int | float):
            detail = f"CPU time {cpu_ratio * 100:.1f}% of the full build's; without the cache {ms(plain)}; {detail}"
        yield Verdict(13, f"{who} {goal}", ours, target, judge(ratio <= 0.10), detail,
                      profile=None if ratio <= 0.10 else "cache_restart")  # fmt: skip


def _cold(run: dict[str, Any]) -> Iterator[Verdict]:
    cold = run.get("cold")
    source = cold.get("source", "bench/cold.py") if isinstance(cold, dict) else "bench/cold.py"
    for key, goal, bound in (("hello", "cold `zir build examples/hello.zir`", 80.0),
                             ("version", "cold `zir --version`", 40.0)):  # fmt: skip
        target = f"≤ {bound:g} ms"
        value = _first_number(cold, key) if isinstance(cold, dict) else None
        if value is None:
            yield _missing(run, 13, goal, target, "cold", module="cold")
            continue
        py = _first_number(cold, "python")
        detail = (f"python -c pass {ms(py)}; " if py is not None else "") + f"from {source}"
        yield Verdict(13, goal, ms(value), target, judge(value <= bound), detail,
                      profile=None if value <= bound else f"cold_{key}")  # fmt: skip


def _rss(run: dict[str, Any], per_n: dict[str, Any]) -> Iterator[Verdict]:
    for scenario, who, bound in (("zir_watch", "`zir watch`", 400), ("zir_lsp", "the server", 500)):
        goal, target = f"peak RSS of {who} at N = 100 000", f"≤ {bound} MiB"
        kib = get(per_n.get(HUGE), scenario, "peak_rss_kib")
        cold_mib = get(run, "cold", "watch_rss_mib" if scenario == "zir_watch" else "server_rss_mib")
        if kib is None and get(run, "cold", "rss_n") == int(HUGE) and isinstance(cold_mib, int | float):
            kib = cold_mib * 1024  # bench/cold.py's own memory rows, when it ran them at 100 000
        if kib is None:
            yield _missing(run, 13, goal, target, scenario, HUGE)
            continue
        at10k = get(per_n.get(BIG), scenario, "peak_rss_kib")
        ok = kib <= bound * 1024
        yield Verdict(13, goal, mib(kib), target, judge(ok), f"10 000: {mib(at10k)}",
                      profile=None if ok else f"rss:{scenario}")  # fmt: skip
        editor = get(per_n.get(HUGE), scenario, "peak_rss_kib_editor_requests")
        if isinstance(editor, int | float):
            ok = editor <= bound * 1024
            at10k = get(per_n.get(BIG), scenario, "peak_rss_kib_editor_requests")
            yield Verdict(13, f"{goal}, after an editor's documentSymbol, foldingRange and full semantic tokens",
                          mib(editor), target, judge(ok), f"10 000: {mib(at10k)}")  # fmt: skip


def _accel(run: dict[str, Any]) -> Iterator[Verdict]:
    accel = run.get("accel")
    goal = "mypyc accelerated build vs pure Python"
    if not isinstance(accel, dict):
        yield _missing(run, 13, goal, "report both", "accel", module="accel")
        return
    unavailable = get(accel, "mypyc", "unavailable")
    if unavailable:
        yield Verdict(
            13, goal, "—", "report both", Status.NOT_MEASURED, f"accelerated build unavailable: {unavailable}"
        )
        return
    for n, pure in sorted((get(accel, "python") or {}).items(), key=lambda kv: int(kv[0])):
        fast = get(accel, "mypyc", n)
        speed = get(accel, "speedup", n) or {}
        text = (
            f"fresh build {get(pure, 'fresh_build', 'best_s')} s → {get(fast, 'fresh_build', 'best_s')} s; "
            f"update p50 {ms(get(pure, 'update', 'p50'))} → {ms(get(fast, 'update', 'p50'))}"
        )
        detail = ", ".join(f"{k} ×{v}" for k, v in speed.items())
        yield Verdict(13, f"{goal}, N = {n_text(n)} (pure → accelerated)", text, "report both", Status.INFO,
                      f"speedup {detail}" if detail else "")  # fmt: skip


def issue14(run: dict[str, Any]) -> Iterator[Verdict]:
    sizes = get(run, "hot", "sizes")
    for n in (SMALL, BIG):
        label = f"N = {n_text(n)}"
        row = get(sizes, n)
        goal = f"save → running program executes new code, {label}"
        if row is None:
            yield _missing(run, 14, goal, "p50 ≤ 5 ms", "hot", module="hot")
            continue
        hot = get(row, "hot", "save_to_new_code_ms")
        restart = get(row, "restart", "save_to_new_code_ms", "p50")
        zig = get(row, "zig", "save_to_new_output_ms", "p50") or get(row, "zig", "save_to_rebuilt_ms", "p50")
        zig_how = "Zig 0.17.1 --watch, save → restarted program's new output"
        if zig is None:
            zig = get(run, "per_n", n, "zig", "save_to_runnable", "p50")
            zig_how = "Zig 0.17.1 --watch, save → rebuilt binary ran"
        inproc = get(row, "hot_in_process", "save_to_new_code_ms", "p50")
        detail = f"kill and restart p50 {ms(restart)}; {zig_how} p50 {ms(zig)}"
        if inproc is not None:
            detail = f"in process (no file watch) p50 {ms(inproc)}; " + detail
        p50 = get(hot, "p50")
        if p50 is None:
            yield _missing(run, 14, goal, "p50 ≤ 5 ms", "hot", module="hot")
        else:
            yield Verdict(14, goal, f"p50 {ms(p50)}, p95 {ms(get(hot, 'p95'))}", "p50 ≤ 5 ms", judge(p50 <= 5.0),
                          detail, profile=None if p50 <= 5.0 else "hot_swap")  # fmt: skip
        stopped = get(row, "hot", "stopped_ms")
        goal = f"hot.ms (process stopped), {label}"
        if get(stopped, "p50") is None:
            yield _missing(run, 14, goal, "p50 ≤ 1 ms", "hot", module="hot")
        else:
            s50 = float(get(stopped, "p50"))
            yield Verdict(14, goal, f"p50 {ms(s50)}, p95 {ms(get(stopped, 'p95'))}", "p50 ≤ 1 ms", judge(s50 <= 1.0),
                          profile=None if s50 <= 1.0 else "hot_swap")  # fmt: skip


def _request_target(name: str) -> float | None:
    for prefix, bound in REQUEST_TARGETS.items():
        if name == prefix or name.startswith(prefix + "_"):
            return bound
    return None


def issue15(run: dict[str, Any]) -> Iterator[Verdict]:
    per_n: dict[str, Any] = run.get("per_n", {})
    big, small = get(per_n.get(BIG), "requests"), get(per_n.get(SMALL), "requests")
    names = [k for k, v in (big or small or {}).items() if isinstance(v, dict) and "p95" in v]
    for want in [*REQUEST_TARGETS, *REQUESTS_REPORTED]:
        if not any(name == want or name.startswith(want + "_") for name in names):
            bound = REQUEST_TARGETS.get(want)
            target = f"p95 ≤ {bound:g} ms at 10 000" if bound else "report"
            if big is None:
                yield _missing(run, 15, f"{want} right after an edit", target, "requests", BIG)
            else:
                yield Verdict(15, f"{want} right after an edit", "—", target, Status.NOT_MEASURED,
                              "not measured: bench/requests.py has no row for it yet")  # fmt: skip
    for name in names:
        bound = _request_target(name)
        b50, b95 = get(big, name, "p50"), get(big, name, "p95")
        detail = f"1 000: {ms(get(small, name, 'p50'))} / {ms(get(small, name, 'p95'))}"
        target = f"p95 ≤ {bound:g} ms at 10 000" if bound else "report"
        goal = f"{name} right after an edit (p50 / p95)"
        if b95 is None:
            yield Verdict(15, goal, "—", target, Status.NOT_MEASURED, why_missing(run, "requests", BIG) + "; " + detail)
        elif bound is None:
            yield Verdict(15, goal, f"{ms(b50)} / {ms(b95)}", target, Status.INFO, detail)
        else:
            ok = b95 <= bound
            yield Verdict(15, goal, f"{ms(b50)} / {ms(b95)}", target, judge(ok), detail,
                          profile=None if ok else f"request:{name}")  # fmt: skip
    key = get(per_n.get(BIG), "zir_lsp", "keystroke_to_diagnostics", "p50")
    goal, target = "keystroke → diagnostics p50", "≤ 20 ms at 10 000"
    if key is None:
        yield _missing(run, 15, goal, target, "zir_lsp", BIG)
    else:
        small_key = get(per_n.get(SMALL), "zir_lsp", "keystroke_to_diagnostics", "p50")
        yield Verdict(15, goal, ms(key), target, judge(key <= 20.0), f"1 000: {ms(small_key)}",
                      profile=None if key <= 20.0 else "keystroke")  # fmt: skip
    opened = get(per_n.get(BIG), "zir_lsp", "open_ms") or get(big, "open_to_diagnostics_ms")
    goal, target = "open → first diagnostics", "≤ 1 s at 10 000"
    if opened is None:
        yield _missing(run, 15, goal, target, "zir_lsp", BIG)
    else:
        yield Verdict(15, goal, ms(opened), target, judge(opened <= 1000.0),
                      f"1 000: {ms(get(per_n.get(SMALL), 'zir_lsp', 'open_ms'))}",
                      profile=None if opened <= 1000.0 else "open")  # fmt: skip


def verdicts(run: dict[str, Any]) -> list[Verdict]:
    """Every goal of issues 13, 14 and 15, in that order."""
    return [*issue13(run), *issue14(run), *issue15(run)]


def missed_profiles(run: dict[str, Any]) -> list[tuple[str, str]]:
    """(profile key, the missed goals it explains), one per key, in goal order."""
    seen: dict[str, list[str]] = {}
    for v in verdicts(run):
        if v.status is Status.MISSED and v.profile:
            seen.setdefault(v.profile, []).append(f"issue {v.issue}: {v.goal} — {v.ours} (target {v.target})")
    return [(key, "; ".join(goals)) for key, goals in seen.items()]
