"""The benchmark generator: its programs are well formed, equivalent across languages, and run correctly.

Not marked `bench`: these run in the default suite and take well under a second.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.gen import BASE_CONSTANT, ChainProgram, EditKind, EditSequence, chain_asm, chain_zig

needs_binutils = pytest.mark.skipif(shutil.which("as") is None or shutil.which("ld") is None, reason="binutils")


def build_asm(text: str, tmp_path: Path, name: str) -> Path:
    src, obj, exe = tmp_path / f"{name}.s", tmp_path / f"{name}.o", tmp_path / name
    src.write_text(text)
    subprocess.run(["as", "-o", str(obj), str(src)], check=True)
    subprocess.run(["ld", "-static", "-o", str(exe), str(obj)], check=True)
    return exe


@needs_binutils
@pytest.mark.parametrize(("n", "bump"), [(10, 0), (1000, 7)])
def test_equivalent_assembly_exits_with_the_chain_exit_code(tmp_path: Path, n: int, bump: int) -> None:
    exe = build_asm(chain_asm(n, bump), tmp_path, f"chain{n}")
    assert subprocess.run([str(exe)], check=False).returncode == ChainProgram(n, bump=bump).exit_code()


def test_exit_code_is_the_sum_of_the_constants_mod_256() -> None:
    assert ChainProgram(10).exit_code() == sum(1000 + i for i in range(10)) % 256
    assert ChainProgram(10, bump=3).exit_code() == (sum(1000 + i for i in range(10)) + 3) % 256


def test_the_edit_changes_only_the_constant_of_the_middle_function() -> None:
    base, edited = ChainProgram(100).source(), ChainProgram(100, bump=1).source()
    assert len(base) == len(edited)
    diff = [i for i, (a, b) in enumerate(zip(base, edited, strict=True)) if a != b]
    start, end = ChainProgram(100).constant_span()
    assert diff and all(start <= i < end for i in diff)
    assert base[start:end] == str(BASE_CONSTANT + 50).encode()
    assert base.decode().splitlines()[ChainProgram(100).constant_line()] == f"  %c = int({BASE_CONSTANT + 50})"
    assert b"@f50 = fn(@fty, {\n  %p = call(@f49, [])\n" in base


def test_broken_variant_has_a_bad_integer_literal_at_the_span() -> None:
    prog = ChainProgram(20, bump=2, broken=True)
    start, end = prog.constant_span()
    assert prog.source()[start:end] == b"x1012"


def test_line_edit_inserts_blank_lines_above_f_n_minus_2() -> None:
    text = ChainProgram(10, blank_lines_above=2).source()
    assert b"\n\n\n@f8 = fn(" in text
    assert text.replace(b"\n\n\n@f8", b"\n@f8") == ChainProgram(10).source()


def test_chain_has_n_functions_the_start_decl_and_its_export() -> None:
    text = ChainProgram(1000).source().decode()
    assert text.count(" = fn(@fty, {") == 1000
    assert "@start = fn(@start_fnty, {\n  %v = call(@f999, [])" in text
    assert text.endswith('@name = str("_start")\n@e = export(@name, "start")\n')


def test_zig_program_names_avoid_primitive_types_and_edit_the_middle_function() -> None:
    text = chain_zig(10, bump=2)
    assert "fn g5() usize {\n    return g4() + 1007;\n}" in text
    assert "return @truncate(g9());" in text
    assert " f1" not in text


def test_edit_sequence_is_deterministic_and_consistent() -> None:
    a, b = EditSequence(seed=3, n=50), EditSequence(seed=3, n=50)
    for _ in range(300):
        assert a.step() is b.step()
    assert a.source() == b.source()
    assert set(a.history) == set(EditKind)
    names = set(a.functions)
    assert a.root in names
    for fn in a.functions.values():
        assert fn.terms
        assert all(t.callee in names for t in fn.terms if t.callee is not None)
    text = a.source().decode()
    assert f"%v = call(@{a.root}, [])" in text
    assert text.count(" = fn(@fty, {") == len(a.functions)


def test_edit_sequence_exit_code_tracks_its_model() -> None:
    seq = EditSequence(seed=1, n=10)
    assert seq.exit_code() == ChainProgram(10).exit_code()
    while seq.step() is not EditKind.GROW:
        pass
    grown = next(f for f in seq.functions.values() if f.terms[-1].callee is None and len(f.terms) >= 2)
    assert seq.value_of(grown.name) == sum(
        seq.value_of(t.callee) if t.callee else (t.constant or 0) for t in grown.terms
    ) % (1 << 64)


@needs_binutils
def test_edit_sequence_model_matches_its_assembly_translation(tmp_path: Path) -> None:
    seq = EditSequence(seed=7, n=60)
    for k in range(150):
        seq.step()
        if k % 50 == 49:
            exe = build_asm(seq.asm(), tmp_path, f"seq{k}")
            assert subprocess.run([str(exe)], check=False).returncode == seq.exit_code()


def test_waiting_variant_reads_stdin_before_calling_the_chain() -> None:
    plain, waiting = ChainProgram(10).source().decode(), ChainProgram(10, wait_for_stdin=True).source().decode()
    head = plain[: plain.index("@start = fn(")]
    assert waiting.startswith(head)
    start = waiting[len(head) :]
    read = start.index("args=[%zero, %zero, %buf, %one])")
    assert read < start.index("%v = call(@f9, [])")
    assert "@start = fn(@start_fnty, {\n  %v = call(@f9, [])\n  %exit = int(231)\n" in plain


def test_generated_programs_parse_without_errors() -> None:
    from compiler.zir.parser import parse

    seq = EditSequence(seed=5, n=40)
    for _ in range(120):
        seq.step()
    variants = (ChainProgram(100), ChainProgram(100, wait_for_stdin=True), ChainProgram(100, extra_adds=4))
    for text in (*(v.source() for v in variants), seq.source()):
        parsed = parse(text)
        assert parsed.errors == []
    assert len(parse(ChainProgram(100).source()).decls) == 100 + 7


def test_broken_variant_fails_to_parse_exactly_at_the_literal() -> None:
    from compiler.zir.parser import parse

    prog = ChainProgram(100, broken=True)
    errors = parse(prog.source()).errors
    assert [(e.byte_offset, e.msg) for e in errors] == [(prog.constant_span()[0], "invalid digit in integer literal")]


def test_generated_programs_analyse_and_generate_without_errors(tmp_path: Path) -> None:
    from compiler.compilation import Compilation, Options

    seq = EditSequence(seed=2, n=30)
    for _ in range(60):
        seq.step()
    for name, text in (
        ("chain", ChainProgram(50).source()),
        ("waiting", ChainProgram(50, wait_for_stdin=True).source()),
        ("sequence", seq.source()),
    ):
        path = tmp_path / f"{name}.zir"
        path.write_bytes(text)
        comp = Compilation(Options(root_path=str(path)))
        report = comp.update()
        assert [e.render() for e in comp.all_errors()] == [], name
        assert report.ok
        comp.close()


def test_generated_programs_build_run_and_update_with_the_expected_exit_codes(tmp_path: Path) -> None:
    from compiler.compilation import Compilation, Options

    src, out = tmp_path / "chain.zir", tmp_path / "chain"
    seq = EditSequence(seed=4, n=20)
    steps: list[tuple[bytes, int]] = [
        (ChainProgram(50).source(), ChainProgram(50).exit_code()),
        (ChainProgram(50, bump=9).source(), ChainProgram(50, bump=9).exit_code()),
        (ChainProgram(50, bump=9, extra_adds=4).source(), ChainProgram(50, bump=9, extra_adds=4).exit_code()),
    ]
    for _ in range(3):
        for _ in range(10):
            seq.step()
        steps.append((seq.source(), seq.exit_code()))
    src.write_bytes(steps[0][0])
    comp = Compilation(Options(root_path=str(src), output_path=str(out)))
    for text, expected in steps:
        src.write_bytes(text)
        report = comp.update()
        assert [e.render() for e in comp.all_errors()] == []
        assert report.committed
        assert subprocess.run([str(out)], check=False).returncode == expected
    comp.close()
