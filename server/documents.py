"""The event-loop side of the server: the open documents, debounce, versions, newest-wins, publishing.

State is mutated on the event loop only. The work runs as ``server.jobs`` on two executors, each the only
thread touching its tier's Compilations (lsp.md §3); results come back to the loop, are dropped when stale,
and are published through the ``Client`` the server provides.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import os
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from compiler.errors import ErrorKind
from server import backend, jobs
from server.config import Settings, output_outside_workspace, resolve_output_path
from server.diagnostics import CompileError, DiagnosticStore, to_diagnostics
from server.positions import Encoding, line_index, remember
from server.progress import LARGE_FILE_BYTES, LoopReporter
from server.protocol import SOURCE_BUILD, SOURCE_EDITOR, BuildFinished
from server.session import Session

T = TypeVar("T")


UNTRUSTED_BUILD = "builds are disabled in an untrusted workspace (trust the workspace to build and run)"


class Client(Protocol):
    """What the sessions need from the language server (implemented in ``server.py``)."""

    def publish(self, params: types.PublishDiagnosticsParams) -> None:
        """Send ``textDocument/publishDiagnostics``."""
        ...

    def log(self, level: types.MessageType, message: str) -> None:
        """Send ``window/logMessage`` (and write the server log)."""
        ...

    def build_finished(self, payload: BuildFinished) -> None:
        """Send ``zir/buildFinished``."""
        ...

    async def progress_begin(self, title: str) -> str | None:
        """Start a ``$/progress`` if the client supports it; returns its token."""
        ...

    def progress_report(self, token: str, message: str, percentage: int) -> None:
        """Report on the progress ``token`` (phase, decls done / total, one percentage)."""
        ...

    def progress_end(self, token: str, message: str) -> None:
        """End the progress ``token``."""
        ...

    def encoding(self) -> Encoding:
        """The negotiated position encoding."""
        ...

    def workspace_folders(self) -> list[str]:
        """File-system paths of the workspace folders."""
        ...

    def show_warning(self, message: str) -> None:
        """Send ``window/showMessage`` (Warning)."""
        ...


def apply_change(text: bytes, change: types.TextDocumentContentChangeEvent, encoding: Encoding) -> bytes:
    """Apply one LSP content change to UTF-8 bytes, converting the range with the LSP line rules."""
    return splice_of(text, change, encoding)[2]


def splice_of(
    text: bytes, change: types.TextDocumentContentChangeEvent, encoding: Encoding
) -> tuple[int, int, bytes, int]:
    """One change as a splice: ``(start, old_end, new text, new length)`` — the old bytes ``[start, old_end)``
    were replaced by ``new length`` bytes (the outline and line index follow the same splice)."""
    if isinstance(change, types.TextDocumentContentChangePartial):
        index = line_index(text, encoding)
        start = index.offset(change.range.start.line, change.range.start.character)
        end = max(start, index.offset(change.range.end.line, change.range.end.character))
        inserted = change.text.encode("utf-8", "surrogatepass")
        view = memoryview(text)  # the two kept parts are not copied before the join (12 MB each at N = 100 000)
        new_text = b"".join((view[:start], inserted, view[end:]))
        remember(index.spliced(start, end, new_text))
        return start, end, new_text, len(inserted)
    whole = change.text.encode("utf-8", "surrogatepass")
    return 0, len(text), whole, len(whole)


class Documents:
    """All sessions, the diagnostics store, the two executors and the settings."""

    def __init__(self, client: Client, settings: Settings | None = None) -> None:
        self.client = client
        self.settings = settings or Settings()
        self.sessions: dict[str, Session] = {}
        self.store = DiagnosticStore(client.publish)
        self._editor_executor: ThreadPoolExecutor | None = None
        self._build_executor: ThreadPoolExecutor | None = None
        self._build_ids = 0
        self.workspace_trusted = True
        """False when the client says the workspace is untrusted: no build writes anything (lsp.md §8.11)."""
        self._refusal_shown: str | None = None
        """The last refused-output warning shown (each distinct refusal is shown once)."""
        self.shut_down = False
        """Set by ``shutdown``: no new compilations start afterwards (the executors refuse work)."""

    # ------------------------------------------------------------------ executors

    def _executor(self, build: bool) -> ThreadPoolExecutor:
        if build:
            if self._build_executor is None:
                self._build_executor = ThreadPoolExecutor(1, thread_name_prefix="zir-build")
            return self._build_executor
        if self._editor_executor is None:
            self._editor_executor = ThreadPoolExecutor(1, thread_name_prefix="zir-editor")
        return self._editor_executor

    async def run_editor(self, job: Callable[[], T]) -> T:
        """Run ``job`` on the editor thread (the only thread touching editor Compilations)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor(False), job)

    async def decl_info(self, session: Session, name: str) -> backend.DeclInfo | None:
        """Hover facts of a decl from the session's editor Compilation (queried on the editor thread)."""

        def query() -> backend.DeclInfo | None:
            return None if session.editor is None else session.editor.decl_info(name)

        info = await self.run_editor(query)
        binary = session.binary_path
        if info is not None and binary is not None:
            symbols = await self.run_editor(lambda: jobs.binary_symbols(session, binary))
            if symbols is not None and name in symbols:
                info = dataclasses.replace(info, binary_symbol=(binary, *symbols[name]))
        return info

    async def emit_zir(self, session: Session, liveness: bool) -> str | None:
        """The editor Compilation's emitted ZIR (None before the first successful analysis)."""

        def query() -> str | None:
            return None if session.editor is None else session.editor.emit_zir(liveness)

        return await self.run_editor(query)

    async def usage(self) -> dict[str, dict[str, int]]:
        """Per open document: live decls of the editor Compilation, editor runs and builds so far."""

        def query() -> dict[str, int]:
            return {uri: s.editor.decl_count() for uri, s in list(self.sessions.items()) if s.editor is not None}

        decls = await self.run_editor(query)
        return {
            uri: {
                "decls": decls.get(uri, 0),
                "editorRuns": s.editor_runs,
                "builds": s.builds,
            }
            for uri, s in self.sessions.items()
        }

    async def _run_build(self, job: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor(True), job)

    async def shutdown(self) -> None:
        """Stop accepting work and wait for running compilations (a build is never left mid-commit)."""
        for session in list(self.sessions.values()):
            self._cancel_debounce(session)
            session.closed = True
        self.shut_down = True
        # Builds run on both executors (the editor one builds from the editor Compilation): a queued build still
        # completes; queued editor runs of the closed sessions return at once (``jobs.editor_job``).
        for executor in (self._editor_executor, self._build_executor):
            if executor is not None:
                await asyncio.to_thread(executor.shutdown, True, cancel_futures=executor is self._build_executor)

    # ------------------------------------------------------------------ document lifecycle

    def open(self, uri: str, path: str | None, text: bytes, version: int) -> Session:
        """``didOpen``: a new session; its editor tier runs at once (no debounce)."""
        old = self.sessions.pop(uri, None)
        if old is not None:
            self._discard(old)
        session = Session(uri, path, text, version, disk_digest=_digest(jobs.read_file(path)))
        self.sessions[uri] = session
        self.request_editor(session)
        return session

    def change(self, uri: str, changes: list[types.TextDocumentContentChangeEvent], version: int) -> None:
        """``didChange``: apply the changes to our bytes; schedule the editor tier (debounced)."""
        session = self.sessions.get(uri)
        if session is None:
            return
        encoding = self.client.encoding()
        text = session.text
        for change in changes:
            start, old_end, text, new_len = splice_of(text, change, encoding)
            session.outlines.edit(start, old_end, new_len, text)
        session.text = text
        session.version = version
        if self.settings.diagnostics.on_type:
            self._schedule_editor(session)

    def save(self, uri: str) -> None:
        """``didSave``: run the build tier (if enabled); with on-type checks off, also the editor tier."""
        session = self.sessions.get(uri)
        if session is None:
            return
        session.disk_digest = _digest(jobs.read_file(session.path))
        if not self.settings.diagnostics.on_type:
            self.request_editor(session)
        if self.settings.build.on_save and self.workspace_trusted and session.path is not None:
            self.request_build(session)

    def close(self, uri: str) -> None:
        """``didClose``: discard both Compilations and clear the URI's diagnostics."""
        session = self.sessions.pop(uri, None)
        if session is not None:
            self._discard(session)
        self.store.clear(uri)

    def file_changed(self, uri: str) -> None:
        """A watched file changed on disk: build it if its buffer is clean (lsp.md §8.10)."""
        session = self.sessions.get(uri)
        if session is None or session.path is None:
            return
        on_disk = jobs.read_file(session.path)
        digest = _digest(on_disk)
        if on_disk is None or digest == session.disk_digest:
            return
        clean = session.disk_digest == _digest(session.text) or on_disk == session.text
        session.disk_digest = digest
        if clean and self.settings.build.on_save and self.workspace_trusted:
            self.request_build(session)

    def update_settings(self, settings: Settings) -> None:
        """New settings; a changed output path or mode discards the build Compilations."""
        old = self.settings
        self.settings = settings
        if old.build_key() != settings.build_key() and not self.shut_down:
            for session in self.sessions.values():
                self._executor(True).submit(jobs.close_build, session)

    def _discard(self, session: Session) -> None:
        session.closed = True
        self._cancel_debounce(session)
        for waiter in session.build_waiters:
            if not waiter.done():
                waiter.cancel()
        session.build_waiters.clear()
        if not self.shut_down:
            self._executor(False).submit(jobs.close_editor, session)
            self._executor(True).submit(jobs.close_build, session)

    # ------------------------------------------------------------------ editor tier

    def _cancel_debounce(self, session: Session) -> None:
        if session.debounce is not None and not session.debounce.done():
            session.debounce.cancel()
        session.debounce = None

    def _schedule_editor(self, session: Session) -> None:
        self._cancel_debounce(session)
        delay = self.settings.diagnostics.debounce_ms / 1000.0
        if delay <= 0:
            self.request_editor(session)
            return
        session.debounce = asyncio.get_running_loop().create_task(self._debounced(session, delay))

    async def _debounced(self, session: Session, delay: float) -> None:
        await asyncio.sleep(delay)
        session.debounce = None
        self.request_editor(session)

    def request_editor(self, session: Session) -> None:
        """Run the editor tier on the current text now, or right after the running run."""
        if self.shut_down:
            return
        if session.editor_task is not None and not session.editor_task.done():
            session.editor_again = True
            return
        session.editor_again = False
        session.editor_task = asyncio.get_running_loop().create_task(self._editor_loop(session))

    async def _editor_loop(self, session: Session) -> None:
        while session.is_open():
            session.editor_again = False
            text, version = session.text, session.version
            mode = self.settings.build.output_mode.value
            session.editor_runs += 1
            token = reporter = None
            if session.editor_runs == 1 and len(text) >= LARGE_FILE_BYTES:  # the first analysis of a big file
                token = await self.client.progress_begin(f"Analysing {_display_name(session)}")
                if token is not None:
                    reporter = LoopReporter(asyncio.get_running_loop(), self.client.progress_report, token)
            parser = None
            if session.editor_runs == 1:  # a newly opened text: its parse errors at once, then its analysis
                first = await asyncio.get_running_loop().run_in_executor(None, jobs.parse_job, text)
                if first is not None:
                    parser = first.parser
                    # A text that parses is announced with an empty list only when its analysis takes a while
                    # (a large file, whose analysis also reports progress): for a small one it would flicker.
                    early = bool(first.errors) or len(text) >= LARGE_FILE_BYTES
                    if early and session.is_open() and session.version == version:
                        self._publish_editor(session, first.errors, version)
            target = self._build_target(session)
            job = functools.partial(jobs.editor_job, session, text, version, mode, reporter, target, parser)
            result = await self.run_editor(job)
            if token is not None and reporter is not None:
                reporter.close()
                self.client.progress_end(token, f"{len(result.errors)} errors" if result.errors else "analysed")
            if not session.is_open():
                return
            if result.internal_error is not None:
                self.client.log(types.MessageType.Error, f"{session.uri}: {result.internal_error}")
            if result.version == session.version:
                self._publish_editor(session, result.errors, result.version)
            if not session.editor_again:
                return

    def _publish_editor(self, session: Session, errors: list[CompileError], version: int) -> None:
        diagnostics = to_diagnostics(errors, self.client.encoding(), SOURCE_EDITOR, session.uri)
        self.store.set(SOURCE_EDITOR, session.uri, diagnostics, version)
        self.store.publish(session.uri)

    # ------------------------------------------------------------------ build tier

    def _build_target(self, session: Session) -> backend.BuildTarget | None:
        """The output the session's editor Compilation links to in memory, so that a build of the text it
        analysed is only a commit (docs/design/lsp.md §8.3); None when no build may write (untitled document,
        untrusted workspace, output outside the workspace)."""
        if session.path is None or not self.workspace_trusted:
            return None
        folders = self.client.workspace_folders()
        output_path = resolve_output_path(self.settings.build, session.path, folders)
        if output_outside_workspace(self.settings.build, output_path, session.path, folders) is not None:
            return None
        return jobs.build_target(self.settings, output_path)

    def request_build(self, session: Session) -> asyncio.Future[BuildFinished]:
        """Queue a build of the saved file; joins the waiting build if there is one (newest wins)."""
        future: asyncio.Future[BuildFinished] = asyncio.get_running_loop().create_future()
        if self.shut_down:
            future.set_exception(RuntimeError("the server is shutting down"))
            return future
        if session.path is None:
            future.set_exception(
                JsonRpcException(f"{session.uri} has no file to build", code=types.LSPErrorCodes.RequestFailed)
            )
            return future
        session.build_waiters.append(future)
        if session.build_task is None or session.build_task.done():
            session.build_task = asyncio.get_running_loop().create_task(self._build_loop(session))
        return future

    async def _build_loop(self, session: Session) -> None:
        while session.build_waiters and not session.closed:
            waiters, session.build_waiters = session.build_waiters, []
            try:
                payload = await self._build_once(session)
            except Exception as exc:  # a bug in the server itself: log it, fail the waiters, keep serving
                self.client.log(types.MessageType.Error, f"build of {session.uri} failed: {traceback.format_exc()}")
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(payload)

    async def _build_once(self, session: Session) -> BuildFinished:
        assert session.path is not None
        self._build_ids += 1
        build_id = self._build_ids
        session.builds += 1
        settings = self.settings
        folders = self.client.workspace_folders()
        output_path = resolve_output_path(settings.build, session.path, folders)
        name = os.path.basename(session.path)
        if not self.workspace_trusted:
            return self._refuse_build(session, build_id, UNTRUSTED_BUILD)
        outside = output_outside_workspace(settings.build, output_path, session.path, folders)
        if outside is not None:
            return self._refuse_build(session, build_id, outside)
        token = await self.client.progress_begin(f"Building {name}")
        text, version = session.text, session.version
        loop = asyncio.get_running_loop()
        reporter = None if token is None else LoopReporter(loop, self.client.progress_report, token)
        if session.live is None:  # the editor Compilation builds: only what it has not analysed yet is analysed
            self._executor(True).submit(jobs.close_build, session)  # a live run's own Compilation, if any
            result = await self.run_editor(
                lambda: jobs.shared_build_job(session, settings, output_path, build_id, text, version, reporter)
            )
        else:  # the live run's process follows the build tier's own Compilation (server.live)
            result = await self._run_build(
                lambda: jobs.build_job(session, settings, output_path, build_id, text, version, reporter)
            )
        payload = result.payload
        if reporter is not None:
            reporter.close()
        if token is not None:
            if result.first_error is not None and payload.errors == len(result.output_errors):
                end = f"output not written: {result.first_error}"
            elif payload.ok:
                end = f"built → {output_path}"
            else:
                end = f"{payload.errors} errors; {output_path} not updated"
            self.client.progress_end(token, end)
        if result.internal_error is not None:
            self.client.log(types.MessageType.Error, f"{session.uri}: {result.internal_error}")
        summary = (
            f"built {output_path} in {payload.ms:.1f} ms ({payload.bytes_written} bytes written)"
            if payload.ok
            else f"build of {name}: {payload.errors} errors; {output_path} not updated"
        )
        self.client.log(types.MessageType.Info, summary)
        if not session.closed:
            diagnostics = to_diagnostics(result.output_errors, self.client.encoding(), SOURCE_BUILD, session.uri)
            self.store.set(SOURCE_BUILD, session.uri, diagnostics)
            self.store.publish(session.uri)
        session.last_build = payload
        if payload.committed and payload.binary is not None:
            session.binary_path = payload.binary
        self.client.build_finished(payload)
        return payload

    def _refuse_build(self, session: Session, build_id: int, message: str) -> BuildFinished:
        """Skip a build whose output the server may not write: one build diagnostic, one warning."""
        payload = BuildFinished(session.uri, False, None, 0.0, 0, 1, build_id, False, None)
        if not session.closed:
            on_disk = jobs.read_file(session.path) if session.path is not None else None
            error = CompileError(0, message, on_disk or b"", ErrorKind.OUTPUT)
            self.store.set(SOURCE_BUILD, session.uri, to_diagnostics([error], self.client.encoding(), SOURCE_BUILD))
            self.store.publish(session.uri)
        if message != self._refusal_shown:
            self._refusal_shown = message
            self.client.log(types.MessageType.Warning, message)
            self.client.show_warning(f"ZIR Live: {message}")
        session.last_build = payload
        self.client.build_finished(payload)
        return payload

    def build_all(self) -> list[asyncio.Future[BuildFinished]]:
        """``zir.rebuild`` without a URI: every open document with a file."""
        return [self.request_build(s) for s in self.sessions.values() if s.path is not None]


def _digest(data: bytes | None) -> bytes | None:
    """A 128-bit hash of ``data`` (None stays None): what the session keeps of the text on disk, to tell a
    clean buffer from a dirty one without a second copy of the text (docs/design/performance.md §9.4)."""
    return None if data is None else hashlib.blake2b(data, digest_size=16).digest()


def _display_name(session: Session) -> str:
    return os.path.basename(session.path) if session.path is not None else session.uri
