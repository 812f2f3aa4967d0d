"""Benchmarks of ZIR Live's live loop against the goals of performance.md and against its peers.

`bench.gen` writes the benchmark programs (ZIR, GNU assembly, Zig) and the random edit sequence;
`bench.run` (``python -m bench.run``) measures every scenario and writes a JSON file per run under
`bench/results/`; `bench.report` turns a run into `docs/benchmarks.md` and its plot.
"""
