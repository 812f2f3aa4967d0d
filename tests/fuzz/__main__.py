"""The deep fuzz campaign: ``python -m tests.fuzz --inputs 100000`` (docs/reliability.md).

Runs random edit sequences of seven families until ``--inputs`` texts were compiled, each incrementally and
fresh: runnable programs built to ELF executables and run (``elf``), the same programs analysed only
(``analysis``), random decls of every instruction kind (``chaos``), random bytes (``bytes``) and functions
of arbitrary parameter and return types built to ELF (``types``), and type-valued decls (``primitive``,
``typeof``, ``fntype``) feeding function types, edited far from their users, built to ELF (``typed``), and the
``elf`` programs with ``_start``'s calls made at compile time (``comptime``). Prints the inputs tried, crashes
and mismatches, writes every finding to ``--findings``, and exits 1 if there was any.

``--restarts`` runs the ``elf`` and ``typed`` sequences through restarts instead (``restart-elf``,
``restart-typed``): each text is built by a new Compilation that continues from the compile cache the previous
one saved, as ``zir build`` run after every edit (docs/design/performance.md §7), and compared with a fresh build
without the cache. The cache lives in the campaign's temporary directory.

``--mutated`` runs sequences of token-level mutations of the conformance examples instead (``mutated``,
``tests/fuzz/mutated.py``), built to ELF: unmodelled texts, so a mismatch may be a program whose undefined
behaviour depends on the code's layout and must be read.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

from tests.fuzz.differential import Tally, check_restarts, check_steps
from tests.fuzz.mutated import mutated_sequence
from tests.fuzz.programs import Step, bytes_sequence, chaos_sequence, sequence, types_sequence
from tests.fuzz.typed import typed_sequence

FAMILIES = [
    ("elf", 12, True),
    ("analysis", 15, False),
    ("analysis", 15, False),
    ("chaos", 6, False),
    ("bytes", 8, False),
    ("types", 4, True),
    ("typed", 10, True),
    ("comptime", 12, True),
]
"""One round: (family, texts per sequence, build an ELF file)."""

RESTART_FAMILIES = [("restart-elf", 12, True), ("restart-typed", 10, True)]
"""One round of ``--restarts``: (family, texts per sequence, build an ELF file); every text a restart."""

MUTATED_FAMILIES = [("mutated", 6, True)]
"""One round of ``--mutated``: six successive mutations of one example, each built to ELF and run."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="texts to compile (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="first sequence seed (default 0)")
    parser.add_argument("--findings", default="fuzz-findings.txt", help="where to write crashes and mismatches")
    parser.add_argument("--progress", type=float, default=60.0, help="seconds between progress lines")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--restarts", action="store_true", help="every text a restart from the compile cache")
    mode.add_argument("--mutated", action="store_true", help="mutations of the conformance examples")
    args = parser.parse_args(argv)
    families = RESTART_FAMILIES if args.restarts else MUTATED_FAMILIES if args.mutated else FAMILIES
    totals: dict[str, Tally] = {name: Tally() for name, _, _ in families}
    seed = args.seed
    started = last = time.monotonic()
    inputs = 0
    with tempfile.TemporaryDirectory(prefix="zir-fuzz-") as workdir:
        if args.restarts:
            os.environ["ZIR_CACHE_DIR"] = os.path.join(workdir, "cache")  # never the user's cache
        while inputs < args.inputs:
            for name, steps, build in families:
                texts = _texts(name, random.Random(seed), steps)
                if name.startswith("restart-"):
                    tally = check_restarts(seed, texts, workdir=workdir)
                else:
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


def _texts(name: str, rng: random.Random, steps: int) -> list[Step]:
    """The edit sequence of one family."""
    match name:
        case "elf" | "analysis" | "restart-elf":
            return sequence(rng, steps)
        case "comptime":
            return sequence(rng, steps, comptime=True)
        case "chaos":
            return chaos_sequence(rng, steps)
        case "types":
            return types_sequence(rng, steps)
        case "typed" | "restart-typed":
            return typed_sequence(rng, steps)
        case "mutated":
            return mutated_sequence(rng, steps)
        case _:
            return bytes_sequence(rng, steps)


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
