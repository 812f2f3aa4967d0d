"""Where an output's cache file lives, and which cache files may be read (docs/design/performance.md §7).

The cache directory is ``$ZIR_CACHE_DIR``, else ``$XDG_CACHE_HOME/zir-live``, else ``~/.cache/zir-live``; one
file per output, named by a hash of the output's absolute path. A workspace must not be able to provide a cache
(reading one would let a checked-out repository decide what a build trusts): a directory inside the source
file's directory tree is refused (unless that directory is the home directory or above it), and a cache file is read only when it is a regular file (not a symlink) owned
by this user and writable by no one else.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable

from compiler.record import frozen_delattr, frozen_setattr, record_repr

FORMAT_DIR = "v3"
"""Sub-directory of the format version (a new format never reads an old one's files)."""
MAX_CACHE_BYTES = 512 * 1024 * 1024


class CacheLocation:
    directory: str
    path: str

    __slots__ = ("directory", "path")
    __match_args__ = ("directory", "path")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, directory: str, path: str) -> None:
        object.__setattr__(self, "directory", directory)
        object.__setattr__(self, "path", path)

    def __repr__(self) -> str:
        return record_repr(self, ("directory", "path"))

    def __eq__(self, other: object) -> bool:
        if type(other) is CacheLocation:
            return (self.directory, self.path) == (other.directory, other.path)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.directory, self.path))


def cache_root() -> str:
    """The cache directory (not created)."""
    explicit = os.environ.get("ZIR_CACHE_DIR")
    if explicit:
        return os.path.abspath(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "zir-live")


def locate(output_path: str, root_path: str) -> CacheLocation | str:
    """The cache file of ``output_path``, or why no cache may be used for it."""
    root = os.path.realpath(cache_root())
    workspace = os.path.realpath(os.path.dirname(os.path.abspath(root_path)))
    home = os.path.realpath(os.path.expanduser("~"))
    # a source directly in the home directory (or above it) is no checkout: ~/.cache is the user's own
    if not _within(home, workspace) and _within(root, workspace):
        return f"the cache directory {root} is inside the source's directory tree"
    key = hashlib.sha256(os.fsencode(os.path.abspath(output_path))).hexdigest()[:40]
    directory = os.path.join(root, FORMAT_DIR)
    return CacheLocation(directory, os.path.join(directory, key + ".json"))


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def read_trusted(path: str) -> bytes | str | None:
    """The file's bytes; None when there is no file; a reason when it must not be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot open: {exc.strerror}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        if st.st_uid != os.getuid():
            return "owned by another user"
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return "writable by others"
        if st.st_size > MAX_CACHE_BYTES:
            return "too large"
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytearray) -> None:
    done = 0
    with memoryview(data) as view:
        while done < len(data):
            with view[done:] as rest:
                done += os.write(fd, rest)


def write_atomic(location: CacheLocation, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to a temporary file beside the cache file, then rename it over the cache file. The
    chunks are written as they come (about 1 MiB a write), so the whole document is never in memory."""
    os.makedirs(location.directory, mode=0o700, exist_ok=True)
    tmp = f"{location.path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        pending = bytearray()
        for chunk in chunks:
            pending += chunk
            if len(pending) >= 1 << 20:
                _write_all(fd, pending)
                pending.clear()
        _write_all(fd, pending)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, location.path)
