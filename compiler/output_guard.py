"""Decides whether a path may receive an output, before anything is opened for writing (docs/reliability.md).

ZIR Live writes only its own outputs: never over a device node, a FIFO, a directory or a compilation input,
and never over an existing file that is not an ELF file (or empty) unless the user deletes it first. Every
check opens nothing that could block: ``lstat``/``stat``, then at most four bytes read with ``O_NONBLOCK``.
The same module removes the temporary files (``.OUT.zirlive-PID-…``) a crashed writer left behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Sequence

ELF_MAGIC = b"\x7fELF"

NOT_REGULAR = "not a regular file"
IS_DIRECTORY = "is a directory"
FOREIGN = "refusing to replace a file that is not an executable or object file (delete it first)"
NOT_ADOPTED = "refusing to replace a file ZIR Live did not write (delete it first)"
TEMP_MARK = ".zirlive-"
"""Temporary outputs are named ``.{name}.zirlive-{pid}-{random}`` (``compiler/link/fileio.py``)."""


def unable(path: str, reason: str) -> str:
    """``unable to write output 'PATH': REASON``."""
    return f"unable to write output '{path}': {reason}"


def is_input_message(path: str) -> str:
    return f"output path '{path}' is the input file"


def is_output_problem(message: str) -> bool:
    """The message is about the output file (the build tier publishes these), not the program."""
    return message.startswith(("unable to write output '", "output path '"))


def same_file(a: str, b: str) -> bool:
    """The two paths name one file: the same inode (also through symlinks, hard links, bind mounts), or, when
    either cannot be examined (an output not written yet), equal after resolving. Two ``stat`` calls in the
    usual case, where resolving both paths costs an ``lstat`` per path component (every commit asks)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _starts_with_elf_magic(path: str) -> bool | None:
    """True/False for a regular file's first bytes; None for an empty file. Never blocks."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR)
        head = os.pread(fd, len(ELF_MAGIC), 0)
    finally:
        os.close(fd)
    if not head:
        return None
    return head == ELF_MAGIC


def refusal(path: str, inputs: Sequence[str] = (), *, replace_foreign: bool = False) -> str | None:
    """Why ``path`` must not be written (the whole error message), or None when it may be.

    An absent file may be created; an existing one must be a regular file that is not one of ``inputs`` and,
    unless ``replace_foreign``, an ELF file or empty. A name ending in ``/`` names a directory.
    """
    for source in inputs:
        if same_file(path, source):
            return is_input_message(path)
    if path.endswith("/"):
        return unable(path, IS_DIRECTORY)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return unable(path, "FileNotFound")
    except OSError:
        return None  # the commit reports the real error (AccessDenied, ...)
    if stat.S_ISDIR(st.st_mode):
        return unable(path, IS_DIRECTORY)
    if not stat.S_ISREG(st.st_mode):
        return unable(path, NOT_REGULAR)
    if replace_foreign or st.st_size == 0:
        return None
    try:
        magic = _starts_with_elf_magic(path)
    except OSError as exc:
        if exc.strerror == NOT_REGULAR:
            return unable(path, NOT_REGULAR)
        return None
    if magic is False:
        return unable(path, FOREIGN)
    return None


def check_plain_output(path: str, inputs: Sequence[str], build_output: str | None = None) -> str | None:
    """For outputs that are not ELF files (``--emit-zir``, ``emit-zir -o``): a regular file or absent, and
    not an input. Such a file is written in place (truncated), so any existing regular file may be. Not the
    executable the same build writes (``build_output``): emitted over it, the program was lost and the next build
    refused to replace the text file."""
    for source in inputs:
        if same_file(path, source):
            return is_input_message(path)
    if build_output is not None and same_file(path, build_output):
        return unable(path, "it is the build's output (-o)")
    if path.endswith("/"):
        return unable(path, IS_DIRECTORY)
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return unable(path, IS_DIRECTORY)
    if not stat.S_ISREG(st.st_mode):
        return unable(path, NOT_REGULAR)
    return None


def write_plain_output(path: str, data: bytes) -> None:
    """Write ``data`` to a checked plain output without following a swapped-in FIFO or device."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY, 0o666)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR)
        os.ftruncate(fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temps(path: str) -> list[str]:
    """Remove ``.{name}.zirlive-{pid}-*`` next to ``path`` whose writer process is gone; the paths removed.

    A writer still running (another ``zir`` on the same output) keeps its temporary file.
    """
    directory, name = os.path.split(os.path.abspath(path))
    prefix = f".{name}{TEMP_MARK}"
    removed: list[str] = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        pid_text = entry[len(prefix) :].split("-", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        full = os.path.join(directory, entry)
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(full).st_mode):
                os.unlink(full)
                removed.append(full)
    return removed


def ensure_executable(path: str) -> None:
    """Give the output the execute bits its read bits allow (an existing output may have lost them)."""
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        wanted = mode | ((mode & 0o444) >> 2)
        if wanted != mode:
            os.chmod(path, wanted)
