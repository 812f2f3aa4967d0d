"""``zir fmt`` (and ``zir build`` on parse errors) driven through the real command, as a user runs it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
ZIR = [sys.executable, "-m", "compiler"]

UGLY = b'@a   =  int(1)\n\n\n@b = str("\\x41")'
PRETTY = b'@a = int(1)\n\n@b = str("A")\n'
BROKEN = b"@a = int(1)\n@b = int(x)\n@c = foo(1)\n"


def zir(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [*ZIR, *args], cwd=cwd or ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_fmt_rewrites_and_lists_changed_files(tmp_path: Path) -> None:
    ugly = tmp_path / "ugly.zir"
    pretty = tmp_path / "pretty.zir"
    ugly.write_bytes(UGLY)
    pretty.write_bytes(PRETTY)
    os.chmod(ugly, 0o640)
    result = zir("fmt", str(ugly), str(pretty))
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{ugly}\n", "")
    assert ugly.read_bytes() == PRETTY
    assert stat.S_IMODE(ugly.stat().st_mode) == 0o640
    again = zir("fmt", str(ugly))
    assert (again.returncode, again.stdout) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pretty.zir", "ugly.zir"]  # no temporary left


def test_fmt_leaves_a_read_only_file_alone(tmp_path: Path) -> None:
    """Formatting replaces the file through a rename, which a read-only mode does not stop (nor does it stop
    root from writing): a file nobody may write is reported and left as it is, and the others are formatted."""
    locked, other = tmp_path / "locked.zir", tmp_path / "other.zir"
    locked.write_bytes(UGLY)
    other.write_bytes(UGLY)
    os.chmod(locked, 0o444)
    result = zir("fmt", str(locked), str(other))
    assert result.returncode == 1
    assert result.stderr == f"zir fmt: unable to write '{locked}': Permission denied (the file is read-only)\n"
    assert result.stdout == f"{other}\n"
    assert locked.read_bytes() == UGLY and stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert other.read_bytes() == PRETTY


def test_fmt_check_changes_nothing(tmp_path: Path) -> None:
    ugly = tmp_path / "ugly.zir"
    pretty = tmp_path / "pretty.zir"
    ugly.write_bytes(UGLY)
    pretty.write_bytes(PRETTY)
    result = zir("fmt", "--check", str(pretty), str(ugly))
    assert (result.returncode, result.stdout, result.stderr) == (1, f"{ugly}\n", "")
    assert ugly.read_bytes() == UGLY
    ok = zir("fmt", "--check", str(pretty))
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")


def test_fmt_reports_parse_errors_and_leaves_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zir"
    broken.write_bytes(BROKEN)
    ugly = tmp_path / "ugly.zir"
    ugly.write_bytes(UGLY)
    result = zir("fmt", str(broken), str(ugly))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{broken}:2:10: error: invalid digit in integer literal",
        f"{broken}:3:10: error: unknown instruction 'foo'",
    ]
    assert broken.read_bytes() == BROKEN
    assert ugly.read_bytes() == PRETTY  # the other file is still formatted


def test_fmt_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.zir"
    result = zir("fmt", str(missing))
    assert result.returncode == 1
    assert result.stderr == f"zir fmt: unable to load source file '{missing}': FileNotFound\n"


def test_usage_errors_exit_2() -> None:
    assert zir().returncode == 2
    assert zir("fmt").returncode == 2
    assert zir("fmt", "--bogus", "x.zir").returncode == 2
    unknown = zir("frobnicate")
    assert unknown.returncode == 2 and "unknown command 'frobnicate'" in unknown.stderr
    assert zir("--help").returncode == 0


def test_hello_example_is_formatted() -> None:
    result = zir("fmt", "--check", "examples/hello.zir")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_console_script_is_the_same_command(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "zir"
    ugly = tmp_path / "ugly.zir"
    ugly.write_bytes(UGLY)
    result = subprocess.run([str(script), "fmt", "--check", str(ugly)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (1, f"{ugly}\n")


def test_build_reports_every_parse_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zir"
    broken.write_bytes(BROKEN)
    result = zir("build", str(broken), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{broken}:2:10: error: invalid digit in integer literal",
        f"{broken}:3:10: error: unknown instruction 'foo'",
    ]


def test_lsp_subcommand_becomes_the_language_server() -> None:
    result = zir("lsp", "--help")
    assert result.returncode == 0
    assert "usage: zir lsp" in result.stdout
