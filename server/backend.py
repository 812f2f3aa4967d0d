"""The server's only door into the compiler: the editor and the build Compilation behind two small classes.

Each instance is used by exactly one executor thread (documents.py). Nothing here touches LSP types.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from compiler import __version__, output_guard
from compiler.compilation import Compilation, Options
from compiler.errors import ErrorKind
from compiler.inspect import binary as inspect_binary
from compiler.inspect import changes as inspect_changes
from compiler.inspect import disasm as inspect_disasm
from compiler.inspect import layout as inspect_layout
from compiler.link import OutputMode
from compiler.link.elf.linker import ElfLinker
from compiler.module import local_types
from compiler.module.module import OptimizeMode
from compiler.progress import Phase, ProgressSink, percentage
from compiler.runtime import tune_gc
from compiler.sema.values import FunctionValue
from compiler.source import BufferSource, FileSource, SourceLoadError
from compiler.zir.regions import IncrementalParser
from server.config import BuildSettings
from server.diagnostics import CompileError

COMPILER_VERSION = __version__
"""The compiler's version (``zir --version``), reported as the server's own in ``serverInfo``."""


ProgressReport = Callable[[str, int, bool], None]
"""(message, percentage of the whole update, whether the phase just changed); called on the compiling thread."""


def _progress_sink(report: ProgressReport | None) -> ProgressSink | None:
    """The compiler's progress sink, translated to a message and one percentage for ``$/progress``."""
    if report is None:
        return None
    last: list[Phase | None] = [None]

    def sink(phase: Phase, done: int, total: int) -> None:
        changed = phase is not last[0]
        last[0] = phase
        message = f"{phase.value}: {done}/{total} decls" if total else phase.value
        report(message, percentage(phase, done, total), changed)

    return sink


@dataclass(slots=True)
class BuildOutcome:
    """The result of one build-tier update."""

    ok: bool
    committed: bool
    binary: str | None
    ms: float
    bytes_written: int
    errors: list[CompileError]
    writes: tuple[tuple[int, int, str], ...] = ()
    """``(offset, size, region)`` of every pwrite of the commit."""
    decls_analyzed: int = 0
    """Decls and function bodies the build analysed (``UpdateCounters``)."""


def tune_process() -> None:
    """Process-wide settings a long-lived compiler process wants (the garbage collector's thresholds)."""
    tune_gc()


def read_symbols(path: str) -> dict[str, tuple[int, int]]:
    """The address and size of every named FUNC/OBJECT symbol in the ELF file ``path`` (its ``.symtab``)."""
    out: dict[str, tuple[int, int]] = {}
    with open(path, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            return out
        for sym in symtab.iter_symbols():
            if sym.name and sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT"):
                out.setdefault(sym.name, (int(sym["st_value"]), int(sym["st_size"])))
    return out


@dataclass(frozen=True, slots=True)
class DeclInfo:
    """What hover shows for a decl: its type, its compile-time value, and for a placed decl its address."""

    name: str
    type_text: str | None
    value_text: str | None
    address: int | None
    got_address: int | None
    status: str | None
    binary_symbol: tuple[str, int, int] | None = None
    """``(output path, address, size)`` of the decl's symbol in the last committed binary, when it has one."""


DeclLocals = local_types.DeclLocals
"""A function decl's analysed ``%`` locals (type, compile-time value) and the text they were analysed from."""
LocalFact = local_types.LocalFact


FAULT_MARKER_ENV = "ZIR_LIVE_FAULT_MARKER"
"""Fault injection for resilience tests: when set, compiling a text containing its value raises an internal
error (as a compiler bug would). Unset in normal use."""


class InjectedFault(RuntimeError):
    """The internal error raised for ``ZIR_LIVE_FAULT_MARKER``."""


def _check_fault(text: bytes) -> None:
    marker = os.environ.get(FAULT_MARKER_ENV)
    if marker and marker.encode() in text:
        raise InjectedFault(f"fault injected by {FAULT_MARKER_ENV}")


@dataclass(frozen=True, slots=True)
class BuildTarget:
    """The output an editor Compilation links to in memory, so that a build of the text it already analysed
    only commits (docs/design/lsp.md §8.3: one Module serves both tiers)."""

    output_path: str
    output_mode: str
    optimize_mode: str


class EditorCompilation:
    """Analysis and code generation of the editor buffer; nothing is written on an update.

    Without a ``target`` the linker is the null linker. With one it is the ELF linker of the build output,
    whose operations queue in memory until ``build`` commits them: a build of the text this Compilation last
    analysed is only that commit, and a build of another text (the buffer is dirty) analyses the saved text,
    commits, and analyses the buffer again — each the cost of the difference, never a fresh analysis."""

    def __init__(
        self, path: str, output_mode: str, target: BuildTarget | None = None, parser: Parser | None = None
    ) -> None:
        self.path = path
        self.output_mode = output_mode
        """``exe`` or ``obj``: decides whether a missing entry point is an error."""
        self.target = target
        self.source = BufferSource(path)
        self.analysed: bytes | None = None
        """The text of the last update (None before the first)."""
        self.refusal: str | None = None
        """As ``BuildCompilation.refusal``: the output exists but the linker did not adopt it."""
        if target is None:
            options = Options(root_path=path, output_path=None, output_mode=OutputMode(output_mode))
            self.compilation = Compilation(options, source=self.source)
            self._start(parser)
            return
        options = Options(
            root_path=path,
            output_path=target.output_path,
            output_mode=OutputMode(target.output_mode),
            optimize_mode=OptimizeMode(target.optimize_mode),
        )
        existed = _adoptable_file(target.output_path, path)
        self.compilation = Compilation(options, source=self.source)
        if isinstance(self.compilation.linker, ElfLinker):  # commits only on a build: its image waits compressed
            self.compilation.linker.keep_image_compact()
        self._start(parser)
        self.refusal = _not_adopted(self.compilation, target.output_path, existed)

    def _start(self, parser: Parser | None) -> None:
        self.compilation.module.record_locals = True  # inlay hints and hover of `%` locals ask for them
        self.compilation.module.locals_wanted = set()  # ... of the functions they asked about only (``decl_locals``)
        self.compilation.module.keep_air = False  # only emit_zir reads AIR (docs/design/performance.md §9)
        self.compilation.defer_line_numbers(at_commit=True)  # keystrokes adding lines: no O(N) pass (§6.10)
        if parser is not None:  # the text was parsed already (``first_parse``): the first update reuses it
            self.compilation.module.parser = parser

    @property
    def key(self) -> tuple[str, BuildTarget | None]:
        """What the Compilation was made for; another key needs another Compilation."""
        return self.output_mode, self.target

    def update(self, text: bytes, progress: ProgressReport | None = None) -> list[CompileError]:
        """Compile ``text``; every compile error with the exact bytes its offset refers to (output errors
        belong to the build tier and are left out)."""
        _check_fault(text)
        self._analyse(text, progress)
        errors = self.compilation.all_errors()
        return [
            CompileError(e.byte_offset, e.message, e.text, e.kind, e.notes)
            for e in errors
            if e.kind is not ErrorKind.OUTPUT
        ]

    def _analyse(self, text: bytes, progress: ProgressReport | None) -> None:
        self.source.text = text
        self.analysed = None  # unknown while the update runs (it may raise)
        self.compilation.module.progress = _progress_sink(progress)
        try:
            self.compilation.update(commit=False)
        finally:
            self.compilation.module.progress = None
        self.analysed = text

    def build(self, saved: bytes | None, progress: ProgressReport | None = None) -> BuildOutcome:
        """Commit the program of the saved text ``saved`` (None: unreadable) to the target output."""
        assert self.target is not None
        started = time.perf_counter()
        if saved is None:
            try:
                FileSource(self.path).read()
                message = "unable to read the source file"
            except SourceLoadError as exc:
                message = exc.message
            return BuildOutcome(False, False, None, 0.0, 0, [CompileError(0, message, b"", ErrorKind.FILE)])
        _check_fault(saved)
        if self.refusal is not None and _nonempty_file(self.target.output_path):
            error = CompileError(0, self.refusal, b"", ErrorKind.OUTPUT)
            return BuildOutcome(False, False, None, 0.0, 0, [error])
        self.refusal = None
        buffer = self.analysed
        analysed = 0
        if buffer != saved:
            self._analyse(saved, progress)
            analysed = _analysed(self.compilation.module.counters.as_dict())
        sink = _progress_sink(progress)
        if sink is not None:
            sink(Phase.WRITE, 0, 0)
        report = self.compilation.commit()
        errors = [
            CompileError(e.byte_offset, e.message, e.text, e.kind, e.notes) for e in self.compilation.all_errors()
        ]
        if buffer is not None and buffer != saved:
            self._analyse(buffer, None)  # back to the buffer the editor tier published
        writes = tuple((w.offset, w.size, w.region) for w in report.writes)
        ms = (time.perf_counter() - started) * 1000.0
        return BuildOutcome(
            report.ok, report.committed, report.binary, ms, report.bytes_written, errors, writes, analysed
        )

    def decl_info(self, name: str) -> DeclInfo | None:
        """Hover facts of the decl ``name`` from the last analysis, if it exists."""
        comp = self.compilation
        decl = comp.decl(name)
        if decl is None:
            return None
        tv = comp.typed_value(name)
        type_text = value_text = None
        if tv is not None:
            type_text = str(tv.ty)
            if not isinstance(tv.val, FunctionValue):  # a function's value is its code: shown as an address
                value_text = str(tv.val)
        status = comp.decl_status(name)
        return DeclInfo(
            name=name,
            type_text=type_text,
            value_text=value_text,
            address=comp.decl_address(name),
            got_address=comp.got_address(name),
            status=None if status is None else status.name.lower(),
        )

    def decl_locals(self, names: list[str]) -> list[DeclLocals]:
        """The analysed ``%`` locals of the named function decls (those analysed; the others are left out).

        Only the functions asked about keep their locals: one asked about for the first time is analysed again
        (an update of the same text, work proportional to those functions; docs/design/performance.md §9)."""
        module = self.compilation.module
        buffer, parsed = self.analysed, module.file.source  # the last text that parsed (buffer's, or older)
        if local_types.request_locals(module, names) and buffer is not None and parsed is not None:
            self._analyse(parsed, None)
            if buffer != parsed:  # a syntax error now: its facts still come from the last text that parsed
                self._analyse(buffer, None)
        return local_types.decl_locals(module, names)

    def emit_zir(self, liveness: bool) -> str:
        """The emitted ZIR of the last analysis's text, analysed again by a Compilation of its own that keeps
        the AIR this one drops once generated (docs/design/performance.md §9; a rare, explicit command)."""
        text = self.analysed
        if text is None:
            return self.compilation.emit_zir(liveness=liveness).decode("utf-8", "surrogateescape")
        optimize = OptimizeMode(self.target.optimize_mode) if self.target is not None else OptimizeMode.DEBUG
        options = Options(self.path, None, OutputMode(self.output_mode), optimize)
        fresh = Compilation(options, source=BufferSource(self.path, text))
        try:
            fresh.update()
            return fresh.emit_zir(liveness=liveness).decode("utf-8", "surrogateescape")
        finally:
            fresh.close()

    def decl_count(self) -> int:
        """Live decls (source and anonymous)."""
        return len(self.compilation.decls())

    def close(self) -> None:
        """Release the Compilation."""
        self.compilation.close()


Parser = IncrementalParser
"""The compiler's incremental parser (one per Module)."""


def first_parse(text: bytes) -> tuple[Parser, list[CompileError]]:
    """A new parser that has parsed ``text``, and the parse errors, exactly as the editor Compilation reports
    them (module.md §12.1: a text that does not parse reports its parse errors only)."""
    parser = IncrementalParser()
    parsed = parser.parse(text)
    return parser, [CompileError(e.byte_offset, e.msg, text, ErrorKind.SOURCE, e.notes) for e in parsed.errors]


def _analysed(counters: dict[str, int]) -> int:
    """Decls and function bodies an update analysed."""
    return counters.get("decls_analyzed", 0) + counters.get("fn_bodies_analyzed", 0)


def read_source(path: str) -> bytes | None:
    """A source file's bytes as the compiler reads it (regular files only, at most 64 MiB), or None."""
    try:
        return FileSource(path).read()
    except SourceLoadError:
        return None


def _nonempty_file(path: str) -> bool:
    try:
        return os.stat(path).st_size > 0
    except OSError:
        return False


def _adoptable_file(output_path: str, source_path: str) -> bool:
    """The output is a non-empty file the Compilation itself would write (an ELF file, not the source)."""
    return _nonempty_file(output_path) and output_guard.refusal(output_path, [source_path]) is None


def _not_adopted(compilation: Compilation, output_path: str, existed: bool) -> str | None:
    """The refusal when an existing ELF output was not adopted by the linker and ZIR Live did not write it (the
    server never replaces another program's file, docs/reliability.md), else None. A ZIR Live output in another
    layout is rewritten whole, as by ``zir build``: a hot build adopts none (docs/hot-swap.md), so Run Live
    after a save refused the executable the save had just built."""
    committer = getattr(compilation.linker, "committer", None)
    if existed and committer is not None and committer.identity is None and not _written_by_zir_live(output_path):
        return output_guard.unable(output_path, output_guard.NOT_ADOPTED)
    return None


def _written_by_zir_live(path: str) -> bool:
    """The file is an ELF file some ZIR Live build wrote (its DWARF producer says so), whatever its layout."""
    try:
        inspect_binary.read_file(path)
    except inspect_binary.InspectError:
        return False
    return True


class BuildCompilation:
    """The saved file compiled to the ELF output, kept across saves so each build is incremental."""

    def __init__(self, path: str, output_path: str, settings: BuildSettings, hot: bool = False) -> None:
        self.path = path
        self.output_path = output_path
        self.key = (output_path, settings.output_mode, settings.optimize_mode, hot)
        options = Options(
            root_path=path,
            output_path=output_path,
            output_mode=OutputMode(settings.output_mode.value),
            optimize_mode=OptimizeMode(settings.optimize_mode.value),
            hot=hot,
        )
        existed = _adoptable_file(output_path, path)
        self.compilation = Compilation(options)
        self.refusal: str | None = _not_adopted(self.compilation, output_path, existed)
        """Set when the output existed but the linker did not adopt it: the server never replaces such a
        file (docs/reliability.md); it is retried once the file is gone."""

    def update(self, progress: ProgressReport | None = None) -> BuildOutcome:
        """One update of the build Compilation (reads the file on disk; commits when error-free)."""
        with contextlib.suppress(SourceLoadError):  # the compiler reports the unreadable file itself
            _check_fault(FileSource(self.path).read())
        if self.refusal is not None and _nonempty_file(self.output_path):
            error = CompileError(0, self.refusal, b"", ErrorKind.OUTPUT)
            return BuildOutcome(False, False, None, 0.0, 0, [error])
        self.refusal = None
        self.compilation.module.progress = _progress_sink(progress)
        try:
            report = self.compilation.update()
        finally:
            self.compilation.module.progress = None
        errors = [
            CompileError(e.byte_offset, e.message, e.text, e.kind, e.notes) for e in self.compilation.all_errors()
        ]
        writes = tuple((w.offset, w.size, w.region) for w in report.writes)
        return BuildOutcome(
            report.ok,
            report.committed,
            report.binary,
            report.ms,
            report.bytes_written,
            errors,
            writes,
            _analysed(report.counters),
        )

    def close(self) -> None:
        """Release the Compilation (the output stays on disk)."""
        self.compilation.close()


class LiveProgram:
    """The live run's program (``compiler.hot``): started from a build Compilation's output and brought up to
    date after each of its commits (on the build thread)."""

    def __init__(
        self,
        build: BuildCompilation,
        *,
        restart: bool,
        on_exit: Callable[[int, int], None],
        on_output: Callable[[int, str, bytes], None],
    ) -> None:
        from compiler.hot.session import HotSession

        self.build = build
        self.session = HotSession(
            build.compilation, [], restart=restart, on_exit=on_exit, on_output=on_output, swap_before_commit=True
        )

    def after_commit(self, committed: bool, binary: str | None) -> dict[str, object]:
        """Apply the build to the program (or start it); the ``hot`` object of ``zir/buildFinished``."""
        return self.session.after_commit(committed, binary).as_dict()

    def stop(self) -> int | None:
        """Stop the program; its exit code (None if none ran)."""
        return self.session.stop()


# ---------------------------------------------------------------------- binary views (zir/disassembly, zir/layout)

InspectError = inspect_binary.InspectError
"""The binary cannot be read (not a ZIR Live output, truncated, corrupted)."""
InspectedBinary = inspect_binary.Binary


def inspect(path: str, data: bytes) -> InspectedBinary:
    """Parse a committed binary's bytes (``InspectError`` if they are not a ZIR Live output)."""
    return inspect_binary.parse(path, data)


def disassembly_json(current: InspectedBinary, previous: InspectedBinary | None, decl: str | None) -> dict[str, Any]:
    """The ``zir objdump --json`` object with ``changed`` marks against the previous build (docs/inspect.md)."""
    listing = inspect_disasm.objdump_json(current, decl)
    inspect_changes.mark_decls(listing["decls"], current, previous)
    return listing


def layout_json(current: InspectedBinary, previous: InspectedBinary | None) -> dict[str, Any]:
    """The ``zir layout --json`` object with ``changed`` marks on the blocks (docs/inspect.md)."""
    layout = inspect_layout.layout_json(current)
    inspect_changes.mark_decls(layout["text"]["blocks"], current, previous)
    return layout
