"""Nothing lost, nothing written where it should not be: the CLI against hostile paths and inputs (issue 11).

Every test runs the real ``zir`` in a subprocess (with a timeout: a hang is a failure) and checks both the
message and that the file it must not touch is unchanged.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tests" / "cases" / "examples"
HELLO = (EXAMPLES / "009-zig-hello-world" / "update1.zir").read_bytes()
ZIR = [sys.executable, "-m", "compiler"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def zir(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*ZIR, *args], cwd=cwd, capture_output=True, timeout=timeout, env=ENV)


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    (tmp_path / "hello.zir").write_bytes(HELLO)
    return tmp_path


# ---------------------------------------------------------------------- 1, 17: not a regular file


def test_output_fifo_is_refused_without_opening_it(hello: Path) -> None:
    os.mkfifo(hello / "fifo")
    p = zir("build", "hello.zir", "-o", "fifo", cwd=hello, timeout=30)  # today: hangs forever
    assert p.returncode == 1
    assert p.stderr == b"hello.zir:1:1: error: unable to write output 'fifo': not a regular file\n"
    assert stat.S_ISFIFO(os.lstat(hello / "fifo").st_mode)


# The device nodes are reached through symlinks in the test's directory: an implementation that renames
# over the output then replaces only the link, never the machine's /dev/null (as the defect did, as root).


def test_output_device_node_is_refused(hello: Path) -> None:
    (hello / "null").symlink_to("/dev/null")
    p = zir("build", "hello.zir", "-o", "null", cwd=hello, timeout=30)
    assert p.returncode == 1
    assert p.stderr == b"hello.zir:1:1: error: unable to write output 'null': not a regular file\n"
    assert (hello / "null").is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_dev_zero_is_not_read(hello: Path) -> None:
    (hello / "zero").symlink_to("/dev/zero")
    p = zir("build", "hello.zir", "-o", "zero", cwd=hello, timeout=30)  # today: reads until out of memory
    assert p.returncode == 1
    assert b"unable to write output 'zero': not a regular file" in p.stderr
    assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)


@pytest.mark.parametrize("name", ["d", "d/"])
def test_output_directory_says_it_is_a_directory(hello: Path, name: str) -> None:
    (hello / "d").mkdir()
    p = zir("build", "hello.zir", "-o", name, cwd=hello)
    assert p.returncode == 1
    assert p.stderr == f"hello.zir:1:1: error: unable to write output '{name}': is a directory\n".encode()
    assert os.listdir(hello / "d") == []


# ---------------------------------------------------------------------- 2: the output is never an input


def test_build_output_is_the_input(hello: Path) -> None:
    p = zir("build", "hello.zir", "-o", "hello.zir", cwd=hello)
    assert p.returncode == 1
    assert p.stderr == b"hello.zir:1:1: error: output path 'hello.zir' is the input file\n"
    assert (hello / "hello.zir").read_bytes() == HELLO


def test_build_output_is_the_input_through_a_hard_link(hello: Path) -> None:
    os.link(hello / "hello.zir", hello / "alias")
    p = zir("build", "hello.zir", "-o", "alias", cwd=hello)
    assert p.returncode == 1
    assert b"output path 'alias' is the input file" in p.stderr
    assert (hello / "hello.zir").read_bytes() == HELLO


def test_empty_input_as_output_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "empty.zir").write_bytes(b"")
    p = zir("build", "empty.zir", "--obj", "-o", "./empty.zir", cwd=tmp_path)
    assert p.returncode == 1
    assert b"output path './empty.zir' is the input file" in p.stderr
    assert (tmp_path / "empty.zir").read_bytes() == b""


@pytest.mark.parametrize(
    "command", [["emit-zir", "hello.zir", "-o", "hello.zir"], ["build", "hello.zir", "--emit-zir", "hello.zir"]]
)
def test_emit_zir_output_is_the_input(hello: Path, command: list[str]) -> None:
    p = zir(*command, cwd=hello)
    assert p.returncode == 1
    assert b"error: output path 'hello.zir' is the input file\n" in p.stderr
    assert (hello / "hello.zir").read_bytes() == HELLO


def test_emit_zir_onto_the_build_output_keeps_the_executable(hello: Path) -> None:
    """``zir build -o out --emit-zir out`` wrote the emitted ZIR over the executable it had just built (and said
    nothing), so the program was gone and the next build refused to replace the text file."""
    p = zir("build", "hello.zir", "-o", "out", "--emit-zir", "./out", "--no-cache", cwd=hello)
    assert p.returncode == 1
    assert p.stderr.endswith(b"error: unable to write output './out': it is the build's output (-o)\n"), p.stderr
    run = subprocess.run([str(hello / "out")], capture_output=True, timeout=60, check=False)
    assert run.stdout == b"Hello, world!\n"
    again = zir("build", "hello.zir", "-o", "out", "--no-cache", cwd=hello)
    assert again.returncode == 0, again.stderr


def test_emit_zir_to_a_fifo_is_refused(hello: Path) -> None:
    os.mkfifo(hello / "fifo")
    p = zir("emit-zir", "hello.zir", "-o", "fifo", cwd=hello, timeout=30)
    assert p.returncode == 1
    assert b"error: unable to write output 'fifo': not a regular file\n" in p.stderr


# ---------------------------------------------------------------------- 3: foreign files are not replaced


def test_existing_text_file_is_not_replaced(hello: Path) -> None:
    (hello / "notes.txt").write_bytes(b"my notes\n")
    p = zir("build", "hello.zir", "-o", "notes.txt", cwd=hello)
    assert p.returncode == 1
    assert p.stderr == (
        b"hello.zir:1:1: error: unable to write output 'notes.txt': refusing to replace a file that is not an"
        b" executable or object file (delete it first)\n"
    )
    assert (hello / "notes.txt").read_bytes() == b"my notes\n"


@pytest.mark.parametrize("content", [b"", b"\x7fELF" + bytes(60)])
def test_empty_or_elf_output_is_replaced(hello: Path, content: bytes) -> None:
    (hello / "out").write_bytes(content)
    p = zir("build", "hello.zir", "-o", "out", cwd=hello)
    assert p.returncode == 0, p.stderr
    run = subprocess.run([str(hello / "out")], capture_output=True, timeout=20)
    assert run.stdout == b"Hello, world!\n"


# ---------------------------------------------------------------------- 5: fmt keeps links


UNFORMATTED = b"@0  =  int(1)\n"
FORMATTED = b"@0 = int(1)\n"


def test_fmt_symlink_formats_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real.zir").write_bytes(UNFORMATTED)
    (tmp_path / "link.zir").symlink_to("real.zir")
    p = zir("fmt", "link.zir", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "link.zir").is_symlink()
    assert os.readlink(tmp_path / "link.zir") == "real.zir"
    assert (tmp_path / "real.zir").read_bytes() == FORMATTED


def test_fmt_hard_link_keeps_the_inode(tmp_path: Path) -> None:
    (tmp_path / "a.zir").write_bytes(UNFORMATTED)
    os.link(tmp_path / "a.zir", tmp_path / "b.zir")
    inode = os.stat(tmp_path / "a.zir").st_ino
    p = zir("fmt", "a.zir", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert os.stat(tmp_path / "a.zir").st_ino == inode
    assert (tmp_path / "b.zir").read_bytes() == FORMATTED


def test_fmt_single_link_file_keeps_its_mode(tmp_path: Path) -> None:
    (tmp_path / "a.zir").write_bytes(UNFORMATTED)
    os.chmod(tmp_path / "a.zir", 0o640)
    assert zir("fmt", "a.zir", cwd=tmp_path).returncode == 0
    assert (tmp_path / "a.zir").read_bytes() == FORMATTED
    assert stat.S_IMODE(os.stat(tmp_path / "a.zir").st_mode) == 0o640


# ---------------------------------------------------------------------- 6: stale temporary files


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_stale_temporary_files_are_removed_by_the_next_update(hello: Path) -> None:
    stale = hello / f".hello.zirlive-{_dead_pid()}-deadbeef"
    stale.write_bytes(b"\x7fELF half written")
    live = hello / f".hello.zirlive-{os.getpid()}-cafef00d"  # a writer that is still running keeps its file
    live.write_bytes(b"\x7fELF being written")
    other = hello / ".other.zirlive-1-00000000"
    other.write_bytes(b"not ours")
    p = zir("build", "hello.zir", cwd=hello)
    assert p.returncode == 0, p.stderr
    assert not stale.exists()
    assert live.exists() and other.exists()


# ---------------------------------------------------------------------- 13, 14: messages that crashed


NON_UTF8 = b'@x = declref("a\xff")\n@0 = str("_start")\n@1 = export(@0, "x")\n'


@pytest.mark.parametrize(
    "command",
    [["emit-zir", "bad.zir"], ["build", "bad.zir", "--emit-zir", "out.zir"], ["emit-zir", "bad.zir", "-o", "out.zir"]],
)
def test_emit_zir_of_a_non_utf8_error_message(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "bad.zir").write_bytes(NON_UTF8)
    p = zir(*command, cwd=tmp_path)
    assert p.returncode == 1
    assert b"Traceback" not in p.stderr
    assert p.stderr == b"bad.zir:1:14: error: decl 'a\xff' not found\n"
    emitted = p.stdout if "-o" not in command and "--emit-zir" not in command else (tmp_path / "out.zir").read_bytes()
    assert b"@x = compileerror(\"decl 'a\\xff' not found\")\n" in emitted


def test_watch_emit_zir_of_a_non_utf8_error_message(tmp_path: Path) -> None:
    (tmp_path / "bad.zir").write_bytes(NON_UTF8)
    p = subprocess.run(
        [*ZIR, "watch", "bad.zir", "--manual", "--emit-zir", "out.zir"],
        cwd=tmp_path,
        input=b"update\nexit\n",
        capture_output=True,
        timeout=60,
        env=ENV,
    )
    assert p.returncode == 0
    assert b"Traceback" not in p.stderr
    assert b"compileerror(\"decl 'a\\xff' not found\")" in (tmp_path / "out.zir").read_bytes()


def test_error_message_with_a_4400_digit_integer(tmp_path: Path) -> None:
    digits = "9" * 4400
    text = f'@u8 = primitive(u8)\n@n = int({digits})\n@x = as(@u8, @n)\n@0 = str("_start")\n@1 = export(@0, "x")\n'
    (tmp_path / "big.zir").write_text(text)
    p = zir("build", "big.zir", cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr == f"big.zir:2:10: error: type comptime_int cannot represent integer value {digits}\n".encode()
    e = zir("emit-zir", "big.zir", cwd=tmp_path)
    assert b"Traceback" not in e.stderr
    assert f"int({digits})".encode() in e.stdout


# ---------------------------------------------------------------------- 16: execute bit


def test_run_restores_the_execute_bit_of_an_existing_output(hello: Path) -> None:
    assert zir("build", "hello.zir", cwd=hello).returncode == 0
    os.chmod(hello / "hello", 0o644)
    p = zir("run", "hello.zir", cwd=hello)
    assert b"Traceback" not in p.stderr
    assert (p.returncode, p.stdout) == (0, b"Hello, world!\n")
    assert stat.S_IMODE(os.stat(hello / "hello").st_mode) == 0o755


# ---------------------------------------------------------------------- 18: a closed pipe


def test_build_json_into_a_closed_pipe_exits_quietly(hello: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before zir writes its line
    proc = subprocess.Popen(
        [*ZIR, "build", "hello.zir", "--json"], cwd=hello, stdout=write, stderr=subprocess.PIPE, env=ENV
    )
    os.close(write)
    _, err = proc.communicate(timeout=60)
    assert err == b""
    assert proc.returncode == 128 + signal.SIGPIPE


# ---------------------------------------------------------------------- 19: inputs that are not regular files


def test_source_dev_zero_is_refused(tmp_path: Path) -> None:
    p = zir("build", "/dev/zero", "-o", "x", cwd=tmp_path, timeout=30)  # today: MemoryError
    assert p.returncode == 1
    assert p.stderr == b"/dev/zero:1:1: error: unable to read '/dev/zero': not a regular file\n"


def test_source_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "src.zir")
    p = zir("build", "src.zir", cwd=tmp_path, timeout=30)
    assert p.returncode == 1
    assert p.stderr == b"src.zir:1:1: error: unable to read 'src.zir': not a regular file\n"
    f = zir("fmt", "src.zir", cwd=tmp_path, timeout=30)
    assert f.stderr == b"zir fmt: unable to read 'src.zir': not a regular file\n"


def test_source_over_64_mib_is_refused_before_reading(tmp_path: Path) -> None:
    with open(tmp_path / "huge.zir", "wb") as f:
        f.truncate((64 << 20) + 1)  # sparse: costs no disk
    p = zir("build", "huge.zir", cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr == b"huge.zir:1:1: error: unable to load source file 'huge.zir': FileTooBig\n"


# ---------------------------------------------------------------------- 9: the output deleted under watch


def test_watch_rewrites_a_deleted_output_and_never_claims_a_missing_file(hello: Path) -> None:
    import json

    proc = subprocess.Popen(
        [*ZIR, "watch", "hello.zir", "--manual", "--json"],
        cwd=hello,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"update\n")
    proc.stdin.flush()
    first = json.loads(proc.stdout.readline())
    assert first["committed"] is True
    os.unlink(hello / "hello")
    proc.stdin.write(b"update\nrun\nexit\n")
    proc.stdin.flush()
    second = json.loads(proc.stdout.readline())
    ran = json.loads(proc.stdout.readline())
    proc.wait(timeout=60)
    assert second["committed"] is True and second["bytes_written"] == os.path.getsize(hello / "hello")
    assert ran["exitCode"] == 0 and ran["stdout"] == "Hello, world!\n"
