"""Per-document build sessions: editor and build Compilations, their executors, debounce, versions, newest-wins.

State is mutated on the event loop only. Each Compilation is touched by exactly one thread: editor
Compilations by the editor executor, build Compilations by the build executor (lsp.md §3). Results come
back to the loop, are dropped when stale, and are published through the ``Client`` the server provides.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import os
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from lsprotocol import types

from server import backend
from server.config import Settings, resolve_output_path
from server.diagnostics import CompileError, DiagnosticStore, to_diagnostics
from server.positions import Encoding, LspLineIndex, line_index
from server.progress import LARGE_FILE_BYTES, LoopReporter
from server.protocol import SOURCE_BUILD, SOURCE_EDITOR, BuildFinished
from server.syntax import Outline, scan

T = TypeVar("T")
log = logging.getLogger("zir-live")


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


@dataclass(slots=True)
class EditorResult:
    """What one editor-tier run produced, for the loop to publish (or drop when stale)."""

    version: int
    errors: list[CompileError]
    internal_error: str | None = None
    """The traceback of an internal compiler error, for the log."""


@dataclass(slots=True)
class BuildResult:
    """What one build-tier run produced."""

    payload: BuildFinished
    output_errors: list[CompileError]
    """Published with source ``zir-build``: output problems and internal errors of the build."""
    output_path: str
    first_error: str | None = None
    internal_error: str | None = None


@dataclass(eq=False, slots=True)
class Session:
    """One open root document and its two Compilations."""

    uri: str
    path: str | None
    """The file on disk, or None for an ``untitled:`` document (editor tier only)."""
    text: bytes
    """The editor buffer, encoded as UTF-8 (changes are applied here with our own line index)."""
    version: int
    disk_text: bytes | None = None
    """The bytes last seen on disk (at open or save), to tell a clean buffer from a dirty one."""
    closed: bool = False
    editor: backend.EditorCompilation | None = None
    """Touched only by the editor executor."""
    build: backend.BuildCompilation | None = None
    """Touched only by the build executor."""
    debounce: asyncio.Task[None] | None = None
    """The pending debounce sleep (cancelled by the next change)."""
    editor_task: asyncio.Task[None] | None = None
    """The running editor-tier loop, if any."""
    editor_again: bool = False
    """Set when a newer editor run was requested while one was running."""
    build_task: asyncio.Task[None] | None = None
    build_waiters: list[asyncio.Future[BuildFinished]] = field(default_factory=list)
    """Requests waiting for the next build (one waiting build per URI; newer requests join it)."""
    outline_cache: tuple[bytes, Outline] | None = None
    last_build: BuildFinished | None = None
    editor_runs: int = 0
    """Editor-tier compilations started for this document (a machine-independent cost measure)."""
    builds: int = 0
    """Build-tier updates started for this document."""
    binary_path: str | None = None
    """The output of the last committed build (its symbols are read only when hover asks)."""
    binary_symbols: tuple[tuple[str, int, int], dict[str, tuple[int, int]]] | None = None
    """Hover's cache: ``((path, st_mtime_ns, st_size), name → (address, size))`` of the binary read last."""

    def is_open(self) -> bool:
        """False once the document was closed (results for it are dropped)."""
        return not self.closed

    def outline(self) -> Outline:
        """The lexical outline of the current text (cached per text)."""
        if self.outline_cache is None or self.outline_cache[0] is not self.text:
            self.outline_cache = (self.text, scan(self.text))
        return self.outline_cache[1]

    def index(self, encoding: Encoding) -> LspLineIndex:
        """A line index over the current text."""
        return line_index(self.text, encoding)


def apply_change(text: bytes, change: types.TextDocumentContentChangeEvent, encoding: Encoding) -> bytes:
    """Apply one LSP content change to UTF-8 bytes, converting the range with the LSP line rules."""
    if isinstance(change, types.TextDocumentContentChangePartial):
        index = line_index(text, encoding)
        start = index.offset(change.range.start.line, change.range.start.character)
        end = index.offset(change.range.end.line, change.range.end.character)
        return text[:start] + change.text.encode("utf-8", "surrogatepass") + text[max(start, end) :]
    return change.text.encode("utf-8", "surrogatepass")


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
            symbols = await self.run_editor(lambda: _binary_symbols(session, binary))
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
        for executor in (self._editor_executor, self._build_executor):
            if executor is not None:
                await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)

    # ------------------------------------------------------------------ document lifecycle

    def open(self, uri: str, path: str | None, text: bytes, version: int) -> Session:
        """``didOpen``: a new session; its editor tier runs at once (no debounce)."""
        old = self.sessions.pop(uri, None)
        if old is not None:
            self._discard(old)
        session = Session(uri, path, text, version, disk_text=_read_file(path))
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
            text = apply_change(text, change, encoding)
        session.text = text
        session.version = version
        if self.settings.diagnostics.on_type:
            self._schedule_editor(session)

    def save(self, uri: str) -> None:
        """``didSave``: run the build tier (if enabled); with on-type checks off, also the editor tier."""
        session = self.sessions.get(uri)
        if session is None:
            return
        session.disk_text = _read_file(session.path)
        if not self.settings.diagnostics.on_type:
            self.request_editor(session)
        if self.settings.build.on_save and session.path is not None:
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
        on_disk = _read_file(session.path)
        if on_disk is None or on_disk == session.disk_text:
            return
        clean = session.disk_text == session.text or on_disk == session.text
        session.disk_text = on_disk
        if clean and self.settings.build.on_save:
            self.request_build(session)

    def update_settings(self, settings: Settings) -> None:
        """New settings; a changed output path or mode discards the build Compilations."""
        old = self.settings
        self.settings = settings
        if old.build_key() != settings.build_key() and not self.shut_down:
            for session in self.sessions.values():
                self._executor(True).submit(_close_build, session)

    def _discard(self, session: Session) -> None:
        session.closed = True
        self._cancel_debounce(session)
        for waiter in session.build_waiters:
            if not waiter.done():
                waiter.cancel()
        session.build_waiters.clear()
        if not self.shut_down:
            self._executor(False).submit(_close_editor, session)
            self._executor(True).submit(_close_build, session)

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
            job = functools.partial(_editor_job, session, text, version, mode, reporter)
            result = await self.run_editor(job)
            if token is not None and reporter is not None:
                reporter.close()
                self.client.progress_end(token, f"{len(result.errors)} errors" if result.errors else "analysed")
            if not session.is_open():
                return
            if result.internal_error is not None:
                self.client.log(types.MessageType.Error, f"{session.uri}: {result.internal_error}")
            if result.version == session.version:
                diagnostics = to_diagnostics(result.errors, self.client.encoding(), SOURCE_EDITOR)
                self.store.set(SOURCE_EDITOR, session.uri, diagnostics, result.version)
                self.store.publish(session.uri)
            if not session.editor_again:
                return

    # ------------------------------------------------------------------ build tier

    def request_build(self, session: Session) -> asyncio.Future[BuildFinished]:
        """Queue a build of the saved file; joins the waiting build if there is one (newest wins)."""
        future: asyncio.Future[BuildFinished] = asyncio.get_running_loop().create_future()
        if self.shut_down:
            future.set_exception(RuntimeError("the server is shutting down"))
            return future
        if session.path is None:
            future.set_exception(ValueError(f"{session.uri} has no file to build"))
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
        output_path = resolve_output_path(settings.build, session.path, self.client.workspace_folders())
        name = os.path.basename(session.path)
        token = await self.client.progress_begin(f"Building {name}")
        text, version = session.text, session.version
        loop = asyncio.get_running_loop()
        reporter = None if token is None else LoopReporter(loop, self.client.progress_report, token)
        result = await self._run_build(
            lambda: _build_job(session, settings, output_path, build_id, text, version, reporter)
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
            diagnostics = to_diagnostics(result.output_errors, self.client.encoding(), SOURCE_BUILD)
            self.store.set(SOURCE_BUILD, session.uri, diagnostics)
            self.store.publish(session.uri)
        session.last_build = payload
        if payload.committed and payload.binary is not None:
            session.binary_path = payload.binary
        self.client.build_finished(payload)
        return payload

    def build_all(self) -> list[asyncio.Future[BuildFinished]]:
        """``zir.rebuild`` without a URI: every open document with a file."""
        return [self.request_build(s) for s in self.sessions.values() if s.path is not None]


# ---------------------------------------------------------------------- jobs (executor threads)


def _read_file(path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def internal_error_message(exc: BaseException) -> str:
    """The diagnostic text of an internal compiler error (lsp.md §8.9)."""
    return f"internal compiler error: {type(exc).__name__}: {exc} (see the server log)"


def _display_name(session: Session) -> str:
    return os.path.basename(session.path) if session.path is not None else session.uri


def _editor_job(
    session: Session, text: bytes, version: int, output_mode: str, progress: backend.ProgressReport | None = None
) -> EditorResult:
    """Editor thread: update the editor Compilation with ``text``; any exception discards it."""
    path = session.path if session.path is not None else session.uri
    try:
        if session.editor is not None and session.editor.output_mode != output_mode:
            _close_editor(session)
        if session.editor is None:
            session.editor = backend.EditorCompilation(path, output_mode)
        errors = session.editor.update(text, progress)
        return EditorResult(version, errors)
    except Exception as exc:
        trace = traceback.format_exc()
        _close_editor(session)
        return EditorResult(version, [CompileError(0, internal_error_message(exc), text)], trace)


def _build_job(
    session: Session,
    settings: Settings,
    output_path: str,
    build_id: int,
    text: bytes,
    version: int,
    progress: backend.ProgressReport | None = None,
) -> BuildResult:
    """Build thread: update the build Compilation from the file on disk, writing the ELF output."""
    assert session.path is not None
    started = time.perf_counter()
    on_disk = _read_file(session.path)
    matched = version if on_disk is not None and on_disk == text else None
    key = (output_path, settings.build.output_mode, settings.build.optimize_mode)
    try:
        if session.build is not None and session.build.key != key:
            _close_build(session)
        with contextlib.suppress(OSError):  # if this fails, the linker reports the unwritable output
            os.makedirs(os.path.dirname(output_path), exist_ok=True)
        if session.build is None:
            session.build = backend.BuildCompilation(session.path, output_path, settings.build)
        outcome = session.build.update(progress)
    except Exception as exc:
        trace = traceback.format_exc()
        _close_build(session)
        ms = (time.perf_counter() - started) * 1000.0
        payload = BuildFinished(session.uri, False, None, ms, 0, 1, build_id, False, matched)
        error = CompileError(0, internal_error_message(exc), on_disk or b"")
        return BuildResult(payload, [error], output_path, None, trace)
    payload = BuildFinished(
        uri=session.uri,
        ok=outcome.ok,
        binary=outcome.binary,
        ms=outcome.ms,
        bytes_written=outcome.bytes_written,
        errors=len(outcome.errors),
        build_id=build_id,
        committed=outcome.committed,
        version=matched,
        writes=outcome.writes,
    )
    output_errors = [e for e in outcome.errors if e.message.startswith("unable to write output")]
    first = output_errors[0].message if output_errors else None
    return BuildResult(payload, output_errors, output_path, first, None)


def _binary_symbols(session: Session, binary: str) -> dict[str, tuple[int, int]] | None:
    """Editor thread: the symbols of ``binary``, read once per version of the file (not on every build, which
    would make each save cost O(program) instead of O(edit))."""
    try:
        st = os.stat(binary)
    except OSError:
        return None
    key = (binary, st.st_mtime_ns, st.st_size)
    cached = session.binary_symbols
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        symbols = backend.read_symbols(binary)
    except Exception:
        log.exception("reading the symbols of %s failed", binary)
        return None
    session.binary_symbols = (key, symbols)
    return symbols


def _close_editor(session: Session) -> None:
    """Editor thread: drop the editor Compilation."""
    comp, session.editor = session.editor, None
    if comp is not None:
        try:
            comp.close()
        except Exception:
            log.exception("closing the editor Compilation of %s failed", session.uri)


def _close_build(session: Session) -> None:
    """Build thread: drop the build Compilation (the output file stays on disk)."""
    comp, session.build = session.build, None
    if comp is not None:
        try:
            comp.close()
        except Exception:
            log.exception("closing the build Compilation of %s failed", session.uri)
