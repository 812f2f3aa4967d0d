"""Editor features over the lexical outline: symbols, definition, references, rename, completion,
signature help, semantic tokens, folding, code lens — on the sample programs, with exact ranges."""

from __future__ import annotations

import io
import tracemalloc
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from server import completion, features, jsonout, wholedoc
from server import outline as outline_module
from server.jsonout import EncodedJson
from server.outline import DocOutline
from server.positions import Encoding, LspLineIndex
from server.syntax import TokenKind

scan = DocOutline.build

HELLO = (Path(__file__).parents[2] / "examples" / "hello.zir").read_bytes()
URI = "file:///w/hello.zir"

LOOPY = b"""@void = primitive(void)
@fnty = fntype([], @void)
@f = fn(@fnty, {
  %outer = block({
    %x = breakvoid("outer")
  })
  %y = breakvoid("label_outer")
  %r = returnvoid()
})
"""


def _at(data: bytes, needle: bytes, nth: int = 0, delta: int = 1) -> int:
    at = -1
    for _ in range(nth + 1):
        at = data.index(needle, at + 1)
    return at + delta


def _text(data: bytes, index: LspLineIndex, r: types.Range) -> bytes:
    return data[index.offset(r.start.line, r.start.character) : index.offset(r.end.line, r.end.character)]


def test_outline_of_hello() -> None:
    outline = scan(HELLO)
    assert [d.name for d in outline.decls] == [
        "noreturn",
        "void",
        "usize",
        "0",
        "1",
        "2",
        "3",
        "msg",
        "start_fnty",
        "start",
        "9",
        "11",
    ]
    start = outline.decl_named("start")
    assert start is not None and start.tag == "fn"
    assert [local.name for local in start.locals][:3] == ["SYS_exit_group", "exit_code", "syscall"]
    assert len(start.bodies) == 1


NESTED = b"""@void = primitive(void)
@fnty = fntype([], @void)
@f = fn(@fnty, {
  %a = block({
    %b = block({
      %x = breakvoid("b")
    })
    %y = breakvoid("a")
  })
  %c = block({
    %z = breakvoid("c")
  })
  %r = returnvoid()
})
"""


def _range_text(data: bytes, index: LspLineIndex, r: dict[str, Any]) -> bytes:
    start, end = r["start"], r["end"]
    return data[index.offset(start["line"], start["character"]) : index.offset(end["line"], end["character"])]


def test_document_symbols_are_decls_with_their_blocks_nested() -> None:
    index = LspLineIndex(HELLO)
    symbols = wholedoc.document_symbols(DocOutline.build(HELLO), index).value()
    by_name = {s["name"]: s for s in symbols}
    start = by_name["@start"]
    assert start["kind"] == types.SymbolKind.Function
    assert by_name["@msg"]["kind"] == types.SymbolKind.Constant
    assert _range_text(HELLO, index, start["selectionRange"]) == b"@start"
    assert "children" not in start  # hello's _start holds no block
    index = LspLineIndex(NESTED)
    (*_, f) = wholedoc.document_symbols(DocOutline.build(NESTED), index).value()
    assert [c["name"] for c in f["children"]] == ["%a", "%c"]
    a = f["children"][0]
    assert [c["name"] for c in a["children"]] == ["%b"] and "children" not in a["children"][0]
    assert _range_text(NESTED, index, a["selectionRange"]) == b"%a"
    assert _range_text(NESTED, index, a["range"]).startswith(b"%a = block({") and a["detail"] == "block"


def test_definition_and_references_of_a_decl() -> None:
    outline = scan(HELLO)
    index = LspLineIndex(HELLO)
    use = _at(HELLO, b"@msg)", delta=2)
    (loc,) = features.definition(outline, index, URI, use)
    assert _text(HELLO, index, loc.range) == b"@msg"
    assert index.offset(loc.range.start.line, loc.range.start.character) == HELLO.index(b"@msg =")
    refs = features.references(outline, index, URI, use, include_declaration=False)
    assert [_text(HELLO, index, r.range) for r in refs] == [b"msg", b"msg"]
    with_decl = features.references(outline, index, URI, use, include_declaration=True)
    assert len(with_decl) == 3


def test_locals_are_scoped_to_their_decl_and_labels_name_blocks() -> None:
    outline = scan(LOOPY)
    index = LspLineIndex(LOOPY)
    label = _at(LOOPY, b'"outer"', delta=2)
    (loc,) = features.definition(outline, index, URI, label)
    assert _text(LOOPY, index, loc.range) == b"%outer"
    refs = features.references(outline, index, URI, _at(LOOPY, b"%outer"), include_declaration=True)
    assert [_text(LOOPY, index, r.range) for r in refs] == [b"outer", b"outer", b"outer"]


def test_rename_a_local_with_its_labels_and_a_decl() -> None:
    outline = scan(LOOPY)
    index = LspLineIndex(LOOPY)
    edit = features.rename(outline, index, URI, _at(LOOPY, b"%outer"), "%inner")
    assert edit is not None and edit.changes is not None
    edits = edit.changes[URI]
    assert {e.new_text for e in edits} == {"inner"}
    assert len(edits) == 3
    edit = features.rename(outline, index, URI, _at(LOOPY, b"@void", nth=1), "nothing")
    assert edit is not None and edit.changes is not None
    assert len(edit.changes[URI]) == 2
    prepared = features.prepare_rename(outline, index, _at(LOOPY, b"@fnty", nth=1))
    assert prepared is not None and _text(LOOPY, index, prepared) == b"fnty"
    assert features.prepare_rename(outline, index, LOOPY.index(b"primitive")) is None


def test_completion_contexts() -> None:
    data = b"@a = int(1)\n@b = fn(@fnty, {\n  %p = int(2)\n  %q = add(%, @)\n  %r = \n})\n"
    outline = scan(data)
    index = LspLineIndex(data)
    at_local = data.index(b"%,") + 1
    labels = [i.label for i in completion.completion(outline, index, at_local).items]
    assert labels == ["%p"]
    at_decl = data.index(b"@)") + 1
    labels = [i.label for i in completion.completion(outline, index, at_decl).items]
    assert labels == ["@b", "@a"]  # functions first
    at_tag = data.index(b"%r = ") + len(b"%r = ")
    tags = {i.label: i for i in completion.completion(outline, index, at_tag).items}
    assert "fn" in tags and "call" in tags and "const" not in tags
    assert tags["call"].detail == "call(func: operand, args: [operand, …], modifier: " + (
        "auto|async_kw|never_tail|never_inline|no_async|always_tail|always_inline|compile_time=auto)"
    )


def test_keyword_completion_and_signature_help() -> None:
    data = b"@x = asm(@src, @usize, volatile=1, "
    outline = scan(data)
    index = LspLineIndex(data)
    labels = {i.label for i in completion.completion(outline, index, len(data)).items}
    assert {"volatile=", "output=", "inputs=", "clobbers=", "args="} <= labels
    help_ = completion.signature_help(outline, len(data))
    assert help_ is not None and help_.active_parameter == 3  # after "volatile=1, ": the next field, output
    assert help_.signatures[0].label.startswith("asm(asm_source: operand, return_type: operand, volatile: 0|1=0")
    assert help_.active_parameter == 3


def test_semantic_tokens_cover_names_tags_strings_numbers_comments() -> None:
    data = '; c\n@é = int(42)\n@s = str("x")\n'.encode()
    outline = scan(data)
    tokens = features.semantic_tokens(outline, LspLineIndex(data, Encoding.UTF16)).data
    quintuples = [tokens[i : i + 5] for i in range(0, len(tokens), 5)]
    kinds = [features.TOKEN_TYPES[q[3]] for q in quintuples]
    assert kinds == ["comment", "variable", "keyword", "number", "variable", "keyword", "string"]
    # '@é' is two UTF-16 units long on line 1
    assert quintuples[1][:3] == [1, 0, 2]


def test_folding_ranges_and_code_lens() -> None:
    outline = scan(HELLO)
    index = LspLineIndex(HELLO)
    folds = wholedoc.folding_ranges(DocOutline.build(HELLO), index).value()
    start_line = index.position(HELLO.index(b"@start ="))[0]
    assert any(f["startLine"] == start_line for f in folds)
    lens, live = features.code_lenses(outline, index, URI)
    assert _text(HELLO, index, lens.range) == b"@start" and live.range == lens.range
    assert lens.command is not None and lens.command.command == "zir.run" and lens.command.arguments == [URI]
    assert live.command is not None and live.command.command == "zir.runLive" and live.command.arguments == [URI]


def test_scanner_recovers_at_the_next_decl() -> None:
    data = b"@a = call(@b, [\n@c = int(1)\n"
    outline = scan(data)
    assert [d.name for d in outline.decls] == ["a", "c"]
    kinds = [t.kind for t in outline.tokens]
    assert kinds.count(TokenKind.DECL_DEF) == 2


def test_tag_completion_inserts_arguments_as_a_snippet() -> None:
    data = b"@a = "
    outline = scan(data)
    items = {i.label: i for i in completion.completion(outline, LspLineIndex(data), len(data), snippets=True).items}
    call = items["call"]
    assert call.insert_text_format == types.InsertTextFormat.Snippet
    assert isinstance(call.text_edit, types.TextEdit)
    assert call.text_edit.new_text == "call(${1:func}, [${2:args}])$0"
    assert items["fn"].text_edit is not None and items["fn"].text_edit.new_text == "fn(${1:fn_type}, {\n\t${2}\n})$0"
    plain = {i.label: i for i in completion.completion(outline, LspLineIndex(data), len(data)).items}
    assert plain["call"].text_edit is not None and plain["call"].text_edit.new_text == "call"


def test_signature_help_reads_the_keyword() -> None:
    """Issue 15 defect 1: the active parameter is the keyword being written, whatever the commas say."""
    data = b"@x = asm(@src, @usize, volatile=1, inputs=[@a, @b], clobbers=[@c], args=[%y, %z])\n"
    outline = scan(data)
    params = {"inputs": b"inputs=[@a", "clobbers": b"clobbers=[", "args": b"args=[%y, "}
    for name, needle in params.items():
        help_ = completion.signature_help(outline, data.index(needle) + len(needle))
        assert help_ is not None and help_.active_parameter is not None
        labels = [p.label for p in help_.signatures[0].parameters or []]
        assert str(labels[help_.active_parameter]).startswith(f"{name}:"), (name, labels[help_.active_parameter])


def test_local_completion_follows_availability() -> None:
    """Issue 15 defect 2: after a block, its inner locals are not offered; the block itself and outer ones are."""
    data = (
        b'@f = fn(@fnty, {\n  %a = int(1)\n  %blk = block({\n    %c = int(2)\n    %d = breakvoid("blk")\n  })\n'
        b"  %e = add(%, %a)\n})\n"
    )
    outline = scan(data)
    index = LspLineIndex(data)
    labels = [i.label for i in completion.completion(outline, index, data.index(b"%,") + 1).items]
    assert labels == ["%a", "%blk"]
    inside = data.index(b"breakvoid")
    assert {name for _, name, _ in completion.available_locals(outline, inside, inside)} == {"a", "c"}


def test_decl_completion_is_filtered_and_capped() -> None:
    data = b"".join(b"@n%d = int(%d)\n" % (i, i) for i in range(300)) + b"@use = int(@n1"
    outline = scan(data)
    index = LspLineIndex(data)
    result = completion.completion(outline, index, len(data))
    assert result.is_incomplete and len(result.items) == completion.MAX_ITEMS
    assert result.items[0].label == "@n1"  # prefix matches first
    assert all("1" in i.label for i in result.items)
    narrow = completion.completion(outline, index, len(data) - 1)  # "@n": still 300 matches
    assert narrow.is_incomplete


@pytest.mark.parametrize("chunk_bytes", [1, 64, outline_module.CHUNK_BYTES])
def test_full_semantic_tokens_from_chunk_parts_equal_a_whole_text_encoding_after_edits(
    monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    """The per-chunk parts, reused across splices, give exactly the whole-text encoding of the newest text,
    whatever the chunks' size."""
    monkeypatch.setattr(outline_module, "CHUNK_BYTES", chunk_bytes)
    data = HELLO + LOOPY.replace(b"@void = primitive(void)\n", b"") + "; é😀\n@g = int(1)\n@k = call(@g, [])\n".encode()
    outline = DocOutline.build(data)
    edits = [  # (needle, where in it, bytes replaced, new bytes), applied to the text of the moment
        (b"@g = int", 5, 3, b"fn"),  # @g becomes a function: the token of @k's reference changes type
        (b"@g = fn", 0, 2, b"@h"),  # a name: the decl @k names is gone
        (b"%outer", 0, 0, b"\n\n"),  # lines move below
        (b"@fnty = fntype", 8, 6, b"int"),  # a tag
        (b"", 0, 0, "; 😀\n".encode()),
    ]
    for needle, at, length, new in edits:
        start = data.index(needle) + at
        end = start + length
        data = data[:start] + new + data[end:]
        outline.splice(start, end, data)
        for encoding in (Encoding.UTF16, Encoding.UTF8):
            index = LspLineIndex(data, encoding)
            expected = features.semantic_tokens(scan(data), index).data
            assert wholedoc.semantic_tokens(outline, index).values() == expected
            folds = [(f["startLine"], f["endLine"]) for f in wholedoc.folding_ranges(outline, index).value()]
            built = DocOutline.build(data)
            fresh = [(f["startLine"], f["endLine"]) for f in wholedoc.folding_ranges(built, index).value()]
            assert folds == fresh
            symbols = wholedoc.document_symbols(outline, index).value()
            assert symbols == wholedoc.document_symbols(DocOutline.build(data), index).value()


def test_kept_semantic_token_parts_hold_no_int_object_per_token() -> None:
    """Each chunk keeps its semantic-token part packed (docs/design/performance.md §9.4): the encoded tokens in an
    ``array``, the decls it depends on as token indices (names are read from the text); the joined answer is
    unchanged."""
    text = "".join(f"@f{i} = fn(@fty, {{\n  %c = int({i})\n  %r = return(%c)\n}})\n" for i in range(40))
    data = ("@fty = fntype([], @usize)\n" + text).encode()
    outline, index = DocOutline.build(data), LspLineIndex(data, Encoding.UTF16)
    answer = wholedoc.semantic_tokens(outline, index)
    assert answer.values() == features.semantic_tokens(scan(data), index).data
    assert answer.encode("r").value() == {"resultId": "r", "data": answer.values()}
    parts = [c.token_part for c in outline.chunks if c.token_part is not None]
    assert len(parts) == len(outline.chunks) > 1
    assert all(isinstance(p.codes, bytes | array) and isinstance(p.deps, bytes | array) for p in parts)


def _chain(n: int) -> bytes:
    head = "@fty = fntype([], @usize)\n@usize = primitive(usize)\n"
    return (
        head + "".join(f"@f{i} = fn(@fty, {{\n  %c = int({i})\n  %r = return(%c)\n}})\n" for i in range(n))
    ).encode()


def test_a_tokens_delta_compares_only_the_parts_between_shared_ones() -> None:
    """The delta after a one-function edit is the flat prefix/suffix delta of the whole data, found by skipping
    the chunk parts both answers share; applying it to the old data gives the new."""
    data = _chain(300)
    outline = DocOutline.build(data)
    old = wholedoc.semantic_tokens(outline.snapshot(), LspLineIndex(data, Encoding.UTF16))
    for needle, new in ((b"int(150)", b"int(15000)"), (b"%c = int(7)", b"%c = int(7)\n  %d = int(8)")):
        start = data.index(needle)
        data = data[:start] + new + data[start + len(needle) :]
        outline.splice(start, start + len(needle), data)
        fresh = wholedoc.semantic_tokens(outline.snapshot(), LspLineIndex(data, Encoding.UTF16))
        edits = wholedoc.tokens_delta(old, fresh)
        assert [(e.start, e.delete_count, e.data) for e in edits] == [
            (e.start, e.delete_count, e.data) for e in features.semantic_tokens_delta(old.values(), fresh.values())
        ]
        (edit,) = edits
        values = old.values()
        values[edit.start : edit.start + edit.delete_count] = edit.data or []
        assert values == fresh.values() == features.semantic_tokens(scan(data), LspLineIndex(data)).data
        shared = sum(1 for a, b in zip(old.parts, fresh.parts, strict=False) if a is b)
        assert shared >= len(fresh.parts) - 2 >= 10  # parts are shared
        old = fresh
    assert wholedoc.tokens_delta(old, wholedoc.semantic_tokens(outline.snapshot(), LspLineIndex(data))) == []


def _peak_bytes(job: Callable[[], object]) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = job()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_whole_document_answers_are_built_as_json_text_not_objects() -> None:
    """documentSymbol, foldingRange and full semantic tokens are written as JSON text in pieces: building one
    (parts already kept) takes little more than the text itself, where a list of dicts or ints took 4–6 times
    as much at its peak (docs/design/performance.md §9.4); the text decodes to the same answer."""
    data = _chain(2000)
    outline, index = DocOutline.build(data), LspLineIndex(data, Encoding.UTF16)
    wholedoc.document_symbols(outline, index), wholedoc.folding_ranges(outline, index)  # keep the parts
    tokens = wholedoc.semantic_tokens(outline, index)
    jobs: list[Callable[[], object]] = [
        lambda: wholedoc.document_symbols(outline, index),
        lambda: wholedoc.folding_ranges(outline, index),
        lambda: tokens.encode("id"),
    ]
    for job in jobs:
        answer, peak = _peak_bytes(job)
        assert isinstance(answer, EncodedJson)
        assert peak < 1.5 * len(answer) + 300_000, (peak, len(answer))
    symbols = wholedoc.document_symbols(outline, index).value()
    assert [s["name"] for s in symbols] == ["@fty", "@usize", *(f"@f{i}" for i in range(2000))]
    assert tokens.encode("id").value()["data"] == features.semantic_tokens(scan(data), index).data


def _wire(answer: EncodedJson) -> bytes:
    out = io.BytesIO()
    jsonout.write_response(out, 7, answer, headers=True)
    return out.getvalue()


def test_a_large_answer_waits_compressed_and_is_sent_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its first ``_KEEP_RAW`` bytes an answer keeps its pieces compressed until each is written: building
    the document symbols of a 6 000-function chain (1.3 MB of text) with the threshold at 64 KiB peaks at a
    fraction of the text (the whole text and more without it), and every answer's bytes on the wire are the
    same as when kept whole."""
    data = _chain(6000)
    outline, index = DocOutline.build(data), LspLineIndex(data, Encoding.UTF16)
    tokens = wholedoc.semantic_tokens(outline, index)
    jobs: list[Callable[[], EncodedJson]] = [
        lambda: wholedoc.document_symbols(outline, index),
        lambda: wholedoc.folding_ranges(outline, index),
        lambda: tokens.encode("id"),
    ]
    whole = [job() for job in jobs]  # (parts are kept from here on)
    assert all(answer.packed_from == len(answer.pieces) for answer in whole)  # under 2 MiB: nothing compressed
    monkeypatch.setattr(jsonout, "_KEEP_RAW", 64 * 1024)
    symbols, peak = _peak_bytes(jobs[0])
    assert isinstance(symbols, EncodedJson) and len(symbols) == len(whole[0]) > 1_000_000
    assert peak < len(symbols) // 4 + 600_000, (peak, len(symbols))
    for plain, job in zip(whole, jobs, strict=True):
        packed = job()
        assert packed.packed_from < len(packed.pieces)
        assert sum(map(len, packed.pieces[packed.packed_from :])) < len(packed) // 4
        assert _wire(packed) == _wire(plain)
        assert packed.value() == plain.value()
