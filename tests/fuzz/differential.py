"""The differential check: every incremental update must equal a fresh build of the same text (module.md §4).

``check_sequence`` feeds an edit sequence to one long-lived ``Compilation`` (the incremental one, as
``zir watch`` and the language server keep it) and compiles each text again in a fresh ``Compilation``. It
records a *crash* for any exception and for any ``internal compiler error`` diagnostic, and a *mismatch* when
the errors differ or, when both builds are good, when the two ELF executables behave differently.
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import traceback
from dataclasses import dataclass, field

from compiler.compilation import Compilation, Options, UpdateReport
from compiler.link import OutputMode
from compiler.link.null import NullLinker
from compiler.module.decl import FileStatus
from compiler.source import BufferSource
from tests.fuzz.programs import Step, sequence

ICE = "internal compiler error"
RUN_TIMEOUT_S = 10.0
"""Upper bound for one run of a generated program (they finish in milliseconds; this is not a sleep)."""


@dataclass(slots=True)
class Finding:
    kind: str
    """``crash`` or ``mismatch``."""
    seed: int
    step: int
    text: bytes
    detail: str

    def describe(self) -> str:
        shown = self.text.decode("utf-8", "backslashreplace")
        return f"{self.kind} (seed {self.seed}, step {self.step}): {self.detail}\n--- text ---\n{shown}"


@dataclass(slots=True)
class Tally:
    inputs: int = 0
    """Texts compiled incrementally and fresh."""
    builds: int = 0
    """Of which ELF builds (written, and run when good)."""
    runs: int = 0
    crashes: list[Finding] = field(default_factory=list)
    mismatches: list[Finding] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.builds += other.builds
        self.runs += other.runs
        self.crashes += other.crashes
        self.mismatches += other.mismatches


def _compilation(text: bytes, output: str | None) -> Compilation:
    options = Options("fuzz.zir", output, OutputMode.EXE)
    linker = NullLinker(OutputMode.EXE) if output is None else None
    return Compilation(options, BufferSource("fuzz.zir", text), linker)


def _errors(comp: Compilation) -> list[str]:
    return sorted(e.render("") for e in comp.all_errors())


def _without_collisions(errors: list[str]) -> list[str]:
    return [e for e in errors if "exported symbol collision" not in e]


def compare_errors(comp: Compilation, incremental: list[str], fresh: list[str]) -> str | None:
    """Why the incremental errors do not equal the fresh ones, or None. The allowances are module.md's."""
    if comp.module.file.status is FileStatus.PARSE_FAILURE:
        # parse errors, plus retained semantic errors of the last good text (module.md §12.2)
        missing = set(fresh) - set(incremental)
        return f"fresh errors missing: {sorted(missing)}" if missing else None
    if any("dependency loop detected" in e for e in incremental + fresh):
        # a cycle through a changed decl is met where the work queue meets it (module.md §6.1)
        return None if incremental and fresh else f"incremental {incremental} != fresh {fresh}"
    if _without_collisions(incremental) != _without_collisions(fresh) or len(incremental) != len(fresh):
        # which of two colliding exports holds the symbol depends on history (module.md §10.3)
        return f"incremental {incremental} != fresh {fresh}"
    return None


HUNG = -(1 << 16)
"""The exit status ``_run`` reports for a program still running after its timeout (an edit can make a
program hang for real, e.g. a mutated syscall number that blocks: both builds must then hang alike)."""


def _run(path: str) -> tuple[int, bytes]:
    """The program's exit status and stdout; ``HUNG`` and what it printed when it outlives ``RUN_TIMEOUT_S``."""
    try:
        proc = subprocess.run([path], capture_output=True, timeout=RUN_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, bytes) else b""
        return HUNG, out
    return proc.returncode, proc.stdout


def _ice(errors: list[str]) -> str | None:
    return next((e for e in errors if ICE in e), None)


def check_sequence(seed: int, steps: int, *, build: bool, workdir: str) -> Tally:
    """Run one edit sequence (``tests.fuzz.programs.sequence``) through an incremental and a fresh build."""
    return check_steps(seed, sequence(random.Random(seed), steps), build=build, workdir=workdir)


def check_steps(seed: int, steps: list[Step], *, build: bool, workdir: str) -> Tally:
    """Feed ``steps`` to one incremental Compilation, each compared with a fresh build of the same text."""
    tally = Tally()
    inc_out = os.path.join(workdir, f"inc-{seed}") if build else None
    fresh_out = os.path.join(workdir, f"fresh-{seed}") if build else None
    inc = _compilation(b"", inc_out)
    assert isinstance(inc.source, BufferSource)
    try:
        for i, step in enumerate(steps):
            tally.inputs += 1
            tally.builds += int(build)
            finding = _check_step(inc, step, fresh_out, tally)
            if finding is not None:
                finding.seed, finding.step = seed, i
                (tally.crashes if finding.kind == "crash" else tally.mismatches).append(finding)
                if finding.kind == "crash":
                    break  # the incremental state after a crash is not meaningful
    finally:
        inc.close()
        for path in (inc_out, fresh_out):
            if path is not None and os.path.exists(path):
                os.unlink(path)
    return tally


def _check_step(inc: Compilation, step: Step, fresh_out: str | None, tally: Tally) -> Finding | None:
    source = inc.source
    assert isinstance(source, BufferSource)
    source.text = step.text
    try:
        inc_report = inc.update()
        inc_errors = _errors(inc)
    except Exception:
        return Finding("crash", 0, 0, step.text, f"incremental update raised:\n{traceback.format_exc()}")
    fresh = _fresh_build(step.text, fresh_out)
    if isinstance(fresh, Finding):
        return fresh
    fresh_report, fresh_errors = fresh
    ice = _ice(inc_errors) or _ice(fresh_errors)
    if ice is not None:
        return Finding("crash", 0, 0, step.text, ice)
    why = compare_errors(inc, inc_errors, fresh_errors)
    if why is not None:
        return Finding("mismatch", 0, 0, step.text, f"{step.what}: {why}")
    if fresh_out is None or not (inc_report.ok and fresh_report.ok):
        return None
    if inc_report.binary is None or not os.path.exists(inc_report.binary):
        return Finding("mismatch", 0, 0, step.text, f"good update reported binary {inc_report.binary!r}, not there")
    try:
        got, want = _run(inc_report.binary), _run(fresh_out)
    except OSError as exc:
        return Finding("mismatch", 0, 0, step.text, f"running the outputs failed: {exc!r}")
    tally.runs += 2
    if got != want:
        return Finding("mismatch", 0, 0, step.text, f"incremental binary {got} != fresh binary {want}")
    if step.expected_exit is not None and want[0] != step.expected_exit:
        return Finding("mismatch", 0, 0, step.text, f"exit status {want[0]}, the model says {step.expected_exit}")
    return None


def _fresh_build(text: bytes, fresh_out: str | None) -> tuple[UpdateReport, list[str]] | Finding:
    """The reference: ``text`` built by a new Compilation into ``fresh_out`` (removed first; None: no output),
    its report and errors — or the crash Finding if it raised."""
    if fresh_out is not None and os.path.exists(fresh_out):
        os.unlink(fresh_out)
    fresh = _compilation(text, fresh_out)
    try:
        return fresh.update(), _errors(fresh)
    except Exception:
        return Finding("crash", 0, 0, text, f"fresh build raised:\n{traceback.format_exc()}")
    finally:
        fresh.close()


def check_restarts(seed: int, steps: list[Step], *, workdir: str) -> Tally:
    """Each text built by a new Compilation that continues from the persistent compile cache the previous one
    saved — ``zir build`` restarted after every edit (docs/design/performance.md §7) — and compared with a
    fresh build without the cache: the same errors and, when good, the same behaviour. The cache directory is
    the caller's (``ZIR_CACHE_DIR``)."""
    tally = Tally()
    out, fresh_out = os.path.join(workdir, f"restart-{seed}"), os.path.join(workdir, f"fresh-{seed}")
    try:
        for i, step in enumerate(steps):
            tally.inputs += 1
            tally.builds += 1
            finding = _check_restart(step, out, fresh_out, tally)
            if finding is not None:
                finding.seed, finding.step = seed, i
                (tally.crashes if finding.kind == "crash" else tally.mismatches).append(finding)
    finally:
        for path in (out, fresh_out):
            if os.path.exists(path):
                os.unlink(path)
    return tally


def _check_restart(step: Step, out: str, fresh_out: str, tally: Tally) -> Finding | None:
    options = Options("fuzz.zir", out, OutputMode.EXE, cache=True)
    comp = Compilation(options, BufferSource("fuzz.zir", step.text), None)
    try:
        report = comp.update()
        errors = _errors(comp)
    except Exception:
        return Finding("crash", 0, 0, step.text, f"restarted build raised:\n{traceback.format_exc()}")
    finally:
        comp.close()
    fresh = _fresh_build(step.text, fresh_out)
    if isinstance(fresh, Finding):
        return fresh
    fresh_report, fresh_errors = fresh
    ice = _ice(errors) or _ice(fresh_errors)
    if ice is not None:
        return Finding("crash", 0, 0, step.text, ice)
    if errors != fresh_errors:
        return Finding("mismatch", 0, 0, step.text, f"{step.what}: restarted {errors} != fresh {fresh_errors}")
    if not (report.ok and fresh_report.ok):
        return None
    got, want = _run(out), _run(fresh_out)
    tally.runs += 2
    if got != want:
        return Finding("mismatch", 0, 0, step.text, f"restarted binary {got} != fresh binary {want}")
    return None


def run_campaign(first_seed: int, sequences: int, steps: int, *, build: bool) -> Tally:
    """``sequences`` sequences of ``steps`` texts from consecutive seeds."""
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="zir-fuzz-") as workdir:
        for seed in range(first_seed, first_seed + sequences):
            tally.add(check_sequence(seed, steps, build=build, workdir=workdir))
    return tally
