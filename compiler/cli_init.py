"""The ``zir init [DIR]`` command: writes a small program, VS Code settings and a README that walks through it."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from typing import NoReturn

FILES = (
    ("main.zir", "main.zir"),
    ("README.md", "README.md"),
    (os.path.join(".vscode", "settings.json"), "settings.json"),
)
"""(path written inside DIR, template in ``compiler/templates``)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"zir init: {message}\n")
        raise SystemExit(2)


def cmd_init(argv: list[str]) -> int:
    """Creates DIR (default: the current directory) and the project files in it; never overwrites a file:
    if any of them exists, nothing is written and the status is 1."""
    p = _Parser(prog="zir init", description="Create a small ZIR project: main.zir, README.md, .vscode/settings.json.")
    p.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the project directory (default: .)")
    ns = p.parse_args(argv)
    root: str = ns.dir
    existing = [path for path, _ in FILES if os.path.lexists(os.path.join(root, path))]
    if existing:
        for path in existing:
            sys.stderr.write(f"zir init: {os.path.join(root, path)} already exists; nothing written\n")
        return 1
    templates = resources.files("compiler") / "templates"
    try:
        for path, template in FILES:
            target = os.path.join(root, path)
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            with open(target, "xb") as f:
                f.write((templates / template).read_bytes())
    except OSError as exc:
        sys.stderr.write(f"zir init: unable to write '{exc.filename}': {exc.strerror}\n")
        return 1
    where = "" if root == "." else f"cd {root} && "
    sys.stdout.write(
        f"Created {os.path.join(root, 'main.zir')}, README.md and .vscode/settings.json.\n"
        f"Next: {where}zir run main.zir\n"
    )
    return 0
