"""The ``zir`` command: a thin dispatcher from a subcommand name to the module that implements it.

Every command is a function ``(argv) -> exit status`` (0 success, 1 errors, 2 usage errors) in its own
module, imported only when it runs, so ``zir --version`` and ``zir help`` load nothing of the compiler.
``lsp`` replaces this process with the language server (``python -m server``), so ``compiler`` never
imports ``server``. To add a command, add one ``Command`` line to ``COMMANDS`` (architecture.md §6).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable

from compiler.version import __version__

# This module is on every command's path, so it imports no ``dataclasses`` or ``typing`` (a cold
# ``zir --version`` pays only for Python itself).


class Command:
    """One subcommand: where it lives, its synopsis and a one-line summary (shown by ``zir help``)."""

    __slots__ = ("function", "module", "summary", "synopsis")

    def __init__(self, module: str, function: str, synopsis: str, summary: str) -> None:
        self.module = module
        self.function = function
        self.synopsis = synopsis
        self.summary = summary

    def load(self) -> Callable[[list[str]], int]:
        command: Callable[[list[str]], int] = getattr(importlib.import_module(self.module), self.function)
        return command


COMMANDS: dict[str, Command] = {
    "init": Command("compiler.cli_init", "cmd_init", "[DIR]", "create a small ZIR project to start from"),
    "build": Command(
        "compiler.cli_build",
        "main_build",
        "FILE [-o OUT] [--obj] [--mode MODE] [--emit-zir PATH] [--emit-zir-liveness] [--no-emit-bin] [--json]"
        " [--color WHEN]",
        "compile FILE to an executable (updated in place when it already exists)",
    ),
    "run": Command(
        "compiler.hot.cli",
        "main_run",
        "FILE [build options] [-- ARGS...] | --hot FILE [-o OUT] [--manual] [--json] [--no-restart] [--mode MODE]"
        " [-- ARGS...]",
        "build FILE, then run it (--hot: keep it running and swap every saved change into it)",
    ),
    "watch": Command(
        "compiler.cli_build",
        "main_watch",
        "FILE [-o OUT] [--obj] [--mode MODE] [--emit-zir PATH] [--json] [--manual] [--color WHEN]",
        "rebuild on every change of FILE, with a small command prompt",
    ),
    "fmt": Command("compiler.cli_fmt", "cmd_fmt", "[--check] FILE...", "rewrite files in canonical form"),
    "emit-zir": Command(
        "compiler.cli_build", "main_emit_zir", "FILE [-o PATH] [--liveness]", "print the analysed program as ZIR"
    ),
    "lsp": Command("compiler.cli", "cmd_lsp", "[--tcp HOST:PORT]", "run the language server (stdio or TCP)"),
    "objdump": Command(
        "compiler.inspect.cli", "main_objdump", "BINARY [--decl NAME] [--json]", "show a binary's machine code by decl"
    ),
    "layout": Command(
        "compiler.inspect.cli", "main_layout", "BINARY [--json] [--svg PATH]", "map a binary's sections, blocks and GOT"
    ),
    "help": Command("compiler.cli", "cmd_help", "[COMMAND]", "show this text, or a command's options"),
}
"""Command name → implementation, in the order ``zir help`` lists them."""

EXIT_OK = 0
EXIT_USAGE = 2


def usage() -> str:
    """The overview printed by ``zir``, ``zir help`` and ``zir --help``."""
    lines = ["usage: zir <command> [options]", "", "commands:"]
    width = max(len(name) for name in COMMANDS)
    for name, command in COMMANDS.items():
        lines.append(f"  {name:<{width}}  {command.summary}")
    lines += [
        "",
        "options:",
        "  -h, --help     show this text",
        "  -V, --version  print the version",
        "",
        "Run 'zir help COMMAND' for a command's options.",
    ]
    return "\n".join(lines) + "\n"


def cmd_lsp(argv: list[str]) -> int:
    """``zir lsp [--tcp HOST:PORT] ...``: becomes ``python -m server`` with the same arguments."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "server", *argv])


def cmd_help(argv: list[str]) -> int:
    """``zir help [COMMAND]``: the overview, or the command's summary and its own ``--help`` text."""
    if not argv:
        sys.stdout.write(usage())
        return EXIT_OK
    name = argv[0]
    command = COMMANDS.get(name)
    if command is None:
        sys.stderr.write(f"zir help: unknown command '{name}'\n" + usage())
        return EXIT_USAGE
    if name == "help":
        sys.stdout.write(f"zir help [COMMAND]\n\n{command.summary}.\n")
        return EXIT_OK
    sys.stdout.write(f"zir {name}: {command.summary}\n\n")
    sys.stdout.flush()
    try:
        return command.load()(["--help"])
    except SystemExit as exc:  # argparse exits after printing the help
        return exc.code if isinstance(exc.code, int) else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``zir`` console script and of ``python -m compiler``."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write(usage())
        return EXIT_USAGE
    if args[0] in ("-V", "--version"):
        suffix = ""
        if os.environ.get("ZIR_ACCEL") == "1":  # say which variant runs (compiler/accel.py)
            from compiler.accel import variant

            suffix = f" ({variant()})"
        sys.stdout.write(f"zir {__version__}{suffix}\n")
        return EXIT_OK
    if args[0] in ("-h", "--help"):
        sys.stdout.write(usage())
        return EXIT_OK
    command = COMMANDS.get(args[0])
    if command is None:
        sys.stderr.write(f"zir: unknown command '{args[0]}'\n" + usage())
        return EXIT_USAGE
    one_shot = argv is None and args[0] in ONE_SHOT
    if one_shot:
        import gc

        # The process ends when the command returns: no cycle collection at all, not even while the pipeline's
        # ~200 modules are imported (25 collections, 8-15 ms of a cold ``zir build hello.zir`` here). The
        # build itself already pauses the collector (``runtime.paused_gc``).
        gc.disable()
    try:
        status = command.load()(args[1:])
    except SystemExit as exc:  # ``COMMAND --help`` (argparse prints, then exits 0)
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if one_shot:
        exit_without_teardown(status)
    return status


ONE_SHOT = frozenset({"build", "emit-zir"})
"""Commands whose process ends when they return: run as the process's entry point (``argv is None``), they
exit without the interpreter's teardown (see ``exit_without_teardown``)."""


def exit_without_teardown(status: int) -> None:
    """End the process now with ``status`` when nothing is left to do but free memory.

    Python's own exit clears every module and frees every object one by one, about 10 ms after a
    ``zir build`` of a small file (docs/design/performance.md §10.3). The command has
    closed its files (outputs are written with ``os`` calls, the cache through a closed temporary file) and
    joined its threads, so only the standard streams and logging's handlers can still hold data: they are
    flushed first. When anything else may be pending (a non-daemon thread alive, a flush failing), this
    returns and the normal exit runs."""
    threading = sys.modules.get("threading")
    if threading is not None:
        main_thread = threading.main_thread()
        if any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate()):
            return  # Python's exit would wait for it (daemon threads, such as the parked deep-stack worker, it stops)
    logging = sys.modules.get("logging")
    try:
        if logging is not None:
            logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(status)
