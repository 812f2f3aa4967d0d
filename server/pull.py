"""Pull diagnostics (LSP 3.17 ``textDocument/diagnostic``) for clients that support them; push for the others.

A client that advertises ``textDocument.diagnostic`` gets no ``publishDiagnostics`` at all: each pull answers
the merged list of both tiers once the editor tier has caught up with the newest text (a pending debounce and
a running analysis are awaited), and every new result is announced with ``workspace/diagnostic/refresh``
when the client supports it (lsp.md §9).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from server.diagnostics import without_related

if TYPE_CHECKING:
    from server.server import ZirLanguageServer
    from server.session import Session

log = logging.getLogger("zir-live")


def uses_pull(server: ZirLanguageServer) -> bool:
    """True when the client pulls diagnostics (then the server never pushes them)."""
    try:
        text_document = server.client_capabilities.text_document
    except (AttributeError, RuntimeError):  # before initialize
        return False
    return text_document is not None and text_document.diagnostic is not None


def announce(server: ZirLanguageServer) -> None:
    """New diagnostics exist: ask the client to pull again (if it supports the refresh request)."""
    workspace = server.client_capabilities.workspace
    if workspace is not None and workspace.diagnostics is not None and workspace.diagnostics.refresh_support:
        server.workspace_diagnostic_refresh(None)


async def settled(session: Session) -> None:
    """Wait until the editor tier has analysed the newest text (debounce and run both finished)."""
    while True:
        pending = session.debounce if session.debounce is not None and not session.debounce.done() else None
        if pending is None and session.editor_task is not None and not session.editor_task.done():
            pending = session.editor_task
        if pending is None:
            return
        try:
            await asyncio.shield(pending)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # this request was cancelled, not the debounce we waited on
        except Exception:  # the run failed: its error is logged by Documents; answer what is stored
            return


def register(server: ZirLanguageServer) -> None:
    """The ``textDocument/diagnostic`` request."""

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="zir", inter_file_dependencies=False, workspace_diagnostics=False),
    )
    async def diagnostic(params: types.DocumentDiagnosticParams) -> types.RelatedFullDocumentDiagnosticReport:
        session = server.session(params.text_document.uri)
        if session is not None:
            await settled(session)
        items = server.documents.store.get(params.text_document.uri)
        pulled = server.client_capabilities.text_document
        if pulled is None or pulled.diagnostic is None or not pulled.diagnostic.related_information:
            items = without_related(items)
        return types.RelatedFullDocumentDiagnosticReport(items=items)
