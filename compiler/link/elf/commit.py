"""The commit protocol: apply the queued operations to the output file, or write it whole (elf-linker.md §12, §13).

``e_type = ET_NONE`` first, the operations in order, the ELF header last; the file is open only inside
``commit``. A fresh, foreign or interrupted file is written whole to a temporary file and renamed over the
output; a running output (ETXTBSY) is first replaced by a copy. I/O failures are reported, never raised, and
the operations stay queued.
"""

from __future__ import annotations

import errno
import logging
import os

from compiler.errors import OutputError
from compiler.link import CommitReport, LinkErrorFlags, LinkTotals, WrittenRange
from compiler.link.elf.format import E_TYPE_OFFSET, ElfType
from compiler.link.fileio import FileIO, IoCounters, output_error
from compiler.link.ops import CopyOp, FileImage, WriteOp

log = logging.getLogger(__name__)

Identity = tuple[int, int, int, int]
"""``(st_dev, st_ino, st_size, st_mtime_ns)`` of the output after our last commit (§13.3)."""


def identity_of(stat: os.stat_result) -> Identity:
    """The identity of a file as ``stat`` describes it."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


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

    def adopt_existing(self) -> bool:
        """The output was reopened: record its identity and continue it in place. False if it vanished."""
        stat = self.fileio.stat(self.path)
        if stat is None:
            return False
        self.identity = identity_of(stat)
        self.needs_full_write = False
        return True

    def commit(self, image: FileImage, flags: LinkErrorFlags, totals: LinkTotals) -> CommitReport:
        """Apply ``image``'s queued operations (or write it whole); set ``flags.output_error`` and add the
        work to ``totals``."""
        before = self.fileio.counters.snapshot()
        full = self.needs_full_write
        replaced = False
        if not full and not image.has_pending():
            return CommitReport(bytes_written=0, write_calls=0, binary=self.path)
        messages: list[str] = []
        try:
            if not full:
                current = self.fileio.stat(self.path)
                if current is None or identity_of(current) != self.identity:
                    full = True
                    messages.append("output changed outside ZIR Live; rewrote it")
            if full:
                self._write_full(image)
            else:
                replaced = self._apply_in_place(image)
                if replaced:
                    messages.append("output is running; replaced it with a copy")
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
            writes=tuple(
                WrittenRange(offset, size, "file" if full else "")
                for offset, size in after.writes[len(before.writes) :]
            ),
        )

    def _write_full(self, image: FileImage) -> None:
        """Write the whole image to a temporary file next to the output and rename it over the output."""
        fd, temp = self.fileio.create_temp(self.path, self.file_mode)
        try:
            try:
                self.fileio.pwrite(fd, image.data, 0)
            finally:
                self.fileio.close(fd)
            self.fileio.rename(temp, self.path)
        except OSError:
            self.fileio.unlink(temp)
            raise

    def _apply_in_place(self, image: FileImage) -> bool:
        """Apply the queued operations to the existing output; True if it was running and was replaced."""
        ops = image.take_ops()
        replaced = False
        try:
            fd = self.fileio.open_rw(self.path)
        except OSError as error:
            if error.errno != errno.ETXTBSY:
                raise
            fd = self._replace_running()
            replaced = True
        try:
            self.needs_full_write = True  # until the header is restored, the file is not what we describe
            self.fileio.pwrite(fd, bytes([ElfType.ET_NONE, 0]), E_TYPE_OFFSET)
            for op in ops:
                match op:
                    case WriteOp(offset=offset, data=data):
                        self.fileio.pwrite(fd, data, offset)
                    case CopyOp(src=src, dst=dst, length=length):
                        self.fileio.copy_range(fd, src, dst, length)
            self.fileio.pwrite(fd, image.data[: self.ehdr_size], 0)
        finally:
            self.fileio.close(fd)
        return replaced

    def _replace_running(self) -> int:
        """The output is being executed (ETXTBSY): copy it to a temporary file, rename that over the output
        (the running process keeps the old inode) and return the new file, open for writing."""
        src = self.fileio.open_read(self.path)
        try:
            mode = self.fileio.fstat(src).st_mode & 0o7777
            fd, temp = self.fileio.create_temp(self.path, mode)
            try:
                self.fileio.copy_file(src, fd)
                self.fileio.fchmod(fd, mode)
                self.fileio.rename(temp, self.path)
            except OSError:
                self.fileio.close(fd)
                self.fileio.unlink(temp)
                raise
        finally:
            self.fileio.close(src)
        return fd
