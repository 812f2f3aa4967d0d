"""The server's only door into the compiler: an editor Compilation and a build Compilation behind small classes.

Until ``compiler.Compilation`` exists, the editor tier falls back to the parser's errors (or to none); this
fallback is also what keeps the editor tier answering if the Module is unavailable.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Any

from server.config import BuildSettings
from server.diagnostics import CompileError


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


@dataclass(slots=True)
class BuildOutcome:
    """The result of one build-tier update."""

    ok: bool
    committed: bool
    binary: str | None
    ms: float
    bytes_written: int
    errors: list[CompileError]


class EditorCompilation:
    """Analysis of the editor buffer (no output)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._parser = _optional("compiler.zir.parser")

    def update(self, text: bytes) -> list[CompileError]:
        """Compile ``text``; every compile error with the exact bytes its offset refers to."""
        if self._parser is None:
            return []
        parsed = self._parser.parse(text)
        return [CompileError(e.byte_offset, e.msg, text) for e in parsed.errors]

    def close(self) -> None:
        """Release the Compilation."""


class BuildCompilation:
    """The saved file compiled to the ELF output."""

    def __init__(self, path: str, output_path: str, settings: BuildSettings) -> None:
        self.path = path
        self.output_path = output_path
        self.key = (output_path, settings.output_mode, settings.optimize_mode)

    def update(self) -> BuildOutcome:
        """One update of the build Compilation."""
        started = time.perf_counter()
        return BuildOutcome(False, False, None, (time.perf_counter() - started) * 1000.0, 0, [])

    def close(self) -> None:
        """Release the Compilation (the output stays on disk)."""
