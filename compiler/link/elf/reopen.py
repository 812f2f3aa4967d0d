"""Reopening an existing output across restarts: verify it, rebuild the linker's state from it (§13.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compiler.link.elf.linker import ElfLinker


def reopen(linker: ElfLinker) -> bool:
    """Adopt the file at ``linker.path`` if it matches; False means: describe a fresh file."""
    return False
