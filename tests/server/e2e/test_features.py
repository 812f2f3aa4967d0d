"""Language features over the protocol (lsp.md §9): hover with types, values and binary addresses, definition,
references, rename, completion, signature help, formatting, symbols, folding, code lens, semantic tokens,
and the zir.emitZir / zir.memoryUsage commands."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from compiler.zir.formatter import format_result
from tests.server.e2e.conftest import Workspace, apply_edits, example, wait_build, wait_diagnostics

PROGRAM = example("101-print-and-exit-code")


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def _pos(text: str, needle: str, delta: int = 1, nth: int = 0) -> types.Position:
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    index += delta
    line = text.count("\n", 0, index)
    col = index - (text.rfind("\n", 0, index) + 1)
    return types.Position(line=line, character=len(text[index - col : index].encode("utf-16-le")) // 2)


def _slice(text: str, r: types.Range) -> str:
    lines = text.split("\n")
    assert r.start.line == r.end.line
    return lines[r.start.line][r.start.character : r.end.character]


async def _open(client: LanguageClient, ws: Workspace, name: str, text: str) -> str:
    uri = ws.open(name, text)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    return uri


def _readelf_symbol(binary: str, name: str) -> tuple[int, int]:
    out = subprocess.run(["readelf", "-sW", binary], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 8 and fields[7] == name:
            return int(fields[1], 16), int(fields[2])
    raise AssertionError(f"{name} not in {binary}")


async def test_hover_shows_type_value_and_addresses(client: LanguageClient, ws: Workspace) -> None:
    uri = await _open(client, ws, "hover.zir", PROGRAM)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=_pos(PROGRAM, "@code]"))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "type: `comptime_int`" in hover.contents.value
    assert "value: `3`" in hover.contents.value
    assert hover.range is not None and _slice(PROGRAM, hover.range) == "@code"

    ws.save(uri)
    payload = await wait_build(client, uri, 1)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=_pos(PROGRAM, "@start ="))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert "type: `fn() callconv(.Naked) noreturn`" in text
    address, size = _readelf_symbol(payload["binary"], "start")
    assert f"in `{payload['binary']}`: `0x{address:x}`, {size} bytes" in text
    assert f"address: `0x{address:x}`" in text  # the editor's null linker places code exactly like the ELF linker

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=_pos(PROGRAM, "%n]"))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith("`%n = deref(%len_ptr)`")


async def test_definition_references_and_rename(client: LanguageClient, ws: Workspace) -> None:
    uri = await _open(client, ws, "nav.zir", PROGRAM)
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=_doc(uri), position=_pos(PROGRAM, "@greeting)"))
    )
    assert isinstance(result, list) and len(result) == 1
    assert isinstance(result[0], types.Location)
    assert result[0].range.start == _pos(PROGRAM, "@greeting =", delta=0)

    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=_doc(uri),
            position=_pos(PROGRAM, "%n]"),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None and [_slice(PROGRAM, r.range) for r in refs] == ["n", "n"]

    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=_doc(uri), position=_pos(PROGRAM, "@greeting", nth=1))
    )
    assert isinstance(prepared, types.Range) and _slice(PROGRAM, prepared) == "greeting"
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=_doc(uri), position=_pos(PROGRAM, "@greeting", nth=1), new_name="message")
    )
    assert edit is not None and edit.changes is not None
    assert len(edit.changes[uri]) == 3
    renamed = PROGRAM
    for e in sorted(edit.changes[uri], key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        lines = renamed.split("\n")
        line = lines[e.range.start.line]
        lines[e.range.start.line] = line[: e.range.start.character] + e.new_text + line[e.range.end.character :]
        renamed = "\n".join(lines)
    assert "@greeting" not in renamed and renamed.count("@message") == 3
    version = ws.replace(uri, renamed)
    await wait_diagnostics(client, uri, lambda p: p.version == version and len(p.diagnostics) == 0)


async def test_completion_and_signature_help(client: LanguageClient, ws: Workspace) -> None:
    text = PROGRAM.replace("  %u = unreachable()", "  %u = unreachable()\n  %v = call(@, [%])")
    uri = await _open(client, ws, "comp.zir", text)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=_doc(uri), position=_pos(text, "call(@", delta=6))
    )
    items = result.items if isinstance(result, types.CompletionList) else result
    assert items is not None
    labels = {i.label for i in items}
    assert {"@start", "@greeting", "@code"} <= labels
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=_doc(uri), position=_pos(text, "[%])", delta=2))
    )
    items = result.items if isinstance(result, types.CompletionList) else result
    assert items is not None
    assert [i.label for i in items] == ["%addr", "%len_ptr", "%n", "%w", "%x", "%u"]
    help_ = await client.text_document_signature_help_async(
        types.SignatureHelpParams(text_document=_doc(uri), position=_pos(text, "call(@", delta=5))
    )
    assert help_ is not None and help_.signatures[0].label.startswith("call(func: operand, args: [operand, …]")
    assert help_.active_parameter == 0


async def test_formatting_refused_with_parse_errors(client: LanguageClient, ws: Workspace) -> None:
    messy = "@a   =   int(1)\n@b = cmp(@a, lt, @a)\n"
    uri = await _open(client, ws, "fmt.zir", messy)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=_doc(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert edits is not None and len(edits) == 1
    lines = messy.split("\n")
    r = edits[0].range
    formatted = "\n".join(lines[: r.start.line]) + ("\n" if r.start.line else "") + edits[0].new_text
    formatted += "\n".join(lines[r.end.line :]) if r.end.character == 0 else ""
    assert "@a = int(1)" in formatted
    assert "cmp_lt(@a, @a)" in formatted  # the August spelling
    version = ws.replace(uri, messy + "@c = bogus(1)\n")
    await wait_diagnostics(client, uri, lambda p: p.version == version)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=_doc(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert not edits


async def test_formatting_after_edits_formats_what_changed(client: LanguageClient, ws: Workspace) -> None:
    """Formatting, an edit, formatting again (the server formats per decl, docs/design/lsp.md §9): each answer
    turns the editor's text into the whole-file formatter's output and touches only the edited lines."""
    decls = "".join(f"@f{i} = fn(@t, {{\n  %c = int({i})\n  %r = return(%c)\n}})\n" for i in range(40))
    text = "@t = fntype([], @u)\n@u = primitive(usize)\n\n" + decls
    assert format_result(text.encode()) == text.encode()
    uri = await _open(client, ws, "fmt_edits.zir", text)

    async def format_now() -> list[types.TextEdit]:
        options = types.FormattingOptions(tab_size=2, insert_spaces=True)
        edits = await client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=_doc(uri), options=options)
        )
        return list(edits or [])

    assert await format_now() == []
    line = text.split("\n").index("  %c = int(20)")
    version = ws.edit(uri, (line, 5), (line, 14), "=   int(21)")  # "  %c =   int(21)"
    text = apply_edits(text, [types.TextEdit(range=_range(line, 5, line, 14), new_text="=   int(21)")])
    await wait_diagnostics(client, uri, lambda p: p.version == version)
    edits = await format_now()
    assert len(edits) == 1 and (edits[0].range.start.line, edits[0].range.end.line) == (line, line + 1)
    assert edits[0].new_text == "  %c = int(21)\n"
    text = apply_edits(text, edits)
    version = ws.replace(uri, text)
    await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert await format_now() == []
    # a function further down made messy and formatted (the edit not applied), then blank lines and comments
    # above it (which move it): one edit from the first changed line to the last
    line = text.split("\n").index("  %c = int(30)")
    version = ws.edit(uri, (line, 0), (line, 2), "\t")
    text = apply_edits(text, [types.TextEdit(range=_range(line, 0, line, 2), new_text="\t")])
    await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert [(e.range.start.line, e.range.end.line, e.new_text) for e in await format_now()] == [
        (line, line + 1, "  %c = int(30)\n")
    ]  # not applied: the edit below moves the function whose text differs
    notes = "\n\n\n" + "  ;   note  \n" * 8  # longer than a function: the moved one's start passes others'
    version = ws.edit(uri, (3, 0), (3, 0), notes)
    text = apply_edits(text, [types.TextEdit(range=_range(3, 0, 3, 0), new_text=notes)])
    await wait_diagnostics(client, uri, lambda p: p.version == version)
    edits = await format_now()
    assert apply_edits(text, edits).encode() == format_result(text.encode())
    assert len(edits) == 1 and (edits[0].range.start.line, edits[0].range.end.line) == (3, line + 12)


def _range(sl: int, sc: int, el: int, ec: int) -> types.Range:
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))


async def test_symbols_folding_and_code_lens(client: LanguageClient, ws: Workspace) -> None:
    uri = await _open(client, ws, "sym.zir", PROGRAM)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=_doc(uri)))
    assert symbols is not None
    names = [s.name for s in symbols]
    assert names[:3] == ["@noreturn", "@usize", "@syscall"]
    start = next(s for s in symbols if s.name == "@start")
    assert isinstance(start, types.DocumentSymbol) and start.kind == types.SymbolKind.Function
    assert start.children is None  # children are the instructions holding a body: @start has no block
    folds = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=_doc(uri)))
    assert folds is not None
    assert any(f.start_line == _pos(PROGRAM, "@start =", delta=0).line for f in folds)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=_doc(uri)))
    assert lenses is not None and len(lenses) == 2  # "Run" and "Run live" (docs/hot-swap.md)
    assert [lens.command.command for lens in lenses if lens.command is not None] == ["zir.run", "zir.runLive"]
    assert all(lens.range.start == _pos(PROGRAM, "@start =", delta=0) for lens in lenses)


async def test_emit_zir_and_memory_usage_commands(client: LanguageClient, ws: Workspace) -> None:
    uri = await _open(client, ws, "emit.zir", PROGRAM)
    text = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="zir.emitZir", arguments=[uri])
    )
    assert isinstance(text, str) and "@start = fn(" in text and "export(" in text
    usage: Any = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="zir.memoryUsage"))
    assert usage["maxResidentBytes"] > 0
    assert usage["documents"][uri]["decls"] > 10
    assert usage["documents"][uri]["editorRuns"] == 1
    assert usage["documents"][uri]["builds"] == 0


@pytest.mark.parametrize("client", ["visual_studio_code"], indirect=True)  # Neovim 0.7 has no semantic tokens
async def test_semantic_tokens_for_vscode(client: LanguageClient, ws: Workspace) -> None:
    uri = await _open(client, ws, "tok.zir", "; hi\n@x = int(7)\n")
    tokens = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=_doc(uri)))
    assert tokens is not None
    assert list(tokens.data) == [0, 0, 4, 8, 0, 1, 0, 2, 1, 3, 0, 5, 3, 3, 0, 0, 4, 1, 7, 0]
