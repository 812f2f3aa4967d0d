"""The optional mypyc build: never inside the source tree, never used when stale, and said by ``--version``.

docs/design/performance.md §8. A compiled ``*.so`` beside a ``.py`` wins at import, so one left in
``compiler/`` or ``server/`` would run old code in every test: the guard below fails on any. The selection
(compiler/accel.py) is checked with real ``zir`` processes against a build directory made here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import compiler
from compiler.accel import check, source_digest, variant

ROOT = Path(__file__).resolve().parent.parent
EXTENSION_SUFFIXES = (".so", ".pyd", ".dylib")


def zir(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "compiler", *args], capture_output=True, text=True, env=full, timeout=120
    )


def fake_build(tmp: Path, *, digest: str | None = None) -> Path:
    """A copy of the sources laid out as scripts/build_accelerated.sh lays it out, with a placeholder where the
    compiled parser would be (never imported: only `check` looks at it)."""
    build = tmp / "accel"
    shutil.copytree(ROOT / "compiler", build / "compiler", ignore=shutil.ignore_patterns("__pycache__"))
    (build / "compiler" / "zir" / "parser.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (build / "MANIFEST").write_text((digest or source_digest(ROOT / "compiler")) + "\n")
    return build


def test_no_compiled_extension_sits_in_the_source_tree() -> None:
    found = [
        str(p.relative_to(ROOT))
        for top in ("compiler", "server")
        for p in (ROOT / top).rglob("*")
        if p.name.endswith(EXTENSION_SUFFIXES) or p.suffix in (".so", ".pyd")
    ]
    assert found == [], f"compiled modules in the source tree would shadow their .py files: {found}"


def test_a_stale_or_missing_build_is_refused_with_its_reason(tmp_path: Path) -> None:
    assert check(tmp_path / "nothing", ROOT / "compiler") == (
        f"no accelerated build in {tmp_path / 'nothing'} (run scripts/build_accelerated.sh)"
    )
    fresh = fake_build(tmp_path / "fresh")
    assert check(fresh, ROOT / "compiler") is None
    stale = fake_build(tmp_path / "stale", digest="0" * 64)
    reason = check(stale, ROOT / "compiler")
    assert reason is not None and "is stale" in reason
    # an edit to any source file (here: a copy with one byte more) changes the digest
    edited = tmp_path / "edited"
    shutil.copytree(ROOT / "compiler", edited, ignore=shutil.ignore_patterns("__pycache__"))
    (edited / "air.py").write_bytes((edited / "air.py").read_bytes() + b"\n")
    assert source_digest(edited) != source_digest(ROOT / "compiler")
    empty = fake_build(tmp_path / "empty")
    (empty / "compiler" / "zir" / "parser.cpython-311-x86_64-linux-gnu.so").unlink()
    assert check(empty, ROOT / "compiler") == f"{empty} holds no compiled modules"


def test_zir_accel_with_a_stale_build_warns_and_runs_the_pure_compiler(tmp_path: Path) -> None:
    stale = fake_build(tmp_path, digest="0" * 64)
    env = {"ZIR_ACCEL": "1", "ZIR_ACCEL_DIR": str(stale)}
    version = zir("--version", env=env)
    assert version.returncode == 0
    assert version.stdout == f"zir {compiler.__version__} (python)\n"
    assert version.stderr.startswith("zir: ZIR_ACCEL=1 but the accelerated build in ")
    assert "is stale" in version.stderr and version.stderr.endswith("; running the pure-Python compiler\n")
    src = tmp_path / "hello.zir"
    shutil.copy(ROOT / "examples" / "hello.zir", src)
    build = zir("build", str(src), "-o", str(tmp_path / "hello"), env=env)
    assert build.returncode == 0, build.stderr
    assert subprocess.run([str(tmp_path / "hello")], capture_output=True, timeout=30).returncode == 0


def test_without_zir_accel_the_version_line_is_unchanged() -> None:
    plain = zir("--version", env={"ZIR_ACCEL": "0"})
    assert (plain.returncode, plain.stdout, plain.stderr) == (0, f"zir {compiler.__version__}\n", "")


@pytest.mark.skipif(os.environ.get("ZIR_ACCEL") != "1", reason="runs in the accelerated CI step (ZIR_ACCEL=1)")
def test_under_zir_accel_the_compiled_modules_run() -> None:
    # In the accelerated step this process and every zir it starts must run the compiled modules; a build
    # that failed or went stale would otherwise pass the whole step on the pure code.
    import compiler.zir.parser as parser

    assert variant() == "mypyc"
    assert parser.__file__ is not None and parser.__file__.endswith(".so")
    assert zir("--version", env={}).stdout == f"zir {compiler.__version__} (mypyc)\n"


def test_records_compared_with_another_type_are_unequal_in_either_variant() -> None:
    """A compiled ``__eq__ -> bool`` must not hand back ``NotImplemented`` from a helper: mypyc checks the
    result is a bool and raised ``TypeError`` on ``record == 1`` (run under ``ZIR_ACCEL=1`` in CI)."""
    from compiler.compilation import Options, UpdateReport
    from compiler.link import LinkTotals
    from compiler.link.elf.format import ProgramHeader, SectionHeader
    from compiler.module.decl import UpdateCounters

    records: list[object] = [
        Options("r.zir"),
        UpdateReport(True, True, 0, 1.0, 0, None),
        ProgramHeader(1, 5, 0, 0x1000, 0x1000, 16, 16, 0x1000),
        SectionHeader(1, 1, 6, 0x1000, 0, 16, 0, 0, 16, 0),
        UpdateCounters(),
        LinkTotals(),
    ]
    for record in records:
        assert (record == 1) is False and (record != 1) is True, type(record).__name__
