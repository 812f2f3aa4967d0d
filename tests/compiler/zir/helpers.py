"""Shared helpers of the ZIR front-end tests: error rendering as ``:LINE:COL: error: MSG``."""

from __future__ import annotations

from compiler.source import LineIndex
from compiler.zir.ast import ParsedFile


def rendered(source: bytes, parsed: ParsedFile) -> list[str]:
    """The parse errors of ``parsed`` rendered 1-based, as the example cases spell them."""
    index = LineIndex(source)
    out = []
    for error in parsed.errors:
        line, col = index.position(error.byte_offset)
        out.append(f":{line + 1}:{col + 1}: error: {error.msg}")
    return out
