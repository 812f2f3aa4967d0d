"""Source providers (file on disk, editor buffer) and the CLI line index (byte offset → line, byte column)."""

from __future__ import annotations

import bisect
import errno
import os
import stat
from array import array
from typing import Final, Protocol


class SourceLoadError(Exception):
    """The source could not be read; ``error_name`` is Zig's spelling (FileNotFound, AccessDenied, ...)."""

    def __init__(self, path: str, error_name: str, message: str | None = None) -> None:
        self.message = f"unable to load source file '{path}': {error_name}" if message is None else message
        """The whole error text, as reported."""
        super().__init__(self.message)
        self.path = path
        self.error_name = error_name


MAX_SOURCE_BYTES: Final = 64 << 20
"""A source file larger than 64 MiB is refused (``FileTooBig``) before it is read (docs/reliability.md)."""


def error_name_of(exc: OSError) -> str:
    """Zig's error name for an OS error while reading a source file (module.md §4)."""
    if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
        return "FileNotFound"
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return "AccessDenied"
    if isinstance(exc, IsADirectoryError) or exc.errno == errno.EISDIR:
        return "IsDir"
    if exc.errno == errno.EFBIG:
        return "FileTooBig"
    return "Unexpected"


class SourceProvider(Protocol):
    """Where a Module reads its root file from."""

    @property
    def path(self) -> str:
        """The path as given by the user, used verbatim in rendered errors."""
        ...

    def read(self) -> bytes:
        """The current bytes; raises SourceLoadError when they cannot be read."""
        ...


class FileSource:
    """Reads the file from disk on every update."""

    path: str

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def read(self) -> bytes:
        """The file's bytes. A directory is ``IsDir``; a device node, FIFO or socket is refused without
        reading (``not a regular file``: opened with ``O_NONBLOCK``, so a FIFO cannot hang us); a file over
        ``MAX_SOURCE_BYTES`` is ``FileTooBig``."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as exc:
            raise SourceLoadError(self.path, error_name_of(exc)) from exc
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise SourceLoadError(self.path, "IsDir")
            if not stat.S_ISREG(st.st_mode):
                raise SourceLoadError(self.path, "NotRegular", f"unable to read '{self.path}': not a regular file")
            if st.st_size > MAX_SOURCE_BYTES:
                raise SourceLoadError(self.path, "FileTooBig")
            chunks: list[bytes] = []
            total = 0
            size = st.st_size + 1  # the whole file in one read (no join copy) unless it grows meanwhile
            while True:
                chunk = os.read(fd, size)
                size = 1 << 20
                if not chunk:
                    break
                total += len(chunk)
                if total > MAX_SOURCE_BYTES:  # grew while read
                    raise SourceLoadError(self.path, "FileTooBig")
                chunks.append(chunk)
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        except OSError as exc:
            raise SourceLoadError(self.path, error_name_of(exc)) from exc
        finally:
            os.close(fd)


class BufferSource:
    """Serves an in-memory text (the editor's unsaved buffer); ``text`` is replaced by the owner."""

    path: str
    text: bytes

    __slots__ = ("path", "text")

    def __init__(self, path: str, text: bytes = b"") -> None:
        self.path = path
        self.text = text

    def read(self) -> bytes:
        return self.text


class LineIndex:
    """Maps byte offsets to 0-based (line, byte column); only 0x0A ends a line (zir-language.md §4.2)."""

    data: bytes
    _starts: array[int]
    """Where each line starts: 8 bytes a line in an ``array`` (a list of ints costs 36; a watch process at
    N = 100 000 keeps 700 000 of them)."""

    __slots__ = ("_starts", "data")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.__post_init__()

    def __post_init__(self) -> None:
        starts = array("q", (0,))
        find = self.data.find
        i = find(b"\n")
        while i != -1:
            starts.append(i + 1)
            i = find(b"\n", i + 1)
        self._starts = starts

    def position(self, byte_offset: int) -> tuple[int, int]:
        """0-based line and byte column of ``byte_offset`` (clamped to the text)."""
        offset = max(0, min(byte_offset, len(self.data)))
        line = bisect.bisect_right(self._starts, offset) - 1
        return line, offset - self._starts[line]

    def offset(self, line: int, column: int) -> int:
        """The byte offset of a 0-based line and byte column (clamped to the text)."""
        if line >= len(self._starts):
            return len(self.data)
        return min(self._starts[line] + column, len(self.data))

    @property
    def line_count(self) -> int:
        return len(self._starts)


def render_error(path: str, data: bytes, byte_offset: int, msg: str) -> str:
    """``PATH:LINE:COL: error: MSG`` with 1-based line and column (module.md §12.3)."""
    line, col = LineIndex(data).position(byte_offset)
    return f"{path}:{line + 1}:{col + 1}: error: {msg}"
