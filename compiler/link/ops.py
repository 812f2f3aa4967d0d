"""The buffered operation list: writes and copies queued against an in-memory image of the output, coalesced.

``FileImage`` holds the bytes the output file will hold once every queued operation is applied (the linker's
complete in-memory image, elf-linker.md §1). Writes are suppressed when identical, trimmed to the span that
differs, and coalesced: between two copies only the final content of each dirty byte range matters, so a
range is materialised from the image when a copy (or the commit) closes the segment (elf-linker.md §12).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from compiler.link.elf.format import EHDR_SIZE
from compiler.link.pages import PagedBytes
from compiler.record import frozen_delattr, frozen_setattr, record_repr

MERGE_BUDGET: Final = 768
"""Bytes of unchanged gap one segment may rewrite to save pwrite calls: the smallest gaps between dirty ranges
are bridged first (written with the bytes the file already holds) until the budget is spent. A pwrite costs
more than copying a few hundred bytes, and a moving edit's header fields (``.debug_aranges``, section and
program headers) lie that close together (performance.md §6.5, §6.7)."""


DIRTY_MERGE_MIN: Final = 4096
"""Dirty ranges queued before they are merged in place: updates that are never committed (the server's editor
tier links in memory and commits only on a build) keep one range per byte span, not one per write."""


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` sorted, overlapping and touching ones joined."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


class WriteOp:
    """Write ``data`` at ``offset``."""

    offset: int
    data: bytes

    __slots__ = ("data", "offset")
    __match_args__ = ("offset", "data")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, offset: int, data: bytes) -> None:
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "data", data)

    def __repr__(self) -> str:
        return record_repr(self, ("offset", "data"))

    def __eq__(self, other: object) -> bool:
        if type(other) is WriteOp:
            return (self.offset, self.data) == (other.offset, other.data)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.offset, self.data))


class CopyOp:
    """Copy ``length`` bytes from ``src`` to ``dst`` (a region moving in the file)."""

    src: int
    dst: int
    length: int

    __slots__ = ("dst", "length", "src")
    __match_args__ = ("src", "dst", "length")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, src: int, dst: int, length: int) -> None:
        object.__setattr__(self, "src", src)
        object.__setattr__(self, "dst", dst)
        object.__setattr__(self, "length", length)

    def __repr__(self) -> str:
        return record_repr(self, ("src", "dst", "length"))

    def __eq__(self, other: object) -> bool:
        if type(other) is CopyOp:
            return (self.src, self.dst, self.length) == (other.src, other.dst, other.length)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.src, self.dst, self.length))


Op = WriteOp | CopyOp


class FileImage:
    """The output as it will be after the queued operations, and those operations.

    The ELF header ``[0, 64)`` is never queued as a write: ``commit`` writes it last (it restores
    ``e_type``), whenever there is anything to commit.
    """

    data: bytearray | PagedBytes
    """The bytes of the file after every queued operation (``PagedBytes`` once ``compact`` was called)."""
    ops: list[Op]
    """Materialised operations, in order (segments closed by a copy)."""
    dirty: list[tuple[int, int]]
    """``[start, end)`` ranges written since the last copy, not yet materialised (may overlap)."""
    header_dirty: bool
    """The ELF header in ``data`` changed since the last commit."""
    header_size: int
    """Size of the ELF header (64, or 52 for ELF32): written by ``commit`` itself, last."""
    tracking: bool
    """False while the whole file will be rewritten anyway (fresh file): no ranges are recorded."""
    merge_at: int
    """``dirty`` is merged in place when it grows past this many ranges (``_mark``)."""

    __slots__ = ("data", "dirty", "header_dirty", "header_size", "merge_at", "ops", "tracking")

    def __init__(
        self,
        data: bytearray | PagedBytes | None = None,
        ops: list[Op] | None = None,
        dirty: list[tuple[int, int]] | None = None,
        header_dirty: bool = False,
        header_size: int = EHDR_SIZE,
        tracking: bool = True,
        merge_at: int = DIRTY_MERGE_MIN,
    ) -> None:
        self.data = bytearray() if data is None else data
        self.ops = [] if ops is None else ops
        self.dirty = [] if dirty is None else dirty
        self.header_dirty = header_dirty
        self.header_size = header_size
        self.tracking = tracking
        self.merge_at = merge_at

    def compact(self) -> None:
        """Keep the bytes in compressed pages from now on (``compiler.link.pages``): for a linker that commits
        rarely (the language server's editor tier), whose image is mostly read where an update writes."""
        if not isinstance(self.data, PagedBytes):
            self.data = PagedBytes(self.data)

    def load(self, data: bytes) -> None:
        """Replace the bytes with ``data`` (an adopted output), kept as before (plain or compact)."""
        self.data = PagedBytes(data) if isinstance(self.data, PagedBytes) else bytearray(data)

    def pieces(self, size: int) -> Iterator[bytes | memoryview]:
        """The whole image in consecutive pieces of ``size`` bytes (the last shorter; one empty piece when the
        image is empty), without a copy of the whole."""
        if isinstance(self.data, PagedBytes):
            yield from self.data.pieces(size) if len(self.data) else [b""]
            return
        view = memoryview(self.data)
        for offset in range(0, max(len(view), 1), size):
            yield view[offset : offset + size]

    def has_pending(self) -> bool:
        """Whether a commit has anything to write."""
        return bool(self.ops or self.dirty or self.header_dirty)

    def read(self, offset: int, length: int) -> bytes:
        """Bytes of the image (zeros past its end)."""
        chunk = bytes(self.data[offset : offset + length])
        if len(chunk) < length:
            chunk += bytes(length - len(chunk))
        return chunk

    def write(self, offset: int, data: bytes, *, exact: bool = False) -> int:
        """Queue a write, trimmed to the span that differs from the image; returns the bytes queued.

        Bytes beyond the current end of the image are always written (the file must reach them). With
        ``exact`` the whole of ``data`` is written even where it equals the image (a field rewritten whole).
        """
        length = len(data)
        if length == 0:
            return 0
        end = offset + length
        size = len(self.data)
        if not self.tracking:  # fresh file: written whole at commit, nothing to trim or record (P4)
            if offset > size:
                self.data.extend(bytes(offset - size))
            self.data[offset:end] = data
            if offset < self.header_size:
                self.header_dirty = True
            return length
        if end > size or exact:
            if offset > size:
                self.data.extend(bytes(offset - size))
            self.data[offset:end] = data
            self._mark(offset, end)
            return length
        old = self.data[offset:end]
        if old == data:
            return 0
        lo = 0
        while old[lo] == data[lo]:
            lo += 1
        hi = length
        while old[hi - 1] == data[hi - 1]:
            hi -= 1
        self.data[offset + lo : offset + hi] = data[lo:hi]
        self._mark(offset + lo, offset + hi)
        return hi - lo

    def _mark(self, start: int, end: int) -> None:
        if start < self.header_size:
            self.header_dirty = True
            start = self.header_size
        if end > start and self.tracking:
            self.dirty.append((start, end))
            if len(self.dirty) > self.merge_at:
                self.dirty = _merged(self.dirty)
                self.merge_at = max(DIRTY_MERGE_MIN, 2 * len(self.dirty))

    def copy(self, src: int, dst: int, length: int) -> None:
        """Queue a copy of ``length`` bytes from ``src`` to ``dst`` (after the writes queued so far)."""
        if length == 0 or src == dst:
            return
        self._close_segment()
        chunk = self.read(src, length)
        end = dst + length
        if end > len(self.data):
            self.data.extend(bytes(end - len(self.data)))
        self.data[dst:end] = chunk
        if self.tracking:
            self.ops.append(CopyOp(src, dst, length))

    def _close_segment(self) -> None:
        if not self.dirty:
            return
        merged = _merged(self.dirty)
        self.dirty = []
        self.merge_at = DIRTY_MERGE_MIN
        # bridge the smallest gaps first while the budget lasts
        gaps = sorted((merged[i + 1][0] - merged[i][1], i) for i in range(len(merged) - 1))
        bridged: set[int] = set()
        budget = MERGE_BUDGET
        for gap, i in gaps:
            if gap > budget:
                break
            budget -= gap
            bridged.add(i)
        start, end = merged[0]
        for i in range(1, len(merged)):
            if i - 1 in bridged:
                end = merged[i][1]
                continue
            self.ops.append(WriteOp(start, bytes(self.data[start:end])))
            start, end = merged[i]
        self.ops.append(WriteOp(start, bytes(self.data[start:end])))

    def take_ops(self) -> list[Op]:
        """The operations to apply, in order (header excluded); they stay queued until ``clear``."""
        self._close_segment()
        return list(self.ops)

    def clear(self) -> None:
        """Everything queued reached the file."""
        self.ops = []
        self.dirty = []
        self.header_dirty = False
