"""The thread side of the server: the jobs the editor and build executors run, and what they hand back.

Each job runs on its executor's single thread and is the only code touching that Session's Compilation of
its tier (lsp.md §3): editor jobs, and the builds of a document without a live run, use the editor
Compilation (one Module serves both tiers, lsp.md §8.3); the build executor runs only the live run's own build
Compilation. A job never touches event-loop state: it returns an ``EditorResult`` / ``BuildResult`` that
``documents`` publishes on the loop, or drops when stale.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import traceback
from dataclasses import dataclass

from compiler.errors import ErrorKind
from server import backend
from server.config import Settings
from server.diagnostics import CompileError
from server.protocol import BuildFinished
from server.session import Session

log = logging.getLogger("zir-live")


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


def read_file(path: str | None) -> bytes | None:
    """The file's bytes, or None when there is no file or it cannot be read."""
    if path is None:
        return None
    return backend.read_source(path)  # never blocks on a FIFO, never reads a device (docs/reliability.md)


def internal_error_message(exc: BaseException) -> str:
    """The diagnostic text of an internal compiler error (lsp.md §8.9)."""
    return f"internal compiler error: {type(exc).__name__}: {exc} (see the server log)"


@dataclass(slots=True)
class FirstParse:
    """The parse of a newly opened text, made before its analysis (off the editor thread)."""

    parser: backend.Parser
    """Handed to the new editor Compilation, whose first update then does not parse the text again."""
    errors: list[CompileError]


def parse_job(text: bytes) -> FirstParse | None:
    """Default executor: parse a newly opened text, so its parse errors are published before the analysis
    (lsp.md §8.3); None if the parser failed (the editor tier then reports it)."""
    try:
        parser, errors = backend.first_parse(text)
    except Exception:
        log.exception("the first parse failed")
        return None
    return FirstParse(parser, errors)


def _editor_for(
    session: Session,
    output_mode: str,
    target: backend.BuildTarget | None,
    parser: backend.Parser | None = None,
) -> backend.EditorCompilation:
    """Editor thread: the session's editor Compilation for this mode and build target (a new one if they
    changed; a new one starts from ``parser`` when given)."""
    if session.editor is not None and session.editor.key != (output_mode, target):
        close_editor(session)
    if session.editor is None:
        path = session.path if session.path is not None else session.uri
        session.editor = backend.EditorCompilation(path, output_mode, target, parser)
    return session.editor


def editor_job(
    session: Session,
    text: bytes,
    version: int,
    output_mode: str,
    progress: backend.ProgressReport | None = None,
    target: backend.BuildTarget | None = None,
    parser: backend.Parser | None = None,
) -> EditorResult:
    """Editor thread: update the editor Compilation with ``text``; any exception discards it. ``parser`` (the
    first parse of ``text``) is used when the Compilation is new."""
    if session.closed:  # closed (or the server shuts down) while this run was queued: nothing to publish
        return EditorResult(version, [])
    try:
        errors = _editor_for(session, output_mode, target, parser).update(text, progress)
        return EditorResult(version, errors)
    except Exception as exc:
        trace = traceback.format_exc()
        close_editor(session)
        return EditorResult(version, [CompileError(0, internal_error_message(exc), text)], trace)


def build_job(
    session: Session,
    settings: Settings,
    output_path: str,
    build_id: int,
    text: bytes,
    version: int,
    progress: backend.ProgressReport | None = None,
) -> BuildResult:
    """Build thread: update the session's own build Compilation from the file on disk, writing the ELF output
    (while a live run is attached: the hot-swap process follows this Compilation)."""
    assert session.path is not None
    started = time.perf_counter()
    on_disk = read_file(session.path)
    matched = version if on_disk is not None and on_disk == text else None
    live = session.live
    hot = live is not None and live.hot
    key = (output_path, settings.build.output_mode, settings.build.optimize_mode, hot)
    try:
        if session.build is not None and session.build.key != key:
            close_build(session)
        with contextlib.suppress(OSError):  # if this fails, the linker reports the unwritable output
            os.makedirs(os.path.dirname(output_path), exist_ok=True)
        if session.build is None:
            session.build = backend.BuildCompilation(session.path, output_path, settings.build, hot)
        outcome = session.build.update(progress)
        hot_run = None
        if live is not None:
            hot_run = live.after_build(session.build, outcome.committed, outcome.binary)
    except Exception as exc:
        close_build(session)
        return _failed_build(session, exc, started, build_id, matched, on_disk, output_path)
    return _build_result(session, outcome, build_id, matched, output_path, hot_run)


def _image(binary: str | None) -> bytes | None:
    """The committed output's bytes, read here on the compiling thread (never on the event loop)."""
    if binary is None:
        return None
    try:
        with open(binary, "rb") as f:
            return f.read()
    except OSError:
        return None


def build_target(settings: Settings, output_path: str) -> backend.BuildTarget:
    """The editor Compilation's build target for these settings."""
    build = settings.build
    return backend.BuildTarget(output_path, build.output_mode.value, build.optimize_mode.value)


def shared_build_job(
    session: Session,
    settings: Settings,
    output_path: str,
    build_id: int,
    text: bytes,
    version: int,
    progress: backend.ProgressReport | None = None,
) -> BuildResult:
    """Editor thread: build the saved file with the editor Compilation (docs/design/lsp.md §8.3): when the editor
    tier already analysed the saved text, the build is only the commit of its queued linker operations."""
    assert session.path is not None
    started = time.perf_counter()
    on_disk = read_file(session.path)
    matched = version if on_disk is not None and on_disk == text else None
    try:
        editor = _editor_for(session, settings.build.output_mode.value, build_target(settings, output_path))
        with contextlib.suppress(OSError):  # if this fails, the linker reports the unwritable output
            os.makedirs(os.path.dirname(output_path), exist_ok=True)
        outcome = editor.build(on_disk, progress)
    except Exception as exc:
        close_editor(session)
        return _failed_build(session, exc, started, build_id, matched, on_disk, output_path)
    return _build_result(session, outcome, build_id, matched, output_path, None)


def _failed_build(
    session: Session,
    exc: Exception,
    started: float,
    build_id: int,
    matched: int | None,
    on_disk: bytes | None,
    output_path: str,
) -> BuildResult:
    """The result of a build that raised (an internal compiler error): one build diagnostic and the trace."""
    trace = traceback.format_exc()
    ms = (time.perf_counter() - started) * 1000.0
    payload = BuildFinished(session.uri, False, None, ms, 0, 1, build_id, False, matched)
    error = CompileError(0, internal_error_message(exc), on_disk or b"")
    return BuildResult(payload, [error], output_path, None, trace)


def _build_result(
    session: Session,
    outcome: backend.BuildOutcome,
    build_id: int,
    matched: int | None,
    output_path: str,
    hot_run: dict[str, object] | None,
) -> BuildResult:
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
        hot=hot_run,
        image=_image(outcome.binary) if outcome.committed else None,
        decls_analyzed=outcome.decls_analyzed,
    )
    output_errors = [e for e in outcome.errors if e.kind is ErrorKind.OUTPUT]
    first = output_errors[0].message if output_errors else None
    return BuildResult(payload, output_errors, output_path, first, None)


def binary_symbols(session: Session, binary: str) -> dict[str, tuple[int, int]] | None:
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


def close_editor(session: Session) -> None:
    """Editor thread: drop the editor Compilation."""
    comp, session.editor = session.editor, None
    if comp is not None:
        try:
            comp.close()
        except Exception:
            log.exception("closing the editor Compilation of %s failed", session.uri)


def close_build(session: Session) -> None:
    """Build thread: drop the build Compilation (the output file stays on disk)."""
    comp, session.build = session.build, None
    if comp is not None:
        try:
            comp.close()
        except Exception:
            log.exception("closing the build Compilation of %s failed", session.uri)
