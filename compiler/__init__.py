"""ZIR Live's compiler: ZIR text → incremental Module → x86-64 code → an ELF file updated in place.

The public API (what ``server`` and other tools use) is re-exported here and loaded lazily, so importing a
submodule such as ``compiler.errors`` does not import the whole pipeline.
"""

from __future__ import annotations

import importlib
import os

from compiler.version import __version__

TYPE_CHECKING = False
"""``typing.TYPE_CHECKING`` without importing ``typing`` (this package is on ``zir --version``'s path)."""

if os.environ.get("ZIR_ACCEL") == "1":  # the optional mypyc-compiled variant (compiler/accel.py)
    from compiler.accel import select

    select(__path__)

# ``__version__`` (compiler/version.py) is the one version number: ``zir --version``, the language server's
# ``serverInfo``, DWARF's producer and the package metadata (``pyproject.toml`` reads it from here). It
# lives in a leaf module so that parts of the pipeline (the linker's DWARF) can use it without importing
# this package's re-exports.

if TYPE_CHECKING:
    from typing import Any

    from compiler.compilation import Compilation, Options, SourceError, UpdateReport
    from compiler.link import OutputMode
    from compiler.module.module import OptimizeMode
    from compiler.runtime import tune_gc
    from compiler.source import BufferSource, FileSource, LineIndex
    from compiler.zir.formatter import format_source
    from compiler.zir.parser import parse

_EXPORTS: dict[str, str] = {
    "Compilation": "compiler.compilation",
    "Options": "compiler.compilation",
    "SourceError": "compiler.compilation",
    "UpdateReport": "compiler.compilation",
    "OutputMode": "compiler.link",
    "OptimizeMode": "compiler.module.module",
    "LineIndex": "compiler.source",
    "FileSource": "compiler.source",
    "BufferSource": "compiler.source",
    "format_source": "compiler.zir.formatter",
    "parse": "compiler.zir.parser",
    "tune_gc": "compiler.runtime",
}

__all__ = [
    "BufferSource",
    "Compilation",
    "FileSource",
    "LineIndex",
    "OptimizeMode",
    "Options",
    "OutputMode",
    "SourceError",
    "UpdateReport",
    "__version__",
    "format_source",
    "parse",
    "tune_gc",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'compiler' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
