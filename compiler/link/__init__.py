"""The Module ↔ linker boundary: the `Linker` protocol and the data types that cross it (architecture.md §4).

Call-order contract (each method's docstring repeats its part):

1. ``allocate_decl(d)`` when ``d``'s analysis yields a type with runtime bits — before code for ``d``, or for
   anything referencing ``d``, is generated. No-op if ``d`` already has a slot. Afterwards ``got_address(d)``
   is valid and stable until ``free_decl(d)``.
2. Code generation only asks ``got_address`` / ``decl_address``; it never writes.
3. ``update_decl(d, …)`` follows code generation of ``d``: places the bytes (in place if they fit), updates
   the symbol, the GOT slot if ``d`` moved, relocations and debug info.
4. ``update_decl_exports(d, exports)`` may come before the first ``update_decl(d)`` (placeholders) and comes
   after every ``update_decl(d)`` of a decl that has exports. Only non-failed exports are passed.
5. ``free_decl(d)`` when ``d`` is deleted or lost its runtime bits; its indices may then be reused.
6. ``update_decl_line_number(d, line)`` only for a placed function whose contents did not change;
   ``shift_line_numbers(from_line, delta)`` (only if ``keeps_line_numbers``) when an edit added or removed
   lines before ``from_line``: before any ``update_decl`` or ``update_decl_line_number`` of that update.
7. ``flush()`` exactly once per update, after the deletion steps; ``error_flags()`` after it.
8. ``commit()`` only after the ``flush()`` of an update with no errors. Between commits any number of updates
   may flush; their operations accumulate in order and nothing touches the file until ``commit()``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Final, NamedTuple, NewType, Protocol

from compiler.errors import ErrorMsg, OutputError
from compiler.record import record_eq, record_repr

DeclIndex = NewType("DeclIndex", int)
"""``Decl.index``: a stable id chosen by the Module, never reused; the linker keys its tables by it."""

GOT_VADDR: Final = 0x4000000
"""Virtual address of GOT slot 0; slot ``i`` is at ``GOT_VADDR + ptr_size * i`` (elf-linker.md §6)."""

TEXT_VADDR: Final = 0x8000000
"""Virtual address of the first byte of ``.text`` (elf-linker.md §3)."""


class SymbolType(enum.IntEnum):
    """The ``STT_`` type of a decl's symbol."""

    OBJECT = 1
    """``STT_OBJECT``: data decls (strings, pointers, integers)."""
    FUNC = 2
    """``STT_FUNC``: functions."""


class OutputMode(enum.Enum):
    """What kind of ELF file the linker produces."""

    EXE = "exe"
    """``ET_EXEC``: needs an entry point (a Strong export named ``_start``)."""
    OBJ = "obj"
    """``ET_REL``: no entry point needed."""


class Linkage(enum.Enum):
    """An export's linkage (``std.builtin.GlobalLinkage``); ZIR only produces ``STRONG``."""

    INTERNAL = "Internal"
    """Becomes an ``STB_LOCAL`` symbol."""
    STRONG = "Strong"
    """Becomes an ``STB_GLOBAL`` symbol."""
    WEAK = "Weak"
    """Becomes an ``STB_WEAK`` symbol."""
    LINK_ONCE = "LinkOnce"
    """Unimplemented: fails with ``Unimplemented: GlobalLinkage.LinkOnce``."""


class Relocation(NamedTuple):
    """An absolute address inside a decl's bytes (elf-linker.md §7.4).

    ``size`` bytes (8 on x86-64, 4 on ELF32) at ``offset`` in the holder's block hold the address of
    ``target``'s block plus ``addend`` (a pointer into the target: an element offset, docs/design/
    language-complete.md §9), little-endian. The linker rewrites them whenever ``target`` moves.
    """

    offset: int
    target: DeclIndex
    size: int
    addend: int = 0

    def image(self, address: int | None) -> bytes:
        """The bytes written at ``offset`` while ``target`` is at ``address`` (zero while it is unplaced)."""
        value = 0 if address is None else (address + self.addend) % (1 << (8 * self.size))
        return value.to_bytes(self.size, "little")


class RowKind(enum.Enum):
    """What a line-table row marks, which decides its opcode prefix (elf-linker.md §14.5)."""

    STMT = "stmt"
    """An ordinary row: first byte of an AIR instruction on a new line, or a ``dbg_stmt``."""
    PROLOGUE_END = "prologue_end"
    """Preceded by ``DW_LNS_set_prologue_end`` (0x0A); non-Naked functions, at code offset 11."""
    EPILOGUE_BEGIN = "epilogue_begin"
    """Preceded by ``DW_LNS_set_epilogue_begin`` (0x0B); non-Naked functions, at the epilogue label."""


class LineRow(NamedTuple):
    """One row of a function's line program: at ``code_offset`` (from the function's first byte) the source
    is at 0-based ``line``. Rows are given in increasing ``code_offset`` order.

    A named tuple, not a frozen dataclass: code generation makes one per source line of every function, and
    a tuple is several times cheaper to build."""

    code_offset: int
    line: int
    kind: RowKind = RowKind.STMT


class BaseTypeEncoding(enum.IntEnum):
    """``DW_ATE_`` encodings of the base types ZIR Live describes."""

    BOOLEAN = 0x02
    SIGNED = 0x05
    UNSIGNED = 0x08


class DebugType(NamedTuple):
    """A parameter or return type as DWARF sees it.

    ``encoding`` None means "not a base type": the entry is a single ``05`` padding byte (unspecified type).
    ``name`` is the type's printed name (``bool``, ``u8``, ``usize``…), ``byte_size`` its ABI size.
    """

    name: str
    encoding: BaseTypeEncoding | None
    byte_size: int


class DebugParam(NamedTuple):
    """A function parameter: its name, its DWARF register number (rax 0, rdx 1, rcx 2, rbx 3, rsi 4, rdi 5,
    rbp 6, rsp 7, r8–r15 8–15) and its type."""

    name: str
    dwarf_reg: int
    type: DebugType


class DebugInfo(NamedTuple):
    """What elf-linker.md §14 needs per function.

    - ``line``: the 0-based source line of the function's ``fn(`` instruction (``DW_LNS_advance_line``).
    - ``rows``: line-table rows after the implicit first row at code offset 0 (prologue end, statements,
      epilogue begin), in code-offset order.
    - ``params``: one per ``arg`` instruction, in order.
    - ``return_type``: None when the return type has no runtime bits (abbrev 3).
    Data decls pass ``debug_info=None`` and get no debug entry.
    """

    line: int
    rows: tuple[LineRow, ...] = ()
    params: tuple[DebugParam, ...] = ()
    return_type: DebugType | None = None


class GeneratedSymbol(NamedTuple):
    """The output of code generation for one decl: its bytes and what the linker must know about them."""

    code: bytes
    alignment: int
    symbol_type: SymbolType
    relocations: tuple[Relocation, ...] = ()
    debug_info: DebugInfo | None = None


class ExportRequest(NamedTuple):
    """An export of a decl, as the Module passes it (only non-failed exports reach the linker).

    ``export_id`` is chosen by the Module and identifies the export across updates (``delete_export``).
    ``section`` None (or ``b".text"``) is the only supported section.
    """

    export_id: int
    name: bytes
    linkage: Linkage = Linkage.STRONG
    section: bytes | None = None


class ExportFailure(NamedTuple):
    """An export the linker could not make; the Module records ``error`` (offset 0) in ``failed_exports``."""

    export_id: int
    error: ErrorMsg


class LinkErrorFlags:
    """Link-level conditions the Module reports (module.md §12.1 items 4 and 5)."""

    no_entry_point_found: bool
    """Set by ``flush()`` for ``exe`` output without a placed Strong ``_start`` export."""
    output_error: OutputError | None
    """Set by ``commit()`` when the output could not be written; cleared by the next successful commit.
    Rendered as ``unable to write output '{path}': {error_name}``."""

    __slots__ = ("no_entry_point_found", "output_error")

    def __init__(self, no_entry_point_found: bool = False, output_error: OutputError | None = None) -> None:
        self.no_entry_point_found = no_entry_point_found
        self.output_error = output_error


class WrittenRange(NamedTuple):
    """One pwrite of a commit: ``size`` bytes at file ``offset``, in the region the file holds there
    (``ehdr``, ``phdr_table``, ``shdr_table``, a section name such as ``.text``, ``file`` for a whole-file
    write, ``free`` outside every region)."""

    offset: int
    size: int
    region: str


class CommitReport(NamedTuple):
    """What one ``commit()`` did to the output file. Counters are exact (performance.md §4.1)."""

    bytes_written: int
    """Bytes written by pwrite (copies not included)."""
    write_calls: int
    """Number of pwrite calls."""
    binary: str | None
    """The output path when it now holds the program of this update; None if the commit failed."""
    copy_calls: int = 0
    """Number of copy operations (region moves, ETXTBSY copy)."""
    bytes_copied: int = 0
    """Bytes moved by copy operations."""
    full_rewrite: bool = False
    """The whole file was written to a temporary file and renamed over the output (fresh or foreign file)."""
    replaced_running: bool = False
    """The output was running (ETXTBSY): it was copied and renamed before writing (elf-linker.md §13.1)."""
    error: OutputError | None = None
    """Why the commit failed; the operations stay queued."""
    messages: tuple[str, ...] = ()
    """Log lines (e.g. ``output is running; replaced it with a copy``)."""
    writes: tuple[WrittenRange, ...] = ()
    """Every pwrite of this commit, in order (their sizes sum to ``bytes_written``)."""


class LinkTotals:
    """Cumulative work counters of one linker since it was created; a per-update figure is the difference of
    two snapshots (the ``counters`` of ``zir watch --json``, performance.md §5)."""

    code_bytes: int
    """Bytes of machine code passed to ``update_decl``."""
    write_calls: int
    """pwrite calls on the output (or its temporary copy)."""
    bytes_written: int
    """Bytes written by those calls."""
    copy_calls: int
    """Copy operations (region moves, the ETXTBSY copy)."""
    bytes_copied: int
    """Bytes moved by copy operations."""
    text_moves: int
    """Placed decl blocks that moved to another address in ``.text``."""
    replaced_running: int
    """Commits that found the output running (ETXTBSY) and replaced it with a copy."""
    line_numbers: int
    """Function line numbers rewritten without new code (``update_decl_line_number``, ``shift_line_numbers``)."""

    __slots__ = ("bytes_copied", "bytes_written", "code_bytes", "copy_calls", "line_numbers", "replaced_running",
                 "text_moves", "write_calls")  # fmt: skip
    __match_args__ = ("code_bytes", "write_calls", "bytes_written", "copy_calls", "bytes_copied", "text_moves",
                      "replaced_running", "line_numbers")  # fmt: skip

    def __init__(self, code_bytes: int = 0, write_calls: int = 0, bytes_written: int = 0, copy_calls: int = 0,
                 bytes_copied: int = 0, text_moves: int = 0, replaced_running: int = 0,
                 line_numbers: int = 0) -> None:  # fmt: skip
        self.code_bytes = code_bytes
        self.write_calls = write_calls
        self.bytes_written = bytes_written
        self.copy_calls = copy_calls
        self.bytes_copied = bytes_copied
        self.text_moves = text_moves
        self.replaced_running = replaced_running
        self.line_numbers = line_numbers

    def __repr__(self) -> str:
        return record_repr(self, ("code_bytes", "write_calls", "bytes_written", "copy_calls", "bytes_copied",
                                  "text_moves", "replaced_running", "line_numbers"))  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, ("code_bytes", "write_calls", "bytes_written", "copy_calls", "bytes_copied",
                                       "text_moves", "replaced_running", "line_numbers"))  # fmt: skip

    __hash__ = None  # type: ignore[assignment]

    def snapshot(self) -> LinkTotals:
        """A copy of the counters."""
        return LinkTotals(
            self.code_bytes,
            self.write_calls,
            self.bytes_written,
            self.copy_calls,
            self.bytes_copied,
            self.text_moves,
            self.replaced_running,
            self.line_numbers,
        )

    def since(self, before: LinkTotals) -> dict[str, int]:
        """The counters accumulated after ``before`` was taken, by name."""
        return {
            "code_bytes": self.code_bytes - before.code_bytes,
            "write_calls": self.write_calls - before.write_calls,
            "copy_calls": self.copy_calls - before.copy_calls,
            "bytes_copied": self.bytes_copied - before.bytes_copied,
            "text_moves": self.text_moves - before.text_moves,
            "replaced_running": self.replaced_running - before.replaced_running,
            "line_numbers": self.line_numbers - before.line_numbers,
        }


class GotOverflow(Exception):
    """More GOT slots than the GOT's virtual range holds: the link error ``GOT overflows its address range``.

    Raised by ``Linker.allocate_decl``; the Module turns it into the decl's error (elf-linker.md §6)."""


class Linker(Protocol):
    """The linker as the Module drives it. See the module docstring for the call order."""

    totals: LinkTotals
    """Cumulative work counters since the linker was created; a per-update figure is the difference of two
    ``totals.snapshot()``s (``LinkTotals.since``)."""

    def allocate_decl(self, decl: DeclIndex, name: str) -> None:
        """Reserve a local symbol and a GOT slot for ``decl`` (no-op if it has them). Called when ``decl``'s
        type has runtime bits, before any code for or referring to it is generated. Raises ``GotOverflow``
        when no slot is left."""
        ...

    def got_address(self, decl: DeclIndex) -> int:
        """The virtual address of ``decl``'s GOT slot; valid from ``allocate_decl`` until ``free_decl``."""
        ...

    def decl_address(self, decl: DeclIndex) -> int | None:
        """The current virtual address of ``decl``'s block, or None if it has not been placed yet."""
        ...

    def update_decl(self, decl: DeclIndex, name: str, symbol: GeneratedSymbol) -> None:
        """Place ``decl``'s new bytes (in place if they fit), update its symbol, GOT slot, relocations and
        debug info. Requires ``allocate_decl(decl)``. Followed by ``update_decl_exports`` if it has exports."""
        ...

    def update_decl_exports(self, decl: DeclIndex, exports: Sequence[ExportRequest]) -> list[ExportFailure]:
        """Create or update the global symbols of ``decl``'s (non-failed) exports. May precede the first
        ``update_decl(decl)`` (placeholder value and size 0). Returns the exports that failed."""
        ...

    def delete_export(self, export_id: int) -> None:
        """Drop the global symbol of an export (no-op if it has none)."""
        ...

    def free_decl(self, decl: DeclIndex) -> None:
        """Free ``decl``'s text block, local symbol and GOT slot (no-op if it has none)."""
        ...

    def update_decl_line_number(self, decl: DeclIndex, line: int) -> None:
        """``decl``'s ``fn(`` moved to 0-based ``line`` without changing its code: rewrite only its line."""
        ...

    @property
    def keeps_line_numbers(self) -> bool:
        """Whether the output holds line tables (``shift_line_numbers`` has something to do)."""
        ...

    def shift_line_numbers(self, from_line: int, delta: int) -> None:
        """Every placed function whose line (as last given) is at least ``from_line`` moved by ``delta`` lines
        without changing its code (docs/design/performance.md §6)."""
        ...

    def settle_line_numbers(self) -> int:
        """Queue the writes of line shifts kept pending (a following ``commit`` writes them); returns how many
        functions' lines it rewrote."""
        ...

    def flush(self) -> None:
        """Queue the metadata writes of this update (elf-linker.md §9). Exactly once per update."""
        ...

    def error_flags(self) -> LinkErrorFlags:
        """The link error flags as of the last ``flush()`` / ``commit()``."""
        ...

    def commit(self) -> CommitReport:
        """Apply every queued operation to the output file; called only after an error-free update's flush.
        Never raises for I/O failures: they are in the report and in ``error_flags().output_error``."""
        ...

    def close(self) -> None:
        """Release resources. The output file is never held open between commits anyway."""
        ...


__all__ = [
    "GOT_VADDR",
    "TEXT_VADDR",
    "BaseTypeEncoding",
    "CommitReport",
    "DebugInfo",
    "DebugParam",
    "DebugType",
    "DeclIndex",
    "ExportFailure",
    "ExportRequest",
    "GeneratedSymbol",
    "GotOverflow",
    "LineRow",
    "LinkErrorFlags",
    "LinkTotals",
    "Linkage",
    "Linker",
    "OutputMode",
    "Relocation",
    "RowKind",
    "SymbolType",
    "WrittenRange",
]
