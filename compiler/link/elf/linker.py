"""ElfLinker: the ``Linker`` protocol over an ELF image — decl placement, symbols, GOT, exports and flush.

It owns the per-decl state and turns protocol calls into writes on the section table (``layout``), with the
shared placement policy (``compiler.link.placement``) and DWARF (``dwarf``, through the section table only).
Reopening is a pure reader (``reopen.read_output``) whose result this linker adopts; the file is touched only
by the commit protocol (``commit``) at ``commit()`` (elf-linker.md §12).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, assert_never

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
    Relocation,
    SymbolType,
    WrittenRange,
)
from compiler.link.elf import dwarf
from compiler.link.elf.commit import OutputCommitter
from compiler.link.elf.format import (
    ElfLayout,
    ElfType,
    ProgramHeader,
    SectionHeader,
    Symbol,
    SymbolBinding,
    layout_for_target,
)
from compiler.link.elf.got import GotTable
from compiler.link.elf.layout import (
    GOT,
    GOT_PHDR,
    SEGMENT_ALIGN,
    SHSTRTAB,
    SYMTAB,
    TEXT,
    TEXT_PHDR,
    DeclState,
    ExportState,
    SectionTable,
)
from compiler.link.elf.reopen import NotOurOutput, Reopened, read_output
from compiler.link.elf.symbols import StringTable, SymbolTable
from compiler.link.elf.text_blocks import TextBlock, TextBlockList
from compiler.link.fileio import FileIO
from compiler.link.placement import Placed, export_refusal, place_block

if TYPE_CHECKING:
    from compiler.link.elf.hot import HotPatch, HotState


def _hot_state(text: TextBlockList, got: GotTable) -> HotState:
    """A hot build's state; the hot-swap module is imported only by hot builds (cold-start cost)."""
    from compiler.link.elf.hot import HotState

    return HotState(text, got)


def _reserved_memsz(needed: int, *, got: bool) -> int:
    """A hot build's ``p_memsz`` for the text (or GOT) segment: ``needed`` plus the reserved room."""
    from compiler.link.elf.hot import GOT_ROOM_MIN, TEXT_ROOM_MIN, reserved_memsz

    return reserved_memsz(needed, GOT_ROOM_MIN if got else TEXT_ROOM_MIN)


def _text_room_low(needed: int, reserved: int) -> bool:
    """A hot build's ``.text`` of ``needed`` bytes has less than half its target room left in the ``reserved``
    bytes of its segment (a program started now would soon outgrow it): reserve anew."""
    from compiler.link.elf.hot import TEXT_ROOM_MIN

    return needed + max(TEXT_ROOM_MIN, needed) // 2 > reserved


PROGRAM_CODE_SIZE_HINT: Final = 256 * 1024
"""Initial ``.text`` reservation (elf-linker.md §2)."""
SYMBOL_COUNT_HINT: Final = 32
"""Initial GOT and symbol-table reservation, in entries (elf-linker.md §2)."""
EXE_MODE: Final = 0o777
"""Mode of a new executable (minus the umask)."""
OBJ_MODE: Final = 0o666
"""Mode of a new object file (minus the umask)."""


class ElfLinker:
    """Implements ``compiler.link.Linker`` against an ELF file at ``path`` (elf-linker.md).

    Opening reuses a matching existing output (§13.2) or describes a fresh file (§3) that the first
    ``commit()`` writes to a temporary file and renames over ``path``.
    """

    def __init__(
        self,
        path: str,
        *,
        mode: OutputMode = OutputMode.EXE,
        fileio: FileIO | None = None,
        root_src_path: str = "",
        comp_dir: str = "",
        program_code_size_hint: int = PROGRAM_CODE_SIZE_HINT,
        symbol_count_hint: int = SYMBOL_COUNT_HINT,
        target: str = "x86_64-linux",
        hot: bool = False,
    ) -> None:
        self.layout: ElfLayout = layout_for_target(target)
        """ELF64 for x86-64; ELF32 for 32-bit x86 (§11). Raises ``UnsupportedTarget`` for big-endian targets."""
        self.path = path
        """The output file."""
        self.mode = mode
        self.fileio = fileio if fileio is not None else FileIO()
        """All file I/O goes through this object (tests wrap it to count or pause)."""
        self.sections = SectionTable(self.layout)
        """The header tables and the image of the file with its queued operations (elf-linker.md §3, §4)."""
        self.committer = OutputCommitter(
            path, self.fileio, EXE_MODE if mode is OutputMode.EXE else OBJ_MODE, self.layout.ehdr_size
        )
        """Applies the queued operations to the file (elf-linker.md §12)."""
        self.totals = LinkTotals()
        """Cumulative work counters (``zir watch --json`` reports their per-update differences)."""
        self.shstrtab = StringTable()
        """``.shstrtab``: section and symbol names (there is no ``.strtab``)."""
        self.shstrtab_file_size = 0
        """Bytes of ``.shstrtab`` already in the file at its current offset (append-only writes)."""
        self.symtab = SymbolTable()
        self.symtab_local_count = 1
        """The local count the file's ``.symtab`` layout reflects (``sh_info``)."""
        self.got = GotTable(entry_size=self.layout.ptr_size)
        self.text = TextBlockList(base_vaddr=TEXT_VADDR)
        self.decls: dict[DeclIndex, DeclState] = {}
        """Per-decl state; owned here, keyed by ``Decl.index``."""
        self.exports: dict[int, ExportState] = {}
        """Live exports by export id; each owns one global symbol."""
        self.reloc_holders: dict[DeclIndex, set[DeclIndex]] = {}
        """Target decl → decls whose bytes hold its address (elf-linker.md §7.4)."""
        self.flags = LinkErrorFlags()
        self.entry = 0
        """``e_entry`` as of the last flush."""
        self.adoptable: dict[str, DeclState] = {}
        """Reopened live locals by symbol name, not yet adopted (§13.2); freed after the first flush."""
        self.reopened_globals: dict[bytes, tuple[int, int]] = {}
        """Global symbols of a reopened file by name: ``(global index, st_name)``, reused by the export of the
        same name so that re-creating it writes nothing (§13.2)."""
        self.dwarf = dwarf.DwarfState(root_src_path=root_src_path, comp_dir=comp_dir, dwarf64=self.layout.is_64)
        self.text_used_size_set = False
        """False while ``.text``'s size is still the reservation hint (before the first block)."""
        self.hot: HotState | None = _hot_state(self.text, self.got) if hot else None
        """Hot-swap state (docs/design/elf-linker.md §17): reserved room in ``p_memsz``, quarantine, held
        GOT slots and the record of writes for the running program; None in normal builds."""
        if not self._reopen():
            self.sections.describe_fresh(self.shstrtab, program_code_size_hint, symbol_count_hint)
            self.committer.needs_full_write = True

    # ------------------------------------------------------------------ the section table's parts

    @property
    def shdrs(self) -> list[SectionHeader]:
        """Section 0 is ``SHT_NULL``; 1–9 as ``layout.SECTION_NAMES``."""
        return self.sections.shdrs

    @property
    def phdrs(self) -> list[ProgramHeader]:
        """Program header 0 is ``.text``'s R+X ``PT_LOAD``, 1 the GOT's R ``PT_LOAD``."""
        return self.sections.phdrs

    def section_at(self, file_offset: int) -> str | None:
        """What the file holds at ``file_offset`` now: ``ehdr``, ``shdr_table``, ``phdr_table`` or a section
        name (``.text``…); None outside every region. Benchmarks use it to key write counters by section."""
        return self.sections.section_at(file_offset)

    # ------------------------------------------------------------------ reopening (§13.2)

    def _reopen(self) -> bool:
        """Adopt the existing output if ``read_output`` accepts it; False: describe a fresh file. A hot build
        never adopts: its text segment's room is laid out by ``_ensure_text_covers`` from the first block on."""
        if self.hot is not None or self.fileio.stat(self.path) is None:
            return False
        try:
            data = self.fileio.read_all(self.path)
        except OSError:
            return False
        try:
            reopened = read_output(data, self.layout, self.mode)
        except NotOurOutput:
            return False
        if not self.committer.adopt_existing(data):
            return False
        self._adopt(reopened, data)
        return True

    def _adopt(self, reopened: Reopened, data: bytes) -> None:
        """Take over the state ``read_output`` found; queue the zeroing of its stale GOT slots and locals."""
        sections = self.sections
        sections.image.load(data)
        sections.image.tracking = True
        sections.phdrs = reopened.phdrs
        sections.shdrs = reopened.shdrs
        sections.shdr_table_offset = reopened.shdr_table_offset
        sections.phdr_table_offset = reopened.phdr_table_offset
        self.shstrtab = reopened.strings
        self.shstrtab_file_size = len(reopened.strings.data)
        self.symtab = reopened.symtab
        self.symtab_local_count = reopened.local_count
        self.got = reopened.got
        self.text = reopened.text
        self.text_used_size_set = True
        self.adoptable = reopened.adoptable
        self.reopened_globals = reopened.reopened_globals
        sections.dirty.phdr_table_dirty = False
        sections.dirty.shdr_table_dirty = False
        sections.dirty.shstrtab_dirty = False
        sections.dirty.globals_dirty = True
        for index in reopened.cleared_got_slots:
            self._write_got_entry(index)
        for index in reopened.cleared_locals:
            self._write_local_symbol(index)
        self.dwarf.reset_after_reopen(sections)

    # ------------------------------------------------------------------ .text (§5)

    def _text_file_offset(self, vaddr: int) -> int:
        return self.shdrs[TEXT].sh_offset + (vaddr - TEXT_VADDR)

    def _ensure_text_covers(self, block: TextBlock) -> None:
        """If ``block`` is the last block, make ``.text`` (never shrinking) reach its end (§5.2 step 4)."""
        if block is not self.text.last_text_block:
            return
        needed = block.vaddr + block.size - TEXT_VADDR
        section = self.shdrs[TEXT]
        phdr = self.phdrs[TEXT_PHDR]
        if self.text_used_size_set and needed <= section.sh_size:
            return
        live = section.sh_size if self.text_used_size_set else 0
        if self.hot is not None:
            # The room is in the file (p_filesz == p_memsz): the kernel maps a segment's p_memsz past
            # p_filesz as anonymous read-write memory, plus execute for a text segment, which would break W^X.
            # File-backed, the whole text mapping is private R-X and the swap writes it through
            # /proc/PID/mem (docs/design/elf-linker.md §17).
            reserved = phdr.p_filesz if self.text_used_size_set else 0
            if _text_room_low(needed, reserved):
                reserved = _reserved_memsz(needed, got=False)
                if not self.sections.fits(section.sh_offset, reserved):
                    self.sections.move_section(TEXT, reserved, live, SEGMENT_ALIGN)
                phdr.p_filesz = phdr.p_memsz = reserved
            section.sh_size = needed
        else:
            if not self.sections.fits(section.sh_offset, needed):
                self.sections.move_section(TEXT, needed, live, SEGMENT_ALIGN)
            section.sh_size = phdr.p_filesz = phdr.p_memsz = needed
        self.text_used_size_set = True
        self.sections.dirty.shdr_table_dirty = True
        self.sections.dirty.phdr_table_dirty = True
        self.dwarf.text_grew()

    # ------------------------------------------------------------------ GOT (§6)

    def _write_got_entry(self, index: int) -> None:
        got = self.got
        if got.count_dirty:
            needed = got.size()
            section = self.shdrs[GOT]
            if not self.sections.fits(section.sh_offset, needed):
                self.sections.move_section(GOT, needed, section.sh_size, SEGMENT_ALIGN)
            phdr = self.phdrs[GOT_PHDR]
            section.sh_size = phdr.p_filesz = needed
            phdr.p_memsz = needed if self.hot is None else _reserved_memsz(needed, got=True)
            self.sections.dirty.shdr_table_dirty = True
            self.sections.dirty.phdr_table_dirty = True
            got.count_dirty = False
        if self.hot is not None:
            self.hot.record_got(index)
        offset = self.shdrs[GOT].sh_offset + got.entry_size * index
        self.sections.image.write(offset, self.layout.pack_address(got.entries[index]))

    # ------------------------------------------------------------------ symbols (§7)

    def _ensure_symtab_size(self) -> None:
        """Give ``.symtab`` room for every local and global; globals move when the local count changed."""
        section = self.shdrs[SYMTAB]
        sym_size = self.layout.sym_size
        needed = self.symtab.count() * sym_size
        n_locals = len(self.symtab.locals)
        if n_locals != self.symtab_local_count:
            self.sections.dirty.globals_dirty = True
        if needed > section.sh_size and not self.sections.fits(section.sh_offset, needed):
            live = min(section.sh_size, (self.symtab_local_count + len(self.symtab.globals)) * sym_size)
            self.sections.move_section(SYMTAB, needed, live, self.layout.symtab_align)
        if section.sh_size != needed or section.sh_info != n_locals:
            section.sh_size = needed
            section.sh_info = n_locals
            self.sections.dirty.shdr_table_dirty = True
        self.symtab_local_count = n_locals

    def _write_local_symbol(self, index: int) -> None:
        if len(self.symtab.locals) != self.symtab_local_count:
            self._ensure_symtab_size()
        offset = self.shdrs[SYMTAB].sh_offset + self.layout.sym_size * index
        self.sections.image.write(offset, self.layout.pack_sym(self.symtab.locals[index]))

    # ------------------------------------------------------------------ the protocol (architecture.md §4)

    def allocate_decl(self, decl: DeclIndex, name: str) -> None:
        """Reserve a local symbol and a GOT slot for ``decl`` (no-op if it has them); after a reopen, adopt
        the existing symbol, slot and block of the same name instead (§13.2). Call before generating code
        for ``decl`` or for anything that references it."""
        if decl in self.decls:
            return
        adopted = self.adoptable.pop(name, None)
        if adopted is not None:
            self.decls[decl] = adopted
            return
        local_index = self.symtab.allocate_local()
        got_index = self.got.allocate()
        self.symtab.locals[local_index] = Symbol(st_value=TEXT_VADDR)
        self.decls[decl] = DeclState(local_sym_index=local_index, got_index=got_index)
        self._write_local_symbol(local_index)
        self._write_got_entry(got_index)

    def got_address(self, decl: DeclIndex) -> int:
        """Virtual address of ``decl``'s GOT slot; stable from ``allocate_decl`` until ``free_decl``."""
        return self.got.address(self.decls[decl].got_index)

    def decl_address(self, decl: DeclIndex) -> int | None:
        """Current virtual address of ``decl``'s block, or None before its first ``update_decl``."""
        state = self.decls.get(decl)
        if state is None or not state.block.is_placed:
            return None
        return state.block.vaddr

    def update_decl(self, decl: DeclIndex, name: str, symbol: GeneratedSymbol) -> None:
        """Place ``decl``'s bytes (in place if they fit), update its symbol, its GOT slot if it moved,
        relocations and debug info (elf-linker.md §5.5). Requires ``allocate_decl(decl)``; follow with
        ``update_decl_exports`` if the decl has exports."""
        state = self.decls[decl]
        block = state.block
        size = len(symbol.code)
        self.totals.code_bytes += size
        hot = self.hot
        if hot is not None and hot.running and block.is_placed:
            is_function = symbol.symbol_type is SymbolType.FUNC
            current = self.sections.image.read(self._text_file_offset(block.vaddr), block.size)
            if hot.must_move(current, self._resolved(symbol), is_function):
                hot.quarantine(decl, name, block, is_function)
        placed = place_block(self.text, block, size, symbol.alignment)
        if placed is Placed.MOVED:
            self.totals.text_moves += 1
        moved = placed is not Placed.IN_PLACE
        self._ensure_text_covers(block)
        if moved and hot is not None:
            hot.record_fresh(block)
        if moved:
            self.got.entries[state.got_index] = block.vaddr
            self._write_got_entry(state.got_index)
        old = self.symtab.locals[state.local_sym_index]
        new = Symbol(
            st_name=self.shstrtab.update_string(old.st_name, name.encode("utf-8", "surrogateescape")),
            st_info=(SymbolBinding.STB_LOCAL << 4) | symbol.symbol_type,
            st_other=0,
            st_shndx=TEXT,
            st_value=block.vaddr,
            st_size=size,
        )
        if new != old:
            self.symtab.locals[state.local_sym_index] = new
            self._write_local_symbol(state.local_sym_index)
        self._set_relocations(decl, state, symbol.relocations)
        code = symbol.code
        if state.relocations:  # most functions hold none: their bytes are written as generated, uncopied
            patched = bytearray(code)
            for reloc in state.relocations:
                patched[reloc.offset : reloc.offset + reloc.size] = reloc.image(self.decl_address(reloc.target))
            code = bytes(patched)
        self.sections.image.write(self._text_file_offset(block.vaddr), code)
        if hot is not None:
            hot.record_text(block.vaddr, len(code))
        if moved:
            self._apply_relocations_to(decl)
        self.dwarf.update_decl(self.sections, state, name, symbol.debug_info)

    def hot_patch(self) -> HotPatch:
        """What a running program needs from the updates committed since the last call (hot builds only)."""
        assert self.hot is not None
        return self.hot.take_patch(
            self.sections.image.data, self.shdrs[TEXT].sh_offset, self.entry, self.layout.pack_address
        )

    def _resolved(self, symbol: GeneratedSymbol) -> bytes:
        """``symbol``'s bytes with its relocations applied at the current addresses."""
        code = bytearray(symbol.code)
        for reloc in symbol.relocations:
            code[reloc.offset : reloc.offset + reloc.size] = reloc.image(self.decl_address(reloc.target))
        return bytes(code)

    def _set_relocations(self, decl: DeclIndex, state: DeclState, relocations: tuple[Relocation, ...]) -> None:
        for reloc in state.relocations:
            holders = self.reloc_holders.get(reloc.target)
            if holders is not None:
                holders.discard(decl)
        state.relocations = relocations
        for reloc in relocations:
            self.reloc_holders.setdefault(reloc.target, set()).add(decl)

    def _apply_relocations_to(self, target: DeclIndex) -> None:
        """Rewrite every holder's copy of ``target``'s address (it moved)."""
        address = self.decl_address(target)
        for holder in sorted(self.reloc_holders.get(target, ())):
            state = self.decls.get(holder)
            if state is None or not state.block.is_placed:
                continue
            for reloc in state.relocations:
                if reloc.target == target:
                    offset = self._text_file_offset(state.block.vaddr) + reloc.offset
                    self.sections.image.write(offset, reloc.image(address))
                    if self.hot is not None:
                        vaddr = state.block.vaddr + reloc.offset
                        self.hot.record_text(vaddr, reloc.size)
                        self.hot.record_patch(vaddr, state.block, self._name_of(holder), self._name_of(target))

    def update_decl_exports(self, decl: DeclIndex, exports: Sequence[ExportRequest]) -> list[ExportFailure]:
        """Create or update the global symbols of ``decl``'s non-failed exports (elf-linker.md §8.1). May come
        before the first ``update_decl`` (placeholder value, size 0) and comes after every one."""
        failures: list[ExportFailure] = []
        state = self.decls.get(decl)
        if state is None:
            return failures
        local = self.symtab.locals[state.local_sym_index]
        for request in exports:
            refusal = export_refusal(request)
            if refusal is not None:
                failures.append(refusal)
                continue
            match request.linkage:
                case Linkage.INTERNAL:
                    binding = SymbolBinding.STB_LOCAL
                case Linkage.STRONG:
                    binding = SymbolBinding.STB_GLOBAL
                case Linkage.WEAK:
                    binding = SymbolBinding.STB_WEAK
                case Linkage.LINK_ONCE:
                    raise AssertionError("refused by export_refusal")
                case _:
                    assert_never(request.linkage)
            is_local = binding is SymbolBinding.STB_LOCAL
            table = self.symtab.locals if is_local else self.symtab.globals
            existing = self.exports.get(request.export_id)
            if existing is not None and existing.is_local != is_local:
                self.delete_export(request.export_id)  # the symbol changes tables
                existing = None
            if existing is None:
                reopened = self.reopened_globals.pop(request.name, None)
                if is_local:
                    index = self.symtab.allocate_local()
                    name_offset = self.shstrtab.make_string(request.name)
                elif reopened is not None and reopened[0] in self.symtab.global_free_list:
                    index, name_offset = reopened
                    self.symtab.global_free_list.remove(index)
                else:
                    index = self.symtab.allocate_global()
                    name_offset = self.shstrtab.make_string(request.name)
                existing = ExportState(decl, index, request.name, request.linkage, is_local)
                self.exports[request.export_id] = existing
            else:
                index = existing.symbol_index
                name_offset = self.shstrtab.update_string(table[index].st_name, request.name)
                existing.decl, existing.name, existing.linkage = decl, request.name, request.linkage
            symbol = Symbol(
                st_name=name_offset,
                st_info=(binding << 4) | (local.st_info & 0xF),
                st_other=0,
                st_shndx=TEXT,
                st_value=local.st_value,
                st_size=local.st_size,
            )
            if table[index] != symbol:
                table[index] = symbol
                if is_local:
                    self._write_local_symbol(index)
                else:
                    self.sections.dirty.globals_dirty = True
        return failures

    def delete_export(self, export_id: int) -> None:
        """Free the export's symbol (a global is zeroed at the next flush, a local at once)."""
        existing = self.exports.pop(export_id, None)
        if existing is None:
            return
        if existing.is_local:
            self.symtab.free_local(existing.symbol_index)
            self._write_local_symbol(existing.symbol_index)
        else:
            self.symtab.free_global(existing.symbol_index)
            self.sections.dirty.globals_dirty = True

    def free_decl(self, decl: DeclIndex) -> None:
        """Free ``decl``'s block, local symbol (zeroed) and GOT slot (zeroed); no-op if it has none."""
        state = self.decls.pop(decl, None)
        if state is None:
            return
        self._release(decl, state)

    def _name_of(self, decl: DeclIndex) -> str:
        state = self.decls.get(decl)
        return "?" if state is None else self._state_name(state)

    def _state_name(self, state: DeclState) -> str:
        return self.shstrtab.get(self.symtab.locals[state.local_sym_index].st_name).decode("utf-8", "replace")

    def _release(self, decl: DeclIndex, state: DeclState) -> None:
        hot = self.hot
        if state.block.is_placed:
            if hot is not None and hot.running:
                is_function = self.symtab.locals[state.local_sym_index].st_info & 0xF == SymbolType.FUNC
                hot.quarantine(decl, self._state_name(state), state.block, is_function, deleted=True)
            else:
                self.text.free(state.block)
        if hot is not None and hot.hold_slot(state.got_index):
            self.got.entries[state.got_index] = 0
        else:
            self.got.free(state.got_index)
        self._write_got_entry(state.got_index)
        self.symtab.free_local(state.local_sym_index)
        self._write_local_symbol(state.local_sym_index)
        self._set_relocations(decl, state, ())
        self.dwarf.free_decl(self.sections, state)

    def update_decl_line_number(self, decl: DeclIndex, line: int) -> None:
        """``decl`` (a placed function, code unchanged) now starts at 0-based ``line``: rewrite its 4-byte
        ``advance_line`` operand only (elf-linker.md §14.5)."""
        state = self.decls.get(decl)
        if state is not None:
            self.totals.line_numbers += 1
            self.dwarf.update_line_number(self.sections, state, line)

    @property
    def keeps_line_numbers(self) -> bool:
        """``.debug_line`` holds every function's line (elf-linker.md §14.5)."""
        return True

    def shift_line_numbers(self, from_line: int, delta: int) -> None:
        """Functions at or after ``from_line`` moved by ``delta`` lines: rewrite each one's 4-byte line operand.

        One pass over the linker's own table, no work item per function (docs/design/performance.md §6.10),
        now or, with ``dwarf.defer_line_shifts``, in ``settle_line_numbers``."""
        self.totals.line_numbers += self.dwarf.shift_line_numbers(self.sections, self.decls.values(), from_line, delta)

    def keep_image_compact(self) -> None:
        """Hold the in-memory image in compressed pages (``compiler.link.pages``): for a linker that commits
        rarely, as the language server's editor tier does (docs/design/lsp.md §8.3)."""
        self.sections.image.compact()

    def settle_line_numbers(self) -> int:
        """Queue the writes of the line shifts ``dwarf.defer_line_shifts`` kept pending (a ``commit`` then writes
        them); returns the operands rewritten."""
        count = self.dwarf.settle_line_numbers(self.sections, self.decls.values())
        self.totals.line_numbers += count
        return count

    def flush(self) -> None:
        """Queue the metadata of this update, in the order of elf-linker.md §9.2, and recompute the entry
        point. Exactly once per update, after the deletion steps."""
        for name in list(self.adoptable):
            self._release(DeclIndex(-1), self.adoptable.pop(name))
        self.reopened_globals.clear()
        if self.symtab.global_free_list:
            self._compact_globals()
        # 1. globals; .symtab's size is recomputed at every flush (§7.2)
        self._ensure_symtab_size()
        if self.sections.dirty.globals_dirty:
            base = self.shdrs[SYMTAB].sh_offset + self.layout.sym_size * len(self.symtab.locals)
            data = b"".join(self.layout.pack_sym(symbol) for symbol in self.symtab.globals)
            self.sections.image.write(base, data)
            self.sections.dirty.globals_dirty = False
        # 2.–5. DWARF headers
        self.dwarf.flush_headers(self.sections)
        # 6. program header table
        if self.sections.dirty.phdr_table_dirty:
            data = b"".join(self.layout.pack_phdr(phdr) for phdr in self.phdrs)
            self.sections.image.write(self.sections.phdr_table_offset, data)
            self.sections.dirty.phdr_table_dirty = False
        # 7. .shstrtab (append-only while it stays in place)
        self._flush_shstrtab()
        # 8. .debug_str
        self.dwarf.flush_strings(self.sections)
        # 9. section header table
        if self.sections.dirty.shdr_table_dirty:
            data = b"".join(self.layout.pack_shdr(shdr) for shdr in self.shdrs)
            self.sections.image.write(self.sections.shdr_table_offset, data)
            self.sections.dirty.shdr_table_dirty = False
        self._cover_regions()
        # 10. entry point and ELF header
        self.entry = self._entry_point()
        self.flags.no_entry_point_found = self.mode is OutputMode.EXE and self.entry == 0
        if not self.flags.no_entry_point_found:
            self.sections.image.write(0, self._ehdr())
        # 11. invariants
        assert not (
            self.sections.dirty.globals_dirty
            or self.sections.dirty.phdr_table_dirty
            or self.sections.dirty.shdr_table_dirty
        )
        assert not self.sections.dirty.shstrtab_dirty
        assert self.shdrs[SYMTAB].sh_info == len(self.symtab.locals)

    def _compact_globals(self) -> None:
        """Drop freed globals from the table. [ZIR Live] deviation from §8.2: an all-zero entry after
        ``sh_info`` is a *local* symbol in the globals' part, which readelf reports; global indices are
        private to the linker, so the live globals are renumbered instead."""
        freed = set(self.symtab.global_free_list)
        renumbered: dict[int, int] = {}
        kept: list[Symbol] = []
        for index, symbol in enumerate(self.symtab.globals):
            if index not in freed:
                renumbered[index] = len(kept)
                kept.append(symbol)
        for export in self.exports.values():
            if not export.is_local:
                export.symbol_index = renumbered[export.symbol_index]
        self.symtab.globals = kept
        self.symtab.global_free_list = []
        self.sections.dirty.globals_dirty = True

    def _flush_shstrtab(self) -> None:
        section = self.shdrs[SHSTRTAB]
        data = self.shstrtab.data
        if not self.sections.dirty.shstrtab_dirty and len(data) == section.sh_size == self.shstrtab_file_size:
            return
        if self.sections.relocate_if_full(SHSTRTAB, len(data)):
            self.shstrtab_file_size = 0
        start = min(self.shstrtab_file_size, len(data))
        self.sections.image.write(section.sh_offset + start, bytes(data[start:]))
        self.shstrtab_file_size = len(data)
        if section.sh_size != len(data):
            section.sh_size = len(data)
            self.sections.dirty.shdr_table_dirty = True
        self.sections.dirty.shstrtab_dirty = False

    def _cover_regions(self) -> None:
        """Make the image (and so the file) reach the end of every described region."""
        end = max(
            offset + size
            for offset, size in (
                *self.sections.regions(),
                (self.phdrs[TEXT_PHDR].p_offset, self.phdrs[TEXT_PHDR].p_filesz),
            )
        )
        if end > len(self.sections.image.data):
            self.sections.image.write(len(self.sections.image.data), bytes(end - len(self.sections.image.data)))

    def _entry_point(self) -> int:
        for export in self.exports.values():
            if export.name == b"_start" and export.linkage is Linkage.STRONG:
                address = self.decl_address(export.decl)
                if address is not None:
                    return address
        return 0

    def _ehdr(self) -> bytes:
        e_type = ElfType.ET_EXEC if self.mode is OutputMode.EXE else ElfType.ET_REL
        return self.layout.pack_ehdr(
            e_type=e_type,
            e_entry=self.entry if self.mode is OutputMode.EXE else 0,
            e_phoff=self.sections.phdr_table_offset,
            e_shoff=self.sections.shdr_table_offset,
            e_phnum=len(self.phdrs),
            e_shnum=len(self.shdrs),
            e_shstrndx=SHSTRTAB,
        )

    def error_flags(self) -> LinkErrorFlags:
        """The flags of the last ``flush()`` / ``commit()``."""
        return self.flags

    # ------------------------------------------------------------------ commit (§12, §13)

    def commit(self) -> CommitReport:
        """Apply the queued operations to the output (``commit.OutputCommitter``, elf-linker.md §12). I/O
        failures are reported (``error``, ``error_flags().output_error``) and the operations stay queued."""
        report = self.committer.commit(self.sections.image, self.flags, self.totals)
        if not report.writes or report.full_rewrite:
            return report
        named = tuple(WrittenRange(w.offset, w.size, self.section_at(w.offset) or "free") for w in report.writes)
        return report._replace(writes=named)

    def close(self) -> None:
        """Nothing is held open between commits; pending operations are dropped."""
