"""Decodes ``.debug_line`` (DWARF 4 line programs): which source line each code address came from.

ZIR Live writes one sequence per function, starting with ``DW_LNE_set_address`` of its block
(docs/design/elf-linker.md §14.5), so one function's rows are found by searching that opcode and decoding
from there: answering for one decl costs its own rows, not the program's. Every read is bounds-checked;
a malformed program raises ``InspectError``. Tests compare the rows with pyelftools' decoder.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from compiler.inspect.binary import Binary, InspectError

MAX_ROWS_PER_SEQUENCE = 1 << 20
"""A sequence with more rows than this is corrupt (it would describe more code than .text can hold)."""


@dataclass(frozen=True, slots=True)
class LineHeader:
    """What decoding needs from a line program header."""

    program_start: int
    """File offset of the first opcode."""
    program_end: int
    min_inst_length: int
    line_base: int
    line_range: int
    opcode_base: int
    standard_lengths: bytes


class _Reader:
    """A bounds-checked cursor over ``data[pos:end]``."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int, end: int) -> None:
        self.data, self.pos, self.end = data, pos, end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise InspectError(".debug_line: program runs past its end")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def fixed(self, size: int) -> int:
        if self.pos + size > self.end:
            raise InspectError(".debug_line: program runs past its end")
        value = int.from_bytes(self.data[self.pos : self.pos + size], "little")
        self.pos += size
        return value

    def uleb(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result
            if shift > 63:
                raise InspectError(".debug_line: LEB128 value too long")

    def sleb(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result - (1 << shift) if byte & 0x40 else result
            if shift > 63:
                raise InspectError(".debug_line: LEB128 value too long")


def read_header(binary: Binary) -> LineHeader | None:
    """The header of the (single) line program, or None when ``.debug_line`` is empty."""
    section = binary.section(".debug_line")
    if section.size == 0:
        return None
    data = binary.data
    reader = _Reader(data, section.offset, section.offset + section.size)
    unit_length = reader.fixed(4)
    offset_size = 4
    if unit_length == 0xFFFFFFFF:
        unit_length, offset_size = reader.fixed(8), 8
    unit_end = reader.pos + unit_length
    if unit_end > reader.end:
        raise InspectError(".debug_line: unit longer than its section")
    version = reader.fixed(2)
    if version not in (2, 3, 4):
        raise InspectError(f".debug_line: unsupported version {version}")
    header_length = reader.fixed(offset_size)
    program_start = reader.pos + header_length
    if program_start > unit_end:
        raise InspectError(".debug_line: header longer than its unit")
    min_inst_length = reader.byte()
    if version >= 4:
        reader.byte()  # maximum_operations_per_instruction
    reader.byte()  # default_is_stmt
    line_base = struct.unpack("b", bytes([reader.byte()]))[0]
    line_range = reader.byte()
    opcode_base = reader.byte()
    if line_range == 0 or opcode_base == 0:
        raise InspectError(".debug_line: line_range or opcode_base is 0")
    lengths = bytes(reader.byte() for _ in range(opcode_base - 1))
    return LineHeader(program_start, unit_end, min_inst_length, line_base, line_range, opcode_base, lengths)


def decode(binary: Binary, header: LineHeader, start: int | None = None) -> dict[int, list[tuple[int, int]]]:
    """Rows ``(address, line)`` per sequence, keyed by the sequence's first address. From ``start`` (a file
    offset inside the program) only the sequence beginning there is decoded; otherwise the whole program."""
    data = binary.data
    reader = _Reader(data, header.program_start if start is None else start, header.program_end)
    sequences: dict[int, list[tuple[int, int]]] = {}
    rows: list[tuple[int, int]] = []
    address, line = 0, 1

    def emit() -> None:
        rows.append((address, line))
        if len(rows) > MAX_ROWS_PER_SEQUENCE:
            raise InspectError(".debug_line: sequence too long")

    while reader.pos < reader.end:
        opcode = reader.byte()
        if opcode >= header.opcode_base:
            adjusted = opcode - header.opcode_base
            address += (adjusted // header.line_range) * header.min_inst_length
            line += header.line_base + adjusted % header.line_range
            emit()
        elif opcode == 0:
            length = reader.uleb()
            body_end = reader.pos + length
            if length == 0 or body_end > reader.end:
                raise InspectError(".debug_line: bad extended opcode")
            sub = reader.byte()
            if sub == 1:  # DW_LNE_end_sequence
                emit()
                if rows:
                    sequences.setdefault(rows[0][0], rows)
                rows = []
                address, line = 0, 1
                if start is not None:
                    return sequences
            elif sub == 2:  # DW_LNE_set_address
                address = reader.fixed(length - 1)
            reader.pos = body_end
        elif opcode == 1:  # DW_LNS_copy
            emit()
        elif opcode == 2:  # DW_LNS_advance_pc
            address += reader.uleb() * header.min_inst_length
        elif opcode == 3:  # DW_LNS_advance_line
            line += reader.sleb()
        elif opcode == 8:  # DW_LNS_const_add_pc
            address += ((255 - header.opcode_base) // header.line_range) * header.min_inst_length
        elif opcode == 9:  # DW_LNS_fixed_advance_pc
            address += reader.fixed(2)
        else:  # other standard opcodes: skip their ULEB128 operands
            for _ in range(header.standard_lengths[opcode - 1]):
                reader.uleb()
    return sequences


def rows_of(binary: Binary, header: LineHeader | None, address: int) -> list[tuple[int, int]]:
    """The rows of the function whose block starts at ``address`` (empty when it has none)."""
    if header is None:
        return []
    needle = b"\x00\x09\x02" + address.to_bytes(8, "little")
    at = binary.data.find(needle, header.program_start, header.program_end)
    if at < 0:
        return []
    return decode(binary, header, at).get(address, [])


def line_at(rows: list[tuple[int, int]], address: int) -> int | None:
    """The line of the last row at or before ``address`` (rows in address order), or None."""
    found: int | None = None
    for row_address, line in rows:
        if row_address > address:
            break
        found = line
    return found
