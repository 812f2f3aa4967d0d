"""Deep differential campaign over the whole language: N random programs per feature group, summarised.

    python scripts/langfuzz.py --seeds 1500 [--start 0] [--groups core-fast,arith] [--save DIR]

Each program (tests/compiler/langgen.py) is built in every mode of its group and run; the outcome is compared with
the independent evaluator. Prints, per group, the runs that agreed, the mismatches (saved to --save), the programs
the compiler rejected (grouped by message: code generation not landed yet) and the runs skipped as undefined
behaviour in that mode. Exit status 1 when any run mismatched.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.compiler.langgen import Generator, Undefined, evaluate  # noqa: E402
from tests.compiler.langzir import render  # noqa: E402
from tests.compiler.test_language_differential import GROUPS, build_and_run  # noqa: E402


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="langfuzz")
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--groups", default=",".join(GROUPS))
    p.add_argument("--save", default=str(ROOT / "langfuzz-found"))
    a = p.parse_args(argv)
    save = Path(a.save)
    mismatches = 0
    programs = 0
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for group in a.groups.split(","):
            feats, modes, _ = GROUPS[group]
            counts: collections.Counter[str] = collections.Counter()
            for seed in range(a.start, a.start + a.seeds):
                program = Generator(seed, feats).program()
                text = render(program)
                programs += 1
                for mode in modes:
                    try:
                        want = evaluate(program, mode.has_safety)
                    except Undefined:
                        counts["undefined"] += 1
                        continue
                    errors, code, stdout, stderr = build_and_run(text, mode, work)
                    if errors:
                        counts["rejected: " + errors[0].split("error: ", 1)[1][:60]] += 1
                        continue
                    panic = f"panic: {want.panic}\n".encode() if want.panic else b""
                    if (code, stdout, stderr) == ((-6 if want.panic else 0), want.stdout, panic):
                        counts["agreed"] += 1
                        continue
                    counts["MISMATCH"] += 1
                    mismatches += 1
                    save.mkdir(parents=True, exist_ok=True)
                    (save / f"{group}-{seed}-{mode.value}.zir").write_text(text)
            print(f"{group}: {dict(counts.most_common())}", flush=True)
    elapsed = time.monotonic() - began
    print(f"programs={programs} mismatches={mismatches} seconds={elapsed:.0f}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
