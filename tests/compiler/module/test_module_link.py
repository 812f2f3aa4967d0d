"""The Module against the real ELF linker: optimize modes reach code generation, a full GOT is a link error."""

from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from compiler import Compilation, Options, OutputMode
from compiler.link.elf import got
from compiler.module.module import OptimizeMode

UNDEF_FN = """@usize = primitive(usize)
@fty = fntype([], @usize)
@f = fn(@fty, {
  %u = primitive(undefined)
  %k = as(@usize, %u)
  %r = return(%k)
})
@name = str("f")
@e = export(@name, "f")
"""

UNDEF_PATTERN = b"\xaa" * 8


def text_of(path: Path) -> bytes:
    with path.open("rb") as f:
        section = ELFFile(f).get_section_by_name(".text")
        assert section is not None
        return bytes(section.data())


@pytest.mark.parametrize(
    ("mode", "safe"),
    [
        (OptimizeMode.DEBUG, True),
        (OptimizeMode.RELEASE_SAFE, True),
        (OptimizeMode.RELEASE_FAST, False),
        (OptimizeMode.RELEASE_SMALL, False),
    ],
)
def test_safety_follows_the_optimize_mode(tmp_path: Path, mode: OptimizeMode, safe: bool) -> None:
    """Undefined values are written as 0xaa… only with safety (Debug, ReleaseSafe)."""
    src, out = tmp_path / "u.zir", tmp_path / "u.o"
    src.write_text(UNDEF_FN)
    comp = Compilation(Options(str(src), str(out), OutputMode.OBJ, optimize_mode=mode))
    r = comp.update()
    assert r.ok and r.committed, [e.message for e in comp.all_errors()]
    comp.close()
    assert (UNDEF_PATTERN in text_of(out)) is safe


def chain(n: int) -> str:
    fns = "".join(
        f'@f{i} = fn(@fty, {{\n  %c = int({i})\n  %k = as(@usize, %c)\n  %r = return(%k)\n}})\n@n{i} = str("f{i}")\n'
        f'@e{i} = export(@n{i}, "f{i}")\n'
        for i in range(n)
    )
    return "@usize = primitive(usize)\n@fty = fntype([], @usize)\n" + fns


def test_a_full_got_is_a_link_error_until_slots_are_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """elf-linker.md §6: more slots than the GOT's range holds is the link error `GOT overflows its address
    range` (offset 0), which blocks the commit; the update after the program shrinks succeeds."""
    monkeypatch.setattr(got, "GOT_ADDRESS_RANGE", 8 * 16)  # room for 16 slots instead of 8 388 608
    src, out = tmp_path / "g.zir", tmp_path / "g.o"
    src.write_text(chain(3))
    comp = Compilation(Options(str(src), str(out), OutputMode.OBJ))
    r = comp.update()
    assert r.ok and r.committed, [e.message for e in comp.all_errors()]
    good = out.read_bytes()
    src.write_text(chain(12))
    r = comp.update()
    errors = comp.all_errors()
    assert [(e.byte_offset, e.message) for e in errors] == [(0, "GOT overflows its address range")]
    assert not r.committed and out.read_bytes() == good
    src.write_text(chain(2))
    r = comp.update()
    assert r.ok and r.committed, [e.message for e in comp.all_errors()]
    comp.close()
