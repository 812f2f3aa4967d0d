"""create_server(): the pygls LanguageServer subclass and its handler registrations — protocol glue only.

Every handler is ``async`` and short: translate params, call ``Documents`` / ``features``, translate back.
No compiler work happens on the event loop (lsp.md §3, architecture.md §7).
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import traceback
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from server import handlers, inlay, jsonout, live, pull, run, views
from server.backend import COMPILER_VERSION
from server.config import parse_settings
from server.diagnostics import without_related
from server.documents import Documents
from server.jsonout import EncodedJson
from server.positions import Encoding
from server.protocol import (
    BUILD_FINISHED,
    CMD_EMIT_ZIR,
    CMD_MEMORY_USAGE,
    CMD_REBUILD,
    DISASSEMBLY,
    LAYOUT,
    BuildFinished,
)
from server.session import Session

VERSION = COMPILER_VERSION
"""``serverInfo.version`` in the initialize result: the compiler's one version number."""
log = logging.getLogger("zir-live")


class ZirProtocol(LanguageServerProtocol):
    """pygls's protocol without its own copy of each document's text (``didOpen``, ``didChange``).

    ``Documents`` keeps the UTF-8 bytes and splices every change into them; pygls's workspace copy was never
    read, and updating it cost O(file) Python work per keystroke (it re-splits the whole document).
    """

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Iterator[tuple[Callable[..., Any], tuple[Any, ...], None]]:
        """Hand the change to our handler only (the workspace keeps no copy of the text)."""
        user_handler = self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)
        if user_handler is not None:
            yield user_handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Iterator[tuple[Callable[..., Any], tuple[Any, ...], None]]:
        """Hand the opened text to our handler only: the workspace's copy (a ``str`` of the whole file, 12 MB at
        N = 100 000) was never read (docs/design/performance.md §9.4)."""
        user_handler = self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)
        if user_handler is not None:
            yield user_handler, (params,), None

    def _send_data(self, data: Any) -> None:
        """pygls's sending, except that a response whose result is ``EncodedJson`` (a whole-document answer) is
        written piece by piece instead of being built as objects and dumped whole (``server.jsonout``)."""
        result = getattr(data, "result", None)
        if isinstance(result, EncodedJson) and self.writer is not None:
            try:
                jsonout.write_response(self.writer, data.id, result, self._include_headers)
            except BrokenPipeError:
                log.exception("Error sending data. BrokenPipeError")
                raise
            except Exception:  # as pygls: a failed send is logged, the server goes on
                log.exception("Error sending data")
            return
        super()._send_data(data)

    def structure_message(self, data: dict[str, Any]) -> Any:
        """pygls's parsing, but a request whose params do not validate (a position with a negative line or
        one of 2³² or more, lsp.md §8) is answered with ``InvalidParams`` instead of being dropped, which left
        the client waiting forever."""
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            msg_id = data.get("id")
            if "method" in data and isinstance(msg_id, int | str) and not isinstance(msg_id, bool):
                error = types.ResponseError(code=exc.code, message=f"{data['method']}: invalid params")
                self._send_response(msg_id, error=error)
            raise


class ZirLanguageServer(LanguageServer):
    """The ZIR Live server: a LanguageServer holding the documents and the settings."""

    def __init__(self) -> None:
        super().__init__(
            "zir-live",
            VERSION,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=ZirProtocol,
        )
        self.documents = Documents(_Client(self))
        self.views = views.BinaryViews()
        self.local_facts = inlay.LocalFacts()
        """The analysed ``%`` locals last read per document (inlay hints, hover)."""
        self.init_options: object = None
        self.settings_warning: str | None = None
        """The invalid-settings warning last shown: the same problems are shown once, not once per source."""

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log server errors; never pop up messages (lsp.md §8.9)."""
        text = "".join(traceback.format_exception(error))
        log.error("server error (%s): %s", getattr(source, "__name__", source), text)
        self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=text))

    # ------------------------------------------------------------------ helpers for handlers

    def encoding(self) -> Encoding:
        """The negotiated position encoding."""
        return Encoding.from_lsp(str(self.workspace.position_encoding or "utf-16"))

    def session(self, uri: str) -> Session | None:
        """The open session of ``uri``."""
        return self.documents.sessions.get(uri)

    def apply_settings(self, raw: object) -> None:
        """Validate and apply ``zir`` settings; invalid values fall back with one warning message."""
        settings, problems = parse_settings(raw)
        text = "ZIR Live: invalid settings: " + "; ".join(problems) if problems else None
        repeated, self.settings_warning = text == self.settings_warning, text
        if text is not None and not repeated:  # initialize, initialized and didChangeConfiguration all apply
            log.warning(text)
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=text))
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=text))
        hints_were = self.documents.settings.inlay_hints.enabled
        self.documents.update_settings(settings)
        if settings.inlay_hints.enabled != hints_were:
            inlay.announce(self, force=True)  # the client shows, or drops, the hints it has

    async def pull_settings(self) -> None:
        """Pull the ``zir`` section with workspace/configuration (only if the client advertises it)."""
        workspace = self.client_capabilities.workspace
        if workspace is None or not workspace.configuration:
            return
        try:
            result = await self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="zir")])
            )
        except Exception as exc:  # the client failed the request: keep the settings we have
            log.warning("workspace/configuration failed: %s", exc)
            return
        if result and result[0] is not None:  # an unconfigured section keeps initializationOptions
            self.apply_settings(result[0])


class _Client:
    """The ``documents.Client`` implementation over the language server."""

    def __init__(self, ls: ZirLanguageServer) -> None:
        self.ls = ls

    def publish(self, params: types.PublishDiagnosticsParams) -> None:
        inlay.announce(self.ls)  # an analysis finished: hints of the edited function can be shown again
        if pull.uses_pull(self.ls):  # never both push and pull for one client
            pull.announce(self.ls)
            return
        text_document = self.ls.client_capabilities.text_document
        pushed = None if text_document is None else text_document.publish_diagnostics
        if pushed is None or not pushed.related_information:
            params = types.PublishDiagnosticsParams(
                uri=params.uri, diagnostics=without_related(params.diagnostics), version=params.version
            )
        self.ls.text_document_publish_diagnostics(params)

    def log(self, level: types.MessageType, message: str) -> None:
        log.log(logging.ERROR if level == types.MessageType.Error else logging.INFO, "%s", message)
        self.ls.window_log_message(types.LogMessageParams(type=level, message=message))

    def show_warning(self, message: str) -> None:
        self.ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))

    def build_finished(self, payload: BuildFinished) -> None:
        self.ls.views.record(payload)
        self.ls.protocol.notify(BUILD_FINISHED, payload.to_json())

    async def progress_begin(self, title: str) -> str | None:
        window = self.ls.client_capabilities.window
        if window is None or not window.work_done_progress:
            return None
        token = str(uuid.uuid4())
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception as exc:
            log.warning("window/workDoneProgress/create failed: %s", exc)
            return None
        begin = types.WorkDoneProgressBegin(title=title, cancellable=False, percentage=0)
        self.ls.work_done_progress.begin(token, begin)
        return token

    def progress_report(self, token: str, message: str, percentage: int) -> None:
        report = types.WorkDoneProgressReport(message=message, percentage=percentage, cancellable=False)
        self.ls.work_done_progress.report(token, report)

    def progress_end(self, token: str, message: str) -> None:
        self.ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        self.ls.work_done_progress.tokens.pop(token, None)

    def encoding(self) -> Encoding:
        return self.ls.encoding()

    def workspace_folders(self) -> list[str]:
        paths: list[str] = []
        for folder in self.ls.workspace.folders.values():
            path = local_path(folder.uri)
            if path is not None:
                paths.append(path)
        root = self.ls.workspace.root_uri
        root_path = local_path(root) if root else None
        if not paths and root_path:
            paths.append(root_path)
        return paths


def local_path(uri: str) -> str | None:
    """The absolute path of a ``file:`` URI that names a file on this machine; None for any other URI.

    A host other than ``localhost`` (``file://server/share/x.zir``) names another machine's file, a path that is
    not absolute (``file:x.zir``) names none, and a NUL cannot be in a path: such a document gets the editor tier
    only, like ``untitled:`` (lsp.md §8.10). pygls's ``to_fs_path`` turned the first into ``//server/share/x.zir``
    (``/server/share`` on Linux: a save created directories at the file-system root, outside every workspace,
    docs/reliability.md §5), ``file://localhost/p`` into ``//localhost/p`` and ``file:///C:/p`` into ``c:/p``, a
    path relative to the server's working directory."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = urllib.parse.unquote(parts.path)
    if not path.startswith("/") or "\0" in path:
        return None
    return path


def create_server() -> ZirLanguageServer:
    """A fresh server with every handler registered (no import-time server object)."""
    server = ZirLanguageServer()

    @server.feature(types.INITIALIZE)
    async def initialize(params: types.InitializeParams) -> None:
        server.init_options = params.initialization_options
        options = params.initialization_options
        if isinstance(options, dict) and options.get("workspaceTrusted") is False:
            server.documents.workspace_trusted = False
        if params.initialization_options is not None:
            server.apply_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        caps = server.client_capabilities.workspace
        registrations: list[types.Registration] = []
        if caps is not None and caps.did_change_configuration and caps.did_change_configuration.dynamic_registration:
            registrations.append(
                types.Registration(id=str(uuid.uuid4()), method=types.WORKSPACE_DID_CHANGE_CONFIGURATION)
            )
        if caps is not None and caps.did_change_watched_files and caps.did_change_watched_files.dynamic_registration:
            registrations.append(
                types.Registration(
                    id=str(uuid.uuid4()),
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[types.FileSystemWatcher(glob_pattern="**/*.zir")]
                    ),
                )
            )
        if registrations:
            try:
                await server.client_register_capability_async(types.RegistrationParams(registrations=registrations))
            except Exception as exc:
                log.warning("client/registerCapability failed: %s", exc)
        await server.pull_settings()

    @server.feature(types.SHUTDOWN)
    async def shutdown(params: None) -> None:
        for uri in list(server.documents.sessions):
            live.stop_document(server, uri)
        await server.documents.shutdown()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        server.documents.open(doc.uri, local_path(doc.uri), doc.text.encode("utf-8", "surrogatepass"), doc.version)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(params: types.DidChangeTextDocumentParams) -> None:
        doc = params.text_document
        server.documents.change(doc.uri, list(params.content_changes), doc.version)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    async def did_save(params: types.DidSaveTextDocumentParams) -> None:
        server.documents.save(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(params: types.DidCloseTextDocumentParams) -> None:
        live.stop_document(server, params.text_document.uri)
        server.documents.close(params.text_document.uri)
        server.views.forget(params.text_document.uri)
        server.local_facts.forget(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        workspace = server.client_capabilities.workspace
        if workspace is not None and workspace.configuration:
            await server.pull_settings()
        elif isinstance(params.settings, dict) and "zir" in params.settings:
            server.apply_settings(params.settings["zir"])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            if change.type != types.FileChangeType.Deleted:
                server.documents.file_changed(change.uri)

    handlers.register(server)
    _register_views(server)
    _register_commands(server)
    live.register(server)
    run.register(server)
    pull.register(server)
    return server


def _register_views(server: ZirLanguageServer) -> None:
    """``zir/disassembly`` and ``zir/layout`` (docs/inspect.md)."""

    @server.feature(DISASSEMBLY)
    async def disassembly(params: Any) -> dict[str, Any]:
        return await server.views.disassembly(*views.params_of(params))

    @server.feature(LAYOUT)
    async def layout(params: Any) -> dict[str, Any]:
        return await server.views.layout(views.params_of(params)[0])


def _register_commands(server: ZirLanguageServer) -> None:
    """``workspace/executeCommand`` commands (lsp.md §8.8)."""

    @server.command(CMD_REBUILD)
    async def rebuild(ls: ZirLanguageServer, *uris: str) -> object:
        if uris:
            session = ls.session(str(uris[0]))
            if session is None:
                raise JsonRpcException(f"{uris[0]} is not open", code=types.LSPErrorCodes.RequestFailed)
            return (await ls.documents.request_build(session)).to_json()
        results = await asyncio.gather(*ls.documents.build_all())
        return [r.to_json() for r in results]

    @server.command(CMD_EMIT_ZIR)
    async def emit_zir(ls: ZirLanguageServer, uri: str, *liveness: bool) -> str:
        session = ls.session(uri)
        if session is None:
            raise JsonRpcException(f"{uri} is not open", code=types.LSPErrorCodes.RequestFailed)
        text = await ls.documents.emit_zir(session, bool(liveness and liveness[0]))
        if text is None:
            raise JsonRpcException(f"{uri} has not been analysed", code=types.LSPErrorCodes.RequestFailed)
        return text

    @server.command(CMD_MEMORY_USAGE)
    async def memory_usage(ls: ZirLanguageServer) -> dict[str, object]:
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {
            "maxResidentBytes": rss_kib * 1024,
            "pid": os.getpid(),
            "documents": await ls.documents.usage(),
        }
