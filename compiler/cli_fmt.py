"""The ``zir fmt`` command: rewrites ZIR files in canonical form (zir-language.md §10.4)."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import tempfile
from typing import NoReturn, TextIO

from compiler.cli_render import ColorChoice, Diagnostic, choose_style, render
from compiler.source import FileSource, SourceLoadError, render_error
from compiler.zir.formatter import format_result

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line usage: reported with the usage text, exit status 2."""


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises ``UsageError`` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def write_line(stream: TextIO, text: str) -> None:
    """Writes ``text`` and a newline; names and bytes from the source may hold surrogate escapes."""
    data = (text + "\n").encode("utf-8", "surrogateescape")
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode("utf-8", "replace"))


def _write_file(path: str, data: bytes) -> None:
    """Replaces the file's bytes, keeping its permission bits, its links and its inode's other names.

    A file without any write permission bit is refused (``PermissionError``), as for a user who may not write it,
    whoever runs the command. A symlink is followed: its target is formatted and the link stays. A file with one name is replaced
    atomically (temporary file + rename beside the target); a file with several hard links is rewritten in
    place so that every name keeps seeing the same inode.
    """
    path = os.path.realpath(path)
    directory = os.path.dirname(path) or "."
    st = os.stat(path)
    mode = st.st_mode & 0o7777
    if not mode & 0o222:  # read-only for everyone: the rename below would replace it anyway (and root may write)
        raise PermissionError(errno.EACCES, "Permission denied (the file is read-only)", path)
    if st.st_nlink > 1:
        with open(path, "r+b") as f:
            f.write(data)
            f.truncate()
        return
    fd, tmp = tempfile.mkstemp(prefix=".zir-fmt-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_fmt(argv: list[str]) -> int:
    """Runs ``zir fmt``; a usage error prints ``zir fmt: MSG`` and gives exit status 2."""
    try:
        return _fmt(argv)
    except UsageError as exc:
        write_line(sys.stderr, f"zir fmt: {exc}")
        return EXIT_USAGE


def _fmt(argv: list[str]) -> int:
    """``zir fmt [--check] FILE...`` (zir-language.md §10.4).

    Rewrites each file in canonical form and prints the path of every file it changed. With ``--check``
    nothing is written; the paths of the files that would change are printed and the status is 1 if any.
    A file with parse errors is reported as ``PATH:LINE:COL: error: MSG`` and left unchanged (status 1).
    """
    parser = _ArgumentParser(prog="zir fmt", add_help=True)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--color", default="auto", metavar="WHEN", help="auto (default), always or never")
    args = parser.parse_args(argv)
    choice = next((c for c in ColorChoice if c.value == args.color), None)
    if choice is None:
        raise UsageError(f"invalid --color '{args.color}' (auto, always, never)")
    style = choose_style(choice, sys.stderr)
    status = EXIT_OK
    for path in args.files:
        try:
            data = FileSource(path).read()
        except SourceLoadError as exc:
            write_line(sys.stderr, f"zir fmt: {exc}")
            status = EXIT_ERRORS
            continue
        result = format_result(data)
        if isinstance(result, list):
            if style.snippets:  # a terminal: source lines, carets, notes and the count (compiler/cli_render.py)
                diagnostics = [
                    Diagnostic(path, data, e.byte_offset, e.msg, [(n.byte_offset, n.msg) for n in e.notes])
                    for e in result
                ]
                write_line(sys.stderr, render(diagnostics, style).rstrip("\n"))
            else:
                for error in result:
                    write_line(sys.stderr, render_error(path, data, error.byte_offset, error.msg))
            status = EXIT_ERRORS
            continue
        if result == data:
            continue
        if args.check:
            write_line(sys.stdout, path)
            status = EXIT_ERRORS
            continue
        try:
            _write_file(path, result)
        except OSError as exc:
            write_line(sys.stderr, f"zir fmt: unable to write '{path}': {exc.strerror}")
            status = EXIT_ERRORS
            continue
        write_line(sys.stdout, path)
    return status
