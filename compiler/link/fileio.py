"""Every file operation of the linker, counted: open/close per commit, pwrite, copies, temp files, renames.

The linker never touches the output except through a ``FileIO``. Tests and benchmarks read its ``counters``
(exact, deterministic: performance.md §4.1) or subclass it to observe or pause operations.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from compiler.errors import OutputError

COPY_CHUNK = 1 << 20
"""Bytes per ``copy_file_range`` / read-write round when copying."""


class IoCounters:
    """Cumulative counts of the operations a ``FileIO`` performed."""

    pwrite_calls: int
    pwrite_bytes: int
    copy_calls: int
    copy_bytes: int
    open_calls: int
    close_calls: int
    rename_calls: int
    read_bytes: int
    writes: list[tuple[int, int]]
    """``(file_offset, length)`` of every pwrite, in order (for tests that check *where* bytes went)."""
    fsync_calls: int
    """``fdatasync`` of a file and ``fsync`` of a directory (docs/reliability.md: the durability contract)."""

    writes_mark: int
    """In a ``snapshot``: how many writes had been made when it was taken (the list is not copied)."""
    writes_dropped: int
    """Writes forgotten from the front of ``writes`` by ``trim_writes`` (a long session keeps a bounded log)."""

    __slots__ = (
        "close_calls",
        "copy_bytes",
        "copy_calls",
        "fsync_calls",
        "open_calls",
        "pwrite_bytes",
        "pwrite_calls",
        "read_bytes",
        "rename_calls",
        "writes",
        "writes_dropped",
        "writes_mark",
    )

    def __init__(
        self,
        pwrite_calls: int = 0,
        pwrite_bytes: int = 0,
        copy_calls: int = 0,
        copy_bytes: int = 0,
        open_calls: int = 0,
        close_calls: int = 0,
        rename_calls: int = 0,
        read_bytes: int = 0,
        writes: list[tuple[int, int]] | None = None,
        fsync_calls: int = 0,
        writes_mark: int = 0,
        writes_dropped: int = 0,
    ) -> None:
        self.pwrite_calls = pwrite_calls
        self.pwrite_bytes = pwrite_bytes
        self.copy_calls = copy_calls
        self.copy_bytes = copy_bytes
        self.open_calls = open_calls
        self.close_calls = close_calls
        self.rename_calls = rename_calls
        self.read_bytes = read_bytes
        self.writes = [] if writes is None else writes
        self.fsync_calls = fsync_calls
        self.writes_mark = writes_mark
        self.writes_dropped = writes_dropped

    def writes_since(self, mark: int) -> list[tuple[int, int]]:
        """The writes made after ``mark`` writes (a ``writes_mark``), as far as they are still kept."""
        return self.writes[max(0, mark - self.writes_dropped) :]

    def trim_writes(self, keep: int) -> None:
        """Forget every kept write once more than ``keep`` are kept; later marks stay valid (``writes_since``)."""
        if len(self.writes) > keep:
            self.writes_dropped += len(self.writes)
            self.writes = []

    def snapshot(self) -> IoCounters:
        """The counters as they are now, for a later difference. ``writes`` is not copied (a commit costs
        its own writes, not the session's): ``writes_mark`` says where the later ones start."""
        return IoCounters(
            self.pwrite_calls,
            self.pwrite_bytes,
            self.copy_calls,
            self.copy_bytes,
            self.open_calls,
            self.close_calls,
            self.rename_calls,
            self.read_bytes,
            [],
            self.fsync_calls,
            self.writes_dropped + len(self.writes),
        )


class NotRegularFile(OSError):
    """The output's name leads to a device node, a FIFO, a socket or a directory (docs/reliability.md)."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.EINVAL, "not a regular file", path)


def _require_regular(fd: int) -> None:
    """Close ``fd`` and raise ``NotRegularFile`` unless it is a regular file."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegularFile("")


def error_name(error: OSError) -> str:
    """Zig's name for an I/O error (module.md §4): ``AccessDenied``, ``FileNotFound``, ``IsDir``…"""
    if isinstance(error, NotRegularFile):
        return "not a regular file"
    match error.errno:
        case errno.EACCES | errno.EPERM | errno.EROFS:
            return "AccessDenied"
        case errno.ENOENT | errno.ENOTDIR:
            return "FileNotFound"
        case errno.EISDIR:
            return "IsDir"
        case errno.EFBIG:
            return "FileTooBig"
        case errno.ENOSPC:
            return "NoSpaceLeft"
        case _:
            return "Unexpected"


def output_error(path: str, error: OSError) -> OutputError:
    """The ``OutputError`` for a failed operation on ``path``."""
    return OutputError(path, error_name(error), os.strerror(error.errno) if error.errno else "")


class FileIO:
    """Real file operations on the output (file descriptors are plain ints)."""

    def __init__(self) -> None:
        self.counters = IoCounters()
        """Everything this object did since it was created."""

    def open_rw(self, path: str) -> int:
        """Open an existing regular file for reading and writing (never truncating, never blocking on a FIFO
        swapped in under the name). Raises ``OSError`` (``ETXTBSY`` when the file is being executed)."""
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
        self.counters.open_calls += 1
        _require_regular(fd)
        return fd

    def create_temp(self, path: str, mode: int) -> tuple[int, str]:
        """Create ``.{name}.zirlive-{pid}-{random}`` next to ``path`` (mode minus umask)."""
        directory, name = os.path.split(os.path.abspath(path))
        temp = os.path.join(directory, f".{name}.zirlive-{os.getpid()}-{os.urandom(4).hex()}")
        fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        self.counters.open_calls += 1
        return fd, temp

    def pwrite(self, fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
        """Write all of ``data`` at ``offset`` (one call unless the kernel writes short)."""
        view = memoryview(data)
        self.counters.pwrite_calls += 1
        self.counters.pwrite_bytes += len(view)
        self.counters.writes.append((offset, len(view)))
        while view:
            written = os.pwrite(fd, view, offset)
            view = view[written:]
            offset += written

    def copy_range(self, fd: int, src: int, dst: int, length: int) -> None:
        """Copy ``length`` bytes inside one file from ``src`` to ``dst`` (overlapping ranges allowed)."""
        self.counters.copy_calls += 1
        self.counters.copy_bytes += length
        overlapping = src < dst + length and dst < src + length
        if overlapping:
            data = os.pread(fd, length, src)
            data += bytes(length - len(data))
            os.pwrite(fd, data, dst)
            return
        done = 0
        while done < length:
            count = os.copy_file_range(fd, fd, min(COPY_CHUNK, length - done), src + done, dst + done)
            if count == 0:  # source beyond end of file: the rest reads as zeros
                os.pwrite(fd, bytes(length - done), dst + done)
                break
            done += count

    def copy_file(self, src_fd: int, dst_fd: int) -> None:
        """Copy the whole content of ``src_fd`` into ``dst_fd`` (the ETXTBSY fallback)."""
        size = os.fstat(src_fd).st_size
        self.counters.copy_calls += 1
        self.counters.copy_bytes += size
        done = 0
        while done < size:
            count = os.copy_file_range(src_fd, dst_fd, min(COPY_CHUNK, size - done), done, done)
            if count == 0:
                break
            done += count

    def open_read(self, path: str) -> int:
        """Open a file read-only."""
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self.counters.open_calls += 1
        return fd

    def read_all(self, path: str) -> bytes:
        """The whole content of ``path`` (reopening an existing output, §13.2)."""
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
        try:
            _require_regular(fd)
            size = os.fstat(fd).st_size
            chunks = []
            done = 0
            while done < size:  # a file growing while read is read up to its size at open
                chunk = os.pread(fd, min(COPY_CHUNK * 16, size - done), done)
                if not chunk:
                    break
                chunks.append(chunk)
                done += len(chunk)
        finally:
            os.close(fd)
        data = b"".join(chunks)
        self.counters.read_bytes += len(data)
        return data

    def sync(self, fd: int) -> None:
        """Wait until the file's data written so far is on the disk (``fdatasync``): what was written before
        reaches the disk before anything written after (docs/reliability.md)."""
        os.fdatasync(fd)
        self.counters.fsync_calls += 1

    def sync_directory(self, path: str) -> None:
        """``fsync`` the directory holding ``path``, so that a rename into it survives a power loss."""
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.counters.fsync_calls += 1

    def reserve(self, fd: int, current: int, size: int) -> None:
        """Allocate the blocks of a file of ``current`` bytes up to ``size`` bytes, so that a full disk (``ENOSPC``)
        or the file size limit (``EFBIG``) fails here, before an in-place commit marks the file interrupted; a file
        system that cannot allocate ahead is written as before. Nothing happens (no system call) when the file
        does not grow."""
        if size <= current:
            return
        try:
            os.posix_fallocate(fd, current, size - current)
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                raise

    def pread(self, fd: int, length: int, offset: int) -> bytes:
        data = os.pread(fd, length, offset)
        self.counters.read_bytes += len(data)
        return data

    def fchmod(self, fd: int, mode: int) -> None:
        os.fchmod(fd, mode)

    def close(self, fd: int) -> None:
        os.close(fd)
        self.counters.close_calls += 1

    def rename(self, src: str, dst: str) -> None:
        """Rename ``src`` over ``dst`` unless ``dst`` is a directory or another non-regular file."""
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            st = os.stat(dst)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), dst)
            if not stat.S_ISREG(st.st_mode):
                raise NotRegularFile(dst)
        os.rename(src, dst)
        self.counters.rename_calls += 1

    def unlink(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    def stat(self, path: str) -> os.stat_result | None:
        """``os.stat`` or None if the file does not exist (or a directory on its path is not one)."""
        try:
            return os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def fstat(self, fd: int) -> os.stat_result:
        return os.fstat(fd)
