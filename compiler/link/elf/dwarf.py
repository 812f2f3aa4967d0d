"""DWARF 4 debug information as per-decl pieces: .debug_info entries and .debug_line programs (§14).

Like text blocks, pieces get 4/3 of their size as room and move to the end of their section when they outgrow
it; an update rewrites only the pieces of the decls it touched, and a moved function line costs 4 bytes.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from typing import Final, assert_never

from compiler.link import TEXT_VADDR, BaseTypeEncoding, DebugInfo, DebugType, RowKind
from compiler.link.elf.format import SectionHeader
from compiler.link.elf.layout import (
    DEBUG_ABBREV,
    DEBUG_ARANGES,
    DEBUG_INFO,
    DEBUG_LINE,
    DEBUG_STR,
    TEXT_PHDR,
    DeclState,
    SectionTable,
)
from compiler.link.elf.pieces import PieceList
from compiler.link.elf.text_blocks import ideal
from compiler.version import __version__

PRODUCER: Final = f"ZIR Live {__version__}".encode()
"""``DW_AT_producer``; reopening an output requires the same producer (§13.2)."""

CU_HEADER_SIZE: Final = 74
"""The 64-bit compilation-unit header of §14.3 (38 bytes in the 32-bit format)."""
PRODUCER_FIELD: Final = 64
"""Offset of the CU's producer ``strp`` in ``.debug_info`` (32 in the 32-bit format)."""
CU_HEADER_SIZE_32: Final = 38
PRODUCER_FIELD_32: Final = 32
FIRST_INFO_ENTRY: Final = ideal(120)
"""160: where the first per-decl ``.debug_info`` entry goes."""
INFO_PADDING: Final = 0x05
"""Abbrev 5 (``unspecified_type``, no attributes): a 1-byte DIE that fills gaps."""
LINE_OPERAND: Final = 12
"""Offset of the 4-byte ``advance_line`` operand in a line program (after 11 bytes of set_address and 03);
8 with 4-byte addresses."""
LINE_SPAN_GAP: Final = 4096
"""Line operands closer than this share one write (``shift_line_numbers``): copying a few KB of unchanged
bytes costs less than a ``pwrite`` call."""
DW_LANG_C99: Final = 0x000C
OPCODE_LENGTHS: Final = bytes([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1])


def _abbrev_table() -> bytes:
    def entry(code: int, tag: int, children: bool, attrs: list[tuple[int, int]]) -> bytes:
        body = bytes([code, tag, 1 if children else 0])
        for name, form in attrs:
            body += bytes([name, form])
        return body + b"\0\0"

    low_pc, high_addr, high_data4 = (0x11, 0x01), (0x12, 0x01), (0x12, 0x06)
    name_strp, name_string, type_ref4 = (0x03, 0x0E), (0x03, 0x08), (0x49, 0x13)
    table = entry(1, 0x11, True, [(0x10, 0x17), low_pc, high_addr, name_strp, (0x1B, 0x0E), (0x25, 0x0E), (0x13, 0x05)])
    table += entry(2, 0x2E, True, [low_pc, high_data4, type_ref4, name_string])
    table += entry(3, 0x2E, True, [low_pc, high_data4, name_string])
    table += entry(4, 0x24, False, [(0x3E, 0x0B), (0x0B, 0x0B), name_string])
    table += entry(5, 0x3B, False, [])
    table += entry(6, 0x05, False, [(0x02, 0x18), type_ref4, name_string])
    return table + b"\0\0\0"


ABBREV_TABLE: Final = _abbrev_table()
assert len(ABBREV_TABLE) == 73


_ONE_BYTE: Final = tuple(bytes((i,)) for i in range(256))
"""Every single byte: the LEB128 encodings of the small values nearly every line row uses."""


def uleb128(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb128(value: int) -> bytes:
    if -0x40 <= value < 0x40:
        return _ONE_BYTE[value & 0x7F]
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def fixed_uleb4(value: int) -> bytes:
    """A 4-byte ULEB128 of ``value`` (< 2^27, so it reads the same as SLEB128)."""
    return bytes(
        [(value & 0x7F) | 0x80, ((value >> 7) & 0x7F) | 0x80, ((value >> 14) & 0x7F) | 0x80, (value >> 21) & 0x7F]
    )


def line_padding(count: int) -> bytes:
    """``count`` bytes of no-op line opcodes: ``06`` pairs, plus ``02 80 00`` when ``count`` is odd."""
    assert count != 1, "a one-byte gap cannot be padded"
    if count % 2:
        return b"\x02\x80\x00" + b"\x06" * (count - 3)
    return b"\x06" * count


def read_producer(
    data: bytes, debug_info: SectionHeader, debug_str: SectionHeader, *, dwarf64: bool = True
) -> bytes | None:
    """The producer string a file's CU header refers to (None if there is none)."""
    header_size, field, width = (
        (CU_HEADER_SIZE, PRODUCER_FIELD, 8) if dwarf64 else (CU_HEADER_SIZE_32, PRODUCER_FIELD_32, 4)
    )
    if debug_info.sh_size < header_size or debug_str.sh_size == 0:
        return None
    field_at = debug_info.sh_offset + field
    if field_at + width > len(data):
        return None
    (offset,) = struct.unpack_from("<Q" if dwarf64 else "<I", data, field_at)
    if offset >= debug_str.sh_size:
        return None
    start = debug_str.sh_offset + offset
    end = data.find(b"\0", start, debug_str.sh_offset + debug_str.sh_size)
    return None if end < 0 else data[start:end]


_TYPE_ENTRIES: Final[dict[DebugType, bytes]] = {}
"""Each type's entry, built once (every function repeats its return type's)."""


def _type_entry(debug_type: DebugType) -> bytes:
    """A type's ``.debug_info`` entry: a base type (abbrev 4), or one padding byte (unspecified type)."""
    entry = _TYPE_ENTRIES.get(debug_type)
    if entry is None:
        if debug_type.encoding is None:
            entry = bytes([INFO_PADDING])
        else:
            encoding = BaseTypeEncoding(debug_type.encoding)
            name = debug_type.name.encode("utf-8", "surrogateescape")
            entry = bytes([4, encoding, debug_type.byte_size]) + name + b"\0"
        if len(_TYPE_ENTRIES) >= 4096:  # a long session's renamed types: keep the table small
            _TYPE_ENTRIES.clear()
        _TYPE_ENTRIES[debug_type] = entry
    return entry


class DwarfState:
    """The debug sections in memory and the flush steps 2–5 and 8 that write them."""

    def __init__(self, root_src_path: str = "", comp_dir: str = "", *, dwarf64: bool = True) -> None:
        self.dwarf64 = dwarf64
        """64-bit DWARF with 8-byte addresses (ELF64), or 32-bit DWARF with 4-byte addresses (ELF32)."""
        self.addr = "Q" if dwarf64 else "I"
        """``struct`` code of an address and of a section offset."""
        self.addr_size = 8 if dwarf64 else 4
        self._pack_addr = struct.Struct("<" + self.addr).pack
        self._pack_low_pc_size = struct.Struct("<" + self.addr + "I").pack
        """An address; an address and a 4-byte length (built once: every function's pieces use them)."""
        self.root_src_path = os.fsencode(root_src_path)
        self.comp_dir = os.fsencode(comp_dir or os.getcwd())
        self.strings = bytearray()
        """``.debug_str``: three strings, written once (§14.1)."""
        self.name_strp = self._add_string(self.root_src_path)
        self.comp_dir_strp = self._add_string(self.comp_dir)
        self.producer_strp = self._add_string(PRODUCER)
        self.strings_file_size = 0
        """Bytes of ``.debug_str`` in the file at its current offset."""
        self.info = PieceList(FIRST_INFO_ENTRY, no_one_byte_gap=False)
        self.lines = PieceList(ideal(73 + len(self.comp_dir) + len(self.root_src_path)), no_one_byte_gap=True)
        self.debug_abbrev_dirty = True
        self.debug_info_header_dirty = True
        self.debug_aranges_dirty = True
        self.debug_line_header_dirty = True
        self.line_shifts: list[tuple[int, int]] = []
        """``(from_line, delta)`` of edits that added or removed lines, not yet in the functions' operands
        (``settle_line_numbers``)."""
        self.defer_line_shifts = False
        """Keep line shifts pending until ``settle_line_numbers`` (``zir watch``: when idle), instead of
        applying them at once."""

    def _add_string(self, text: bytes) -> int:
        offset = len(self.strings)
        self.strings += text + b"\0"
        return offset

    def text_grew(self) -> None:
        """``.text`` grew: the CU's ``high_pc`` and the aranges change."""
        self.debug_info_header_dirty = True
        self.debug_aranges_dirty = True

    def reset_after_reopen(self, sections: SectionTable) -> None:
        """After reopening a file: new headers, empty piece lists (§13.2)."""

        self.strings_file_size = sections.shdrs[DEBUG_STR].sh_size
        if bytes(sections.read(sections.shdrs[DEBUG_STR].sh_offset, self.strings_file_size)) != self.strings:
            self.strings_file_size = 0
        self.text_grew()
        self.debug_abbrev_dirty = True
        self.debug_line_header_dirty = True

    # ---------------------------------------------------------------- sections

    def _info_size(self) -> int:
        return self.info.end() + 1

    def _initial_length(self, section_size: int) -> bytes:
        """The unit length field of a unit spanning the whole section."""
        if self.dwarf64:
            return b"\xff\xff\xff\xff" + struct.pack("<Q", section_size - 12)
        return struct.pack("<I", section_size - 4)

    def _line_header(self, section_size: int) -> bytes:
        """The line program's header for a section of ``section_size`` bytes (its length does not depend on it)."""
        after_length = bytes([1, 1, 1, 1, 1, 13]) + OPCODE_LENGTHS + b"\0"
        after_length += self.root_src_path + b"\0" + b"\0\0\0" + b"\0"
        version_and_length = struct.pack("<H" + self.addr, 4, len(after_length))
        return self._initial_length(section_size) + version_and_length + after_length

    def line_header_size(self) -> int:
        """Bytes of the line program's header: the first function's program may start no earlier."""
        return len(self._line_header(1 << 16))  # any size: the initial length field has a fixed width

    def line_operand(self) -> int:
        """Offset of the 4-byte line operand in a program: after ``00 len 02 <address>`` and ``03``."""
        return 3 + self.addr_size + 1

    # ---------------------------------------------------------------- per-decl pieces

    def update_decl(self, sections: SectionTable, state: DeclState, name: str, info: DebugInfo | None) -> None:
        """Place or rewrite the decl's ``.debug_info`` entry and line program (functions only)."""
        debug = state.debug
        if info is None:
            self.free_decl(sections, state)
            return
        debug.fn_line = info.line
        debug.line_epoch = len(self.line_shifts)
        self._write_info(sections, state, name, info)
        self._write_line(sections, state, info)

    def _write_info(self, sections: SectionTable, state: DeclState, name: str, info: DebugInfo) -> None:

        piece = state.debug.info
        template, relocs = self._info_template(state, name, info)
        length = len(template)
        old_offset, old_length, was_placed = piece.offset, piece.length, piece.is_placed
        was_first = self.info.first is piece
        moved = self.info.place(piece, length)
        sections.grow_section(DEBUG_INFO, self._info_size())
        base = sections.shdrs[DEBUG_INFO].sh_offset
        if moved and was_placed:
            sections.write(base + old_offset, bytes([INFO_PADDING]) * old_length)
        if moved and (was_first or self.info.first is piece):
            self.debug_info_header_dirty = True
        content = self._info_at(piece.offset, template, relocs)
        gap_end = piece.next.offset if piece.next is not None else piece.offset + length
        tail = b"\0" if piece.next is None else b""
        padding = bytes([INFO_PADDING]) * (gap_end - piece.offset - length)
        if piece.prev is not None:
            prev_end = piece.prev.offset + piece.prev.length
            sections.write(base + prev_end, bytes([INFO_PADDING]) * (piece.offset - prev_end))
        sections.write(base + piece.offset, content + padding + tail)
        self.debug_info_header_dirty |= piece.next is None

    def _info_template(self, state: DeclState, name: str, info: DebugInfo) -> tuple[bytearray, list[tuple[int, int]]]:
        """The decl's DIE and its base types with type references relative to the piece's start, and where
        those references are (``(position, relative offset)``): built once, placed by ``_info_at``."""
        types: list[DebugType] = []
        for debug_type in ([info.return_type] if info.return_type else []) + [p.type for p in info.params]:
            if debug_type not in types:
                types.append(debug_type)
        head = bytearray([2 if info.return_type else 3])
        head += self._pack_low_pc_size(state.block.vaddr, state.block.size)
        fixups: list[tuple[int, DebugType]] = []
        if info.return_type is not None:
            fixups.append((len(head), info.return_type))
            head += bytes(4)
        head += name.encode("utf-8", "surrogateescape") + b"\0"
        for param in info.params:
            head += bytes([6, 1, 0x50 + param.dwarf_reg])
            fixups.append((len(head), param.type))
            head += bytes(4)
            head += param.name.encode("utf-8", "surrogateescape") + b"\0"
        head.append(0)
        type_offsets: dict[DebugType, int] = {}
        for debug_type in types:
            type_offsets[debug_type] = len(head)
            head += _type_entry(debug_type)
        return head, [(at, type_offsets[debug_type]) for at, debug_type in fixups]

    @staticmethod
    def _info_at(offset: int, template: bytearray, relocs: list[tuple[int, int]]) -> bytes:
        """The template's bytes for a piece at ``offset`` in ``.debug_info`` (type references made absolute)."""
        for at, relative in relocs:
            template[at : at + 4] = struct.pack("<I", offset + relative)
        return bytes(template)

    def _write_line(self, sections: SectionTable, state: DeclState, info: DebugInfo) -> None:

        piece = state.debug.line
        content = self._line_bytes(state, info)
        old_offset, old_length, was_placed = piece.offset, piece.length, piece.is_placed
        moved = self.lines.place(piece, len(content))
        sections.grow_section(DEBUG_LINE, self.lines.end())
        if self.lines.last is piece or moved:
            self.debug_line_header_dirty = True
        base = sections.shdrs[DEBUG_LINE].sh_offset
        if moved and was_placed:
            sections.write(base + old_offset, line_padding(old_length))
        if piece.prev is not None:
            prev_end = piece.prev.offset + piece.prev.length
            sections.write(base + prev_end, line_padding(piece.offset - prev_end))
        gap = (piece.next.offset - piece.offset - len(content)) if piece.next is not None else 0
        sections.write(base + piece.offset, content + line_padding(gap))

    def _line_bytes(self, state: DeclState, info: DebugInfo) -> bytes:
        out = bytearray([0, 1 + self.addr_size, 2]) + self._pack_addr(state.block.vaddr)
        out += b"\x03" + fixed_uleb4(info.line)
        out += b"\x04\x81\x80\x80\x00\x01"
        pc, line = 0, info.line
        for row in info.rows:
            match row.kind:
                case RowKind.PROLOGUE_END:
                    out.append(0x0A)
                case RowKind.EPILOGUE_BEGIN:
                    out.append(0x0B)
                case RowKind.STMT:
                    pass
                case _:
                    assert_never(row.kind)
            out += b"\x02" + uleb128(row.code_offset - pc)
            if row.line != line:
                out += b"\x03" + sleb128(row.line - line)
            out.append(0x01)
            pc, line = row.code_offset, row.line
        out += b"\x02" + uleb128(max(state.block.size - pc, 0)) + b"\x00\x01\x01"
        return bytes(out)

    def free_decl(self, sections: SectionTable, state: DeclState) -> None:
        """Unlink the decl's pieces and overwrite them with padding (§14.3)."""

        debug = state.debug
        if debug.info.is_placed:
            piece = debug.info
            was_last, was_first = self.info.last is piece, self.info.first is piece
            base = sections.shdrs[DEBUG_INFO].sh_offset
            sections.write(base + piece.offset, bytes([INFO_PADDING]) * piece.length)
            self.info.unlink(piece)
            if was_last:
                sections.write(base + self.info.end(), b"\0")
                sections.grow_section(DEBUG_INFO, self._info_size())
            self.debug_info_header_dirty |= was_last or was_first
        if debug.line.is_placed:
            piece = debug.line
            was_last = self.lines.last is piece
            base = sections.shdrs[DEBUG_LINE].sh_offset
            sections.write(base + piece.offset, line_padding(piece.length))
            self.lines.unlink(piece)
            if was_last:
                sections.grow_section(DEBUG_LINE, self.lines.end())
                self.debug_line_header_dirty = True

    def update_line_number(self, sections: SectionTable, state: DeclState, line: int) -> None:
        """Rewrite the function's 4-byte ``advance_line`` operand (§14.5)."""

        debug = state.debug
        debug.fn_line = line
        debug.line_epoch = len(self.line_shifts)
        if debug.line.is_placed:
            offset = sections.shdrs[DEBUG_LINE].sh_offset + debug.line.offset + self.line_operand()
            sections.write(offset, fixed_uleb4(line), exact=True)

    def shift_line_numbers(
        self, sections: SectionTable, states: Iterable[DeclState], from_line: int, delta: int
    ) -> int:
        """Every placed function at or after ``from_line`` moved by ``delta`` lines (§14.5): recorded, and
        applied at once unless ``defer_line_shifts``; returns how many line operands were rewritten now."""
        self.line_shifts.append((from_line, delta))
        return 0 if self.defer_line_shifts else self.settle_line_numbers(sections, states)

    def settle_line_numbers(self, sections: SectionTable, states: Iterable[DeclState]) -> int:
        """Apply the pending line shifts to every placed function (``states``: all of them); returns how many
        line operands were rewritten.

        A function placed or given its line after a shift was recorded already has it (``line_epoch``). The
        operands are written as a few spans of ``.debug_line`` (operands less than ``LINE_SPAN_GAP`` apart
        share one, with the bytes between them as they are), not one 4-byte write each: after an edit near
        the top of a big file that is one write of most of the section instead of thousands of ``pwrite`` calls."""
        shifts = self.line_shifts
        count = len(shifts)
        if not count:
            return 0
        base = sections.shdrs[DEBUG_LINE].sh_offset + self.line_operand()
        operands: list[tuple[int, int]] = []
        for state in states:
            debug = state.debug
            epoch = debug.line_epoch
            debug.line_epoch = 0
            if epoch == count or not debug.line.is_placed:
                continue
            line = old = debug.fn_line
            for from_line, delta in shifts[epoch:] if epoch else shifts:
                if line >= from_line:
                    line += delta
            if line != old:
                debug.fn_line = line
                operands.append((base + debug.line.offset, line))
        shifts.clear()
        operands.sort()
        first = 0
        for k in range(1, len(operands) + 1):
            if k == len(operands) or operands[k][0] - operands[k - 1][0] > LINE_SPAN_GAP:
                start = operands[first][0]
                span = bytearray(sections.read(start, operands[k - 1][0] + 4 - start))
                for at, line in operands[first:k]:
                    span[at - start : at - start + 4] = fixed_uleb4(line)
                sections.write(start, bytes(span), exact=True)
                first = k
        return len(operands)

    # ---------------------------------------------------------------- flush steps

    def flush_headers(self, sections: SectionTable) -> None:
        """Flush steps 2–5: abbrev table, CU header, aranges, line header (each only if dirty)."""

        text = sections.phdrs[TEXT_PHDR]
        if self.debug_abbrev_dirty:
            sections.grow_section(DEBUG_ABBREV, len(ABBREV_TABLE))
            sections.write(sections.shdrs[DEBUG_ABBREV].sh_offset, ABBREV_TABLE)
            self.debug_abbrev_dirty = False
        if self.debug_info_header_dirty and self.info.first is not None:
            size = self._info_size()
            sections.grow_section(DEBUG_INFO, size)
            a = self.addr
            header = self._initial_length(size) + struct.pack("<H" + a + "B", 4, 0, self.addr_size) + b"\x01"
            header += struct.pack(
                "<" + a * 6 + "H",
                0,
                TEXT_VADDR,
                TEXT_VADDR + text.p_memsz,
                self.name_strp,
                self.comp_dir_strp,
                self.producer_strp,
                DW_LANG_C99,
            )
            assert len(header) == (CU_HEADER_SIZE if self.dwarf64 else CU_HEADER_SIZE_32)
            padding = bytes([INFO_PADDING]) * (FIRST_INFO_ENTRY - len(header))
            sections.write(sections.shdrs[DEBUG_INFO].sh_offset, header + padding)
            self.debug_info_header_dirty = False
        if self.debug_aranges_dirty:
            a = self.addr
            head_size = (12 if self.dwarf64 else 4) + 2 + self.addr_size + 2
            tuples_at = -(-head_size // (2 * self.addr_size)) * 2 * self.addr_size
            size = tuples_at + 4 * self.addr_size
            sections.grow_section(DEBUG_ARANGES, size)
            aranges = self._initial_length(size) + struct.pack("<H" + a + "BB", 2, 0, self.addr_size, 0)
            aranges += bytes(tuples_at - len(aranges)) + struct.pack("<" + a * 4, TEXT_VADDR, text.p_memsz, 0, 0)
            sections.write(sections.shdrs[DEBUG_ARANGES].sh_offset, aranges)
            self.debug_aranges_dirty = False
        if self.debug_line_header_dirty and self.lines.first is not None:
            size = self.lines.end()
            sections.grow_section(DEBUG_LINE, size)
            header = self._line_header(size)
            gap = self.lines.first_offset - len(header)
            sections.write(sections.shdrs[DEBUG_LINE].sh_offset, header + line_padding(gap))
            self.debug_line_header_dirty = False

    def flush_strings(self, sections: SectionTable) -> None:
        """Flush step 8: ``.debug_str`` (written once, append-only)."""

        section = sections.shdrs[DEBUG_STR]
        if self.strings_file_size == len(self.strings) == section.sh_size:
            return
        if sections.relocate_if_full(DEBUG_STR, len(self.strings)):
            self.strings_file_size = 0
        start = self.strings_file_size
        sections.write(section.sh_offset + start, bytes(self.strings[start:]))
        self.strings_file_size = len(self.strings)
        section.sh_size = len(self.strings)
        sections.dirty.shdr_table_dirty = True
