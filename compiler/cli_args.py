"""Argument parsing for the ``zir`` commands: argparse with usage errors as exceptions, and without the
start-up cost of its default help formatter."""

from __future__ import annotations

import argparse
import os
import sys


class UsageError(Exception):
    """Bad command-line usage (exit status 2)."""


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` without importing ``shutil`` (and its compression modules),
    which ``argparse``'s default formatter does on every ``add_argument``: a build pays for it at start."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, given the terminal width instead of asking ``shutil`` for it."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_terminal_columns() - 2)  # argparse's own margin of 2


class Parser(argparse.ArgumentParser):
    """A command's parser: ``--help`` as argparse prints it, a usage error raised as ``UsageError``."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog=prog, formatter_class=HelpFormatter)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)
