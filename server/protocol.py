"""Custom LSP method names, command names and their JSON payloads (zir/buildFinished, zir.* commands)."""

from __future__ import annotations

from dataclasses import dataclass, field

BUILD_FINISHED = "zir/buildFinished"
"""Server → client notification sent after every build (lsp.md §8.7)."""

CMD_REBUILD = "zir.rebuild"
"""Run the build tier now; argument ``uri`` (optional); returns the buildFinished payload (or a list)."""
CMD_EMIT_ZIR = "zir.emitZir"
"""Return the editor Module's emitted ZIR; arguments ``uri``, ``liveness=False``."""
CMD_MEMORY_USAGE = "zir.memoryUsage"
"""Return resident memory and per-document decl counts."""
DISASSEMBLY = "zir/disassembly"
"""Client → server request: the machine code of the document's last good binary (docs/inspect.md)."""
LAYOUT = "zir/layout"
"""Client → server request: the file layout of the document's last good binary (docs/inspect.md)."""
CMD_RUN = "zir.run"
"""The "Run" code lens's command, argument ``uri``: VS Code runs the last committed output in a terminal (the
extension's own command); any other client gets the server command (``server.run``), answered like
``zir/runFinished``."""
RUN_FINISHED = "zir/runFinished"
"""Server → client after ``zir.run``: ``{uri, binary, exitCode, signal, stdout, stderr, truncated}``."""
CMD_RUN_LIVE = "zir.runLive"
"""Start the document's program and swap every later build into it (docs/hot-swap.md); argument ``uri``."""
CMD_STOP = "zir.stop"
"""Stop the document's live program; argument ``uri``."""
PROGRAM_OUTPUT = "zir/programOutput"
"""Server → client: ``{uri, pid, stream, text}``, what the live program wrote."""
PROGRAM_EXITED = "zir/programExited"
"""Server → client: ``{uri, pid, exitCode}`` (minus the signal number) when the live program ended by itself."""

SOURCE_EDITOR = "zir"
"""``Diagnostic.source`` of the editor tier: every compile error of the unsaved text."""
SOURCE_BUILD = "zir-build"
"""``Diagnostic.source`` of the build tier: output problems and internal errors of the build only."""


@dataclass(frozen=True, slots=True)
class BuildFinished:
    """The payload of ``zir/buildFinished``."""

    uri: str
    ok: bool
    """No errors."""
    binary: str | None
    """The output path when it holds this build's program, else None."""
    ms: float
    bytes_written: int
    errors: int
    """The error count."""
    build_id: int
    committed: bool
    version: int | None
    """The editor version whose text matched the saved file, when known."""
    writes: tuple[tuple[int, int, str], ...] = ()
    """``(offset, size, region)`` of every write the build's commit made to the output (docs/inspect.md)."""
    hot: dict[str, object] | None = None
    """The live run's ``{pid, swapped, restarted, reason, ms}`` for this build; None without a live run."""
    image: bytes | None = field(default=None, repr=False, compare=False)
    """The committed output's bytes, read on the compiling thread right after the commit (for the views' change
    marks, ``server.views``); not sent."""
    decls_analyzed: int = 0
    """Decls and function bodies this build analysed: 0 when the editor tier had already analysed the saved
    text (docs/design/lsp.md §8.3), the changed ones when the buffer differs from the saved file."""

    def to_json(self) -> dict[str, object]:
        """The camelCase JSON object sent on the wire."""
        return {
            "uri": self.uri,
            "ok": self.ok,
            "binary": self.binary,
            "ms": round(self.ms, 3),
            "bytesWritten": self.bytes_written,
            "errors": self.errors,
            "buildId": self.build_id,
            "committed": self.committed,
            "version": self.version,
            "writes": [{"offset": o, "size": n, "region": r} for o, n, r in self.writes],
            "hot": self.hot,
            "declsAnalyzed": self.decls_analyzed,
        }
