"""DWARF 4 debug information kept as per-decl pieces: .debug_info entries and .debug_line programs (§14)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from compiler.link import DebugInfo

if TYPE_CHECKING:
    from compiler.link.elf.linker import DeclState, ElfLinker

SECTION_HINTS: tuple[tuple[bytes, int, int], ...] = (
    (b".debug_info", 200, 1),
    (b".debug_abbrev", 128, 1),
    (b".debug_aranges", 160, 16),
    (b".debug_line", 250, 1),
)
"""Name, initial reservation and alignment of the debug sections 6–9 (elf-linker.md §3)."""


@dataclass(slots=True)
class DeclDebug:
    """A function's debug pieces (none for data decls)."""


@dataclass(slots=True)
class DwarfState:
    """The debug sections in memory."""

    root_src_path: str = ""
    comp_dir: str = ""

    def text_grew(self) -> None:
        """``.text`` grew: the CU's ``high_pc`` and the aranges change."""

    def update_decl(self, linker: ElfLinker, state: DeclState, name: str, info: DebugInfo | None) -> None:
        """Place or rewrite the decl's pieces."""

    def free_decl(self, linker: ElfLinker, state: DeclState) -> None:
        """Unlink the decl's pieces."""

    def update_line_number(self, linker: ElfLinker, state: DeclState, line: int) -> None:
        """Rewrite the 4-byte line operand."""

    def flush_headers(self, linker: ElfLinker) -> None:
        """Flush steps 2–5."""

    def flush_strings(self, linker: ElfLinker) -> None:
        """Flush step 8."""
