"""The fresh image's fast paths agree with the definitions they replace (elf-linker.md §4, §14).

``SectionTable.fits`` scans the region starts once instead of building ``allocated_size``'s list, and the
LEB128 encoders take one-byte values from a table: both are checked here against the spec's definitions,
written out independently of the code under test.
"""

from __future__ import annotations

import random

from compiler.link.elf.dwarf import sleb128, uleb128
from compiler.link.elf.format import layout_for_target
from compiler.link.elf.layout import SectionTable
from compiler.link.elf.symbols import StringTable


def _room(start: int, starts: list[int]) -> int | None:
    """elf-linker.md §4 ``allocated_size``: distance to the nearest region start beyond ``start``; None when
    there is none; 0 at offset 0."""
    if start == 0:
        return 0
    beyond = [s for s in starts if s > start]
    return min(beyond) - start if beyond else None


def _starts(sections: SectionTable) -> list[int]:
    return [
        sections.shdr_table_offset,
        sections.phdr_table_offset,
        *(s.sh_offset for s in sections.shdrs),
        *(p.p_offset for p in sections.phdrs),
    ]


def test_fits_equals_the_allocated_size_rule_on_random_layouts() -> None:
    rng = random.Random(13)
    sections = SectionTable(layout_for_target("x86_64-linux"))
    sections.describe_fresh(StringTable(), 4096, 32)
    checked = 0
    for _ in range(300):
        for shdr in sections.shdrs:
            shdr.sh_offset = rng.choice((0, rng.randrange(1, 1 << 16)))
        for phdr in sections.phdrs:
            phdr.p_offset = rng.randrange(0, 1 << 16)
        sections.shdr_table_offset = rng.randrange(0, 1 << 16)
        sections.phdr_table_offset = rng.randrange(0, 1 << 16)
        starts = _starts(sections)
        for start in [0, *rng.sample(starts, 4), rng.randrange(0, 1 << 16)]:
            room = _room(start, starts)
            for needed in (0, 1, room or 0, (room or 0) + 1, rng.randrange(0, 1 << 17)):
                assert sections.fits(start, needed) == (room is None or needed <= room), (start, needed, starts)
                checked += 1
    assert checked == 300 * 6 * 5


def _uleb(value: int) -> bytes:
    """DWARF 4 §7.6, unsigned: seven bits per byte, low first, the high bit set on every byte but the last."""
    out = []
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _sleb(value: int) -> bytes:
    """DWARF 4 §7.6, signed: as unsigned, ending once the rest is all sign bits and bit 6 shows the sign."""
    out = []
    while True:
        low, value = value & 0x7F, value >> 7
        last = (value == 0 and low < 0x40) or (value == -1 and low >= 0x40)
        out.append(low if last else low | 0x80)
        if last:
            return bytes(out)


def test_leb128_one_byte_table_and_the_general_path_agree_with_the_definition() -> None:
    values = [*range(-300, 300), 0x7F, 0x80, 0x3FFF, 0x4000, -0x40, -0x41, 1 << 27, -(1 << 27), (1 << 63) - 1]
    for value in values:
        assert sleb128(value) == _sleb(value), value
        if value >= 0:
            assert uleb128(value) == _uleb(value), value
    assert uleb128(5) == b"\x05" and uleb128(0x80) == b"\x80\x01"
    assert sleb128(-1) == b"\x7f" and sleb128(0x40) == b"\xc0\x00"
