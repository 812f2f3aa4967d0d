"""A length-changing one-function edit costs the Module the same work at N = 10 and N = 10 000 (issue 13)."""

from __future__ import annotations

from compiler import runtime
from tests.compiler.module.util import Session
from tests.compiler.zir.test_shift_cost import program


def exported(n: int, constant: int) -> str:
    """The star program with ``@all`` exported (an object: analysis starts at the export)."""
    return program(n, constant).decode() + '@n = str("all")\n@e = export(@n, "all")\n'


def update_costs(n: int) -> tuple[list[tuple[int, ...]], list[int]]:
    """The counts of three length-changing edits of ``f{n/2}``, and the source bytes the parser copied in each
    (apart, since the edited region's length grows with its name)."""
    s = Session(exported(n, 7))
    assert s.update().ok
    assert s.update(exported(n, 70)).ok  # the first edit at a new place splits the parser's position blocks there
    module = s.comp.module
    costs: list[tuple[int, ...]] = []
    copied: list[int] = []
    for constant in (7000, 7, 700000):
        log_before = len(module.shift_log.boundary)
        remade_before = module.parser.decls_remade()
        threads_before = runtime.threads_started
        report = s.update(exported(n, constant))
        assert report.ok and module.parser.stats.shift != 0
        counters = report.counters
        copied.append(module.parser.stats.bytes_copied)
        costs.append(
            (
                counters["decls_diffed"],
                counters["decls_analyzed"],
                counters["fn_bodies_analyzed"],
                counters["decls_generated"],
                len(module.shift_log.boundary) - log_before,
                module.parser.stats.decl_writes,
                module.parser.stats.positions_moved,
                module.parser.decls_remade() - remade_before,
                runtime.threads_started - threads_before,  # the deep-stack worker is reused, never restarted
            )
        )
    return costs, copied


def test_a_length_changing_edit_costs_the_module_the_same_at_10_and_10000_functions() -> None:
    (small, small_copied), (large, large_copied) = update_costs(10), update_costs(10_000)
    assert small == large
    assert large[0][:2] == (1, 1)  # one decl diffed and analysed
    assert all(c[4:7] == (1, 1, 0) for c in large)  # one shift-log entry, one decl record, no position moved
    assert all(c[8] == 0 for c in large)  # no thread started per update
    assert max(small_copied + large_copied) < 128  # the edited region copied to be parsed, not the file


def typo_costs(n: int) -> tuple[int, ...]:
    """A parse error typed into ``f{n/2}`` and then fixed (with a new length): what the fixing update costs."""
    s = Session(exported(n, 7))
    assert s.update().ok
    broken = exported(n, 7).replace("%c = int(7)", "%c = int(7x")
    assert s.update(broken).error_count == 1
    module = s.comp.module
    good = module.file.parsed
    assert good is not None and len(good.decls) == n + 5  # the last good parse stays readable
    report = s.update(exported(n, 70))
    assert report.ok
    stats = module.parser.stats
    return (
        report.counters["decls_diffed"],
        report.counters["decls_analyzed"],
        stats.spans_parsed,
        stats.decl_writes,
        len(stats.old_names),
        stats.positions_moved,
    )


def test_fixing_a_parse_error_is_diffed_against_the_last_good_parse_at_any_size() -> None:
    small, large = typo_costs(10), typo_costs(10_000)
    assert small == large
    assert large[0] == 1 and large[3:5] == (1, 1)  # one decl diffed, written and replaced
