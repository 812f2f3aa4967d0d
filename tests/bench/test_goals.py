"""The issue-goal verdicts of docs/benchmarks.md, from synthetic run dictionaries (no timing is measured here)."""

from __future__ import annotations

from typing import Any

from bench import goals, verdict_report
from bench.goals import Status, Verdict


def _stats(p50: float, p95: float | None = None) -> dict[str, float]:
    return {"p50": p50, "p95": p50 if p95 is None else p95}


def _run(**extra: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "machine": {"loadavg_at_start": [0.4, 0.5, 0.6], "loadavg_at_end": [1.9, 1.5, 1.0]},
        "availability": {
            "cli": None,
            "server": None,
            "bench.cache": "not measured: bench/cache.py is not in this checkout",
        },
        "per_n": {"1000": {}, "10000": {}, "100000": {}},
        "errors": [],
    }
    run.update(extra)
    return run


def _find(run: dict[str, Any], start: str) -> Verdict:
    (v,) = [v for v in goals.verdicts(run) if v.goal.startswith(start)]
    return v


def _shapes(chain: float, star: float, tree: float) -> dict[str, Any]:
    return {shape: {"update": _stats(v)} for shape, v in (("chain", chain), ("star", star), ("tree", tree))}


def test_shape_edits_need_both_the_bound_and_the_ratio() -> None:
    run = _run()
    run["per_n"]["1000"]["zir_shapes"] = _shapes(1.0, 1.0, 1.0)
    run["per_n"]["10000"]["zir_shapes"] = _shapes(1.2, 1.4, 2.5)  # ratio 1.2 met; ratio 1.4 missed; 2.5 ms missed
    chain, star, tree = (_find(run, f"length-changing edit, {s}") for s in ("chain", "star", "tree"))
    assert chain.status is Status.MET and chain.profile is None
    assert star.status is Status.MISSED and star.profile == "shape:star"
    assert tree.status is Status.MISSED and tree.profile == "shape:tree"
    assert "ratio 1.40" in star.ours


def test_a_missing_scenario_is_not_measured_with_its_error() -> None:
    run = _run(errors=[{"scenario": "zir_shapes", "n": 10000, "error": "RuntimeError: chain N=10000: wrong"}])
    run["per_n"]["1000"]["zir_shapes"] = _shapes(1.0, 1.0, 1.0)
    v = _find(run, "length-changing edit, chain")
    assert v.status is Status.NOT_MEASURED
    assert "failed: RuntimeError: chain N=10000: wrong" in v.detail


def test_an_absent_module_is_not_measured_with_its_availability_reason() -> None:
    v = _find(_run(), "`zir build` restart with the persistent cache")
    assert v.status is Status.NOT_MEASURED
    assert v.detail == "not measured: bench/cache.py is not in this checkout"


def test_cache_rows_of_bench_cache_judge_build_and_watch_restarts_at_ten_thousand() -> None:
    rows = [
        {"n": 1000, "full_build_ms": 600.0, "restart_cache_ms": 300.0, "ratio": 0.5, "watch_ratio": 0.5},
        {"n": 10000, "full_build_ms": 4000.0, "restart_cache_ms": 360.0, "ratio": 0.09, "cpu_ratio": 0.08,
         "restart_no_cache_ms": 6800.0,
         "watch_restart_first_update_wall_ms": 800.0, "watch_ratio": 0.2},
    ]  # fmt: skip
    run = _run(cache={"shape": "chain", "rows": rows})
    build = _find(run, "`zir build` restart with the persistent cache")
    watch = _find(run, "`zir watch` (its first update) restart")
    assert build.status is Status.MET and build.ours == "9.0% (360 ms of 4000 ms at N = 10 000)"
    assert build.detail.startswith("CPU time 8.0% of the full build's; without the cache 6800 ms")
    assert watch.status is Status.MISSED and watch.profile == "cache_restart"


def test_cache_fallback_without_a_watch_row() -> None:
    fallback = {"n": 10000, "full_build_ms": _stats(4000.0), "restart_ms": _stats(6800.0), "ratio": 1.7}
    run = _run(cache=fallback)
    assert _find(run, "`zir build` restart").status is Status.MISSED
    assert not [v for v in goals.verdicts(run) if v.goal.startswith("`zir watch`")]


def test_accel_rows_report_both_variants_or_why_not() -> None:
    pure = {"fresh_build": {"best_s": 4.0}, "update": _stats(2.0)}
    fast = {"fresh_build": {"best_s": 2.0}, "update": _stats(1.0)}
    run = _run(accel={"python": {"10000": pure}, "mypyc": {"10000": fast}, "speedup": {"10000": {"fresh_build": 2.0}}})
    row = _find(run, "mypyc accelerated build vs pure Python, N = 10 000")
    assert row.ours == "fresh build 4.0 s → 2.0 s; update p50 2.00 ms → 1.00 ms" and "×2.0" in row.detail
    gone = _find(_run(accel={"python": {}, "mypyc": {"unavailable": "not built"}}), "mypyc")
    assert gone.status is Status.NOT_MEASURED and gone.detail.endswith("not built")


def test_full_build_at_ten_thousand_is_judged_against_both_peers() -> None:
    run = _run()
    run["per_n"]["10000"].update(
        zir_cold_build={"wall": _stats(1000.0)},
        zig_cold_build={"cold_build": _stats(2500.0)},
        gnu={"full_build": _stats(32.0)},
    )
    run["per_n"]["1000"].update(zir_cold_build={"wall": _stats(300.0)}, gnu={"full_build": _stats(9.0)})
    vs_zig = _find(run, "full build, fresh process, N = 10 000 vs Zig")
    vs_gnu = _find(run, "full build, fresh process, N = 10 000 vs GNU")
    at_1000 = _find(run, "full build, fresh process, N = 1 000")
    assert vs_zig.status is Status.MET  # 0.40× ≤ 0.5×
    assert vs_gnu.status is Status.MISSED and vs_gnu.profile == "full_build"  # 31× > 25×
    assert at_1000.status is Status.INFO and "as+ld 9.00 ms (33×)" in at_1000.detail


def test_the_accelerated_full_build_is_judged_against_the_same_peers() -> None:
    run = _run(
        accel={
            "python": {"10000": {"fresh_build": {"best_s": 2.2, "median_s": 2.4}}},
            "mypyc": {"10000": {"fresh_build": {"best_s": 0.7, "median_s": 0.9}}},
        }
    )
    run["per_n"]["10000"].update(zig_cold_build={"cold_build": _stats(2000.0)}, gnu={"full_build": _stats(40.0)})
    vs_zig = _find(run, "full build, fresh process, N = 10 000, accelerated (mypyc) build vs Zig")
    vs_gnu = _find(run, "full build, fresh process, N = 10 000, accelerated (mypyc) build vs GNU")
    assert vs_zig.status is Status.MET and vs_zig.ours.startswith("900")  # the median, 0.45× ≤ 0.5×
    assert vs_gnu.status is Status.MET and "2400" in vs_gnu.detail  # 22.5× ≤ 25×; pure Python beside it
    assert not [v for v in goals.verdicts(_run()) if "accelerated (mypyc) build vs" in v.goal]


def test_memory_goals_are_read_at_one_hundred_thousand() -> None:
    run = _run()
    run["per_n"]["100000"]["zir_watch"] = {"peak_rss_kib": 300 * 1024}
    run["per_n"]["100000"]["zir_lsp"] = {"peak_rss_kib": 600 * 1024}
    assert _find(run, "peak RSS of `zir watch`").status is Status.MET
    server = _find(run, "peak RSS of the server")
    assert server.status is Status.MISSED and server.profile == "rss:zir_lsp" and server.ours == "600 MiB (629 MB)"


def test_the_server_is_also_judged_after_an_editors_open_time_requests() -> None:
    run = _run()
    run["per_n"]["100000"]["zir_lsp"] = {"peak_rss_kib": 450 * 1024, "peak_rss_kib_editor_requests": 900 * 1024}
    rows = [v for v in goals.verdicts(run) if v.goal.startswith("peak RSS of the server")]
    assert [(v.status, v.ours) for v in rows] == [(Status.MET, "450 MiB (472 MB)"), (Status.MISSED, "900 MiB (944 MB)")]
    assert "documentSymbol" in rows[1].goal


def test_hot_swap_rows_per_size_with_restart_beside_them() -> None:
    row = {"hot": {"save_to_new_code_ms": _stats(3.0, 4.0), "stopped_ms": _stats(0.2)},
           "restart": {"save_to_new_code_ms": _stats(12.0)}}  # fmt: skip
    slow = {"hot": {"save_to_new_code_ms": _stats(9.0), "stopped_ms": _stats(1.5)}, "restart": {}}
    run = _run(hot={"sizes": {"1000": row, "10000": slow}})
    assert _find(run, "save → running program executes new code, N = 1 000").status is Status.MET
    assert "kill and restart p50 12.00 ms" in _find(run, "save → running program executes new code, N = 1 000").detail
    big = _find(run, "save → running program executes new code, N = 10 000")
    assert big.status is Status.MISSED and big.profile == "hot_swap"
    assert _find(run, "hot.ms (process stopped), N = 10 000").status is Status.MISSED


def test_request_rows_judge_p95_and_name_the_rows_requests_lacks() -> None:
    run = _run()
    run["per_n"]["10000"]["requests"] = {
        "hover": _stats(5.0, 40.0),
        "completion_decl": _stats(20.0, 60.0),
        "documentSymbol": _stats(150.0, 190.0),
        "semanticTokens_full": _stats(900.0),
        "open_to_diagnostics_ms": 800.0,
    }
    assert _find(run, "hover right after").status is Status.MET
    completion = _find(run, "completion_decl right after")
    assert completion.status is Status.MISSED and completion.profile == "request:completion_decl"
    assert _find(run, "documentSymbol right after").status is Status.MET  # its bound is 200 ms
    assert _find(run, "semanticTokens_full right after").status is Status.INFO
    lacking = _find(run, "inlayHint right after")
    assert lacking.status is Status.NOT_MEASURED and "bench/requests.py has no row" in lacking.detail
    assert _find(run, "open → first diagnostics").status is Status.MET  # from requests when zir_lsp lacks it


def test_missed_profiles_are_deduplicated_and_explain_every_goal() -> None:
    slow = {"hot": {"save_to_new_code_ms": _stats(9.0), "stopped_ms": _stats(2.0)}}
    run = _run(hot={"sizes": {"1000": slow, "10000": slow}})
    (only,) = goals.missed_profiles(run)
    key, why = only
    assert key == "hot_swap"
    assert why.count("issue 14:") == 4


def test_the_report_says_loaded_or_quiet_with_the_loads() -> None:
    assert verdict_report.conditions(_run()["machine"]) == (
        "quiet (load average 0.40/0.50/0.60 at start, 1.90/1.50/1.00 at end)"
    )
    assert verdict_report.conditions({"loadavg_at_start": [3.2, 2.0, 1.0]}).startswith("loaded (load average 3.20")


def test_the_goal_section_has_a_row_per_verdict_and_the_profile_section_its_entries() -> None:
    run = _run(hot={"sizes": {"1000": {"hot": {"save_to_new_code_ms": _stats(9.0), "stopped_ms": _stats(0.1)}}}})
    run["profile:hot_swap"] = {"key": "hot_swap", "why": "issue 14: …", "what": "10 hot-swap edits",
                               "by_cumulative": "   ncalls  tottime\n        1    0.100 swap.py:1(swap)",
                               "by_tottime": "   ncalls  tottime\n        1    0.100 swap.py:1(swap)"}  # fmt: skip
    text = "\n".join(verdict_report.goal_sections(run) + verdict_report.profile_sections(run))
    table_rows = [ln for ln in text.splitlines() if ln.startswith("| ") and not ln.startswith("| goal")]
    assert len(table_rows) == len(goals.verdicts(run))
    assert "| save → running program executes new code, N = 1 000 | p50 9.00 ms" in text
    assert "### `hot_swap`" in text and "swap.py:1(swap)" in text


def test_server_first_build_prefers_the_measurement_after_the_editor_tier_analysed() -> None:
    run = _run()
    run["per_n"]["10000"]["zir_lsp_save"] = {"first_build_ms": 900.0}
    v = _find(run, "server first build on save")
    assert v.status is Status.MET and "right after didOpen" in v.goal
    run["per_n"]["10000"]["server_first_build"] = {"first_build_on_save_ms": 2400.0}
    v = _find(run, "server first build on save")
    assert v.status is Status.MISSED and v.profile == "server_first_build" and "after the editor tier" in v.goal


def test_cold_rows_read_bench_cold_medians() -> None:
    cold = {"python_ms": {"wall": 20.0, "cpu": 18.0}, "version_ms": {"wall": 35.0}, "hello_ms": {"wall": 95.0}}
    run = _run(cold=cold)
    assert _find(run, "cold `zir --version`").status is Status.MET
    hello = _find(run, "cold `zir build examples/hello.zir`")
    assert hello.status is Status.MISSED and hello.profile == "cold_hello" and "python -c pass 20.00 ms" in hello.detail
