"""The editor tier end to end: errors while typing, exact ranges (UTF-16, CRLF), newest wins, fixes clear,
didClose clears, internal compiler errors keep the server alive — for the VS Code and Neovim profiles."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.e2e.conftest import FAULT_MARKER, Workspace, example, publishes, wait_diagnostics

MISSPELLED = example("103-misspelled-decl")
FIXED = MISSPELLED.replace("@great", "@greet")


def _span(d: types.Diagnostic) -> tuple[int, int, int, int]:
    return d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character


async def test_open_reports_the_semantic_error_then_a_fix_clears_it(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("greet.zir", MISSPELLED)
    first = await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) > 0)
    (d,) = first.diagnostics
    assert d.message == "decl 'great' not found"
    assert _span(d) == (11, 12, 11, 18)  # ":12:13", the whole "@great"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.source == "zir"
    assert first.version == 1
    version = ws.replace(uri, FIXED)
    cleared = await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert cleared.diagnostics == ()


async def test_every_error_kind_reaches_the_editor(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("p.zir", "@a = int(1)\n@b = bogus(2)\n@c = int(x)\n")
    parse = await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) > 0)
    assert [(d.message, d.range.start.line) for d in parse.diagnostics] == [
        ("unknown instruction 'bogus'", 1),
        ("invalid digit in integer literal", 2),
    ]
    version = ws.replace(uri, "@a = int(1)\n")
    entry = await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert [(d.message, _span(d)) for d in entry.diagnostics] == [
        ("no entry point found", (0, 0, 0, 2))
    ]  # the token at offset 0: "@a"


async def test_utf16_columns_after_non_ascii_text(client: LanguageClient, ws: Workspace) -> None:
    text = MISSPELLED.replace("%h = call(@great", "%h = call(@great").replace(
        "  %h = call(@great, [])", "  ; 😀 ünï\n  %h = call(@great, [])"
    )
    text = text.replace("@greet_fnty", "@grüße_fnty")  # a non-ASCII identifier
    text = text.replace("@great, [])", "@great, []) ; 𝄞 after")
    lines = text.split("\n")
    row = next(i for i, line in enumerate(lines) if "@great" in line)
    lines[row] = "  %h😀 = call(@great, [])"
    text = "\n".join(lines)
    uri = ws.open("utf.zir", text)
    published = await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) > 0)
    (d,) = published.diagnostics
    assert d.message == "decl 'great' not found"
    prefix = lines[row][: lines[row].index("@great")]
    col = len(prefix.encode("utf-16-le")) // 2
    assert col == len(prefix) + 1  # the emoji counts two UTF-16 units
    assert _span(d) == (row, col, row, col + len("@great"))


async def test_crlf_line_endings(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("crlf.zir", MISSPELLED.replace("\n", "\r\n"))
    published = await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) > 0)
    assert [_span(d) for d in published.diagnostics] == [(11, 12, 11, 18)]


async def test_incremental_changes_are_applied_with_lsp_positions(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("inc.zir", "; é😀\n" + MISSPELLED)
    await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) == 1)
    # Replace "great" (line 12 of the original, now 13) by "greet" using UTF-16 columns.
    row = 12
    col = "  %h = call(@".__len__()
    version = ws.edit(uri, (row, col), (row, col + 5), "greet")
    published = await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert published.diagnostics == ()
    # An edit on the first line after the non-BMP character.
    version = ws.edit(uri, (0, 4), (0, 4), "\n@x = bogus(1)")
    published = await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert [(d.message, d.range.start.line) for d in published.diagnostics] == [("unknown instruction 'bogus'", 1)]


async def test_newest_version_wins(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("burst.zir", MISSPELLED)
    await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) == 1)
    last = 0
    for i in range(30):
        last = ws.replace(uri, MISSPELLED if i % 2 == 0 else FIXED)
    published = await wait_diagnostics(client, uri, lambda p: p.version == last)
    assert published.diagnostics == ()  # the last text (i = 29) is the fixed one
    versions = [p.version for p in publishes(client, uri)]
    assert None not in versions
    assert versions == sorted(v for v in versions if v is not None)  # never an older version after a newer one


async def test_did_close_clears(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("close.zir", MISSPELLED)
    await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) == 1)
    ws.close(uri)
    await wait_diagnostics(client, uri, lambda p: p.diagnostics == ())


async def test_untitled_documents_get_the_editor_tier(client: LanguageClient, ws: Workspace) -> None:
    uri = "untitled:Untitled-1"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="zir", version=1, text=MISSPELLED)
        )
    )
    published = await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) == 1)
    assert published.diagnostics[0].message == "decl 'great' not found"


async def test_internal_compiler_error_is_a_diagnostic_and_the_server_recovers(
    client: LanguageClient, ws: Workspace
) -> None:
    uri = ws.open("ice.zir", MISSPELLED + f"; {FAULT_MARKER}\n")
    published = await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) == 1)
    (d,) = published.diagnostics
    assert d.message.startswith("internal compiler error: InjectedFault: fault injected")
    assert d.message.endswith("(see the server log)")
    assert _span(d) == (0, 0, 0, len("@noreturn"))  # the start of the file
    assert not client.messages  # no popup
    assert any(m.type == types.MessageType.Error and "Traceback" in m.message for m in client.log_messages)
    version = ws.replace(uri, MISSPELLED)  # the Module was discarded; a fresh one serves the next change
    published = await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert [d.message for d in published.diagnostics] == ["decl 'great' not found"]


@pytest.mark.position_encodings(["utf-8", "utf-16"])
async def test_negotiated_utf8_positions(client: LanguageClient, ws: Workspace) -> None:
    text = MISSPELLED.replace("  %h = call(@great, [])", "  %h😀 = call(@great, [])")
    uri = ws.open("utf8.zir", text)
    published = await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) > 0)
    (d,) = published.diagnostics
    line = text.split("\n")[11]
    col = len(line[: line.index("@great")].encode("utf-8"))  # bytes: the emoji counts 4
    assert _span(d) == (11, col, 11, col + len("@great"))
    # Incremental edits are interpreted in UTF-8 units too: replace "great" by "greet".
    version = ws.edit(uri, (11, col + 1), (11, col + 6), "greet")
    published = await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert published.diagnostics == ()


async def test_semantic_errors_stay_visible_while_a_line_does_not_parse(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("keep.zir", MISSPELLED)
    await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) == 1)
    # Typing a broken decl above: the parse error appears and the (moved) semantic error stays, re-positioned.
    version = ws.edit(uri, (0, 0), (0, 0), "@x = int(\n\n")
    published = await wait_diagnostics(client, uri, lambda p: p.version == version)
    got = sorted((d.message, d.range.start.line, d.range.start.character) for d in published.diagnostics)
    assert ("decl 'great' not found", 13, 12) in got
    assert any(m != "decl 'great' not found" for m, _, _ in got)  # the parse error of the broken line
    version = ws.edit(uri, (0, 0), (2, 0), "")
    published = await wait_diagnostics(client, uri, lambda p: p.version == version)
    assert [(d.message, _span(d)) for d in published.diagnostics] == [("decl 'great' not found", (11, 12, 11, 18))]
