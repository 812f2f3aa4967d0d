"""A length-changing one-function edit costs the same file operations at N = 10 and N = 10 000 (issue 13).

Through a whole Compilation writing a real executable: the file layer's own counts (opens, writes, syncs,
bytes), the parser's copied bytes, the deep-stack threads started and the objects the collector tracks that an
update leaves behind (with the collector paused: a program ten times larger must not mean more objects made per
edit, nor a collection walking a larger heap; docs/design/performance.md §6.11), for edits that alternately add and
remove four bytes in ``f{N/2}`` (the first, two) of each program shape. Every later decl moves in the file; none of these
counts may grow with N.
"""

from __future__ import annotations

import gc
import subprocess
from pathlib import Path

import pytest

from bench.shapes import ShapeProgram, edited_constant
from compiler import runtime
from compiler.compilation import Compilation, Options
from compiler.link.elf.linker import ElfLinker


def edit_costs(tmp_path: Path, shape: str, n: int) -> list[tuple[int, ...]]:
    prog = ShapeProgram(shape, n)
    src, out = tmp_path / f"{shape}{n}.zir", tmp_path / f"{shape}{n}"
    src.write_bytes(prog.source())
    comp = Compilation(Options(root_path=str(src), output_path=str(out), cache=False))
    try:
        assert comp.update().committed
        linker = comp.linker
        assert isinstance(linker, ElfLinker)
        counters = linker.fileio.counters
        costs: list[tuple[int, ...]] = []
        for k in range(4):
            prog.edited_constant = edited_constant(k)
            src.write_bytes(prog.source())
            before = counters.snapshot()
            threads = runtime.threads_started
            gc.collect()
            with runtime.paused_gc():
                tracked = gc.get_count()[0]  # container objects made minus those freed, since the collection
                report = comp.update()
                tracked = gc.get_count()[0] - tracked
            assert report.committed and comp.module.parser.stats.shift != 0
            costs.append(
                (
                    counters.open_calls - before.open_calls,
                    counters.close_calls - before.close_calls,
                    counters.pwrite_calls - before.pwrite_calls,
                    counters.fsync_calls - before.fsync_calls,
                    counters.copy_calls - before.copy_calls,
                    counters.rename_calls - before.rename_calls,
                    int(report.counters["decls_analyzed"]),
                    runtime.threads_started - threads,
                    comp.module.parser.stats.bytes_copied >= 1024,  # more than the edited function's region
                    tracked,
                )
            )
        assert subprocess.run([str(out)], check=False, timeout=10).returncode == prog.exit_code()
        return costs
    finally:
        comp.close()


@pytest.mark.parametrize("shape", ["chain", "star"])
def test_a_length_changing_edit_costs_the_same_file_operations_at_10_and_10000_functions(
    tmp_path: Path, shape: str
) -> None:
    small, large = edit_costs(tmp_path, shape, 10), edit_costs(tmp_path, shape, 10_000)
    assert small == large
    for opens, closes, writes, syncs, copies, renames, analyzed, threads, copied_more, tracked in large:
        assert (opens, closes, syncs, copies, renames) == (1, 1, 2, 0, 0)  # in place: mark, sync, body, sync
        assert writes <= 8 and analyzed <= 2 and threads == 0 and not copied_more
        # a few dozen objects an edit (the collector's first generation is collected every 100 000)
        assert 0 < tracked < runtime.GC_THRESHOLDS[0] // 100
