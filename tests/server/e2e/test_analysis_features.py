"""Issue 15's analysis-backed features through the real server (VS Code and Neovim profiles): inlay hints of
`%` locals (visible range, the setting, following an edit), hover of a `%` local's analysed type and value,
``relatedInformation`` at the use that caused an error (and not for a client without support), and the
"create `@name`" quick fix, applied until the diagnostic is gone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.server.e2e.conftest import SERVER, SETTINGS, Workspace, apply_edits, wait_diagnostics, wait_until

PROGRAM = """@noreturn = primitive(noreturn)
@usize = primitive(usize)
@two = int(2)
@one_fnty = fntype([@usize], @usize)
@double = fn(@one_fnty, {
  %n = arg(0)
  %r = return(%n)
})
@start_fnty = fntype([], @noreturn, cc=Naked)
@start = fn(@start_fnty, {
  %k = as(@usize, @two)
  %m = add(%k, %k)
  %s = str("hi\\n")
  %t = primitive(usize)
  %v = call(@double, [%m])
  %99 = unreachable()
})
@entry = str("_start")
@exp = export(@entry, "start")
"""


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def _pos(text: str, needle: str, delta: int = 0) -> types.Position:
    index = text.index(needle) + delta
    return types.Position(line=text.count("\n", 0, index), character=index - (text.rfind("\n", 0, index) + 1))


def _after(text: str, needle: str) -> tuple[int, int]:
    p = _pos(text, needle, len(needle))
    return p.line, p.character


def _whole(text: str) -> types.Range:
    return types.Range(start=types.Position(line=0, character=0), end=_pos(text + "\0", "\0"))


async def _hints(client: LanguageClient, uri: str, range_: types.Range) -> list[tuple[int, int, str]]:
    result = await client.text_document_inlay_hint_async(types.InlayHintParams(text_document=_doc(uri), range=range_))
    return sorted((h.position.line, h.position.character, str(h.label)) for h in result or [])


async def _open_clean(client: LanguageClient, ws: Workspace, name: str, text: str) -> str:
    uri = ws.open(name, text)
    await wait_diagnostics(client, uri, lambda p: p.version == 1 and not p.diagnostics)
    return uri


async def test_initialize_advertises_inlay_hints(client: LanguageClient, ws: Workspace) -> None:
    result = client.initialize_result  # type: ignore[attr-defined]
    assert isinstance(result, types.InitializeResult) and result.capabilities.inlay_hint_provider


async def test_inlay_hints_show_analysed_types_and_comptime_values(client: LanguageClient, ws: Workspace) -> None:
    uri = await _open_clean(client, ws, "hints.zir", PROGRAM)
    t = PROGRAM
    expected = sorted(
        [
            (*_after(t, "%n"), ": usize"),
            (*_after(t, "%k"), ": usize"),
            (*_after(t, "as(@usize, @two)"), "= 2"),  # as() is not a literal: its value is shown
            (*_after(t, "%m"), ": usize"),
            (*_after(t, "add(%k, %k)"), "= 4"),
            (*_after(t, "%s"), ": *const [3:0]u8"),  # str() and primitive() show no value: it is their text
            (*_after(t, "%t"), ": type"),
            (*_after(t, "%v"), ": usize"),  # a runtime call: a type, no value; noreturn locals get nothing
        ]
    )
    assert await _hints(client, uri, _whole(t)) == expected
    # only the requested range: the lines of @double
    double = types.Range(start=_pos(t, "@double = fn"), end=_pos(t, "@start_fnty"))
    assert await _hints(client, uri, double) == [(*_after(t, "%n"), ": usize")]


async def test_inlay_hints_follow_an_edit_of_a_dependency(client: LanguageClient, ws: Workspace) -> None:
    uri = await _open_clean(client, ws, "follow.zir", PROGRAM)
    assert (*_after(PROGRAM, "add(%k, %k)"), "= 4") in await _hints(client, uri, _whole(PROGRAM))
    line, col = _after(PROGRAM, "@two = int(")
    ws.edit(uri, (line, col), (line, col + 1), "5")
    await wait_diagnostics(client, uri, lambda p: p.version == 2 and not p.diagnostics)
    text = PROGRAM.replace("@two = int(2)", "@two = int(5)")
    found = await _hints(client, uri, _whole(text))
    assert (*_after(text, "add(%k, %k)"), "= 10") in found
    assert (*_after(text, "as(@usize, @two)"), "= 5") in found


async def test_inlay_hints_are_not_shown_for_an_edited_function_before_its_analysis(
    client: LanguageClient, ws: Workspace
) -> None:
    """A function whose text changed is not described by facts analysed from its old text."""
    uri = ws.open("stale.zir", PROGRAM)
    await wait_diagnostics(client, uri, lambda p: p.version == 1 and not p.diagnostics)
    # break the parse so the editor tier cannot re-analyse: the old facts stay the only ones
    broken = PROGRAM.replace("%m = add(%k, %k)", "%m = add(%k, %k")
    ws.replace(uri, broken)
    await wait_diagnostics(client, uri, lambda p: p.version == 2 and bool(p.diagnostics))
    found = await _hints(client, uri, _whole(broken))
    assert found == [(*_after(broken, "%n"), ": usize")]  # @double is unchanged; @start is not shown


@pytest.mark.zir_settings({"diagnostics": {"debounceMs": 0}, "inlayHints": {"enabled": False}})
async def test_inlay_hints_are_off_by_the_setting(client: LanguageClient, ws: Workspace) -> None:
    uri = await _open_clean(client, ws, "off.zir", PROGRAM)
    assert await _hints(client, uri, _whole(PROGRAM)) == []


async def test_hover_of_a_local_shows_its_analysed_type_and_value(client: LanguageClient, ws: Workspace) -> None:
    uri = await _open_clean(client, ws, "hover.zir", PROGRAM)

    async def hover(needle: str, delta: int) -> str:
        result = await client.text_document_hover_async(
            types.HoverParams(text_document=_doc(uri), position=_pos(PROGRAM, needle, delta))
        )
        assert result is not None and isinstance(result.contents, types.MarkupContent)
        return result.contents.value

    text = await hover("add(%k", 5)  # the use of %k in the add
    assert "type: `usize`" in text and "value: `2`" in text
    text = await hover("%m = add", 1)
    assert "type: `usize`" in text and "value: `4`" in text
    text = await hover("%s = str", 1)
    assert "type: `*const [3:0]u8`" in text and 'value: `"hi\\n"`' in text
    text = await hover("%v = call", 1)
    assert "type: `usize`" in text and "value:" not in text


ARITY = PROGRAM.replace("call(@double, [%m])", "call(@double, [%m, %m])")
COERCION = PROGRAM.replace("@two = int(2)", "@two = int(-1)")


def _related(diag: types.Diagnostic) -> list[tuple[int, int, str]]:
    return [
        (r.location.range.start.line, r.location.range.start.character, r.message)
        for r in diag.related_information or []
    ]


async def test_errors_keep_their_range_and_relate_the_use_that_caused_them(
    client: LanguageClient, ws: Workspace
) -> None:
    uri = ws.open("arity.zir", ARITY)
    found = await wait_diagnostics(client, uri, lambda p: p.version == 1 and bool(p.diagnostics))
    [diag] = found.diagnostics
    assert diag.message == "expected 1 arguments, found 2"
    assert diag.range.start == _pos(ARITY, "@one_fnty, {")  # the spec's range: the callee's type
    use = _pos(ARITY, "@double, [%m, %m]")
    assert _related(diag) == [(use.line, use.character, "used here")]
    assert diag.related_information is not None and diag.related_information[0].location.uri == uri

    uri = ws.open("coerce.zir", COERCION)
    found = await wait_diagnostics(client, uri, lambda p: p.version == 1 and bool(p.diagnostics))
    [diag] = found.diagnostics
    assert diag.message == "type comptime_int cannot represent integer value -1"
    assert diag.range.start == _pos(COERCION, "-1)")  # the operand's definition
    use = _pos(COERCION, "@two)")
    assert _related(diag) == [(use.line, use.character, "used here")]


def _no_related_information(caps: types.ClientCapabilities) -> None:
    assert caps.text_document is not None and caps.text_document.publish_diagnostics is not None
    caps.text_document.publish_diagnostics.related_information = False


@pytest.mark.capabilities.with_args(_no_related_information)
async def test_no_related_information_for_a_client_without_support(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("arity.zir", ARITY)
    found = await wait_diagnostics(client, uri, lambda p: p.version == 1 and bool(p.diagnostics))
    [diag] = found.diagnostics
    assert diag.message == "expected 1 arguments, found 2" and diag.related_information is None


MISSING = PROGRAM.replace("as(@usize, @two)", "as(@usize, @three)")


async def test_create_decl_action_makes_the_program_compile(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("missing.zir", MISSING)
    found = await wait_diagnostics(client, uri, lambda p: p.version == 1 and bool(p.diagnostics))
    [diag] = found.diagnostics
    assert diag.message == "decl 'three' not found"
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=_doc(uri), range=diag.range, context=types.CodeActionContext(diagnostics=[diag])
        )
    )
    create = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.title.startswith("Create")]
    assert [a.title for a in create] == ["Create `@three` (= int(0))"]
    edit = create[0].edit
    assert edit is not None and edit.changes is not None
    fixed = apply_edits(MISSING, list(edit.changes[uri]))
    assert "@three = int(0)\n@start = fn(" in fixed  # just above the decl that uses it
    ws.replace(uri, fixed)
    await wait_diagnostics(client, uri, lambda p: p.version == 2 and not p.diagnostics)


@pytest_lsp.fixture(config=SERVER)  # type: ignore[untyped-decorator]
async def pulling(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    """A Neovim 0.11 client (pulls diagnostics, supports inlay hint refresh) that also announces
    ``relatedInformation`` for pulled diagnostics (the test client counts ``workspace/inlayHint/refresh``)."""
    lsp_client.set_configuration(SETTINGS, section="zir")
    capabilities = client_capabilities("neovim@v0.11.0")
    assert capabilities.text_document is not None and capabilities.text_document.diagnostic is not None
    capabilities.text_document.diagnostic.related_information = True
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=tmp_path.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
            initialization_options=SETTINGS,
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_pulled_diagnostics_relate_the_use_and_hints_are_refreshed_after_analysis(
    pulling: LanguageClient, tmp_path: Path
) -> None:
    client = pulling
    ws = Workspace(client, tmp_path, "neovim")
    uri = ws.open("pull.zir", ARITY)
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=_doc(uri)))
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    [diag] = report.items
    use = _pos(ARITY, "@double, [%m, %m]")
    assert _related(diag) == [(use.line, use.character, "used here")]
    # a pull answers once the analysis is done; the refresh request was sent before that answer
    refreshes: list[None] = client.inlay_hint_refreshes  # type: ignore[attr-defined]
    await wait_until(client, lambda: len(refreshes) >= 1)
    seen = len(refreshes)
    ws.replace(uri, PROGRAM)
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=_doc(uri)))
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport) and list(report.items) == []
    await wait_until(client, lambda: len(refreshes) > seen)  # the analysis of the fix asked for hints again
    assert (*_after(PROGRAM, "add(%k, %k)"), "= 4") in await _hints(client, uri, _whole(PROGRAM))
