"""The commit protocol: apply the queued operations to the output file, or write it whole (elf-linker.md §12, §13).

``e_type = ET_NONE`` first, the operations in order, the ELF header last; the file is open only inside
``commit``. A fresh, foreign or interrupted file is written whole to a temporary file and renamed over the
output; a running output (ETXTBSY) is first replaced by a copy. I/O failures are reported, never raised, and
the operations stay queued.

Identity: every commit, even one with nothing queued, checks that the file at the path is still the one we
wrote (device, inode, size, mtime); an in-place commit opens the file first and compares ``fstat`` of the open
descriptor and its ELF header, so a file renamed over the output by another writer is never patched. Anything
else is rewritten whole.

Durability (docs/reliability.md): the ``ET_NONE`` mark is synced before the body is written and the body
before the header that makes the file valid again, so after a power loss the output is the old program, the
new one, or marked interrupted (and rewritten whole by the next update), never a mix that looks valid. A whole
file is synced before it is renamed over the output, and the directory after.
"""

from __future__ import annotations

import enum
import errno
import os
from typing import Final

from compiler.errors import OutputError
from compiler.link import CommitReport, LinkErrorFlags, LinkTotals, WrittenRange
from compiler.link.elf.format import E_TYPE_OFFSET, ElfType
from compiler.link.fileio import FileIO, IoCounters, output_error
from compiler.link.ops import CopyOp, FileImage, WriteOp
from compiler.logs import LazyLogger

log = LazyLogger(__name__)

CHANGED_OUTSIDE: Final = "output changed outside ZIR Live; rewrote it"

WRITES_KEPT: Final = 1 << 16
"""The file layer's log of pwrites (``IoCounters.writes``) is emptied at a commit that finds more than this many
kept, so a long session holds a bounded log; each commit's own writes are always complete."""


WHOLE_FILE_PIECE: Final = 1 << 16
"""A whole file is written in pieces of this size, not in one call: the page cache (ext4 on Linux 6.x) holds the
file in folios as large as the writes that made them, up to megabytes, and every later small in-place
``pwrite`` and ``fdatasync`` then walks its whole folio's block state. Written in one call, a 3 MB output
(N = 10 000) cost each later edit's ``pwrite`` about 20 µs of CPU instead of 5, every edit again; 48 calls
more for the whole file cost about 0.2 ms once."""


class InPlace(enum.Enum):
    """How an in-place commit went."""

    APPLIED = "applied"
    REPLACED_RUNNING = "replaced_running"
    """The output was running: a copy replaced it and received the operations."""
    FOREIGN = "foreign"
    """The file at the path is not the one we wrote: nothing was written; the caller writes it whole."""


Identity = tuple[int, int, int, int]
"""``(st_dev, st_ino, st_size, st_mtime_ns)`` of the output after our last commit (§13.3)."""


def identity_of(stat: os.stat_result) -> Identity:
    """The identity of a file as ``stat`` describes it."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _written(writes: list[tuple[int, int]], full: bool) -> tuple[WrittenRange, ...]:
    """The report's written ranges: a whole file is one range, however many pieces it was written in."""
    if full and writes:
        return (WrittenRange(0, sum(size for _, size in writes), "file"),)
    return tuple(WrittenRange(offset, size, "") for offset, size in writes)


class OutputCommitter:
    """The output file's side of the linker: whether the next commit must write it whole, and what the
    file looked like after our last commit."""

    def __init__(self, path: str, fileio: FileIO, file_mode: int, ehdr_size: int) -> None:
        self.path = path
        self.fileio = fileio
        self.file_mode = file_mode
        """Mode of a new file (minus the umask)."""
        self.ehdr_size = ehdr_size
        self.needs_full_write = True
        """The next commit writes the whole image to a temporary file and renames it (fresh or unknown file)."""
        self.identity: Identity | None = None
        """The output's identity after our last commit (or after reopening it)."""
        self.header = b""
        """The output's ELF header after our last commit (or as reopened)."""
        self.writes_kept = WRITES_KEPT
        """How many writes the I/O counters keep for commit reports before forgetting them."""

    def adopt_existing(self, data: bytes = b"") -> bool:
        """The output was reopened (its bytes were ``data``): record its identity and header and continue it
        in place. False if it vanished."""
        stat = self.fileio.stat(self.path)
        if stat is None:
            return False
        self.identity = identity_of(stat)
        self.header = bytes(data[: self.ehdr_size])
        self.needs_full_write = False
        return True

    def commit(self, image: FileImage, flags: LinkErrorFlags, totals: LinkTotals) -> CommitReport:
        """Apply ``image``'s queued operations (or write it whole); set ``flags.output_error`` and add the
        work to ``totals``."""
        self.fileio.counters.trim_writes(self.writes_kept)  # before the snapshot: this commit's writes are all kept
        before = self.fileio.counters.snapshot()
        full = self.needs_full_write
        replaced = False
        messages: list[str] = []
        if not full and not image.has_pending():
            current = self.fileio.stat(self.path)
            if current is not None and identity_of(current) == self.identity:
                return CommitReport(bytes_written=0, write_calls=0, binary=self.path)
            full = True  # deleted or changed since our last commit: the report must not claim it
            messages.append(CHANGED_OUTSIDE)
        try:
            if not full:
                outcome = self._apply_in_place(image)
                if outcome is InPlace.FOREIGN:
                    full = True
                    messages.append(CHANGED_OUTSIDE)
                elif outcome is InPlace.REPLACED_RUNNING:
                    replaced = True
                    messages.append("output is running; replaced it with a copy")
            if full:
                self._write_full(image)
        except OSError as error:
            failure = output_error(self.path, error)
            flags.output_error = failure
            return self._report(before, totals, None, full, replaced, failure, messages)
        for message in messages:
            log.info("%s: %s", self.path, message)
        image.clear()
        image.tracking = True
        self.needs_full_write = False
        flags.output_error = None
        stat = self.fileio.stat(self.path)
        self.identity = identity_of(stat) if stat is not None else None
        self.header = bytes(image.data[: self.ehdr_size])
        return self._report(before, totals, self.path, full, replaced, None, messages)

    def _report(
        self,
        before: IoCounters,
        totals: LinkTotals,
        binary: str | None,
        full: bool,
        replaced: bool,
        failure: OutputError | None,
        messages: list[str],
    ) -> CommitReport:
        after = self.fileio.counters
        totals.write_calls += after.pwrite_calls - before.pwrite_calls
        totals.bytes_written += after.pwrite_bytes - before.pwrite_bytes
        totals.copy_calls += after.copy_calls - before.copy_calls
        totals.bytes_copied += after.copy_bytes - before.copy_bytes
        totals.replaced_running += int(replaced)
        return CommitReport(
            bytes_written=after.pwrite_bytes - before.pwrite_bytes,
            write_calls=after.pwrite_calls - before.pwrite_calls,
            binary=binary,
            copy_calls=after.copy_calls - before.copy_calls,
            bytes_copied=after.copy_bytes - before.copy_bytes,
            full_rewrite=full,
            replaced_running=replaced,
            error=failure,
            messages=tuple(messages),
            writes=_written(after.writes_since(before.writes_mark), full),
        )

    def _write_full(self, image: FileImage) -> None:
        """Write the whole image to a temporary file next to the output, sync it, rename it over the output
        and sync the directory."""
        fd, temp = self.fileio.create_temp(self.path, self.file_mode)
        try:
            try:
                for i, piece in enumerate(image.pieces(WHOLE_FILE_PIECE)):
                    self.fileio.pwrite(fd, piece, i * WHOLE_FILE_PIECE)
                self.fileio.sync(fd)
            finally:
                self.fileio.close(fd)
            self.fileio.rename(temp, self.path)
        except OSError:
            self.fileio.unlink(temp)
            raise
        self.fileio.sync_directory(self.path)

    def _is_ours(self, fd: int) -> bool:
        """The open file is the one our last commit left: same identity, same ELF header."""
        if identity_of(self.fileio.fstat(fd)) != self.identity:
            return False
        return self.fileio.pread(fd, self.ehdr_size, 0) == self.header

    def _apply_in_place(self, image: FileImage) -> InPlace:
        """Apply the queued operations to the existing output, which is opened first and then compared with
        our last commit (another writer may have renamed a file over it: ``InPlace.FOREIGN``, nothing
        written). The operations stay queued until they were applied."""
        try:
            fd = self.fileio.open_rw(self.path)
        except OSError as error:
            if error.errno == errno.ENOENT:
                # deleted since our last commit: written whole (elf-linker.md §13.3); raising here left every
                # later update with a change failing with FileNotFound and the output never written again
                return InPlace.FOREIGN
            if error.errno != errno.ETXTBSY:
                raise
            return self._replace_running(image)
        try:
            if not self._is_ours(fd):
                return InPlace.FOREIGN
            self._write_ops(fd, image)
        finally:
            self.fileio.close(fd)
        return InPlace.APPLIED

    def _write_ops(self, fd: int, image: FileImage) -> None:
        """``ET_NONE``, sync, the operations, sync, the header (the order a power loss must respect). The room a
        growing file needs is allocated first: a full disk failed after the mark, and the last good program
        was lost (the file stayed marked interrupted)."""
        assert self.identity is not None  # ``_is_ours`` matched it: the file (or its copy) has its size
        self.fileio.reserve(fd, self.identity[2], len(image.data))
        ops = image.take_ops()
        self.needs_full_write = True  # until the header is restored, the file is not what we describe
        self.fileio.pwrite(fd, bytes([ElfType.ET_NONE, 0]), E_TYPE_OFFSET)
        self.fileio.sync(fd)
        for op in ops:
            match op:
                case WriteOp(offset=offset, data=data):
                    self.fileio.pwrite(fd, data, offset)
                case CopyOp(src=src, dst=dst, length=length):
                    self.fileio.copy_range(fd, src, dst, length)
        self.fileio.sync(fd)
        self.fileio.pwrite(fd, image.data[: self.ehdr_size], 0)

    def _replace_running(self, image: FileImage) -> InPlace:
        """The output is being executed (ETXTBSY): copy it to a temporary file, rename that over the output
        (the running process keeps the old inode), then apply the operations to the copy."""
        src = self.fileio.open_read(self.path)
        try:
            if not self._is_ours(src):
                return InPlace.FOREIGN
            mode = self.fileio.fstat(src).st_mode & 0o7777
            fd, temp = self.fileio.create_temp(self.path, mode)
            try:
                self.fileio.copy_file(src, fd)
                self.fileio.fchmod(fd, mode)
                self.fileio.sync(fd)
                self.fileio.rename(temp, self.path)
            except OSError:
                self.fileio.close(fd)
                self.fileio.unlink(temp)
                raise
        finally:
            self.fileio.close(src)
        try:
            self.fileio.sync_directory(self.path)
            self._write_ops(fd, image)
        finally:
            self.fileio.close(fd)
        return InPlace.REPLACED_RUNNING
