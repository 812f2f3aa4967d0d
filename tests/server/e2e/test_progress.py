"""``$/progress`` during long work, observed from the real server: the first analysis of a large file and its
build report their phase and a percentage between begin and end; ``serverInfo`` carries the compiler's version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

import compiler
from bench.gen import ChainProgram
from server.progress import LARGE_FILE_BYTES
from tests.server.e2e.conftest import PROFILES, SERVER, Workspace, builds, wait_build, wait_diagnostics, wait_until

BIG = ChainProgram(4000)


def reports_of(client: LanguageClient, title: str) -> list[Any]:
    """The reports of the one progress whose begin has ``title`` (begin, reports..., end)."""
    found = [r for r in client.progress_reports.values() if r and getattr(r[0], "title", None) == title]
    assert len(found) == 1, [getattr(r[0], "title", None) for r in client.progress_reports.values() if r]
    return found[0]


PHASES = ("parse", "analyse", "generate", "write")


def check_sequence(reports: list[Any], phases: tuple[str, ...] = PHASES) -> None:
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].percentage == 0
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    middle = reports[1:-1]
    assert all(isinstance(r, types.WorkDoneProgressReport) for r in middle)
    messages = [r.message for r in middle if isinstance(r, types.WorkDoneProgressReport)]
    percentages = [r.percentage or 0 for r in middle if isinstance(r, types.WorkDoneProgressReport)]
    # every phase is reported (a phase change always goes out), with decls done / total where it has them
    for phase in phases:
        assert any(m is not None and m.startswith(phase) for m in messages), messages
    if "generate" in phases:
        assert any(m is not None and m.startswith("generate: ") and m.endswith(" decls") for m in messages)
    assert all(isinstance(r.percentage, int) for r in middle)
    assert all(0 <= p <= 100 for p in percentages)
    assert percentages == sorted(percentages)  # never goes backwards


async def test_first_analysis_and_build_of_a_large_file_report_progress(client: LanguageClient, ws: Workspace) -> None:
    text = BIG.source().decode()
    assert len(text) >= LARGE_FILE_BYTES
    uri = ws.open("big.zir", text)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    await wait_until(
        client,
        lambda: any(
            len(r) > 1 and isinstance(r[-1], types.WorkDoneProgressEnd) for r in client.progress_reports.values()
        ),
    )
    analysing = reports_of(client, "Analysing big.zir")
    check_sequence(analysing)
    assert analysing[-1].message == "analysed"

    ws.save(uri)
    payload = await wait_build(client, uri, 1)
    assert payload["ok"] is True and len(builds(client, uri)) == 1
    building = reports_of(client, "Building big.zir")
    # the editor tier already analysed the saved text (docs/design/lsp.md §8.3): the build only writes
    check_sequence(building, ("write",))
    assert payload["declsAnalyzed"] == 0

    # a later edit of the same document is quick: no new progress for the editor tier
    ws.replace(uri, text.replace("@f1 = fn", "@f1 = fn", 1))
    await wait_diagnostics(client, uri, lambda p: p.version == 2)
    assert len([r for r in client.progress_reports.values() if r and "Analysing" in str(r[0])]) == 1


@pytest_lsp.fixture(config=SERVER)  # type: ignore[untyped-decorator, unused-ignore]
async def bare_client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    await lsp_client.shutdown_session()


async def test_server_info_is_the_compiler_version(bare_client: LanguageClient, tmp_path: Path) -> None:
    result = await bare_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(PROFILES["visual_studio_code"]), root_uri=tmp_path.as_uri()
        )
    )
    assert result.server_info is not None
    assert (result.server_info.name, result.server_info.version) == ("zir-live", compiler.__version__)
