"""The vendored copies of the shared example cases match ../shared: tests/cases/examples and tests/cases/complete."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VENDORED = REPO / "tests" / "cases" / "examples"
SHARED = REPO.parent / "shared" / "examples"
VENDORED_COMPLETE = REPO / "tests" / "cases" / "complete"
SHARED_COMPLETE = REPO.parent / "shared" / "examples-complete"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/examples is not beside this checkout")
def test_vendored_examples_are_current() -> None:
    shared = _files(SHARED)
    vendored = _files(VENDORED)
    missing = sorted(set(shared) - set(vendored))
    changed = sorted(name for name in shared.keys() & vendored.keys() if shared[name] != vendored[name])
    assert not missing and not changed, f"refresh tests/cases/examples: missing={missing} changed={changed}"


@pytest.mark.skipif(not SHARED_COMPLETE.is_dir(), reason="../shared/examples-complete is not beside this checkout")
def test_vendored_complete_examples_are_current() -> None:
    shared = _files(SHARED_COMPLETE)
    vendored = _files(VENDORED_COMPLETE)
    missing = sorted(set(shared) - set(vendored))
    changed = sorted(name for name in shared.keys() & vendored.keys() if shared[name] != vendored[name])
    assert not missing and not changed, f"refresh tests/cases/complete: missing={missing} changed={changed}"


def test_complete_cases_use_only_known_fields() -> None:
    import json

    cases = sorted(p for p in VENDORED_COMPLETE.iterdir() if p.is_dir())
    assert len(cases) >= 6
    for case in cases:
        spec = json.loads((case / "case.json").read_text())
        assert spec.get("mode", "Debug") in {"Debug", "ReleaseSafe", "ReleaseFast", "ReleaseSmall"}
        for update in spec["updates"]:
            assert (case / update["source"]).is_file()
            expect = update["expect"]
            assert set(expect) <= {"exit_code", "signal", "stdout", "stderr", "errors", "emit_zir_file", "no_errors"}
            assert not ("exit_code" in expect and "signal" in expect)


def test_every_case_has_its_sources() -> None:
    import json

    cases = sorted(p for p in VENDORED.iterdir() if p.is_dir())
    assert len(cases) >= 16
    for case in cases:
        spec = json.loads((case / "case.json").read_text())
        assert spec["kind"] in {"run", "errors", "emit-zir", "incremental"}
        for update in spec["updates"]:
            assert (case / update["source"]).is_file()
            if "emit_zir_file" in update["expect"]:
                assert (case / update["expect"]["emit_zir_file"]).is_file()
