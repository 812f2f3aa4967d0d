"""Open → first diagnostics (docs/design/lsp.md §8.3): a newly opened text's parse errors are published from its
own parse, before any analysis — not queued behind the editor thread's work; a large text that parses is
announced with an empty list before its analysis."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from bench.gen import ChainProgram
from server.progress import LARGE_FILE_BYTES
from tests.server.e2e.conftest import Workspace, publishes, recorder, wait_diagnostics, wait_until

BAD_EXPORT = '@x_sym = str("x")\n@x_export = export(@x_sym, "nosuch")\n'
"""Appended to a program: one analysis error (``decl 'nosuch' not found``), seen only once it is analysed."""


def published(client: LanguageClient) -> list[types.PublishDiagnosticsParams]:
    """Every publishDiagnostics so far, in the order the client received them."""
    return [p for m, p in recorder(client).notifications if m == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]


@pytest.mark.parametrize("client", ["visual_studio_code"], indirect=True)
async def test_a_parse_error_is_published_before_another_documents_analysis_completes(
    client: LanguageClient, ws: Workspace
) -> None:
    big = ChainProgram(3000).source().decode() + BAD_EXPORT
    big_uri = ws.open("big.zir", big)

    def analysing() -> bool:  # a report of big.zir's analysis progress: the editor thread is busy with it
        return any(
            r and getattr(r[0], "title", "") == "Analysing big.zir" and len(r) > 1
            for r in client.progress_reports.values()
        )

    await wait_until(client, analysing)
    broken = ChainProgram(10).source().decode() + "@broken = int(12x)\n"
    broken_uri = ws.open("broken.zir", broken)  # its editor run queues behind big.zir's analysis

    def analysed_big() -> bool:
        return any(p.diagnostics for p in publishes(client, big_uri))

    await wait_until(client, analysed_big)
    order = [(p.uri, len(p.diagnostics)) for p in published(client)]
    analysed_at = order.index((big_uri, 1))
    parse_error_at = order.index((broken_uri, 1))
    assert parse_error_at < analysed_at  # the parse error did not wait for the other document's analysis
    first = next(p for p in publishes(client, broken_uri) if p.diagnostics)
    assert [(d.range.start.line, d.message) for d in first.diagnostics] == [(broken.count("\n") - 1, "expected ')'")]
    assert first.version == 1


@pytest.mark.parametrize("client", ["visual_studio_code"], indirect=True)
async def test_a_large_text_that_parses_gets_an_empty_list_first_then_its_analysis(
    client: LanguageClient, ws: Workspace
) -> None:
    text = ChainProgram(3000).source().decode() + BAD_EXPORT
    assert len(text) >= LARGE_FILE_BYTES
    uri = ws.open("app.zir", text)
    last = await wait_diagnostics(client, uri, lambda p: len(p.diagnostics) == 1)
    assert last.diagnostics[0].message == "decl 'nosuch' not found"
    lists = [len(p.diagnostics) for p in publishes(client, uri) if p.version == 1]
    assert lists == [0, 1]  # the parse (no errors) at once, then the analysis
