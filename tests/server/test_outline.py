"""The incremental outline and line index: after any sequence of splices they equal a fresh scan of the text,
and an edit inside one function rescans only that function's chunk."""

from __future__ import annotations

import gc
import random
from array import array

import pytest

from bench.gen import ChainProgram
from server import outline as outline_module
from server.outline import CHUNK_BYTES, DocOutline
from server.positions import LspLineIndex, line_starts
from server.syntax import Outline, OutlineDecl, OutlineLocal, Token, scan

PIECES = [
    b"\n", b"\r", b"\r\n", b"a", b"@x = fn(", b"%y = int(3)", b")", b"{", b"}", b'"s"', b"; c\n",
    b"\n@f = fn(@t, {\n", b"=", b" ", b"\x00", b"@", b"\\", b'"', b"@= ",
]  # fmt: skip

PER_ITEM = (Token, OutlineDecl, OutlineLocal)


def _shape(outline: Outline | DocOutline) -> object:
    tokens = [(t.kind, t.start, t.end, t.tag, t.arg_index) for t in outline.tokens]
    decls = [
        (d.name, d.def_start, d.end, d.tag, [(x.name, x.def_start, x.end, x.tag) for x in d.locals], d.bodies)
        for d in outline.decls
    ]
    return tokens, decls


@pytest.mark.parametrize("chunk_bytes", [1, 16, CHUNK_BYTES])
def test_random_splices_agree_with_a_fresh_scan(monkeypatch: pytest.MonkeyPatch, chunk_bytes: int) -> None:
    """Whatever the chunks' size (one decl each, a few, the whole text), splices give a fresh scan's outline."""
    monkeypatch.setattr(outline_module, "CHUNK_BYTES", chunk_bytes)
    rng = random.Random(15)
    for _ in range(120):
        data = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 50)))
        outline, index = DocOutline.build(data), LspLineIndex(data, block=3)
        for _ in range(12):
            start = rng.randint(0, len(data))
            end = rng.randint(start, min(len(data), start + 8))
            data = data[:start] + b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 3))) + data[end:]
            outline.splice(start, end, data)
            index = index.spliced(start, end, data)
            assert _shape(outline) == _shape(scan(data)), data
            assert index.starts() == line_starts(data), data
            fresh = scan(data)
            for offset in range(0, len(data) + 1, 3):
                got, want = outline.token_at(offset), fresh.token_at(offset)
                assert (got and (got.start, got.end)) == (want and (want.start, want.end))


def test_an_edit_rescans_one_function() -> None:
    prog = ChainProgram(1000)
    data = prog.source()
    outline = DocOutline.build(data)
    assert outline.rescanned_bytes == len(data)
    start, end = prog.constant_span()
    prog.bump += 7
    new = prog.source()
    outline.splice(start, end, new)
    assert outline.rescanned_bytes < CHUNK_BYTES + 200  # one chunk of a few functions, not the 120 kB file
    assert _shape(outline) == _shape(scan(new))
    decl = outline.decl_named(f"f{prog.edited_index}")
    assert decl is not None and decl.def_start == new.index(f"@f{prog.edited_index} =".encode())


def test_the_outline_holds_no_object_per_token_or_decl() -> None:
    """Tokens and decls are packed in one array per chunk (docs/design/performance.md §9.4): an outline of N
    functions holds no ``Token``, ``OutlineDecl`` or ``OutlineLocal`` (before: 20 tokens, a decl and 5 locals per
    chain function), and reads back the scan's tokens and decls."""
    prog = ChainProgram(300)
    data = prog.source()
    gc.collect()
    before = sum(isinstance(o, PER_ITEM) for o in gc.get_objects())
    outline = DocOutline.build(data)
    gc.collect()
    held = sum(isinstance(o, PER_ITEM) for o in gc.get_objects()) - before
    assert held == 0
    assert len(data) // (2 * CHUNK_BYTES) < len(outline.chunks) <= len(data) // CHUNK_BYTES + 1  # not one per decl
    assert all(isinstance(c.cols, array) for c in outline.chunks)
    assert _shape(outline) == _shape(scan(data))
    tags = [x.tag for d in outline.decls for x in d.locals if x.tag == "add"]
    assert len(tags) > 100 and len({id(t) for t in tags}) == 1  # one str per tag, not one per local


def test_a_chunk_under_64_kib_packs_its_columns_in_two_bytes() -> None:
    """An outline keeps 2 bytes per value for ordinary chunks (a token is 8 bytes, not 16: 22 MiB less at
    N = 100 000) and 4 where a value needs it; both answer the same."""
    small = b"".join(b"@f%d = fn(@t, {\n  %%c = int(1)\n  %%r = return(%%c)\n})\n" % i for i in range(30))
    big = b"@g = fn(@t, {\n" + b"  %x = int(7)\n" * 6000 + b"  %r = return(%x)\n})\n"
    outline = DocOutline.build(small + big)
    assert [c.cols.itemsize for c in outline.chunks] == [2, 4]
    assert _shape(outline) == _shape(scan(small + big))
    assert outline.decl_named("g") is not None and outline.decl_named("f29") is not None
