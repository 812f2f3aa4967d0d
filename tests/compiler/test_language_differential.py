"""Differential testing of code generation over the whole language (issue 12): random well-typed programs
(tests/compiler/langgen.py) built and run in Debug and ReleaseFast, their stdout, stderr and fate compared with the
independent evaluator's.

Each feature group is its own test so that a group whose code generation has not landed is a strict xfail naming
what it waits for. CI runs ``SEEDS_CI`` programs per group; ``ZIR_FUZZ_SEEDS=N`` runs N (and
``ZIR_FUZZ_START=S`` starts at seed S). A mismatch names the group, seed and mode and leaves the program at
``$ZIR_FUZZ_SAVE/<group>-<seed>.zir`` (default: the test's tmp dir) to be kept as a regression case.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.module.module import OptimizeMode
from compiler.source import FileSource
from tests.compiler.langgen import ALL_BINOPS, Features, Generator, Undefined, evaluate
from tests.compiler.langzir import render

SEEDS_CI = 4
SEEDS_CI_SMALL = 12
CORE = Features(binops=("add", "sub"), casts=False, optionals=False, arrays=False, max_params=6)
ODD_WIDTHS = (1, 3, 7, 8, 12, 16, 31, 32, 33, 48, 63, 64)

# group name → (features, modes, pending reason or None)
GROUPS: dict[str, tuple[Features, tuple[OptimizeMode, ...], str | None]] = {
    # Every feature at once, in small functions (few values live at a time): runs in CI today.
    "small-mixed": (
        Features(
            widths=ODD_WIDTHS,
            binops=ALL_BINOPS,
            casts=True,
            optionals=True,
            arrays=True,
            max_params=6,
            ops=(2, 6),
            fold=2,
        ),
        (OptimizeMode.DEBUG, OptimizeMode.RELEASE_FAST),
        None,
    ),
    "core-fast": (
        CORE,
        (OptimizeMode.RELEASE_FAST,),
        None,
    ),
    "core-debug": (CORE, (OptimizeMode.DEBUG,), None),
    "arith": (
        replace(CORE, binops=ALL_BINOPS),
        (OptimizeMode.DEBUG, OptimizeMode.RELEASE_FAST),
        None,
    ),
    "widths": (
        replace(CORE, widths=ODD_WIDTHS, binops=("add", "sub", "addwrap", "subwrap")),
        (OptimizeMode.DEBUG, OptimizeMode.RELEASE_FAST),
        None,
    ),
    "casts": (
        replace(CORE, casts=True, binops=("add", "sub", "bitand")),
        (OptimizeMode.DEBUG, OptimizeMode.RELEASE_FAST),
        None,
    ),
    "stack-params": (
        replace(CORE, max_params=9, ops=(2, 12)),
        (OptimizeMode.RELEASE_FAST,),
        None,
    ),
    "optionals": (
        replace(CORE, optionals=True),
        (OptimizeMode.DEBUG, OptimizeMode.RELEASE_FAST),
        None,
    ),
    "arrays": (
        replace(CORE, arrays=True),
        (OptimizeMode.DEBUG, OptimizeMode.RELEASE_FAST),
        None,
    ),
}


def _params() -> list[Any]:
    out: list[Any] = []
    for name, (_, _, pending) in GROUPS.items():
        marks = [pytest.mark.xfail(strict=True, reason=pending)] if pending else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def build_and_run(text: str, mode: OptimizeMode, work: Path) -> tuple[list[str], int, bytes, bytes]:
    """Build ``text`` into an executable in ``mode`` and run it: (errors, returncode, stdout, stderr)."""
    src = work / "prog.zir"
    out = work / "prog"
    src.write_text(text)
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE, mode), FileSource(str(src)), None)
    try:
        report = comp.update()
        errors = [e.render("prog.zir") for e in comp.all_errors()]
        if errors or report.binary is None:
            return errors, 0, b"", b""
        binary = os.path.abspath(report.binary)
    finally:
        comp.close()
    proc = subprocess.run([binary], capture_output=True, timeout=20)
    return [], proc.returncode, proc.stdout, proc.stderr


def check_seed(group: str, seed: int, work: Path, save: Path) -> int:
    """Generate, build, run and compare one program in every mode of ``group``; the number of runs compared."""
    feats, modes, _ = GROUPS[group]
    program = Generator(seed, feats).program()
    text = render(program)
    compared = 0
    for mode in modes:
        try:
            want = evaluate(program, mode.has_safety)
        except Undefined:
            continue
        errors, code, stdout, stderr = build_and_run(text, mode, work)
        where = f"group {group} seed {seed} mode {mode.value}"
        got_fate = (code, stdout, stderr)
        want_fate = (
            (-6, want.stdout, f"panic: {want.panic}\n".encode()) if want.panic is not None else (0, want.stdout, b"")
        )
        if errors or got_fate != want_fate:
            save.mkdir(parents=True, exist_ok=True)
            (save / f"{group}-{seed}.zir").write_text(text)
            assert not errors, f"{where}: {errors[:3]}"
            assert got_fate == want_fate, where
        compared += 1
    return compared


@pytest.mark.parametrize("group", _params())
def test_random_programs_agree_with_the_evaluator(group: str, tmp_path: Path) -> None:
    default = SEEDS_CI if GROUPS[group][2] else SEEDS_CI_SMALL
    count = int(os.environ.get("ZIR_FUZZ_SEEDS", default))
    start = int(os.environ.get("ZIR_FUZZ_START", "0"))
    save = Path(os.environ.get("ZIR_FUZZ_SAVE", tmp_path / "found"))
    compared = sum(check_seed(group, seed, tmp_path, save) for seed in range(start, start + count))
    assert compared > 0


def test_the_evaluator_is_not_the_compiler() -> None:
    """The evaluator's expectations come from this module's own arithmetic, not from compiler.sema."""
    import tests.compiler.langgen as gen

    source = Path(gen.__file__).read_text()  # the evaluator (langzir.py, which writes ZIR, may name anything)
    assert "compiler.sema" not in source and "from compiler" not in source


def test_generated_programs_use_what_their_group_names() -> None:
    """Each group's programs really contain its feature (so a strict xfail flips when that feature works)."""
    needles = {
        "arith": ("mul(", "div(", "shl("),
        "widths": ("inttype(",),
        "casts": ("intcast(",),
        "stack-params": ('arg("p6")',),
        "optionals": ("isnonnull(",),
        "arrays": ("elemptr(",),
        "core-fast": ("loop(",),
    }
    for group, words in needles.items():
        feats = GROUPS[group][0]
        texts = "".join(render(Generator(seed, feats).program()) for seed in range(SEEDS_CI))
        assert all(w in texts for w in words), group
