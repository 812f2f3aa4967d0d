"""Pull diagnostics through the real server: a client advertising ``textDocument.diagnostic`` (Neovim 0.11's
capabilities) pulls them and is never pushed any; the push clients are covered by every other e2e test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.server.e2e.conftest import SERVER, SETTINGS, Workspace, example, recorder

PULL_PROFILE = "neovim@v0.11.0"


@pytest_lsp.fixture(config=SERVER)  # type: ignore[untyped-decorator]
async def pulling(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    """The real server, initialised with a client that pulls diagnostics."""
    lsp_client.set_configuration(SETTINGS, section="zir")
    capabilities = client_capabilities(PULL_PROFILE)
    assert capabilities.text_document is not None and capabilities.text_document.diagnostic is not None
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


async def test_a_pull_client_pulls_and_is_never_pushed(pulling: LanguageClient, tmp_path: Path) -> None:
    client = pulling
    ws = Workspace(client, tmp_path, "neovim")
    program = example("101-print-and-exit-code")
    broken = program.replace("@exit_group, @code]", "@exit_group, @cod]")
    uri = ws.open("pull.zir", broken)
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert [d.message for d in report.items] == ["decl 'cod' not found"]
    version = ws.replace(uri, program)
    assert version == 2
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport) and list(report.items) == []
    pushed = [m for m, _ in recorder(client).notifications if m == "textDocument/publishDiagnostics"]
    assert pushed == []  # never both push and pull for one client
