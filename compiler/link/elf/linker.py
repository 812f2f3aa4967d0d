"""ElfLinker: keeps an ELF executable up to date in place — decl updates, exports, flush and commit.

Ties together the placement policy (``text_blocks``, ``got``, ``symbols``, ``space``), the in-memory image with
its buffered operations (``ops``), DWARF (``dwarf``), reopening (``reopen``) and the file layer (``fileio``).
Nothing touches the output file before ``commit()`` (elf-linker.md §12).
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from compiler.errors import ErrorMsg, OutputError
from compiler.link import (
    GOT_VADDR,
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
)
from compiler.link.elf import dwarf
from compiler.link.elf.format import (
    E_TYPE_OFFSET,
    ElfLayout,
    ElfType,
    ProgramHeader,
    SectionFlags,
    SectionHeader,
    SectionType,
    SegmentFlags,
    SegmentType,
    Symbol,
    SymbolBinding,
    layout_for_target,
)
from compiler.link.elf.got import GotTable
from compiler.link.elf.space import Region, allocated_size, find_free_space
from compiler.link.elf.symbols import StringTable, SymbolTable
from compiler.link.elf.text_blocks import TextBlock, TextBlockList
from compiler.link.fileio import FileIO, output_error
from compiler.link.ops import CopyOp, FileImage, WriteOp

log = logging.getLogger(__name__)

PROGRAM_CODE_SIZE_HINT = 256 * 1024
"""Initial ``.text`` reservation (elf-linker.md §2)."""
SYMBOL_COUNT_HINT = 32
"""Initial GOT and symbol-table reservation, in entries (elf-linker.md §2)."""
SEGMENT_ALIGN = 0x1000
"""``PT_LOAD`` alignment: ``p_offset ≡ p_vaddr (mod 0x1000)``, so ``.text`` and ``.got`` move page-aligned."""
EXE_MODE = 0o777
"""Mode of a new executable (minus the umask)."""
OBJ_MODE = 0o666
"""Mode of a new object file (minus the umask)."""

SHSTRTAB, TEXT, GOT, SYMTAB, DEBUG_STR, DEBUG_INFO, DEBUG_ABBREV, DEBUG_ARANGES, DEBUG_LINE = range(1, 10)
"""Section indices of the fixed layout (elf-linker.md §3)."""
SECTION_NAMES = (
    b".shstrtab",
    b".text",
    b".got",
    b".symtab",
    b".debug_str",
    b".debug_info",
    b".debug_abbrev",
    b".debug_aranges",
    b".debug_line",
)
"""Names of sections 1–9, in order."""
TEXT_PHDR, GOT_PHDR = 0, 1
"""Program header indices: the R+X text segment and the R GOT segment."""


@dataclass(slots=True, eq=False)
class DeclState:
    """What the linker keeps per decl (keyed by ``Decl.index``)."""

    local_sym_index: int
    """Index of the decl's local symbol; its ``st_value``/``st_size`` are the block's address and size."""
    got_index: int
    """GOT slot ``got_index`` holds the current address of this decl's block (0 before placement)."""
    block: TextBlock = field(default_factory=TextBlock)
    """The decl's piece of ``.text``."""
    relocations: tuple[Relocation, ...] = ()
    """Absolute addresses inside this decl's bytes (this decl is their holder)."""
    debug: dwarf.DeclDebug = field(default_factory=dwarf.DeclDebug)
    """The decl's ``.debug_info`` entry and ``.debug_line`` program, if it is a function."""


@dataclass(slots=True)
class ExportState:
    """A live export: its owner and its symbol (a global one; a local one for ``Internal`` linkage, since
    ELF requires every local before the first global)."""

    decl: DeclIndex
    symbol_index: int
    """Index into ``symtab.globals`` (or ``symtab.locals`` when ``is_local``)."""
    name: bytes
    linkage: Linkage
    is_local: bool = False


@dataclass(slots=True)
class DirtyFlags:
    """What ``flush`` must rewrite (elf-linker.md §9.1)."""

    phdr_table_dirty: bool = True
    """A program header changed (offset, size)."""
    shdr_table_dirty: bool = True
    """A section header changed; sections or the table moved."""
    shstrtab_dirty: bool = True
    """A string was appended to ``.shstrtab``."""
    globals_dirty: bool = False
    """A global symbol changed, or the local count changed (globals follow the locals)."""


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
    ) -> None:
        self.layout: ElfLayout = layout_for_target(target)
        """ELF64 for x86-64; ELF32 for 32-bit x86 (§11). Raises ``UnsupportedTarget`` for big-endian targets."""
        self.path = path
        """The output file."""
        self.mode = mode
        self.fileio = fileio if fileio is not None else FileIO()
        """All file I/O goes through this object (tests wrap it to count or pause)."""
        self.image = FileImage(header_size=self.layout.ehdr_size)
        self.totals = LinkTotals()
        """Cumulative work counters (``zir watch --json`` reports their per-update differences)."""
        """The file as it will be after the queued operations; the queue itself."""
        self.phdrs: list[ProgramHeader] = []
        """Program header 0 is ``.text``'s R+X ``PT_LOAD``, 1 the GOT's R ``PT_LOAD``."""
        self.shdrs: list[SectionHeader] = []
        """Section 0 is ``SHT_NULL``; 1–9 as ``SECTION_NAMES``."""
        self.shdr_table_offset = 0
        self.phdr_table_offset = 0
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
        self.dirty = DirtyFlags()
        self.flags = LinkErrorFlags()
        self.entry = 0
        """``e_entry`` as of the last flush."""
        self.needs_full_write = True
        """The next commit writes the whole image to a temporary file and renames it (fresh or unknown file)."""
        self.identity: tuple[int, int, int, int] | None = None
        """``(st_dev, st_ino, st_size, st_mtime_ns)`` of the output after our last commit (§13.3)."""
        self.adoptable: dict[str, DeclState] = {}
        """Reopened live locals by symbol name, not yet adopted (§13.2); freed after the first flush."""
        self.reopened_globals: dict[bytes, tuple[int, int]] = {}
        """Global symbols of a reopened file by name: ``(global index, st_name)``, reused by the export of the
        same name so that re-creating it writes nothing (§13.2)."""
        self.dwarf = dwarf.DwarfState(root_src_path=root_src_path, comp_dir=comp_dir, dwarf64=self.layout.is_64)
        self.text_used_size_set = False
        """False while ``.text``'s size is still the reservation hint (before the first block)."""
        self._program_code_size_hint = program_code_size_hint
        self._symbol_count_hint = symbol_count_hint
        from compiler.link.elf.reopen import reopen

        if not reopen(self):
            self._create_fresh_layout()

    # ------------------------------------------------------------------ layout (§3, §4)

    def _regions(self) -> list[Region]:
        """Regions in collision-check order: header tables, sections, program headers."""
        # A table not yet placed (offset 0, during creation) occupies nothing.
        regions: list[Region] = [
            (self.shdr_table_offset, len(self.shdrs) * self.layout.shdr_size if self.shdr_table_offset else 0),
            (self.phdr_table_offset, len(self.phdrs) * self.layout.phdr_size if self.phdr_table_offset else 0),
        ]
        regions.extend((shdr.sh_offset, shdr.sh_size) for shdr in self.shdrs)
        regions.extend((phdr.p_offset, phdr.p_filesz) for phdr in self.phdrs)
        return regions

    def _starts(self) -> list[int]:
        return [
            self.shdr_table_offset,
            self.phdr_table_offset,
            *[shdr.sh_offset for shdr in self.shdrs],
            *[phdr.p_offset for phdr in self.phdrs],
        ]

    def find_free_space(self, size: int, align: int) -> int:
        """elf-linker.md §4 ``find_free_space`` over the current layout."""
        return find_free_space(size, align, self.layout.ehdr_size, self._regions())

    def allocated_size(self, start: int) -> int | None:
        """elf-linker.md §4 ``allocated_size`` over the current layout (None: unbounded)."""
        return allocated_size(start, self._starts())

    def _fits(self, start: int, needed: int) -> bool:
        room = self.allocated_size(start)
        return room is None or needed <= room

    def _section(self, name_offset: int, sh_type: int, flags: int, size: int, align: int) -> SectionHeader:
        return SectionHeader(name_offset, sh_type, flags, 0, 0, size, 0, 0, align, 0)

    def _create_fresh_layout(self) -> None:
        """Describe a fresh file exactly as elf-linker.md §3 does, step by step."""
        self.shdrs = [SectionHeader(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
        text_size = self._program_code_size_hint
        text_offset = self.find_free_space(text_size, SEGMENT_ALIGN)
        self.phdrs.append(
            ProgramHeader(
                SegmentType.PT_LOAD,
                SegmentFlags.PF_R | SegmentFlags.PF_X,
                text_offset,
                TEXT_VADDR,
                TEXT_VADDR,
                text_size,
                text_size,
                SEGMENT_ALIGN,
            )
        )
        got_size = self._symbol_count_hint * self.layout.ptr_size
        got_offset = self.find_free_space(got_size, SEGMENT_ALIGN)
        self.phdrs.append(
            ProgramHeader(
                SegmentType.PT_LOAD,
                SegmentFlags.PF_R,
                got_offset,
                GOT_VADDR,
                GOT_VADDR,
                got_size,
                got_size,
                SEGMENT_ALIGN,
            )
        )
        shstrtab = self._section(self.shstrtab.make_string(b".shstrtab"), SectionType.SHT_STRTAB, 0, 0, 1)
        shstrtab.sh_offset = self.find_free_space(1, 1)
        shstrtab.sh_size = len(self.shstrtab.data)
        self.shdrs.append(shstrtab)
        alloc_exec = SectionFlags.SHF_ALLOC | SectionFlags.SHF_EXECINSTR
        for index, flags in ((TEXT_PHDR, alloc_exec), (GOT_PHDR, SectionFlags.SHF_ALLOC)):
            phdr = self.phdrs[index]
            name = self.shstrtab.make_string(SECTION_NAMES[index + 1])
            section = self._section(name, SectionType.SHT_PROGBITS, flags, phdr.p_filesz, phdr.p_align)
            section.sh_addr = phdr.p_vaddr
            section.sh_offset = phdr.p_offset
            self.shdrs.append(section)
        symtab_size = self._symbol_count_hint * self.layout.sym_size
        symtab_align = self.layout.symtab_align
        symtab = self._section(
            self.shstrtab.make_string(b".symtab"), SectionType.SHT_SYMTAB, 0, symtab_size, symtab_align
        )
        symtab.sh_offset = self.find_free_space(symtab_size, symtab_align)
        symtab.sh_link = SHSTRTAB
        symtab.sh_info = 1
        symtab.sh_entsize = self.layout.sym_size
        self.shdrs.append(symtab)
        self.image.write(symtab.sh_offset, bytes(self.layout.sym_size))
        debug_str = self._section(
            self.shstrtab.make_string(b".debug_str"),
            SectionType.SHT_PROGBITS,
            SectionFlags.SHF_MERGE | SectionFlags.SHF_STRINGS,
            0,
            1,
        )
        debug_str.sh_entsize = 1
        self.shdrs.append(debug_str)
        for section_name, size, align in dwarf.SECTION_HINTS:
            section = self._section(self.shstrtab.make_string(section_name), SectionType.SHT_PROGBITS, 0, size, align)
            section.sh_offset = self.find_free_space(size, align)
            self.shdrs.append(section)
        table_align = self.layout.table_align
        self.shdr_table_offset = self.find_free_space(len(self.shdrs) * self.layout.shdr_size, table_align)
        self.phdr_table_offset = self.find_free_space(len(self.phdrs) * self.layout.phdr_size, table_align)
        self.image.tracking = False
        self.needs_full_write = True

    def _move_section(self, index: int, needed: int, live: int, align: int) -> None:
        """Move section ``index`` (and its segment, for ``.text``/``.got``) to free space for ``needed``
        bytes, copying its first ``live`` bytes (elf-linker.md §4)."""
        section = self.shdrs[index]
        old = section.sh_offset
        section.sh_size = 0
        phdr = self._segment_of(index)
        if phdr is not None:
            phdr.p_filesz = 0
        new = self.find_free_space(needed, align)
        self.image.copy(old, new, live)
        section.sh_offset = new
        if phdr is not None:
            phdr.p_offset = new
        self.dirty.shdr_table_dirty = True
        self.dirty.phdr_table_dirty = True

    def _segment_of(self, index: int) -> ProgramHeader | None:
        if index == TEXT:
            return self.phdrs[TEXT_PHDR]
        if index == GOT:
            return self.phdrs[GOT_PHDR]
        return None

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
        if not self._fits(section.sh_offset, needed):
            live = section.sh_size if self.text_used_size_set else 0
            self._move_section(TEXT, needed, live, SEGMENT_ALIGN)
        section.sh_size = phdr.p_filesz = phdr.p_memsz = needed
        self.text_used_size_set = True
        self.dirty.shdr_table_dirty = True
        self.dirty.phdr_table_dirty = True
        self.dwarf.text_grew()

    # ------------------------------------------------------------------ GOT (§6)

    def _write_got_entry(self, index: int) -> None:
        got = self.got
        if got.count_dirty:
            needed = got.size()
            section = self.shdrs[GOT]
            if not self._fits(section.sh_offset, needed):
                self._move_section(GOT, needed, section.sh_size, SEGMENT_ALIGN)
            phdr = self.phdrs[GOT_PHDR]
            section.sh_size = phdr.p_filesz = phdr.p_memsz = needed
            self.dirty.shdr_table_dirty = True
            self.dirty.phdr_table_dirty = True
            got.count_dirty = False
        offset = self.shdrs[GOT].sh_offset + got.entry_size * index
        self.image.write(offset, self.layout.pack_address(got.entries[index]))

    # ------------------------------------------------------------------ symbols (§7)

    def _ensure_symtab_size(self) -> None:
        """Give ``.symtab`` room for every local and global; globals move when the local count changed."""
        section = self.shdrs[SYMTAB]
        sym_size = self.layout.sym_size
        needed = self.symtab.count() * sym_size
        n_locals = len(self.symtab.locals)
        if n_locals != self.symtab_local_count:
            self.dirty.globals_dirty = True
        if needed > section.sh_size and not self._fits(section.sh_offset, needed):
            live = min(section.sh_size, (self.symtab_local_count + len(self.symtab.globals)) * sym_size)
            self._move_section(SYMTAB, needed, live, self.layout.symtab_align)
        if section.sh_size != needed or section.sh_info != n_locals:
            section.sh_size = needed
            section.sh_info = n_locals
            self.dirty.shdr_table_dirty = True
        self.symtab_local_count = n_locals

    def _write_local_symbol(self, index: int) -> None:
        if len(self.symtab.locals) != self.symtab_local_count:
            self._ensure_symtab_size()
        offset = self.shdrs[SYMTAB].sh_offset + self.layout.sym_size * index
        self.image.write(offset, self.layout.pack_sym(self.symtab.locals[index]))

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
        align = max(symbol.alignment, 1)
        moved: bool
        self.totals.code_bytes += size
        if block.is_placed:
            if block.vaddr % align != 0 or size > block.capacity():
                self.text.allocate(block, size, align)
                self.totals.text_moves += 1
                moved = True
            elif size < block.size:
                self.text.shrink(block, size)
                moved = False
            else:
                block.size = size
                moved = False
        else:
            self.text.allocate(block, size, align)
            moved = True
        self._ensure_text_covers(block)
        if moved:
            self.got.entries[state.got_index] = block.vaddr
            self._write_got_entry(state.got_index)
        old = self.symtab.locals[state.local_sym_index]
        new = Symbol(
            st_name=self.shstrtab.update_string(old.st_name, name.encode()),
            st_info=(SymbolBinding.STB_LOCAL << 4) | symbol.symbol_type,
            st_other=0,
            st_shndx=TEXT,
            st_value=block.vaddr,
            st_size=size,
        )
        if new != old:
            self.symtab.locals[state.local_sym_index] = new
            self._write_local_symbol(state.local_sym_index)
        code = bytearray(symbol.code)
        self._set_relocations(decl, state, symbol.relocations)
        for reloc in state.relocations:
            address = self.decl_address(reloc.target) or 0
            code[reloc.offset : reloc.offset + reloc.size] = address.to_bytes(reloc.size, "little")
        self.image.write(self._text_file_offset(block.vaddr), bytes(code))
        if moved:
            self._apply_relocations_to(decl)
        self.dwarf.update_decl(self, state, name, symbol.debug_info)

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
        address = self.decl_address(target) or 0
        for holder in sorted(self.reloc_holders.get(target, ())):
            state = self.decls.get(holder)
            if state is None or not state.block.is_placed:
                continue
            for reloc in state.relocations:
                if reloc.target == target:
                    offset = self._text_file_offset(state.block.vaddr) + reloc.offset
                    self.image.write(offset, address.to_bytes(reloc.size, "little"))

    def update_decl_exports(self, decl: DeclIndex, exports: Sequence[ExportRequest]) -> list[ExportFailure]:
        """Create or update the global symbols of ``decl``'s non-failed exports (elf-linker.md §8.1). May come
        before the first ``update_decl`` (placeholder value, size 0) and comes after every one."""
        failures: list[ExportFailure] = []
        state = self.decls.get(decl)
        if state is None:
            return failures
        local = self.symtab.locals[state.local_sym_index]
        for request in exports:
            if request.section is not None and request.section != b".text":
                message = "Unimplemented: ExportOptions.section"
                failures.append(ExportFailure(request.export_id, ErrorMsg(0, message)))
                continue
            match request.linkage:
                case Linkage.INTERNAL:
                    binding = SymbolBinding.STB_LOCAL
                case Linkage.STRONG:
                    binding = SymbolBinding.STB_GLOBAL
                case Linkage.WEAK:
                    binding = SymbolBinding.STB_WEAK
                case Linkage.LINK_ONCE:
                    message = "Unimplemented: GlobalLinkage.LinkOnce"
                    failures.append(ExportFailure(request.export_id, ErrorMsg(0, message)))
                    continue
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
                    self.dirty.globals_dirty = True
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
            self.dirty.globals_dirty = True

    def free_decl(self, decl: DeclIndex) -> None:
        """Free ``decl``'s block, local symbol (zeroed) and GOT slot (zeroed); no-op if it has none."""
        state = self.decls.pop(decl, None)
        if state is None:
            return
        self._release(decl, state)

    def _release(self, decl: DeclIndex, state: DeclState) -> None:
        if state.block.is_placed:
            self.text.free(state.block)
        self.got.free(state.got_index)
        self._write_got_entry(state.got_index)
        self.symtab.free_local(state.local_sym_index)
        self._write_local_symbol(state.local_sym_index)
        self._set_relocations(decl, state, ())
        self.dwarf.free_decl(self, state)

    def update_decl_line_number(self, decl: DeclIndex, line: int) -> None:
        """``decl`` (a placed function, code unchanged) now starts at 0-based ``line``: rewrite its 4-byte
        ``advance_line`` operand only (elf-linker.md §14.5)."""
        state = self.decls.get(decl)
        if state is not None:
            self.dwarf.update_line_number(self, state, line)

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
        if self.dirty.globals_dirty:
            base = self.shdrs[SYMTAB].sh_offset + self.layout.sym_size * len(self.symtab.locals)
            data = b"".join(self.layout.pack_sym(symbol) for symbol in self.symtab.globals)
            self.image.write(base, data)
            self.dirty.globals_dirty = False
        # 2.–5. DWARF headers
        self.dwarf.flush_headers(self)
        # 6. program header table
        if self.dirty.phdr_table_dirty:
            data = b"".join(self.layout.pack_phdr(phdr) for phdr in self.phdrs)
            self.image.write(self.phdr_table_offset, data)
            self.dirty.phdr_table_dirty = False
        # 7. .shstrtab (append-only while it stays in place)
        self._flush_shstrtab()
        # 8. .debug_str
        self.dwarf.flush_strings(self)
        # 9. section header table
        if self.dirty.shdr_table_dirty:
            data = b"".join(self.layout.pack_shdr(shdr) for shdr in self.shdrs)
            self.image.write(self.shdr_table_offset, data)
            self.dirty.shdr_table_dirty = False
        self._cover_regions()
        # 10. entry point and ELF header
        self.entry = self._entry_point()
        self.flags.no_entry_point_found = self.mode is OutputMode.EXE and self.entry == 0
        if not self.flags.no_entry_point_found:
            self.image.write(0, self._ehdr())
        # 11. invariants
        assert not (self.dirty.globals_dirty or self.dirty.phdr_table_dirty or self.dirty.shdr_table_dirty)
        assert not self.dirty.shstrtab_dirty
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
        self.dirty.globals_dirty = True

    def _flush_shstrtab(self) -> None:
        section = self.shdrs[SHSTRTAB]
        data = self.shstrtab.data
        if not self.dirty.shstrtab_dirty and len(data) == section.sh_size == self.shstrtab_file_size:
            return
        if not self._fits(section.sh_offset, len(data)):
            section.sh_size = 0
            section.sh_offset = self.find_free_space(len(data), 1)
            self.shstrtab_file_size = 0
            self.dirty.shdr_table_dirty = True
        start = min(self.shstrtab_file_size, len(data))
        self.image.write(section.sh_offset + start, bytes(data[start:]))
        self.shstrtab_file_size = len(data)
        if section.sh_size != len(data):
            section.sh_size = len(data)
            self.dirty.shdr_table_dirty = True
        self.dirty.shstrtab_dirty = False

    def _cover_regions(self) -> None:
        """Make the image (and so the file) reach the end of every described region."""
        end = max(
            offset + size
            for offset, size in (
                *self._regions(),
                (self.phdrs[TEXT_PHDR].p_offset, self.phdrs[TEXT_PHDR].p_filesz),
            )
        )
        if end > len(self.image.data):
            self.image.write(len(self.image.data), bytes(end - len(self.image.data)))

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
            e_phoff=self.phdr_table_offset,
            e_shoff=self.shdr_table_offset,
            e_phnum=len(self.phdrs),
            e_shnum=len(self.shdrs),
            e_shstrndx=SHSTRTAB,
        )

    def section_at(self, file_offset: int) -> str | None:
        """What the file holds at ``file_offset`` now: ``ehdr``, ``shdr_table``, ``phdr_table`` or a section
        name (``.text``…); None outside every region. Benchmarks use it to key write counters by section."""
        layout = self.layout
        if file_offset < layout.ehdr_size:
            return "ehdr"
        tables = (
            ("shdr_table", self.shdr_table_offset, len(self.shdrs) * layout.shdr_size),
            ("phdr_table", self.phdr_table_offset, len(self.phdrs) * layout.phdr_size),
        )
        for name, offset, size in tables:
            if offset <= file_offset < offset + size:
                return name
        for index, section in enumerate(self.shdrs[1:], start=1):
            if section.sh_offset <= file_offset < section.sh_offset + section.sh_size:
                return SECTION_NAMES[index - 1].decode()
        return None

    def error_flags(self) -> LinkErrorFlags:
        """The flags of the last ``flush()`` / ``commit()``."""
        return self.flags

    # ------------------------------------------------------------------ commit (§12, §13)

    def commit(self) -> CommitReport:
        """Apply the queued operations to the output (elf-linker.md §12): ``e_type = ET_NONE`` first, the
        operations in order, the ELF header last; the file is open only inside this call. A fresh, foreign or
        interrupted file is written whole to a temporary file and renamed over the output. I/O failures are
        reported (``error``, ``error_flags().output_error``) and the operations stay queued."""
        before = self.fileio.counters.snapshot()
        full = self.needs_full_write
        replaced = False
        if not full and not self.image.has_pending():
            return CommitReport(bytes_written=0, write_calls=0, binary=self.path)
        messages: list[str] = []
        try:
            if not full:
                current = self.fileio.stat(self.path)
                if current is None or _identity(current) != self.identity:
                    full = True
                    messages.append("output changed outside ZIR Live; rewrote it")
            if full:
                self._write_full()
            else:
                replaced = self._apply_in_place()
                if replaced:
                    messages.append("output is running; replaced it with a copy")
        except OSError as error:
            failure = output_error(self.path, error)
            self.flags.output_error = failure
            return self._report(before, None, full, replaced, failure, messages)
        for message in messages:
            log.info("%s: %s", self.path, message)
        self.image.clear()
        self.image.tracking = True
        self.needs_full_write = False
        self.flags.output_error = None
        stat = self.fileio.stat(self.path)
        self.identity = _identity(stat) if stat is not None else None
        return self._report(before, self.path, full, replaced, None, messages)

    def _report(
        self,
        before: object,
        binary: str | None,
        full: bool,
        replaced: bool,
        failure: OutputError | None,
        messages: list[str],
    ) -> CommitReport:
        assert isinstance(before, type(self.fileio.counters))
        after = self.fileio.counters
        totals = self.totals
        totals.write_calls += after.pwrite_calls - before.pwrite_calls
        totals.bytes_written += after.pwrite_bytes - before.pwrite_bytes
        totals.copy_calls += after.copy_calls - before.copy_calls
        totals.bytes_copied += after.copy_bytes - before.copy_bytes
        totals.replaced_running += int(replaced)
        return CommitReport(
            bytes_written=after.pwrite_bytes - before.pwrite_bytes,
            write_calls=after.pwrite_calls - before.pwrite_calls,
            binary=binary,
            copy_calls=after.copy_calls - before.copy_calls,
            bytes_copied=after.copy_bytes - before.copy_bytes,
            full_rewrite=full,
            replaced_running=replaced,
            error=failure,
            messages=tuple(messages),
        )

    def _file_mode(self) -> int:
        return EXE_MODE if self.mode is OutputMode.EXE else OBJ_MODE

    def _write_full(self) -> None:
        """Write the whole image to a temporary file next to the output and rename it over the output."""
        fd, temp = self.fileio.create_temp(self.path, self._file_mode())
        try:
            try:
                self.fileio.pwrite(fd, self.image.data, 0)
            finally:
                self.fileio.close(fd)
            self.fileio.rename(temp, self.path)
        except OSError:
            self.fileio.unlink(temp)
            raise

    def _apply_in_place(self) -> bool:
        """Apply the queued operations to the existing output; True if it was running and was replaced."""
        ops = self.image.take_ops()
        replaced = False
        try:
            fd = self.fileio.open_rw(self.path)
        except OSError as error:
            if error.errno != errno.ETXTBSY:
                raise
            fd = self._replace_running()
            replaced = True
        try:
            self.needs_full_write = True  # until the header is restored, the file is not what we describe
            self.fileio.pwrite(fd, bytes([ElfType.ET_NONE, 0]), E_TYPE_OFFSET)
            for op in ops:
                match op:
                    case WriteOp(offset=offset, data=data):
                        self.fileio.pwrite(fd, data, offset)
                    case CopyOp(src=src, dst=dst, length=length):
                        self.fileio.copy_range(fd, src, dst, length)
            self.fileio.pwrite(fd, self.image.data[: self.layout.ehdr_size], 0)
        finally:
            self.fileio.close(fd)
        return replaced

    def _replace_running(self) -> int:
        """The output is being executed (ETXTBSY): copy it to a temporary file, rename that over the output
        (the running process keeps the old inode) and return the new file, open for writing."""
        src = self.fileio.open_read(self.path)
        try:
            mode = self.fileio.fstat(src).st_mode & 0o7777
            fd, temp = self.fileio.create_temp(self.path, mode)
            try:
                self.fileio.copy_file(src, fd)
                self.fileio.fchmod(fd, mode)
                self.fileio.rename(temp, self.path)
            except OSError:
                self.fileio.close(fd)
                self.fileio.unlink(temp)
                raise
        finally:
            self.fileio.close(src)
        return fd

    def close(self) -> None:
        """Nothing is held open between commits; pending operations are dropped."""


def _identity(stat: object) -> tuple[int, int, int, int]:
    import os

    assert isinstance(stat, os.stat_result)
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
