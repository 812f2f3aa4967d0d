"""NullLinker: the linker protocol without an output file, handing out the ELF linker's indices and addresses.

Used for analysis-only builds (the editor tier, ``zir emit-zir``, ``--no-emit-bin``). It runs the same GOT
and text-block placement policy as ``ElfLinker`` (``compiler.link.placement``, so generated code is
byte-identical), discards the bytes,
computes ``no_entry_point_found`` from the exports it was given, and its ``commit`` writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.link import (
    TEXT_VADDR,
    CommitReport,
    DeclIndex,
    ExportFailure,
    ExportRequest,
    GeneratedSymbol,
    Linkage,
    LinkErrorFlags,
    LinkTotals,
    OutputMode,
)
from compiler.link.elf.got import GotTable
from compiler.link.elf.text_blocks import TextBlock, TextBlockList
from compiler.link.placement import Placed, export_refusal, place_block


class _NullDecl:
    """What the null linker remembers per decl: its GOT index and its (virtual) text block."""

    got_index: int
    block: TextBlock

    __slots__ = ("block", "got_index")

    def __init__(self, got_index: int, block: TextBlock | None = None) -> None:
        self.got_index = got_index
        self.block = TextBlock() if block is None else block


class _NullExport:
    """A live export: its owner decl, name and linkage."""

    decl: DeclIndex
    name: bytes
    linkage: Linkage

    __slots__ = ("decl", "linkage", "name")

    def __init__(self, decl: DeclIndex, name: bytes, linkage: Linkage) -> None:
        self.decl = decl
        self.name = name
        self.linkage = linkage


class NullLinker:
    """Implements ``compiler.link.Linker`` with no file (architecture.md §4)."""

    def __init__(self, mode: OutputMode = OutputMode.EXE) -> None:
        self.mode = mode
        """``exe`` output needs an entry point; ``obj`` does not."""
        self._decls: dict[DeclIndex, _NullDecl] = {}
        """Per-decl state, keyed by ``Decl.index``."""
        self._got = GotTable()
        """Slot indices, allocated exactly as the ELF linker allocates them."""
        self._blocks = TextBlockList(base_vaddr=TEXT_VADDR)
        """Virtual placement of blocks, exactly as the ELF linker places them."""
        self._exports: dict[int, _NullExport] = {}
        """Live exports by export id."""
        self._flags = LinkErrorFlags()
        self.totals = LinkTotals()
        """Cumulative work counters (code bytes and block moves; nothing is ever written)."""

    def allocate_decl(self, decl: DeclIndex, name: str) -> None:
        """Reserve a GOT slot for ``decl`` (no-op if it has one)."""
        if decl not in self._decls:
            self._decls[decl] = _NullDecl(got_index=self._got.allocate())

    def got_address(self, decl: DeclIndex) -> int:
        """The virtual address of ``decl``'s GOT slot (valid after ``allocate_decl``)."""
        return self._got.address(self._decls[decl].got_index)

    def decl_address(self, decl: DeclIndex) -> int | None:
        """The address ``decl``'s block has (or None before its first ``update_decl``)."""
        state = self._decls.get(decl)
        if state is None or not state.block.is_placed:
            return None
        return state.block.vaddr

    def update_decl(self, decl: DeclIndex, name: str, symbol: GeneratedSymbol) -> None:
        """Place ``decl``'s block as the ELF linker would; the bytes are discarded."""
        state = self._decls[decl]
        self.totals.code_bytes += len(symbol.code)
        if place_block(self._blocks, state.block, len(symbol.code), symbol.alignment) is Placed.MOVED:
            self.totals.text_moves += 1
        self._got.entries[state.got_index] = state.block.vaddr

    def update_decl_exports(self, decl: DeclIndex, exports: Sequence[ExportRequest]) -> list[ExportFailure]:
        """Remember the exports (for the entry-point rule); report the ones the ELF linker would refuse."""
        failures: list[ExportFailure] = []
        if decl not in self._decls:
            return failures
        for request in exports:
            refusal = export_refusal(request)
            if refusal is not None:
                failures.append(refusal)
                continue
            self._exports[request.export_id] = _NullExport(decl, request.name, request.linkage)
        return failures

    def delete_export(self, export_id: int) -> None:
        """Forget an export."""
        self._exports.pop(export_id, None)

    def free_decl(self, decl: DeclIndex) -> None:
        """Release ``decl``'s slot and block (no-op if it has none)."""
        state = self._decls.pop(decl, None)
        if state is None:
            return
        if state.block.is_placed:
            self._blocks.free(state.block)
        self._got.free(state.got_index)

    def update_decl_line_number(self, decl: DeclIndex, line: int) -> None:
        """Nothing to write."""

    @property
    def keeps_line_numbers(self) -> bool:
        """No line tables: the Module need not work out where moved functions' lines begin."""
        return False

    def shift_line_numbers(self, from_line: int, delta: int) -> None:
        """Nothing to write."""

    def settle_line_numbers(self) -> int:
        """Nothing pending."""
        return 0

    def flush(self) -> None:
        """Recompute ``no_entry_point_found`` from the live exports (elf-linker.md §8.3)."""
        has_entry = any(
            exp.name == b"_start"
            and exp.linkage is Linkage.STRONG
            and exp.decl in self._decls
            and self._decls[exp.decl].block.is_placed
            for exp in self._exports.values()
        )
        self._flags.no_entry_point_found = self.mode is OutputMode.EXE and not has_entry

    def error_flags(self) -> LinkErrorFlags:
        """The flags of the last flush."""
        return self._flags

    def commit(self) -> CommitReport:
        """Writes nothing."""
        return CommitReport(bytes_written=0, write_calls=0, binary=None)

    def close(self) -> None:
        """Nothing to release."""
