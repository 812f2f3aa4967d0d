"""pytest-lsp fixtures: the real server process (``python -m server``) driven with the VS Code and the Neovim
capability profiles; every notification is recorded so tests wait on events, never on time (lsp.md §10)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, LanguageClientProtocol, client_capabilities
from pytest_lsp.client import register_lsp_features

ROOT = Path(__file__).parents[3]
EXAMPLES = ROOT / "tests" / "cases" / "examples"
FAULT_MARKER = "ZIR_LIVE_TEST_FAULT"
WAIT = 30.0
"""Upper bound for any single wait; tests normally finish in milliseconds."""

PROFILES = {"visual_studio_code": "visual_studio_code@v1.65.2", "neovim": "neovim@v0.7.0"}


class RecordingProtocol(LanguageClientProtocol):
    """Records every server notification, in order, and wakes waiters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]  # pygls is not annotated here
        self.notifications: list[tuple[str, Any]] = []
        self.event = asyncio.Event()

    def _handle_notification(self, method_name: str, params: Any) -> None:
        self.notifications.append((method_name, params))
        self.event.set()
        if method_name == "zir/buildFinished":
            return  # custom method: recorded here, no handler needed
        super()._handle_notification(method_name, params)  # type: ignore[no-untyped-call]


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter, protocol_cls=RecordingProtocol)
    register_lsp_features(client)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)  # type: ignore[untyped-decorator]
    def register_capability(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]
        recorder(client).event.set()  # wake waiters: a request from the server is an event too

    @client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)  # type: ignore[untyped-decorator]
    def inlay_hint_refresh(params: None) -> None:
        """Answered like a client that announces ``refreshSupport`` (Neovim 0.11's profile does); counted."""
        client.inlay_hint_refreshes.append(params)  # type: ignore[attr-defined]
        recorder(client).event.set()

    client.registrations = []  # type: ignore[attr-defined]
    client.inlay_hint_refreshes = []  # type: ignore[attr-defined]
    return client


def recorder(client: LanguageClient) -> RecordingProtocol:
    proto = client.protocol
    assert isinstance(proto, RecordingProtocol)
    return proto


async def wait_until(client: LanguageClient, predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Wait until ``predicate()`` is truthy, re-checking after every notification (no sleeps, no missed events)."""
    proto = recorder(client)

    async def loop() -> Any:
        while True:
            proto.event.clear()
            result = predicate()
            if result:
                return result
            await proto.event.wait()

    return await asyncio.wait_for(loop(), timeout)


def publishes(client: LanguageClient, uri: str) -> list[types.PublishDiagnosticsParams]:
    """Every publishDiagnostics for ``uri`` so far, in order."""
    return [
        p for m, p in recorder(client).notifications if m == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS and p.uri == uri
    ]


def builds(client: LanguageClient, uri: str | None = None) -> list[dict[str, Any]]:
    """Every zir/buildFinished payload so far (as plain dicts)."""
    out = []
    for m, p in recorder(client).notifications:
        if m == "zir/buildFinished":
            payload = p if isinstance(p, dict) else default_converter().unstructure(p)  # type: ignore[no-untyped-call]
            payload = _as_dict(payload)
            if uri is None or payload["uri"] == uri:
                out.append(payload)
    return out


def _as_dict(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _as_dict(v) for k, v in obj.items()}
    if hasattr(obj, "_asdict"):
        return {k: _as_dict(v) for k, v in obj._asdict().items()}
    return obj


async def wait_diagnostics(
    client: LanguageClient, uri: str, predicate: Callable[[types.PublishDiagnosticsParams], bool]
) -> types.PublishDiagnosticsParams:
    """Wait for a publish for ``uri`` (the latest one) satisfying ``predicate``."""

    def check() -> types.PublishDiagnosticsParams | None:
        found = publishes(client, uri)
        return found[-1] if found and predicate(found[-1]) else None

    result: types.PublishDiagnosticsParams = await wait_until(client, check)
    return result


async def wait_build(client: LanguageClient, uri: str, count: int) -> dict[str, Any]:
    """Wait until ``count`` builds of ``uri`` finished; returns the last."""

    def check() -> dict[str, Any] | None:
        found = builds(client, uri)
        return found[count - 1] if len(found) >= count else None

    result: dict[str, Any] = await wait_until(client, check)
    return result


class Workspace:
    """A temporary workspace folder and helpers to open, edit and save ``.zir`` files through the client."""

    def __init__(self, client: LanguageClient, root: Path, profile: str) -> None:
        self.client = client
        self.root = root
        self.profile = profile
        self.versions: dict[str, int] = {}

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, text: str, write: bool = True) -> str:
        path = self.root / name
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode())
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="zir", version=1, text=text)
            )
        )
        return uri

    def replace(self, uri: str, text: str) -> int:
        """Send the whole new text as one change; returns the new version."""
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return self.versions[uri]

    def edit(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> int:
        """Send one incremental change; returns the new version."""
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=start[0], character=start[1]),
                            end=types.Position(line=end[0], character=end[1]),
                        ),
                        text=text,
                    )
                ],
            )
        )
        return self.versions[uri]

    def save(self, uri: str, text: str | None = None) -> None:
        """Write ``text`` (if given) to disk, then send didSave."""
        if text is not None:
            Path(uri.removeprefix("file://")).write_bytes(text.encode())
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )


def example(name: str, update: int = 1) -> str:
    return (EXAMPLES / name / f"update{update}.zir").read_text()


SETTINGS: dict[str, Any] = {"diagnostics": {"debounceMs": 0}}

SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "server"],
    client_factory=make_client,
    server_env={**os.environ, "ZIR_LIVE_FAULT_MARKER": FAULT_MARKER, "PYTHONPATH": str(ROOT)},
)


async def start_session(
    client: LanguageClient,
    profile: str,
    root: Path,
    settings: dict[str, Any],
    encodings: list[str] | None = None,
    tweak: Callable[[types.ClientCapabilities], None] | None = None,
) -> None:
    client.set_configuration(settings, section="zir")
    capabilities = client_capabilities(PROFILES[profile])
    if tweak is not None:
        tweak(capabilities)
    if encodings is not None:
        capabilities.general = types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind(e) for e in encodings]
        )
    client.initialize_result = await client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
            initialization_options=settings,
        )
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "zir_settings(obj): the `zir` settings the server starts with")
    config.addinivalue_line("markers", "position_encodings(list): the client offers these position encodings")
    config.addinivalue_line("markers", "capabilities(fn): fn changes the profile's client capabilities in place")


@pytest_lsp.fixture(config=SERVER, params=list(PROFILES))  # type: ignore[untyped-decorator]
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[None]:
    """The real server process, initialised with one client profile in the workspace ``tmp_path``."""
    marker = request.node.get_closest_marker("zir_settings")
    settings = marker.args[0] if marker is not None else SETTINGS
    encodings = request.node.get_closest_marker("position_encodings")
    tweak = request.node.get_closest_marker("capabilities")
    await start_session(
        lsp_client,
        request.param,
        tmp_path,
        settings,
        encodings.args[0] if encodings else None,
        tweak.args[0] if tweak else None,
    )
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def ws(client: LanguageClient, request: pytest.FixtureRequest, tmp_path: Path) -> Workspace:
    """Helpers over ``client`` for the workspace ``tmp_path``."""
    return Workspace(client, tmp_path, request.node.callspec.params["client"])


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """``text`` (ASCII: characters are bytes) with the server's non-overlapping ``edits`` applied, the last first."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        lo = starts[e.range.start.line] + e.range.start.character
        hi = starts[e.range.end.line] + e.range.end.character
        text = text[:lo] + e.new_text + text[hi:]
    return text
