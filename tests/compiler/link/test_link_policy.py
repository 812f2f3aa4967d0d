"""Placement policy with named numbers: capacity, free list, shrinking, GOT and symbol free lists, moves."""

from __future__ import annotations

from pathlib import Path

from compiler.link import GOT_VADDR, TEXT_VADDR, ExportRequest
from compiler.link.elf.layout import GOT, SYMTAB, TEXT
from compiler.link.elf.linker import ElfLinker
from compiler.link.elf.space import find_free_space, padded
from compiler.link.elf.text_blocks import MIN_TEXT_BLOCK, MIN_TEXT_CAPACITY, TextBlock, TextBlockList, ideal
from tests.compiler.link.elfcheck import check_elf, d, data, func, run


def ret_const(value: int) -> bytes:
    """``mov eax, imm32; ret`` (6 bytes)."""
    return b"\xb8" + value.to_bytes(4, "little") + b"\xc3"


def call_exit(slot: int) -> bytes:
    """``call qword ptr [slot]; mov edi, eax; mov eax, 60; syscall``."""
    return b"\xff\x14\x25" + slot.to_bytes(4, "little") + b"\x89\xc7\xb8\x3c\x00\x00\x00\x0f\x05"


def test_named_policy_numbers() -> None:
    assert padded(300) == 400
    assert ideal(0) == 1 and ideal(3) == 4 and ideal(64) == 85
    assert MIN_TEXT_BLOCK == 64 and MIN_TEXT_CAPACITY == 85
    # the ELF header is the first collision; then the first region
    assert find_free_space(10, 1, 64, []) == 64
    assert find_free_space(10, 16, 64, [(64, 30)]) == 112


def test_freed_space_is_reused_from_the_tail_of_the_free_block() -> None:
    blocks = TextBlockList(base_vaddr=TEXT_VADDR)
    a, b, c = TextBlock(), TextBlock(), TextBlock()
    for block in (a, b, c):
        blocks.allocate(block, 100, 1)
    assert (a.vaddr, b.vaddr, c.vaddr) == (TEXT_VADDR, TEXT_VADDR + 133, TEXT_VADDR + 266)
    blocks.free(b)
    assert a.capacity() == 266 and a.surplus() == 133
    assert blocks.free_list == [a]
    end_before = blocks.used_end()
    new = TextBlock()
    start = blocks.allocate(new, 40, 1)
    assert start == TEXT_VADDR + 266 - ideal(40)  # the tail of a's capacity
    assert (a.next, new.next) == (new, c)
    assert blocks.free_list == []  # the 80 bytes left are below MIN_TEXT_CAPACITY
    assert blocks.used_end() == end_before  # S3: no growth


def test_free_list_skips_blocks_without_room_and_drops_ineligible_ones() -> None:
    blocks = TextBlockList(base_vaddr=TEXT_VADDR)
    a, b, c = TextBlock(), TextBlock(), TextBlock()
    for block in (a, b, c):
        blocks.allocate(block, 100, 1)
    blocks.free(b)
    big = TextBlock()
    blocks.allocate(big, 200, 1)  # does not fit a's surplus: goes to the end
    assert big.prev is c
    assert blocks.free_list == [a]  # still eligible, kept
    a.size = 200  # a grew into its room: no longer eligible; dropped lazily
    other = TextBlock()
    blocks.allocate(other, 10, 1)
    assert other.prev is big and blocks.free_list == []


def test_shrinking_block_joins_the_free_list() -> None:
    blocks = TextBlockList(base_vaddr=TEXT_VADDR)
    a, b = TextBlock(), TextBlock()
    blocks.allocate(a, 200, 1)
    blocks.allocate(b, 10, 1)
    blocks.shrink(a, 10)
    assert blocks.free_list == [a] and a.surplus() == 266 - ideal(10)


def test_aligned_placement_after_the_last_block() -> None:
    blocks = TextBlockList(base_vaddr=TEXT_VADDR)
    a, b = TextBlock(), TextBlock()
    blocks.allocate(a, 7, 1)
    assert blocks.allocate(b, 8, 8) == TEXT_VADDR + 16


def test_got_and_symbol_indices_are_reused_and_zeroed(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = ElfLinker(path)
    linker.allocate_decl(d(1), "start")
    linker.allocate_decl(d(2), "a")
    linker.allocate_decl(d(3), "b")
    linker.update_decl(d(1), "start", func(call_exit(linker.got_address(d(3)))))
    linker.update_decl_exports(d(1), [ExportRequest(1, b"_start")])
    linker.update_decl(d(2), "a", func(ret_const(1)))
    linker.update_decl(d(3), "b", func(ret_const(2)))
    linker.flush()
    linker.commit()
    assert run(path) == 2
    a_slot = linker.got_address(d(2))
    a_sym = linker.decls[d(2)].local_sym_index
    linker.free_decl(d(2))
    linker.flush()
    linker.commit()
    with open(path, "rb") as file:
        image = file.read()
    got_off = linker.shdrs[GOT].sh_offset + (a_slot - GOT_VADDR)
    assert image[got_off : got_off + 8] == bytes(8)
    sym_off = linker.shdrs[SYMTAB].sh_offset + 24 * a_sym
    assert image[sym_off : sym_off + 24] == bytes(24)
    assert "a" not in check_elf(path).local_names
    linker.allocate_decl(d(4), "c")
    assert linker.got_address(d(4)) == a_slot
    assert linker.decls[d(4)].local_sym_index == a_sym
    linker.update_decl(d(4), "c", func(ret_const(4)))
    linker.flush()
    linker.commit()
    assert "c" in check_elf(path).local_names
    assert run(path) == 2


def test_text_got_and_symtab_move_when_they_outgrow_their_room(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = ElfLinker(path, program_code_size_hint=64, symbol_count_hint=2)
    linker.allocate_decl(d(0), "start")
    linker.update_decl(d(0), "start", func(bytes(16)))
    linker.update_decl_exports(d(0), [ExportRequest(1, b"_start")])
    linker.flush()
    linker.commit()
    offsets = (linker.shdrs[TEXT].sh_offset, linker.shdrs[GOT].sh_offset, linker.shdrs[SYMTAB].sh_offset)
    count = 300
    for i in range(1, count + 1):
        linker.allocate_decl(d(i), f"f{i}")
    for i in range(1, count + 1):
        linker.update_decl(d(i), f"f{i}", func(ret_const(i) + b"\x90" * 94))
    linker.update_decl(d(0), "start", func(call_exit(linker.got_address(d(count - 45)))))
    linker.flush()
    report = linker.commit()
    assert not report.full_rewrite and report.copy_calls >= 3
    moved = (linker.shdrs[TEXT].sh_offset, linker.shdrs[GOT].sh_offset, linker.shdrs[SYMTAB].sh_offset)
    assert all(new != old for new, old in zip(moved, offsets, strict=True))
    assert linker.shdrs[TEXT].sh_offset % 0x1000 == 0 and linker.shdrs[GOT].sh_offset % 0x1000 == 0
    assert linker.phdrs[0].p_offset == linker.shdrs[TEXT].sh_offset
    assert linker.phdrs[1].p_offset == linker.shdrs[GOT].sh_offset
    checked = check_elf(path)
    assert len(checked.local_names) == count + 1
    assert run(path) == (count - 45) % 256


def test_data_block_alignment_is_kept(tmp_path: Path) -> None:
    linker = ElfLinker(str(tmp_path / "out"))
    linker.allocate_decl(d(1), "s")
    linker.allocate_decl(d(2), "p")
    linker.update_decl(d(1), "s", data(b"abc"))
    linker.update_decl(d(2), "p", data(bytes(8), 8))
    assert (linker.decl_address(d(2)) or 1) % 8 == 0


def test_free_list_block_that_became_last_is_not_used_as_a_hole() -> None:
    blocks = TextBlockList(base_vaddr=TEXT_VADDR)
    a, b, c = TextBlock(), TextBlock(), TextBlock()
    for block in (a, b, c):
        blocks.allocate(block, 100, 1)
    blocks.free(b)
    assert blocks.free_list == [a]
    blocks.free(c)  # a is now the last block, still listed
    new = TextBlock()
    assert blocks.allocate(new, 10, 1) == TEXT_VADDR + ideal(100)
    assert blocks.free_list == []
