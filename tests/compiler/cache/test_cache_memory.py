"""Memory of the compile cache's save: the document is written piecewise with the bytes one ``json.dumps``
would give, and what the session keeps between saves is one JSON string per function, not its lists
(docs/design/performance.md §9.4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.gen import ChainProgram
from compiler.cache.document import FORMAT, LARGE, LARGE_RECORDS, VERSION, Table, decode, encode
from compiler.compilation import Compilation, Options
from compiler.link import OutputMode
from compiler.source import FileSource


def test_the_pieces_are_the_whole_documents_json() -> None:
    table = Table(["t0", "fé"])
    placements = {f"f{i}": [i, i * 3, 0] for i in range(2500)} | {"ünï": [1, 2, 3]}
    rows: dict[str, list[Any]] = {f"f{i}": ["ab" * 16, 0, [["g", 1, 8]], 10, 1] for i in range(LARGE_RECORDS + 50)}
    texts = {"h": '["cd",1,[],3,0]'}  # a row kept as its text
    identity = {"compiler": "x", "output": "/tmp/o"}
    whole = {
        "format": FORMAT,
        "version": VERSION,
        "identity": identity,
        "output_sha256": "00" * 32,
        "fingerprints": table.texts,
        "placements": placements,
        "fns": {**rows, "h": json.loads(texts["h"])},
    }
    pieces = list(encode(identity, "00" * 32, placements.items(), table, {**rows, **texts}))
    data = b"".join(pieces)
    # a large document is rendered by orjson (non-ASCII as UTF-8), a small one by the standard library: one value
    assert json.loads(data) == whole
    assert data.replace("fé".encode(), b"f\\u00e9").replace("ünï".encode(), b"\\u00fcn\\u00ef") == (
        json.dumps(whole, separators=(",", ":")).encode()
    )
    assert len(pieces) > 4 and max(len(p) for p in pieces) < len(data) // 2  # never the whole in one piece
    # rows as read (lists: a one-shot build's save) and as kept text (a long-lived process's) write the same bytes
    as_text: dict[str, Any] = {name: json.dumps(row, separators=(",", ":")) for name, row in rows.items()}
    mixed: dict[str, Any] = {
        name: (as_text[name] if i % 700 == 3 else row) for i, (name, row) in enumerate(rows.items())
    }
    for variant in (as_text, mixed):
        assert b"".join(encode(identity, "00" * 32, placements.items(), table, {**variant, **texts})) == data
    small: dict[str, Any] = dict(list(rows.items())[:10])
    data = b"".join(encode(identity, "00" * 32, placements.items(), table, small))
    assert data == json.dumps({**whole, "fns": small}, separators=(",", ":")).encode()
    empty = b"".join(encode(identity, "00" * 32, (), Table([]), {}))
    assert json.loads(empty)["placements"] == {} and json.loads(empty)["fns"] == {}


def _chain_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int) -> tuple[Path, Callable[[], Compilation]]:
    """A workspace holding an ``n``-function chain (its source path), a cache directory under ``tmp_path``, and a
    maker of Compilations that build it into the workspace with the cache on."""
    monkeypatch.setenv("ZIR_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "ws").mkdir()
    src, out = tmp_path / "ws" / "chain.zir", tmp_path / "ws" / "chain"
    src.write_bytes(ChainProgram(n).source())

    def compilation() -> Compilation:
        return Compilation(Options(str(src), str(out), OutputMode.EXE, cache=True), FileSource(str(src)))

    return src, compilation


def test_a_save_keeps_one_string_per_function_and_a_restart_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 40
    _, compilation = _chain_workspace(tmp_path, monkeypatch, n)
    comp = compilation()
    try:
        comp.cache_autosave = False
        comp.update()
        comp.save_cache()
        assert comp.cache is not None
        memo = comp.cache.rows
        assert len(memo) >= n
        assert all(type(text) is str for _, text in memo.values())
    finally:
        comp.close()
    files = list((tmp_path / "cache").rglob("*"))
    doc = decode(max((f for f in files if f.is_file()), key=lambda f: f.stat().st_size).read_bytes())
    assert len(doc.rows) >= n and all(isinstance(r, list) for r in doc.rows.values())
    again = compilation()
    try:
        report = again.update()
        assert report.ok and report.counters["bodies_kept"] >= n
    finally:
        again.close()


@pytest.mark.parametrize("one_shot", [False, True])
def test_restored_records_become_text_only_in_a_process_that_saves_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_shot: bool
) -> None:
    """A long-lived process keeps restored records as text for its later saves (docs/design/performance.md §9.4);
    a one-shot build's one save is its last, so it writes them as read and converts none (§7.5)."""
    n = 30
    src, compilation = _chain_workspace(tmp_path, monkeypatch, n)

    def build() -> Compilation:
        comp = compilation()
        comp.cache_autosave = False
        return comp

    first = build()
    try:
        first.update()
        first.save_cache()
    finally:
        first.close()
    src.write_bytes(ChainProgram(n, bump=1).source())
    comp = build()
    try:
        if one_shot:
            comp.one_shot(keep_air=False)
        report = comp.update()
        assert report.ok and report.counters["bodies_kept"] >= n - 2
        comp.save_cache()
        assert comp.cache is not None
        kinds = [type(row) for _, row in comp.cache.rows.values()]
        assert len(kinds) >= n
        as_read = sum(kind is list for kind in kinds)
        assert as_read == (report.counters["bodies_kept"] if one_shot else 0)
    finally:
        comp.close()
    third = build()  # either save is a cache the next restart keeps every unchanged body from
    try:
        report = third.update()
        assert report.ok and report.counters["bodies_kept"] >= n
    finally:
        third.close()


def test_a_large_document_with_a_name_orjson_refuses_is_written_and_read() -> None:
    """Names are decoded with ``surrogateescape``: orjson neither writes nor reads a lone surrogate, so those
    pieces go through the standard library's encoder and the document through its decoder; the document read is
    the one written."""
    odd = b"f\xff".decode("utf-8", "surrogateescape")
    table = Table(["t0"])
    placements = {f"f{i}": [i, 3, i, 0, -1, 0, -1, 0, 0] for i in range(12000)} | {odd: [1, 2, 3, 0, -1, 0, -1, 0, 0]}
    rows: dict[str, Any] = {f"f{i}": ["ab" * 16, 0, [[odd, 0, 8]], 10, 1] for i in range(12000)}
    data = b"".join(encode({"c": "x"}, "00" * 32, placements.items(), table, rows))
    assert len(data) >= LARGE and len(rows) >= LARGE_RECORDS and b"\\udcff" in data  # orjson refuses the escape
    doc = decode(data)
    assert doc.placements == placements and doc.rows == rows
