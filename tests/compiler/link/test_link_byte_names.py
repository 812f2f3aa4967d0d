"""Decl and parameter names are bytes (zir-language.md §2.4): non-UTF-8 names reach the ELF symbol table and
DWARF as the very bytes of the source, the build runs, and a reopened output is adopted by those names."""

from __future__ import annotations

import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile

from compiler.compilation import Compilation, Options
from compiler.source import BufferSource

NAME = b"tw\xffice"
PARAM = b"n\xe2\x82"
PROGRAM = b"""@noreturn = primitive(noreturn)
@usize = primitive(usize)
@syscall = str("syscall")
@rax = str("{rax}")
@rdi = str("{rdi}")
@exit_group = int(231)
@seven = int(7)
@fnty = fntype([@usize], @usize)
@NAME = fn(@fnty, {
  %x = arg("PARAM")
  %y = add(%x, %x)
  %r = return(%y)
})
@start_fnty = fntype([], @noreturn, cc=Naked)
@start = fn(@start_fnty, {
  %d = call(@NAME, [@seven])
  %x = asm(@syscall, @usize, volatile=1, inputs=[@rdi, @rax], args=[%d, @exit_group])
  %u = unreachable()
})
@start_sym = str("_start")
@start_export = export(@start_sym, "start")
""".replace(b"NAME", NAME).replace(b"PARAM", PARAM)


def build(out: Path, text: bytes) -> Compilation:
    comp = Compilation(Options("names.zir", str(out)), BufferSource("names.zir", text))
    report = comp.update()
    assert report.ok and report.committed, [e.message for e in comp.all_errors()]
    return comp


def test_non_utf8_decl_and_parameter_names_are_written_as_bytes(tmp_path: Path) -> None:
    out = tmp_path / "names"
    build(out, PROGRAM).close()  # today: UnicodeEncodeError in the linker
    assert subprocess.run([str(out)], timeout=10).returncode == 14
    with open(out, "rb") as f:
        elf = ELFFile(f)
        table = elf.get_section_by_name(".shstrtab").data()  # type: ignore[union-attr]
        symtab = elf.get_section_by_name(".symtab")
        assert symtab is not None
        names = {table[s["st_name"] : table.index(b"\0", s["st_name"])] for s in symtab.iter_symbols()}  # type: ignore[attr-defined]
        assert NAME in names
        strings = b"".join(
            section.data() for name in (".debug_info", ".debug_str") if (section := elf.get_section_by_name(name))
        )
        assert NAME + b"\0" in strings and PARAM + b"\0" in strings


def test_a_reopened_output_with_byte_names_is_adopted(tmp_path: Path) -> None:
    out = tmp_path / "names"
    build(out, PROGRAM).close()
    again = build(out, PROGRAM.replace(b"@seven = int(7)", b"@seven = int(8)"))
    assert again.linker.totals.bytes_written < len((out).read_bytes()) / 2  # adopted: patched in place
    assert subprocess.run([str(out)], timeout=10).returncode == 16
    again.close()
