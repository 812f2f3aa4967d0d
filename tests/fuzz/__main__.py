"""The deep fuzz campaign: ``python -m tests.fuzz --inputs 100000`` (docs/reliability.md).

Runs random edit sequences of six families until ``--inputs`` texts were compiled, each incrementally and
fresh: runnable programs built to ELF executables and run (``elf``), the same programs analysed only
(``analysis``), random decls of every instruction kind (``chaos``), random bytes (``bytes``) and functions
of arbitrary parameter and return types built to ELF (``types``), and type-valued decls (``primitive``,
``typeof``, ``fntype``) feeding function types, edited far from their users, built to ELF (``typed``). Prints the
inputs tried, crashes and mismatches, writes every finding to ``--findings``, and exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time

from tests.fuzz.differential import Tally, check_steps
from tests.fuzz.programs import bytes_sequence, chaos_sequence, sequence, types_sequence
from tests.fuzz.typed import typed_sequence

FAMILIES = [
    ("elf", 12, True),
    ("analysis", 15, False),
    ("analysis", 15, False),
    ("chaos", 6, False),
    ("bytes", 8, False),
    ("types", 4, True),
    ("typed", 10, True),
]
"""One round: (family, texts per sequence, build an ELF file)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="texts to compile (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="first sequence seed (default 0)")
    parser.add_argument("--findings", default="fuzz-findings.txt", help="where to write crashes and mismatches")
    parser.add_argument("--progress", type=float, default=60.0, help="seconds between progress lines")
    args = parser.parse_args(argv)
    totals: dict[str, Tally] = {name: Tally() for name, _, _ in FAMILIES}
    seed = args.seed
    started = last = time.monotonic()
    inputs = 0
    with tempfile.TemporaryDirectory(prefix="zir-fuzz-") as workdir:
        while inputs < args.inputs:
            for name, steps, build in FAMILIES:
                rng = random.Random(seed)
                match name:
                    case "elf" | "analysis":
                        texts = sequence(rng, steps)
                    case "chaos":
                        texts = chaos_sequence(rng, steps)
                    case "types":
                        texts = types_sequence(rng, steps)
                    case "typed":
                        texts = typed_sequence(rng, steps)
                    case _:
                        texts = bytes_sequence(rng, steps)
                tally = check_steps(seed, texts, build=build, workdir=workdir)
                totals[name].add(tally)
                inputs += tally.inputs
                seed += 1
            if time.monotonic() - last >= args.progress:
                last = time.monotonic()
                print(_summary(totals, inputs, last - started), file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    findings = [f for t in totals.values() for f in t.crashes + t.mismatches]
    with open(args.findings, "w", encoding="utf-8") as out:
        for f in findings:
            out.write(f.describe() + "\n\n")
    print(_summary(totals, inputs, elapsed))
    print(f"seeds {args.seed}..{seed - 1}; findings written to {args.findings}")
    return 1 if findings else 0


def _summary(totals: dict[str, Tally], inputs: int, elapsed: float) -> str:
    crashes = sum(len(t.crashes) for t in totals.values())
    mismatches = sum(len(t.mismatches) for t in totals.values())
    runs = sum(t.runs for t in totals.values())
    families = ", ".join(f"{name} {t.inputs}" for name, t in totals.items())
    return (
        f"inputs {inputs} ({families}); ELF builds {sum(t.builds for t in totals.values())}, binaries run {runs}; "
        f"crashes {crashes}; mismatches {mismatches}; {elapsed:.0f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
