"""The commit protocol and file handling: write accounting, running outputs, kill during commit, failures."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from compiler.link import ExportRequest
from compiler.link.elf.format import ElfType
from compiler.link.elf.layout import GOT
from compiler.link.elf.linker import ElfLinker
from compiler.link.fileio import FileIO
from tests.compiler.link.elfcheck import check_elf, d, func, run

ROOT = Path(__file__).resolve().parents[3]


def ret_const(value: int) -> bytes:
    """``mov eax, imm32; ret``."""
    return b"\xb8" + value.to_bytes(4, "little") + b"\xc3"


def call_exit(slot: int) -> bytes:
    """``call qword ptr [slot]; mov edi, eax; mov eax, 60; syscall``."""
    return b"\xff\x14\x25" + slot.to_bytes(4, "little") + b"\x89\xc7\xb8\x3c\x00\x00\x00\x0f\x05"


def read_then_call_exit(slot: int) -> bytes:
    """``read(0, rsp-16, 1)`` (blocks until stdin has a byte or is closed), then ``call_exit(slot)``."""
    read = b"\x31\xc0\x31\xff\x48\x8d\x74\x24\xf0\xba\x01\x00\x00\x00\x0f\x05"
    return read + call_exit(slot)


def build_chain(path: str, n: int, io: FileIO | None = None) -> ElfLinker:
    """``start`` exits with the value of ``f{n//2}``; ``f0 … f{n-1}`` each return their index."""
    linker = ElfLinker(path, fileio=io)
    linker.allocate_decl(d(0), "start")
    for i in range(1, n + 1):
        linker.allocate_decl(d(i), f"f{i}")
    linker.update_decl(d(0), "start", func(call_exit(linker.got_address(d(n // 2)))))
    linker.update_decl_exports(d(0), [ExportRequest(1, b"_start")])
    for i in range(1, n + 1):
        linker.update_decl(d(i), f"f{i}", func(ret_const(i)))
    linker.flush()
    report = linker.commit()
    assert report.full_rewrite and report.error is None
    return linker


def block_ranges(linker: ElfLinker, skip: int) -> list[tuple[int, int]]:
    ranges = []
    for decl, state in linker.decls.items():
        if decl != skip and state.block.is_placed:
            start = linker._text_file_offset(state.block.vaddr)
            ranges.append((start, start + state.block.size))
    return ranges


def overlaps(writes: list[tuple[int, int]], ranges: list[tuple[int, int]]) -> bool:
    return any(o < end and start < o + n for o, n in writes for start, end in ranges)


@pytest.mark.parametrize("n", [10, 10_000])
def test_body_only_edit_writes_its_code_plus_less_than_a_kib(tmp_path: Path, n: int) -> None:
    path = str(tmp_path / "out")
    linker = build_chain(path, n)
    assert run(path) == (n // 2) % 256
    edited = d(n // 2)
    code = ret_const(n // 2 + 3)
    before = len(linker.fileio.counters.writes)
    linker.update_decl(edited, f"f{n // 2}", func(code))
    linker.flush()
    report = linker.commit()
    assert not report.full_rewrite
    assert report.bytes_written <= len(code) + 1024
    assert report.write_calls <= 6  # S1
    writes = linker.fileio.counters.writes[before:]
    assert not overlaps(writes, block_ranges(linker, n // 2))
    assert [linker.section_at(offset) for offset, _ in writes] == ["ehdr", ".text", "ehdr"]
    assert run(path) == (n // 2 + 3) % 256


@pytest.mark.parametrize("n", [10, 10_000])
def test_moving_edit_adds_one_got_write_and_rewrites_no_other_decl(tmp_path: Path, n: int) -> None:
    path = str(tmp_path / "out")
    linker = build_chain(path, n)
    edited = d(n // 2)
    code = b"\x90" * 40 + ret_const(77)  # beyond its capacity of ideal(6) = 8: it moves
    old_address = linker.decl_address(edited)
    before = len(linker.fileio.counters.writes)
    linker.update_decl(edited, f"f{n // 2}", func(code))
    assert linker.decl_address(edited) != old_address
    linker.flush()
    report = linker.commit()
    assert report.bytes_written <= len(code) + 1024 and report.write_calls <= 10
    writes = linker.fileio.counters.writes[before:]
    got = linker.shdrs[GOT]
    got_writes = [(o, k) for o, k in writes if got.sh_offset <= o < got.sh_offset + got.sh_size]
    assert len(got_writes) == 1 and got_writes[0][1] <= 8
    assert not overlaps(writes, block_ranges(linker, n // 2))
    assert run(path) == 77
    check_elf(path)


def test_operations_of_erroneous_updates_accumulate_until_commit(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build_chain(path, 4)
    with open(path, "rb") as file:
        committed = file.read()
    linker.update_decl(d(2), "f2", func(ret_const(40)))
    linker.flush()  # an update with errors: no commit
    linker.update_decl(d(3), "f3", func(ret_const(50)))
    linker.flush()
    with open(path, "rb") as file:
        assert file.read() == committed  # nothing touched the file
    assert run(path) == 2
    linker.update_decl(d(0), "start", func(call_exit(linker.got_address(d(3)))))
    linker.flush()
    linker.commit()
    assert run(path) == 50
    check_elf(path)


def test_update_while_the_output_runs_copies_and_renames(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = ElfLinker(path)
    linker.allocate_decl(d(0), "start")
    linker.allocate_decl(d(1), "f")
    linker.update_decl(d(0), "start", func(read_then_call_exit(linker.got_address(d(1)))))
    linker.update_decl_exports(d(0), [ExportRequest(1, b"_start")])
    linker.update_decl(d(1), "f", func(ret_const(5)))
    linker.flush()
    linker.commit()
    process = subprocess.Popen([path], stdin=subprocess.PIPE)
    try:
        with pytest.raises(OSError) as busy:  # really running: the kernel refuses writers
            os.close(os.open(path, os.O_RDWR))
        assert busy.value.errno == errno.ETXTBSY
        old_inode = os.stat(path).st_ino
        linker.update_decl(d(1), "f", func(ret_const(6)))
        linker.flush()
        report = linker.commit()
        assert report.error is None and report.replaced_running
        assert "output is running; replaced it with a copy" in report.messages
        assert os.stat(path).st_ino != old_inode
        assert process.poll() is None  # the running program was not disturbed
        assert subprocess.run([path], stdin=subprocess.DEVNULL).returncode == 6
        check_elf(path)
        assert process.communicate(b"x", timeout=10)[0] is None
        assert process.returncode == 5  # it finished with its own (old) code
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # the next commit works in place again
    linker.update_decl(d(1), "f", func(ret_const(8)))
    linker.flush()
    report = linker.commit()
    assert not report.replaced_running and not report.full_rewrite
    assert subprocess.run([path], stdin=subprocess.DEVNULL).returncode == 8


CHILD = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    from compiler.link.fileio import FileIO
    from tests.compiler.link.test_link_commit import build_chain, ret_const
    from tests.compiler.link.elfcheck import func, d

    class PausingIO(FileIO):
        pause = False
        def pwrite(self, fd, data, offset):
            super().pwrite(fd, data, offset)
            if self.pause and offset == 16 and len(data) == 2:
                print("MARKED", flush=True)
                time.sleep(60)

    io = PausingIO()
    linker = build_chain({path!r}, 8, io)
    print("BUILT", flush=True)
    sys.stdin.readline()
    linker.update_decl(d(4), "f4", func(ret_const(99)))
    linker.flush()
    io.pause = True
    linker.commit()
    print("NOT KILLED", flush=True)
    """
)


def test_kill_during_commit_leaves_a_file_the_kernel_refuses(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    script = CHILD.format(root=str(ROOT), path=path)
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "BUILT"
        assert run(path) == 4
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "MARKED"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    with open(path, "rb") as file:
        header = file.read(18)
    assert int.from_bytes(header[16:18], "little") == ElfType.ET_NONE
    with pytest.raises(OSError) as refused:
        subprocess.run([path])
    assert refused.value.errno == errno.ENOEXEC
    readelf = subprocess.run(["readelf", "-h", path], capture_output=True, text=True)
    assert "NONE (None)" in readelf.stdout
    # a new process does not trust the interrupted file: it rebuilds it
    linker = build_chain(path, 8)
    assert linker.fileio.counters.rename_calls == 1
    assert run(path) == 4


def test_missing_output_directory_is_an_output_error_and_operations_stay_queued(tmp_path: Path) -> None:
    directory = tmp_path / "dir"
    directory.mkdir()
    path = str(directory / "out")
    linker = build_chain(path, 4)
    linker.update_decl(d(2), "f2", func(ret_const(21)))
    linker.flush()
    directory.rename(tmp_path / "away")
    report = linker.commit()
    assert report.error is not None and report.binary is None
    assert (report.error.path, report.error.error_name) == (path, "FileNotFound")
    assert linker.error_flags().output_error == report.error
    (tmp_path / "away").rename(directory)
    report = linker.commit()  # the queued operations are applied now
    assert report.error is None and linker.error_flags().output_error is None
    assert run(path) == 21


NOBODY = 65534


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_unwritable_output_keeps_the_last_good_binary() -> None:
    """Another user (who may read but not write the output or its directory) gets AccessDenied."""
    directory = tempfile.mkdtemp()
    try:
        os.chmod(directory, 0o755)
        path = os.path.join(directory, "out")
        build_chain(path, 4)
        with open(path, "rb") as file:
            good = file.read()
        script = textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            from compiler.link import DeclIndex, ExportRequest, GeneratedSymbol, SymbolType
            from compiler.link.elf.linker import ElfLinker
            linker = ElfLinker({path!r})
            linker.allocate_decl(DeclIndex(0), "start")
            linker.update_decl(DeclIndex(0), "start", GeneratedSymbol(bytes(12), 1, SymbolType.FUNC))
            linker.update_decl_exports(DeclIndex(0), [ExportRequest(1, b"_start")])
            linker.flush()
            report = linker.commit()
            print(report.error.error_name if report.error else "OK")
            """
        )
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        result = subprocess.run(
            [python, "-c", script], capture_output=True, text=True, user=NOBODY, group=NOBODY, timeout=60
        )
        assert result.stdout.strip() == "AccessDenied", result.stderr
        with open(path, "rb") as file:
            assert file.read() == good
        assert run(path) == 2
    finally:
        shutil.rmtree(directory)


def test_output_changed_by_someone_else_is_rewritten_whole(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build_chain(path, 4)
    shutil.copy(path, path + ".bak")
    with open(path, "r+b") as file:  # someone truncates the output
        file.truncate(100)
    linker.update_decl(d(3), "f3", func(ret_const(33)))
    linker.update_decl(d(0), "start", func(call_exit(linker.got_address(d(3)))))
    linker.flush()
    report = linker.commit()
    assert report.full_rewrite
    assert run(path) == 33
    check_elf(path)


def test_each_commit_reports_exactly_its_own_writes_and_copies_none_of_the_history(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build_chain(path, 10)
    for value in (3, 4, 5):
        before = len(linker.fileio.counters.writes)
        linker.update_decl(d(5), "f5", func(ret_const(value)))
        linker.flush()
        report = linker.commit()
        mine = linker.fileio.counters.writes[before:]
        assert [(w.offset, w.size) for w in report.writes] == mine and len(mine) == report.write_calls
    snap = linker.fileio.counters.snapshot()  # what every commit takes: the mark, not a copy of the list
    assert snap.writes == [] and snap.writes_mark == len(linker.fileio.counters.writes) > 3


def test_a_long_session_keeps_a_bounded_write_log_and_complete_commit_reports(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build_chain(path, 10)
    linker.committer.writes_kept = 8
    counters = linker.fileio.counters
    for value in range(3, 40):
        mark = counters.snapshot().writes_mark
        linker.update_decl(d(5), "f5", func(ret_const(value)))
        linker.flush()
        report = linker.commit()
        mine = counters.writes_since(mark)
        assert [(w.offset, w.size) for w in report.writes] == mine and len(mine) == report.write_calls > 0
        assert len(counters.writes) <= 8 + report.write_calls  # the bound plus this commit's own writes
    assert counters.writes_dropped > 0  # the log was emptied along the way
