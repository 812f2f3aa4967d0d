"""The ELF output's fixed layout and the state every part of the ELF linker shares (elf-linker.md §3, §4).

Section indices and names, the section and program header tables over the file image, file space (collision
checks, growing and moving a section), and the per-decl and per-export state. Everything in ``link/elf``
imports this module at the top; it imports none of them but the pure building blocks (format, space, text
blocks, debug pieces, the operation image).
"""

from __future__ import annotations

from typing import Final

from compiler.link import GOT_VADDR, TEXT_VADDR, DeclIndex, Linkage, Relocation
from compiler.link.elf.format import (
    ElfLayout,
    ProgramHeader,
    SectionFlags,
    SectionHeader,
    SectionType,
    SegmentFlags,
    SegmentType,
)
from compiler.link.elf.pieces import DeclDebug
from compiler.link.elf.space import Region, allocated_size, find_free_space
from compiler.link.elf.symbols import StringTable
from compiler.link.elf.text_blocks import TextBlock
from compiler.link.ops import FileImage
from compiler.record import record_repr

SHSTRTAB, TEXT, GOT, SYMTAB, DEBUG_STR, DEBUG_INFO, DEBUG_ABBREV, DEBUG_ARANGES, DEBUG_LINE = range(1, 10)
"""Section indices of the fixed layout (elf-linker.md §3)."""
SECTION_NAMES: Final = (
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
EXPECTED_TYPES: Final = (
    SectionType.SHT_NULL,
    SectionType.SHT_STRTAB,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_SYMTAB,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
    SectionType.SHT_PROGBITS,
)
"""``sh_type`` of sections 0–9 in the fixed layout."""
DEBUG_SECTION_HINTS: Final[tuple[tuple[bytes, int, int], ...]] = (
    (b".debug_info", 200, 1),
    (b".debug_abbrev", 128, 1),
    (b".debug_aranges", 160, 16),
    (b".debug_line", 250, 1),
)
"""Name, initial reservation and alignment of the debug sections 6–9 (elf-linker.md §3)."""
TEXT_PHDR, GOT_PHDR = 0, 1
"""Program header indices: the R+X text segment and the R GOT segment."""
SEGMENT_ALIGN: Final = 0x1000
"""``PT_LOAD`` alignment: ``p_offset ≡ p_vaddr (mod 0x1000)``, so ``.text`` and ``.got`` move page-aligned."""


class DeclState(DeclDebug):
    """What the linker keeps per decl (keyed by ``Decl.index``). It is its own ``DeclDebug`` (``debug`` is
    itself): one object per decl, not two (docs/design/performance.md §9.3)."""

    local_sym_index: int
    """Index of the decl's local symbol; its ``st_value``/``st_size`` are the block's address and size."""
    got_index: int
    """GOT slot ``got_index`` holds the current address of this decl's block (0 before placement)."""
    block: TextBlock
    """The decl's piece of ``.text``."""
    relocations: tuple[Relocation, ...]
    """Absolute addresses inside this decl's bytes (this decl is their holder)."""

    __slots__ = ("block", "got_index", "local_sym_index", "relocations")
    __match_args__ = ("local_sym_index", "got_index", "block", "relocations", "debug")

    def __init__(
        self,
        local_sym_index: int,
        got_index: int,
        block: TextBlock | None = None,
        relocations: tuple[Relocation, ...] = (),
    ) -> None:
        DeclDebug.__init__(self)
        self.local_sym_index = local_sym_index
        self.got_index = got_index
        self.block = TextBlock() if block is None else block
        self.relocations = relocations

    @property
    def debug(self) -> DeclDebug:
        """The decl's ``.debug_info`` entry and ``.debug_line`` program, if it is a function (this object)."""
        return self

    def __repr__(self) -> str:
        return record_repr(self, ("local_sym_index", "got_index", "block", "relocations", "info", "line", "fn_line"))


class ExportState:
    """A live export: its owner and its symbol (a global one; a local one for ``Internal`` linkage, since
    ELF requires every local before the first global)."""

    decl: DeclIndex
    symbol_index: int
    """Index into ``symtab.globals`` (or ``symtab.locals`` when ``is_local``)."""
    name: bytes
    linkage: Linkage
    is_local: bool

    __slots__ = ("decl", "is_local", "linkage", "name", "symbol_index")

    def __init__(
        self, decl: DeclIndex, symbol_index: int, name: bytes, linkage: Linkage, is_local: bool = False
    ) -> None:
        self.decl = decl
        self.symbol_index = symbol_index
        self.name = name
        self.linkage = linkage
        self.is_local = is_local


class DirtyFlags:
    """What ``flush`` must rewrite (elf-linker.md §9.1)."""

    phdr_table_dirty: bool
    """A program header changed (offset, size)."""
    shdr_table_dirty: bool
    """A section header changed; sections or the table moved."""
    shstrtab_dirty: bool
    """A string was appended to ``.shstrtab``."""
    globals_dirty: bool
    """A global symbol changed, or the local count changed (globals follow the locals)."""

    __slots__ = ("globals_dirty", "phdr_table_dirty", "shdr_table_dirty", "shstrtab_dirty")

    def __init__(
        self,
        phdr_table_dirty: bool = True,
        shdr_table_dirty: bool = True,
        shstrtab_dirty: bool = True,
        globals_dirty: bool = False,
    ) -> None:
        self.phdr_table_dirty = phdr_table_dirty
        self.shdr_table_dirty = shdr_table_dirty
        self.shstrtab_dirty = shstrtab_dirty
        self.globals_dirty = globals_dirty


def _section(name_offset: int, sh_type: int, flags: int, size: int, align: int) -> SectionHeader:
    return SectionHeader(name_offset, sh_type, flags, 0, 0, size, 0, 0, align, 0)


class SectionTable:
    """The section and program header tables and the file image they describe.

    This is the whole interface the section writers (DWARF, symbols, GOT, ``.text``) use: read a header,
    ``write`` a range of the image, ``grow_section`` (moving it, with its live bytes, when it outgrows its
    room) and ``relocate_if_full`` for the append-only string tables (elf-linker.md §4).
    """

    def __init__(self, layout: ElfLayout) -> None:
        self.layout = layout
        """ELF64 for x86-64; ELF32 for 32-bit x86 (§11)."""
        self.image = FileImage(header_size=layout.ehdr_size)
        """The file as it will be after the queued operations; the queue itself."""
        self.phdrs: list[ProgramHeader] = []
        """Program header 0 is ``.text``'s R+X ``PT_LOAD``, 1 the GOT's R ``PT_LOAD``."""
        self.shdrs: list[SectionHeader] = []
        """Section 0 is ``SHT_NULL``; 1–9 as ``SECTION_NAMES``."""
        self.shdr_table_offset = 0
        self.phdr_table_offset = 0
        self.dirty = DirtyFlags()

    # ------------------------------------------------------------------ file space (§4)

    def regions(self) -> list[Region]:
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
        return find_free_space(size, align, self.layout.ehdr_size, self.regions())

    def allocated_size(self, start: int) -> int | None:
        """elf-linker.md §4 ``allocated_size`` over the current layout (None: unbounded)."""
        return allocated_size(start, self._starts())

    def fits(self, start: int, needed: int) -> bool:
        """Whether ``needed`` bytes fit in the room at file offset ``start`` (``allocated_size``'s scan, written
        out: asked several times per decl while a fresh image grows, elf-linker.md §4)."""
        if start == 0:
            return needed <= 0
        limit = start + needed
        for offset in (self.shdr_table_offset, self.phdr_table_offset):
            if start < offset < limit:
                return False
        for shdr in self.shdrs:
            offset = shdr.sh_offset
            if start < offset < limit:
                return False
        for phdr in self.phdrs:
            offset = phdr.p_offset
            if start < offset < limit:
                return False
        return True

    def segment_of(self, index: int) -> ProgramHeader | None:
        """The program header that maps section ``index`` (``.text`` and ``.got`` only)."""
        if index == TEXT:
            return self.phdrs[TEXT_PHDR]
        if index == GOT:
            return self.phdrs[GOT_PHDR]
        return None

    def move_section(self, index: int, needed: int, live: int, align: int) -> None:
        """Move section ``index`` (and its segment, for ``.text``/``.got``) to free space for ``needed``
        bytes, copying its first ``live`` bytes (elf-linker.md §4)."""
        section = self.shdrs[index]
        old = section.sh_offset
        section.sh_size = 0
        phdr = self.segment_of(index)
        if phdr is not None:
            phdr.p_filesz = 0
        new = self.find_free_space(needed, align)
        self.image.copy(old, new, live)
        section.sh_offset = new
        if phdr is not None:
            phdr.p_offset = new
        self.dirty.shdr_table_dirty = True
        self.dirty.phdr_table_dirty = True

    # ------------------------------------------------------------------ the writers' interface

    def offset(self, index: int) -> int:
        """File offset of section ``index``."""
        return self.shdrs[index].sh_offset

    def write(self, offset: int, data: bytes, *, exact: bool = False) -> None:
        """Queue ``data`` at file ``offset`` (see ``FileImage.write``)."""
        self.image.write(offset, data, exact=exact)

    def read(self, offset: int, length: int) -> bytes:
        """Bytes of the image as the queued operations leave it."""
        return self.image.read(offset, length)

    def grow_section(self, index: int, needed: int) -> None:
        """Make section ``index`` exactly ``needed`` bytes; if it outgrows its room it moves, live bytes
        copied (the debug sections, elf-linker.md §14)."""
        section = self.shdrs[index]
        if section.sh_size == needed:
            return
        if needed > section.sh_size and not self.fits(section.sh_offset, needed):
            self.move_section(index, needed, section.sh_size, section.sh_addralign or 1)
        section.sh_size = needed
        self.dirty.shdr_table_dirty = True

    def relocate_if_full(self, index: int, needed: int) -> bool:
        """For an append-only string section: if ``needed`` bytes do not fit at its offset, give it free space
        (nothing copied: the caller rewrites it whole) and return True."""
        section = self.shdrs[index]
        if self.fits(section.sh_offset, needed):
            return False
        section.sh_size = 0
        section.sh_offset = self.find_free_space(needed, 1)
        self.dirty.shdr_table_dirty = True
        return True

    # ------------------------------------------------------------------ a fresh file (§3)

    def describe_fresh(self, shstrtab: StringTable, program_code_size_hint: int, symbol_count_hint: int) -> None:
        """Describe a fresh file exactly as elf-linker.md §3 does, step by step (names go into ``shstrtab``)."""
        layout = self.layout
        self.shdrs = [SectionHeader(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
        text_size = program_code_size_hint
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
        got_size = symbol_count_hint * layout.ptr_size
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
        shstrtab_section = _section(shstrtab.make_string(b".shstrtab"), SectionType.SHT_STRTAB, 0, 0, 1)
        shstrtab_section.sh_offset = self.find_free_space(1, 1)
        shstrtab_section.sh_size = len(shstrtab.data)
        self.shdrs.append(shstrtab_section)
        alloc_exec = SectionFlags.SHF_ALLOC | SectionFlags.SHF_EXECINSTR
        for index, flags in ((TEXT_PHDR, alloc_exec), (GOT_PHDR, SectionFlags.SHF_ALLOC)):
            phdr = self.phdrs[index]
            name = shstrtab.make_string(SECTION_NAMES[index + 1])
            section = _section(name, SectionType.SHT_PROGBITS, flags, phdr.p_filesz, phdr.p_align)
            section.sh_addr = phdr.p_vaddr
            section.sh_offset = phdr.p_offset
            self.shdrs.append(section)
        symtab_size = symbol_count_hint * layout.sym_size
        symtab_align = layout.symtab_align
        symtab = _section(shstrtab.make_string(b".symtab"), SectionType.SHT_SYMTAB, 0, symtab_size, symtab_align)
        symtab.sh_offset = self.find_free_space(symtab_size, symtab_align)
        symtab.sh_link = SHSTRTAB
        symtab.sh_info = 1
        symtab.sh_entsize = layout.sym_size
        self.shdrs.append(symtab)
        self.image.write(symtab.sh_offset, bytes(layout.sym_size))
        debug_str = _section(
            shstrtab.make_string(b".debug_str"),
            SectionType.SHT_PROGBITS,
            SectionFlags.SHF_MERGE | SectionFlags.SHF_STRINGS,
            0,
            1,
        )
        debug_str.sh_entsize = 1
        self.shdrs.append(debug_str)
        for section_name, size, align in DEBUG_SECTION_HINTS:
            section = _section(shstrtab.make_string(section_name), SectionType.SHT_PROGBITS, 0, size, align)
            section.sh_offset = self.find_free_space(size, align)
            self.shdrs.append(section)
        table_align = layout.table_align
        self.shdr_table_offset = self.find_free_space(len(self.shdrs) * layout.shdr_size, table_align)
        self.phdr_table_offset = self.find_free_space(len(self.phdrs) * layout.phdr_size, table_align)
        self.image.tracking = False

    def section_at(self, file_offset: int) -> str | None:
        """What the file holds at ``file_offset`` now: ``ehdr``, ``shdr_table``, ``phdr_table`` or a section
        name (``.text``…); None outside every region."""
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
