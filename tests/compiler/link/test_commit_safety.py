"""The commit protocol against a changing world (issue 11 items 9-11): the output deleted or damaged between
updates, another writer renaming a file over it between our check and our open, and the order in which a
commit's bytes are forced to the disk (the durability contract of docs/reliability.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from compiler.compilation import Compilation, Options
from compiler.link.elf.format import E_TYPE_OFFSET
from compiler.link.elf.linker import ElfLinker
from compiler.link.fileio import FileIO
from compiler.source import BufferSource

PROGRAM = b"""@noreturn = primitive(noreturn)
@usize = primitive(usize)
@syscall = str("syscall")
@rax = str("{rax}")
@rdi = str("{rdi}")
@rsi = str("{rsi}")
@rdx = str("{rdx}")
@rcx = str("rcx")
@r11 = str("r11")
@len = str("len")
@one = int(1)
@code = int(CODE)
@exit_group = int(231)
@greeting = str("MESSAGE\\n")
@start_fnty = fntype([], @noreturn, cc=Naked)
@start = fn(@start_fnty, {
  %addr = ptrtoint(@greeting)
  %len_ptr = fieldptr(@greeting, @len)
  %n = deref(%len_ptr)
  %w = asm(@syscall, @usize, volatile=1, inputs=[@rax, @rdi, @rsi, @rdx], clobbers=[@rcx, @r11],
    args=[@one, @one, %addr, %n])
  %x = asm(@syscall, @usize, volatile=1, inputs=[@rax, @rdi], clobbers=[@rcx, @r11],
    args=[@exit_group, @code])
  %u = unreachable()
})
@start_sym = str("_start")
@start_export = export(@start_sym, "start")
"""


def program(message: str, code: int) -> bytes:
    return PROGRAM.replace(b"MESSAGE", message.encode()).replace(b"CODE", str(code).encode())


def run(path: Path) -> tuple[int, bytes]:
    proc = subprocess.run([str(path)], capture_output=True, timeout=10, check=False)
    return proc.returncode, proc.stdout


def compilation(out: Path, text: bytes, io: FileIO | None = None) -> Compilation:
    linker = ElfLinker(str(out), fileio=io or FileIO(), root_src_path="p.zir")
    return Compilation(Options("p.zir", str(out)), BufferSource("p.zir", text), linker)


# ---------------------------------------------------------------------- 9: the output deleted or damaged


def test_a_deleted_output_is_rewritten_by_an_update_with_unchanged_source(tmp_path: Path) -> None:
    out = tmp_path / "out"
    comp = compilation(out, program("hello", 3))
    assert comp.update().committed
    out.unlink()
    report = comp.update()  # nothing changed in the source; today: committed, 0 bytes, a missing file
    assert report.committed and report.binary == str(out)
    assert report.bytes_written == out.stat().st_size
    assert run(out) == (3, b"hello\n")


def test_a_deleted_output_is_rewritten_by_an_update_with_a_changed_source(tmp_path: Path) -> None:
    """The in-place commit of an edit found no file to open: it raised ``FileNotFound``, and every later update
    failed the same way (the operations stayed queued for a file that was gone), so ``zir watch`` and the
    server's build never wrote the output again."""
    out = tmp_path / "out"
    comp = compilation(out, program("hello", 3))
    assert comp.update().committed
    out.unlink()
    source = comp.source
    assert isinstance(source, BufferSource)
    source.text = program("changed", 4)
    report = comp.update()
    assert [e.message for e in comp.all_errors()] == []
    assert report.committed and report.binary == str(out)
    assert report.bytes_written == out.stat().st_size
    assert run(out) == (4, b"changed\n")
    source.text = program("again", 5)  # and the next edit is patched in place again
    report = comp.update()
    assert report.committed and report.bytes_written < out.stat().st_size
    assert run(out) == (5, b"again\n")


GROW_UNDER_A_SIZE_LIMIT = """
import resource, signal, sys
from pathlib import Path
from tests.compiler.link.test_commit_safety import compilation, program
out = Path(sys.argv[1])
limit = out.stat().st_size + 4096
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of a signal
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
comp = compilation(out, program("y" * 500_000, 5))  # a new process: the output is reopened and patched in place
report = comp.update()
print([e.message for e in comp.all_errors()], report.committed)
"""


def test_a_commit_that_cannot_grow_the_file_keeps_the_last_good_program(tmp_path: Path) -> None:
    """An in-place commit marks the file interrupted (``ET_NONE``) before it writes. When the file had to grow and
    the disk was full (``ENOSPC``; here the file size limit, ``EFBIG``), the write after the mark failed and the
    last good program was lost: the kernel refused to run the file. The room is now allocated before the mark."""
    out = tmp_path / "out"
    comp = compilation(out, program("hello", 3))
    assert comp.update().committed
    comp.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.run(
        [sys.executable, "-c", GROW_UNDER_A_SIZE_LIMIT, str(out)], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"[\"unable to write output '{out}': FileTooBig\"] False\n"
    assert run(out) == (3, b"hello\n")  # still the last good program
    comp = compilation(out, program("y" * 500_000, 5))  # without the limit, the next update writes it
    assert comp.update().committed
    comp.close()
    assert run(out) == (5, b"y" * 500_000 + b"\n")


def test_a_damaged_output_is_rewritten_by_an_update_with_unchanged_source(tmp_path: Path) -> None:
    out = tmp_path / "out"
    comp = compilation(out, program("hello", 3))
    assert comp.update().committed
    with open(out, "r+b") as f:
        f.truncate(100)
    report = comp.update()
    assert report.committed and report.bytes_written == out.stat().st_size
    assert run(out) == (3, b"hello\n")


def test_an_unchanged_output_costs_no_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    comp = compilation(out, program("hello", 3))
    comp.update()
    report = comp.update()
    assert report.committed and report.bytes_written == 0


# ---------------------------------------------------------------------- 10: two writers


class SwappingIO(FileIO):
    """Another writer renames its own file over the output just before our commit opens it."""

    def __init__(self, other: Path) -> None:
        super().__init__()
        self.other: Path | None = other

    def open_rw(self, path: str) -> int:
        if self.other is not None:
            os.rename(self.other, path)
            self.other = None
        return super().open_rw(path)


def test_a_file_renamed_over_the_output_before_the_open_is_not_patched(tmp_path: Path) -> None:
    out, other = tmp_path / "out", tmp_path / "other"
    theirs = compilation(other, program("theirs", 3))  # the same layout, another message
    assert theirs.update().committed
    io = SwappingIO(other)
    ours = compilation(out, program("ours!!", 3), io)
    assert ours.update().committed
    io_other = io.other
    assert io_other is not None
    ours.source.text = program("ours!!", 5)  # type: ignore[attr-defined]
    report = ours.update()  # today: patches their program in place (exit 5, but their message)
    assert report.committed
    assert io.other is None  # the swap happened
    assert run(out) == (5, b"ours!!\n")


# ---------------------------------------------------------------------- 11: durability order


class RecordingIO(FileIO):
    """Records pwrites, syncs and renames in order."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, int]] = []

    def pwrite(self, fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
        self.log.append(("write", offset))
        super().pwrite(fd, data, offset)

    def copy_range(self, fd: int, src: int, dst: int, length: int) -> None:
        self.log.append(("write", dst))
        super().copy_range(fd, src, dst, length)

    def sync(self, fd: int) -> None:
        self.log.append(("sync", 0))
        super().sync(fd)

    def sync_directory(self, path: str) -> None:
        self.log.append(("sync_dir", 0))
        super().sync_directory(path)

    def rename(self, src: str, dst: str) -> None:
        self.log.append(("rename", 0))
        super().rename(src, dst)


def test_a_whole_file_is_synced_before_its_rename_and_the_directory_after(tmp_path: Path) -> None:
    io = RecordingIO()
    comp = compilation(tmp_path / "out", program("hello", 3), io)
    assert comp.update().committed
    kinds = [kind for kind, _ in io.log]
    assert kinds[-3:] == ["sync", "rename", "sync_dir"]
    assert "write" not in kinds[kinds.index("sync") :]


def test_an_in_place_commit_syncs_the_mark_then_the_body_before_the_header(tmp_path: Path) -> None:
    io = RecordingIO()
    comp = compilation(tmp_path / "out", program("hello", 3), io)
    comp.update()
    io.log.clear()
    comp.source.text = program("hello", 4)  # type: ignore[attr-defined]
    assert comp.update().committed
    log = io.log
    assert log[0] == ("write", E_TYPE_OFFSET) and log[1] == ("sync", 0)  # the ET_NONE mark is on disk first
    body = log[2:-2]
    assert body and all(kind == "write" and offset != 0 for kind, offset in body)
    assert log[-2:] == [("sync", 0), ("write", 0)]  # the body is on disk before the header that validates it
    assert run(tmp_path / "out") == (4, b"hello\n")
