"""Memory: the ELF linker keeps no object per decl for its local symbols or GOT slot values; they are packed
(docs/design/performance.md §9.3). Counts and CPython object sizes, not timings."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from bench.gen import ChainProgram
from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.link.elf.format import Symbol
from compiler.link.elf.layout import TEXT
from compiler.link.elf.linker import ElfLinker
from compiler.source import FileSource

N = 300


def _bytes_with_referents(x: object) -> int:
    """``x`` and the objects it refers to (a list's ints or symbols; an array or a bytearray has none)."""
    return sys.getsizeof(x) + sum(sys.getsizeof(r) for r in gc.get_referents(x))


def test_local_symbols_and_got_slots_hold_no_object_per_decl(tmp_path: Path) -> None:
    src, out = tmp_path / "chain.zir", tmp_path / "chain"
    src.write_bytes(ChainProgram(N).source())
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE, cache=False), FileSource(str(src)))
    try:
        comp.update()
        assert comp.all_errors() == []
        linker = comp.linker
        assert isinstance(linker, ElfLinker)
        gc.collect()
        assert sum(1 for o in gc.get_objects() if type(o) is Symbol) < 20  # the globals, not one per decl
        locals_, slots = linker.symtab.locals, linker.got.entries
        assert len(locals_) > N and len(slots) > N
        assert _bytes_with_referents(locals_) <= 32 * len(locals_) + 256  # 24 bytes a symbol, packed
        assert _bytes_with_referents(slots) <= 12 * len(slots) + 256  # 8 bytes a slot
        # a packed symbol reads back as its decl's block (the file's bytes are checked by the other link tests)
        placed = [s for s in linker.decls.values() if s.block.is_placed]
        assert len(placed) > N
        for state in placed:
            sym = locals_[state.local_sym_index]
            assert (sym.st_value, sym.st_size, sym.st_shndx) == (state.block.vaddr, state.block.size, TEXT)
            assert slots[state.got_index] == state.block.vaddr
    finally:
        comp.close()
    assert subprocess.run([str(out)]).returncode == ChainProgram(N).exit_code()
