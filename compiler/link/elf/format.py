"""ELF64 structures and constants: one ``struct.Struct`` per record, ``IntEnum``s named as the ELF spec names them."""

from __future__ import annotations

import enum
import struct
from typing import Final, NamedTuple

from compiler.record import record_eq, record_repr

ELF_MAGIC: Final = b"\x7fELF"


class ElfClass(enum.IntEnum):
    """``EI_CLASS``."""

    ELFCLASS32 = 1
    ELFCLASS64 = 2


class ElfData(enum.IntEnum):
    """``EI_DATA``."""

    ELFDATA2LSB = 1
    ELFDATA2MSB = 2


class ElfType(enum.IntEnum):
    """``e_type``."""

    ET_NONE = 0
    """Written while a commit is in progress: the kernel refuses to execute the file."""
    ET_REL = 1
    ET_EXEC = 2


class Machine(enum.IntEnum):
    """``e_machine``."""

    EM_386 = 3
    EM_X86_64 = 62


class SegmentType(enum.IntEnum):
    """``p_type``."""

    PT_NULL = 0
    PT_LOAD = 1


class SegmentFlags(enum.IntFlag):
    """``p_flags``."""

    PF_X = 1
    PF_W = 2
    PF_R = 4


class SectionType(enum.IntEnum):
    """``sh_type``."""

    SHT_NULL = 0
    SHT_PROGBITS = 1
    SHT_SYMTAB = 2
    SHT_STRTAB = 3


class SectionFlags(enum.IntFlag):
    """``sh_flags``."""

    SHF_WRITE = 1
    SHF_ALLOC = 2
    SHF_EXECINSTR = 4
    SHF_MERGE = 0x10
    SHF_STRINGS = 0x20


class SymbolBinding(enum.IntEnum):
    """``ST_BIND(st_info)``."""

    STB_LOCAL = 0
    STB_GLOBAL = 1
    STB_WEAK = 2


EHDR: Final = struct.Struct("<16sHHIQQQIHHHHHH")
"""Elf64_Ehdr: e_ident, e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx."""
PHDR: Final = struct.Struct("<IIQQQQQQ")
"""Elf64_Phdr: p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align."""
SHDR: Final = struct.Struct("<IIQQQQIIQQ")
"""Elf64_Shdr: sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info, sh_addralign,
sh_entsize."""
SYM: Final = struct.Struct("<IBBHQQ")
"""Elf64_Sym: st_name, st_info, st_other, st_shndx, st_value, st_size."""

assert EHDR.size == 64
assert PHDR.size == 56
assert SHDR.size == 64
assert SYM.size == 24

EHDR_SIZE: Final = EHDR.size
PHDR_SIZE: Final = PHDR.size
SHDR_SIZE: Final = SHDR.size
SYM_SIZE: Final = SYM.size
E_TYPE_OFFSET: Final = 16
"""File offset of ``e_type``: the commit marker writes ``ET_NONE`` there first (elf-linker.md §12)."""


_PHDR_FIELDS: Final = ("p_type", "p_flags", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz", "p_align")
"""A program header's fields in file order: its positional pattern, repr and equality."""
_SHDR_FIELDS: Final = (
    "sh_name",
    "sh_type",
    "sh_flags",
    "sh_addr",
    "sh_offset",
    "sh_size",
    "sh_link",
    "sh_info",
    "sh_addralign",
    "sh_entsize",
)
"""A section header's fields in file order: its positional pattern, repr and equality."""


class ProgramHeader:
    """One Elf64_Phdr, kept in memory and written into the program header table."""

    p_type: int
    p_flags: int
    p_offset: int
    p_vaddr: int
    p_paddr: int
    p_filesz: int
    p_memsz: int
    p_align: int

    __slots__ = ("p_align", "p_filesz", "p_flags", "p_memsz", "p_offset", "p_paddr", "p_type", "p_vaddr")
    __match_args__ = _PHDR_FIELDS

    def __init__(
        self,
        p_type: int,
        p_flags: int,
        p_offset: int,
        p_vaddr: int,
        p_paddr: int,
        p_filesz: int,
        p_memsz: int,
        p_align: int,
    ) -> None:
        self.p_type = p_type
        self.p_flags = p_flags
        self.p_offset = p_offset
        self.p_vaddr = p_vaddr
        self.p_paddr = p_paddr
        self.p_filesz = p_filesz
        self.p_memsz = p_memsz
        self.p_align = p_align

    def __repr__(self) -> str:
        return record_repr(self, _PHDR_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _PHDR_FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def pack(self) -> bytes:
        return PHDR.pack(
            self.p_type,
            self.p_flags,
            self.p_offset,
            self.p_vaddr,
            self.p_paddr,
            self.p_filesz,
            self.p_memsz,
            self.p_align,
        )

    @classmethod
    def unpack(cls, data: bytes) -> ProgramHeader:
        return cls(*PHDR.unpack(data))


class SectionHeader:
    """One Elf64_Shdr, kept in memory and written into the section header table."""

    sh_name: int
    sh_type: int
    sh_flags: int
    sh_addr: int
    sh_offset: int
    sh_size: int
    sh_link: int
    sh_info: int
    sh_addralign: int
    sh_entsize: int

    __slots__ = (
        "sh_addr",
        "sh_addralign",
        "sh_entsize",
        "sh_flags",
        "sh_info",
        "sh_link",
        "sh_name",
        "sh_offset",
        "sh_size",
        "sh_type",
    )
    __match_args__ = _SHDR_FIELDS

    def __init__(
        self,
        sh_name: int,
        sh_type: int,
        sh_flags: int,
        sh_addr: int,
        sh_offset: int,
        sh_size: int,
        sh_link: int,
        sh_info: int,
        sh_addralign: int,
        sh_entsize: int,
    ) -> None:
        self.sh_name = sh_name
        self.sh_type = sh_type
        self.sh_flags = sh_flags
        self.sh_addr = sh_addr
        self.sh_offset = sh_offset
        self.sh_size = sh_size
        self.sh_link = sh_link
        self.sh_info = sh_info
        self.sh_addralign = sh_addralign
        self.sh_entsize = sh_entsize

    def __repr__(self) -> str:
        return record_repr(self, _SHDR_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _SHDR_FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def pack(self) -> bytes:
        return SHDR.pack(
            self.sh_name,
            self.sh_type,
            self.sh_flags,
            self.sh_addr,
            self.sh_offset,
            self.sh_size,
            self.sh_link,
            self.sh_info,
            self.sh_addralign,
            self.sh_entsize,
        )

    @classmethod
    def unpack(cls, data: bytes) -> SectionHeader:
        return cls(*SHDR.unpack(data))


class Symbol:
    """One Elf64_Sym."""

    st_name: int
    st_info: int
    st_other: int
    st_shndx: int
    st_value: int
    st_size: int

    __slots__ = ("st_info", "st_name", "st_other", "st_shndx", "st_size", "st_value")
    __match_args__ = ("st_name", "st_info", "st_other", "st_shndx", "st_value", "st_size")

    def __init__(
        self,
        st_name: int = 0,
        st_info: int = 0,
        st_other: int = 0,
        st_shndx: int = 0,
        st_value: int = 0,
        st_size: int = 0,
    ) -> None:
        self.st_name = st_name
        self.st_info = st_info
        self.st_other = st_other
        self.st_shndx = st_shndx
        self.st_value = st_value
        self.st_size = st_size

    def __repr__(self) -> str:
        return record_repr(self, ("st_name", "st_info", "st_other", "st_shndx", "st_value", "st_size"))

    def __eq__(self, other: object) -> bool:
        # Spelled out (not record_eq): the linker compares a decl's symbol on every update.
        if type(other) is Symbol:
            o = other
            return (self.st_name, self.st_info, self.st_other, self.st_shndx, self.st_value, self.st_size) == (
                    o.st_name, o.st_info, o.st_other, o.st_shndx, o.st_value, o.st_size)  # fmt: skip
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def pack(self) -> bytes:
        return SYM.pack(self.st_name, self.st_info, self.st_other, self.st_shndx, self.st_value, self.st_size)

    @classmethod
    def unpack(cls, data: bytes) -> Symbol:
        return cls(*SYM.unpack(data))


def pack_ehdr(
    *,
    e_type: int,
    e_entry: int,
    e_phoff: int,
    e_shoff: int,
    e_phnum: int,
    e_shnum: int,
    e_shstrndx: int,
) -> bytes:
    """The 64-byte ELF header of elf-linker.md §10.1 (x86-64, little-endian)."""
    ident = ELF_MAGIC + bytes([ElfClass.ELFCLASS64, ElfData.ELFDATA2LSB, 1]) + bytes(9)
    return EHDR.pack(
        ident,
        e_type,
        Machine.EM_X86_64,
        1,
        e_entry,
        e_phoff,
        e_shoff,
        0,
        EHDR_SIZE,
        PHDR_SIZE,
        e_phnum,
        SHDR_SIZE,
        e_shnum,
        e_shstrndx,
    )


def align_forward(value: int, align: int) -> int:
    """The smallest multiple of ``align`` (≥ 1) not below ``value``."""
    if align <= 1:
        return value
    return (value + align - 1) // align * align


def align_backward(value: int, align: int) -> int:
    """The largest multiple of ``align`` (≥ 1) not above ``value``."""
    if align <= 1:
        return value
    return value // align * align


class FieldRangeError(Exception):
    """A value does not fit its ELF32 field: the link error ``value does not fit in ELF32 field``."""


EHDR32: Final = struct.Struct("<16sHHIIIIIHHHHHH")
"""Elf32_Ehdr (52 bytes): as Elf64_Ehdr with e_entry, e_phoff, e_shoff as u32."""
PHDR32: Final = struct.Struct("<IIIIIIII")
"""Elf32_Phdr (32 bytes): p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align."""
SHDR32: Final = struct.Struct("<IIIIIIIIII")
"""Elf32_Shdr (40 bytes): every field u32."""
SYM32: Final = struct.Struct("<IIIBBH")
"""Elf32_Sym (16 bytes): st_name, st_value, st_size, st_info, st_other, st_shndx."""

assert EHDR32.size == 52
assert PHDR32.size == 32
assert SHDR32.size == 40
assert SYM32.size == 16


def _pack(record: struct.Struct, *values: int | bytes) -> bytes:
    try:
        return record.pack(*values)
    except struct.error as error:
        raise FieldRangeError("value does not fit in ELF32 field") from error


class ElfLayout(NamedTuple):
    """What differs between ELF64 and ELF32 (elf-linker.md §11): record sizes, packing, pointer width."""

    elf_class: ElfClass
    machine: Machine
    ehdr_size: int
    phdr_size: int
    shdr_size: int
    sym_size: int
    ptr_size: int
    """GOT entry and absolute-address width; also the DWARF address size."""
    symtab_align: int
    table_align: int
    """Alignment of the section and program header tables."""

    @property
    def is_64(self) -> bool:
        return self.elf_class is ElfClass.ELFCLASS64

    def pack_ehdr(
        self,
        *,
        e_type: int,
        e_entry: int,
        e_phoff: int,
        e_shoff: int,
        e_phnum: int,
        e_shnum: int,
        e_shstrndx: int,
    ) -> bytes:
        ident = ELF_MAGIC + bytes([self.elf_class, ElfData.ELFDATA2LSB, 1]) + bytes(9)
        record = EHDR if self.is_64 else EHDR32
        return _pack(
            record,
            ident,
            e_type,
            self.machine,
            1,
            e_entry,
            e_phoff,
            e_shoff,
            0,
            self.ehdr_size,
            self.phdr_size,
            e_phnum,
            self.shdr_size,
            e_shnum,
            e_shstrndx,
        )

    def unpack_ehdr(self, data: bytes) -> tuple[int | bytes, ...]:
        """``(e_ident, e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
        e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx)``."""
        return (EHDR if self.is_64 else EHDR32).unpack(data)

    def pack_phdr(self, p: ProgramHeader) -> bytes:
        if self.is_64:
            return p.pack()
        return _pack(PHDR32, p.p_type, p.p_offset, p.p_vaddr, p.p_paddr, p.p_filesz, p.p_memsz, p.p_flags, p.p_align)

    def unpack_phdr(self, data: bytes) -> ProgramHeader:
        if self.is_64:
            return ProgramHeader.unpack(data)
        p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align = PHDR32.unpack(data)
        return ProgramHeader(p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align)

    def pack_shdr(self, s: SectionHeader) -> bytes:
        if self.is_64:
            return s.pack()
        return _pack(
            SHDR32,
            s.sh_name,
            s.sh_type,
            s.sh_flags,
            s.sh_addr,
            s.sh_offset,
            s.sh_size,
            s.sh_link,
            s.sh_info,
            s.sh_addralign,
            s.sh_entsize,
        )

    def unpack_shdr(self, data: bytes) -> SectionHeader:
        return SectionHeader(*(SHDR if self.is_64 else SHDR32).unpack(data))

    def pack_sym(self, s: Symbol) -> bytes:
        if self.is_64:
            return s.pack()
        return _pack(SYM32, s.st_name, s.st_value, s.st_size, s.st_info, s.st_other, s.st_shndx)

    def unpack_sym(self, data: bytes) -> Symbol:
        if self.is_64:
            return Symbol.unpack(data)
        st_name, st_value, st_size, st_info, st_other, st_shndx = SYM32.unpack(data)
        return Symbol(st_name, st_info, st_other, st_shndx, st_value, st_size)

    def pack_address(self, value: int) -> bytes:
        """A GOT entry or an absolute address (little-endian, ``ptr_size`` bytes)."""
        try:
            return value.to_bytes(self.ptr_size, "little")
        except OverflowError as error:
            raise FieldRangeError("value does not fit in ELF32 field") from error


ELF64_X86_64: Final = ElfLayout(ElfClass.ELFCLASS64, Machine.EM_X86_64, 64, 56, 64, 24, 8, 8, 8)
"""x86-64 Linux: the default target."""
ELF32_I386: Final = ElfLayout(ElfClass.ELFCLASS32, Machine.EM_386, 52, 32, 40, 16, 4, 4, 4)
"""32-bit x86 Linux (linker-level only: the code generator emits x86-64)."""

BIG_ENDIAN_ARCHS: Final = frozenset(
    {"powerpc", "powerpc64", "mips", "mips64", "sparc", "sparc64", "s390x", "aarch64_be"}
)
"""Architectures whose byte order the linker does not write."""


class UnsupportedTarget(Exception):
    """The output cannot be opened for this target (``unsupported target endianness``, …)."""


def layout_for_target(target: str) -> ElfLayout:
    """The ELF layout of a ``arch-os`` target string; big-endian targets are rejected (elf-linker.md §2)."""
    arch = target.split("-", 1)[0]
    if arch == "x86_64":
        return ELF64_X86_64
    if arch in ("i386", "i486", "i586", "i686", "x86"):
        return ELF32_I386
    if arch in BIG_ENDIAN_ARCHS:
        raise UnsupportedTarget("unsupported target endianness")
    raise UnsupportedTarget(f"unsupported target: {target}")
