"""ElfLinker end to end: fresh layout numbers, running programs, in-place updates, relocations, exports."""

from __future__ import annotations

import os
from pathlib import Path

from compiler.link import (
    GOT_VADDR,
    TEXT_VADDR,
    ExportRequest,
    GeneratedSymbol,
    Linkage,
    OutputMode,
    Relocation,
    SymbolType,
)
from compiler.link.elf.commit import WHOLE_FILE_PIECE
from compiler.link.elf.layout import DEBUG_LINE, GOT, SHSTRTAB, SYMTAB, TEXT
from compiler.link.elf.linker import ElfLinker
from compiler.link.fileio import FileIO
from tests.compiler.link.elfcheck import assemble, check_elf, d, data, exit_code, func, run


def caller(got_slot: int) -> bytes:
    """``_start``: call through a GOT slot, exit with the returned eax."""
    return assemble(f"call qword ptr [{got_slot:#x}]\nmov edi, eax\nmov eax, 60\nsyscall")


def returns(value: int) -> bytes:
    return assemble(f"mov eax, {value}\nret")


def build_two(path: str, value: int = 7) -> ElfLinker:
    linker = ElfLinker(path)
    linker.allocate_decl(d(1), "start")
    linker.allocate_decl(d(2), "f")
    linker.update_decl(d(1), "start", func(caller(linker.got_address(d(2)))))
    linker.update_decl_exports(d(1), [ExportRequest(1, b"_start")])
    linker.update_decl(d(2), "f", func(returns(value)))
    linker.flush()
    assert not linker.error_flags().no_entry_point_found
    report = linker.commit()
    assert report.error is None and report.binary == path
    return linker


def test_fresh_layout_matches_the_specification(tmp_path: Path) -> None:
    linker = ElfLinker(str(tmp_path / "out"))
    text, got = linker.phdrs
    assert (text.p_offset, text.p_vaddr, text.p_filesz, text.p_flags) == (0x1000, TEXT_VADDR, 0x40000, 5)
    assert (got.p_offset, got.p_vaddr, got.p_filesz, got.p_flags) == (0x57000, GOT_VADDR, 256, 4)
    offsets = [(s.sh_offset, s.sh_size) for s in linker.shdrs]
    assert offsets == [
        (0, 0),
        (64, 11),
        (0x1000, 0x40000),
        (0x57000, 256),
        (80, 768),
        (0, 0),
        (1104, 200),
        (1370, 128),
        (1552, 160),
        (1765, 250),
    ]
    assert [s.sh_name for s in linker.shdrs] == [0, 1, 11, 17, 22, 30, 41, 53, 67, 82]
    assert len(linker.shstrtab.data) == 94
    assert (linker.sections.shdr_table_offset, linker.sections.phdr_table_offset) == (2104, 2960)
    assert linker.shdrs[SYMTAB].sh_link == 1 and linker.shdrs[SYMTAB].sh_info == 1


def test_empty_program_moves_shstrtab_to_first_gap(tmp_path: Path) -> None:
    linker = ElfLinker(str(tmp_path / "out"), mode=OutputMode.OBJ)
    linker.flush()
    # §7.2 sets .symtab's sh_size to 1 * 24 at every flush, so the 94-byte table fits right after its
    # padded room [80, 112). (§3 says 3109, which assumes the 768-byte reservation; a 768-byte table
    # with one local makes readelf warn about 31 misplaced locals.)
    assert linker.shdrs[SYMTAB].sh_size == 24
    assert linker.shdrs[SHSTRTAB].sh_offset == 112
    assert not linker.error_flags().no_entry_point_found
    linker.commit()
    checked = check_elf(str(tmp_path / "out"))
    assert checked.e_type == "ET_REL"


def test_exe_without_entry_point_is_flagged(tmp_path: Path) -> None:
    linker = ElfLinker(str(tmp_path / "out"))
    linker.allocate_decl(d(1), "f")
    linker.update_decl(d(1), "f", func(returns(1)))
    linker.flush()
    assert linker.error_flags().no_entry_point_found
    # exported under another name or with Weak linkage: still no entry point
    linker.update_decl_exports(d(1), [ExportRequest(1, b"main"), ExportRequest(2, b"_start", Linkage.WEAK)])
    linker.flush()
    assert linker.error_flags().no_entry_point_found
    linker.update_decl_exports(d(1), [ExportRequest(3, b"_start")])
    linker.flush()
    assert not linker.error_flags().no_entry_point_found
    linker.delete_export(3)
    linker.flush()
    assert linker.error_flags().no_entry_point_found


def test_hello_world_placement_of_the_worked_example(tmp_path: Path) -> None:
    """elf-linker.md §16: 15 blocks in code-generation order."""
    sizes = [(7, 1), (8, 8), (35, 1), (8, 1), (7, 1), (6, 1), (6, 1), (4, 1), (6, 1), (6, 1), (4, 1)]
    sizes += [(7, 1), (15, 1), (8, 8), (4, 1)]
    expected = [0x8000000, 0x8000010, 0x800001A, 0x8000048, 0x8000052, 0x800005B, 0x8000063, 0x800006B]
    expected += [0x8000070, 0x8000078, 0x8000080, 0x8000085, 0x800008E, 0x80000A8, 0x80000B2]
    linker = ElfLinker(str(tmp_path / "out"))
    for index in range(1, len(sizes) + 1):
        linker.allocate_decl(d(index), f"decl{index}")
        assert linker.got_address(d(index)) == GOT_VADDR + 8 * (index - 1)
    for index, (size, align) in enumerate(sizes, start=1):
        linker.update_decl(d(index), f"decl{index}", data(bytes([0xCC]) * size, align))
        assert linker.decl_address(d(index)) == expected[index - 1]
    linker.update_decl_exports(d(3), [ExportRequest(1, b"_start")])
    linker.flush()
    assert linker.shdrs[TEXT].sh_size == linker.phdrs[0].p_memsz == 0xB6
    assert linker.shdrs[TEXT].sh_offset == 0x1000
    assert (linker.shdrs[GOT].sh_offset, linker.shdrs[GOT].sh_size) == (0x57000, 120)
    assert linker.shdrs[SYMTAB].sh_size == 17 * 24 and linker.shdrs[SYMTAB].sh_offset == 80
    assert linker.entry == 0x800001A
    linker.commit()
    checked = check_elf(str(tmp_path / "out"))
    assert checked.entry == 0x800001A
    assert checked.symbols["_start"] == (0x800001A, 35)
    # update 2: a new 13-byte block goes after the last one
    linker.allocate_decl(d(16), "decl16")
    linker.update_decl(d(16), "decl16", data(b"x" * 13))
    assert linker.decl_address(d(16)) == 0x80000B7
    assert linker.got_address(d(16)) == GOT_VADDR + 8 * 15


def test_program_runs_and_updates_in_place(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build_two(path, 7)
    assert os.stat(path).st_mode & 0o111
    checked = check_elf(path)
    assert checked.e_type == "ET_EXEC" and checked.entry == TEXT_VADDR
    assert checked.local_names == ["start", "f"] and checked.global_names == ["_start"]
    assert run(path) == 7
    inode = os.stat(path).st_ino
    linker.update_decl(d(2), "f", func(returns(9)))
    linker.flush()
    report = linker.commit()
    assert not report.full_rewrite and os.stat(path).st_ino == inode
    assert run(path) == 9
    check_elf(path)


def test_callee_that_grows_moves_and_only_its_slot_changes(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build_two(path, 7)
    linker.allocate_decl(d(3), "g")  # f gets a successor, so growing it past its capacity moves it
    linker.update_decl(d(3), "g", func(returns(5)))
    linker.flush()
    linker.commit()
    start_before = linker.decl_address(d(1))
    old_f = linker.decl_address(d(2))
    big = assemble("mov eax, 11\n" + "nop\n" * 40 + "ret")
    linker.update_decl(d(2), "f", func(big))
    new_f = linker.decl_address(d(2))
    assert new_f != old_f
    linker.flush()
    io = linker.fileio.counters
    before = len(io.writes)
    linker.commit()
    got_slot_offset = linker.shdrs[GOT].sh_offset + 8
    writes = io.writes[before:]
    # the slot's changed bytes are written (identical leading/trailing bytes are suppressed)
    assert any(got_slot_offset <= o and o + n <= got_slot_offset + 8 for o, n in writes)
    start_offset = linker._text_file_offset(start_before or 0)
    for offset, length in writes:  # the caller's bytes are never rewritten
        assert not (offset < start_offset + 18 and start_offset < offset + length)
    assert run(path) == 11
    check_elf(path)


def test_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build_two(path)
    linker.update_decl(d(2), "f", func(returns(7)))
    linker.update_decl_exports(d(1), [ExportRequest(1, b"_start")])
    linker.flush()
    report = linker.commit()
    assert (report.bytes_written, report.write_calls) == (0, 0)


def test_absolute_relocation_follows_its_target(tmp_path: Path) -> None:
    """A data decl holding the address of a string keeps it current when the string moves (§7.4)."""
    path = str(tmp_path / "out")
    linker = ElfLinker(path)
    linker.allocate_decl(d(1), "start")
    linker.allocate_decl(d(2), "ptr")
    linker.allocate_decl(d(3), "str")
    linker.update_decl(d(3), "str", data(b"ab"))
    str_addr = linker.decl_address(d(3)) or 0
    ptr_code = str_addr.to_bytes(8, "little")
    linker.update_decl(d(2), "ptr", GeneratedSymbol(ptr_code, 8, SymbolType.OBJECT, (Relocation(0, d(3), 8),)))
    # _start: rax <- ptr's address (GOT) ; rax <- [rax] = str's address ; edi <- first byte of the string
    got_ptr = linker.got_address(d(2))
    start = assemble(f"mov rax, [{got_ptr:#x}]\nmov rax, [rax]\nmovzx edi, byte ptr [rax]\nmov eax, 60\nsyscall")
    linker.update_decl(d(1), "start", func(start))
    linker.update_decl_exports(d(1), [ExportRequest(1, b"_start")])
    linker.flush()
    linker.commit()
    assert run(path) == ord("a")
    linker.update_decl(d(3), "str", data(b"z" * 40))  # grows past its capacity: moves
    assert linker.decl_address(d(3)) != str_addr
    linker.flush()
    linker.commit()
    assert run(path) == ord("z")
    check_elf(path)


def test_fileio_counts_every_write(tmp_path: Path) -> None:
    io = FileIO()
    path = str(tmp_path / "out")
    linker = ElfLinker(path, fileio=io)
    linker.allocate_decl(d(1), "start")
    linker.update_decl(d(1), "start", func(exit_code(3)))
    linker.update_decl_exports(d(1), [ExportRequest(1, b"_start")])
    linker.flush()
    report = linker.commit()
    size = os.path.getsize(path)
    pieces = [(offset, min(WHOLE_FILE_PIECE, size - offset)) for offset in range(0, size, WHOLE_FILE_PIECE)]
    assert report.full_rewrite and report.write_calls == len(pieces) == io.counters.pwrite_calls
    assert io.counters.writes == pieces  # in order, each at most one piece
    assert [(w.offset, w.size, w.region) for w in report.writes] == [(0, size, "file")]  # reported as one range
    assert report.bytes_written == size == io.counters.pwrite_bytes
    assert run(path) == 3
    assert linker.shdrs[DEBUG_LINE].sh_offset > 0


def test_export_linkages_make_valid_symbols(tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    linker = build_two(path, 7)
    exports = [
        ExportRequest(1, b"_start"),
        ExportRequest(2, b"weak_f", Linkage.WEAK),
        ExportRequest(3, b"internal_f", Linkage.INTERNAL),
    ]
    linker.update_decl_exports(d(1), exports)
    linker.flush()
    linker.commit()
    checked = check_elf(path)  # Internal is a local symbol: every local still precedes every global
    assert "internal_f" in checked.local_names
    assert checked.global_names == ["_start", "weak_f"]
    assert checked.symbols["internal_f"] == checked.symbols["start"]
    # Internal becomes Strong: it changes tables; then it is deleted
    linker.update_decl_exports(d(1), [ExportRequest(3, b"internal_f", Linkage.STRONG)])
    linker.flush()
    linker.commit()
    checked = check_elf(path)
    assert "internal_f" not in checked.local_names and "internal_f" in checked.global_names
    linker.delete_export(2)
    linker.delete_export(3)
    linker.flush()
    linker.commit()
    checked = check_elf(path)
    assert checked.global_names == ["_start"]  # freed globals leave the table
    assert run(path) == 7
