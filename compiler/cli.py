"""The ``zir`` command: dispatches its subcommands (architecture.md §6) and implements ``zir fmt``.

``build``, ``run``, ``watch`` and ``emit-zir`` live in ``compiler/cli_build.py``; ``lsp`` replaces this
process with the language server (``python -m server``), so ``compiler`` never imports ``server``.
Every command is a function ``(argv) -> exit status``: 0 success, 1 errors, 2 usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from typing import NoReturn, TextIO

from compiler.source import FileSource, SourceLoadError, render_error
from compiler.zir.formatter import format_result

USAGE = """usage: zir <command> [options]

commands:
  build FILE [-o OUT] [--obj] [--mode MODE] [--emit-zir PATH] [--emit-zir-liveness] [--no-emit-bin] [--json]
  run FILE [build options] [-- ARGS...]
  watch FILE [-o OUT] [--obj] [--mode MODE] [--emit-zir PATH] [--json] [--manual]
  fmt [--check] FILE...
  emit-zir FILE [-o PATH] [--liveness]
  lsp [--tcp HOST:PORT]
"""

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


# -------------------------------------------------------------------- zir fmt


def _write_file(path: str, data: bytes) -> None:
    """Replaces the file's bytes atomically (temporary file + rename), keeping its permission bits."""
    directory = os.path.dirname(path) or "."
    mode = os.stat(path).st_mode & 0o7777
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
    """``zir fmt [--check] FILE...`` (zir-language.md §10.4).

    Rewrites each file in canonical form and prints the path of every file it changed. With ``--check``
    nothing is written; the paths of the files that would change are printed and the status is 1 if any.
    A file with parse errors is reported as ``PATH:LINE:COL: error: MSG`` and left unchanged (status 1).
    """
    parser = _ArgumentParser(prog="zir fmt", add_help=True)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    parser.add_argument("files", nargs="+", metavar="FILE")
    args = parser.parse_args(argv)
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


# -------------------------------------------------------------------- the other commands


def _delegate(name: str) -> Callable[[list[str]], int]:
    """A command implemented in ``compiler/cli_build.py`` (imported only when it runs)."""

    def run(argv: list[str]) -> int:
        from compiler import cli_build

        return cli_build.COMMANDS[name](argv)

    return run


def cmd_lsp(argv: list[str]) -> int:
    """``zir lsp [--tcp HOST:PORT] ...``: becomes ``python -m server`` with the same arguments."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "server", *argv])


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "build": _delegate("build"),
    "run": _delegate("run"),
    "watch": _delegate("watch"),
    "fmt": cmd_fmt,
    "emit-zir": _delegate("emit-zir"),
    "lsp": cmd_lsp,
}
"""Command name → implementation; each takes the arguments after the command name."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``zir`` console script and of ``python -m compiler``."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    if args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return EXIT_OK
    command = COMMANDS.get(args[0])
    if command is None:
        write_line(sys.stderr, f"zir: unknown command '{args[0]}'")
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    try:
        return command(args[1:])
    except UsageError as exc:
        write_line(sys.stderr, f"zir {args[0]}: {exc}")
        return EXIT_USAGE
