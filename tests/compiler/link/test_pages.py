"""The linker image in compressed pages (``compiler.link.pages``): the same bytes as a ``bytearray`` under the
writes ``FileImage`` makes, few pages expanded, and an editor tier's output identical to a plain build's."""

from __future__ import annotations

import random
from pathlib import Path

from compiler.link import pages
from compiler.link.elf.linker import ElfLinker
from compiler.link.ops import FileImage
from compiler.link.pages import PagedBytes
from server.backend import BuildTarget, EditorCompilation
from tests.server.test_editor_memory import _chain


def test_paged_bytes_hold_what_a_bytearray_holds() -> None:
    """Random same-length writes, growth past the end and reads, past the expanded pages' limit (pages are
    compressed and expanded again), give a ``bytearray``'s bytes; never more than ``HOT_PAGES`` expanded."""
    rng = random.Random(13)
    plain = bytearray()
    paged = PagedBytes()
    limit = (pages.HOT_PAGES + 40) * pages.PAGE
    for _ in range(3000):
        size = len(plain)
        if rng.random() < 0.1 or size == 0:
            grow = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3 * pages.PAGE)))
            if size + len(grow) < limit:
                plain.extend(grow)
                paged.extend(grow)
        else:
            start = rng.randrange(size)
            length = rng.randrange(1, 2 * pages.PAGE)
            data = bytes([rng.randrange(256)]) * length
            plain[start : start + length] = data  # may pass the end: both grow
            paged[start : start + length] = data
        if rng.random() < 0.2:
            a = rng.randrange(len(plain) + 1)
            b = rng.randrange(a, len(plain) + 10)
            assert paged[a:b] == bytes(plain[a:b])
        assert len(paged) == len(plain)
        assert paged.expanded_pages() <= pages.HOT_PAGES
    assert len(plain) > pages.HOT_PAGES * pages.PAGE  # pages were compressed and read back
    assert b"".join(paged.pieces(65536)) == plain


def test_a_compact_image_queues_and_reads_as_a_plain_one() -> None:
    """``FileImage`` over paged bytes queues the same operations and reads the same bytes as over a
    ``bytearray``, and gives its whole content in pieces."""
    rng = random.Random(5)
    plain, compact = FileImage(), FileImage()
    compact.compact()
    for image in (plain, compact):
        image.tracking = False
        image.write(0, bytes(range(256)) * 2000)
        image.tracking = True
    for _ in range(300):
        offset = rng.randrange(600_000)
        data = bytes([rng.randrange(4)]) * rng.randrange(1, 300)
        if rng.random() < 0.1:
            src = rng.randrange(500_000)
            plain.copy(src, offset, len(data))
            compact.copy(src, offset, len(data))
        else:
            assert plain.write(offset, data) == compact.write(offset, data)
    assert plain.take_ops() == compact.take_ops()
    assert plain.read(1000, 70_000) == compact.read(1000, 70_000)
    assert b"".join(plain.pieces(65536)) == b"".join(compact.pieces(65536))


def _image(editor: EditorCompilation) -> FileImage:
    linker = editor.compilation.linker
    assert isinstance(linker, ElfLinker)
    return linker.sections.image


def test_the_editor_tiers_image_waits_compressed_and_builds_the_same_output(tmp_path: Path) -> None:
    """The server's editor Compilation keeps its in-memory image in compressed pages (a fraction of the
    output's size past the few pages kept expanded); its build on save writes the bytes a plain image writes."""
    text = _chain(1500)
    edited = text.replace("int(700)", "int(70000)")
    src = tmp_path / "s.zir"
    src.write_text(text)
    editor = EditorCompilation(str(src), "obj", BuildTarget(str(tmp_path / "live"), "obj", "Debug"))
    plain = EditorCompilation(str(src), "obj", BuildTarget(str(tmp_path / "plain"), "obj", "Debug"))
    plain_image = _image(plain)
    plain_image.data = bytearray(plain_image.data[:])  # the same bytes, plain, as ``zir watch`` keeps them
    assert isinstance(_image(editor).data, PagedBytes)
    _image(editor).data = PagedBytes(_image(editor).data[:], hot_pages=4)  # (this output is 28 pages)
    try:
        for compilation in (editor, plain):
            assert compilation.update(text.encode()) == []
            assert compilation.update(edited.encode()) == []
        data = _image(editor).data
        assert isinstance(data, PagedBytes) and isinstance(plain_image.data, bytearray)
        assert len(data) > 300_000 and data.stored_bytes() < len(data) // 3
        assert data.expanded_pages() <= 4
        src.write_text(edited)
        assert editor.build(edited.encode()).committed and plain.build(edited.encode()).committed
        assert (tmp_path / "live").read_bytes() == (tmp_path / "plain").read_bytes()
        edited = edited.replace("int(900)", "int(9)")  # an in-place commit after the first
        src.write_text(edited)
        assert editor.build(edited.encode()).committed and plain.build(edited.encode()).committed
        assert (tmp_path / "live").read_bytes() == (tmp_path / "plain").read_bytes()
    finally:
        editor.close()
        plain.close()
