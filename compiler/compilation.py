"""Compilation: owns one Module and one Linker; update(), errors, emitted ZIR, editor queries (architecture.md §3)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from compiler import output_guard
from compiler.errors import ErrorKind, ErrorMsg, Note
from compiler.link import DeclIndex, Linker, OutputMode, WrittenRange
from compiler.link.null import NullLinker
from compiler.module.decl import Decl, DeclStatus, FileStatus, Fn
from compiler.module.module import Module, OptimizeMode
from compiler.record import frozen_delattr, frozen_setattr, record_eq, record_hash, record_repr
from compiler.source import FileSource, SourceProvider

if TYPE_CHECKING:
    from compiler.air import AirInst
    from compiler.cache.session import CompileCache
    from compiler.sema.types import Type
    from compiler.sema.values import TypedValue
    from compiler.zir.ast import ParsedFile, SourceDecl


_OPTIONS_FIELDS: Final = ("root_path", "output_path", "output_mode", "optimize_mode", "target", "hot", "cache")
_SOURCE_ERROR_FIELDS: Final = ("path", "byte_offset", "message", "text", "notes", "kind")
_UPDATE_REPORT_FIELDS: Final = ("ok", "committed", "error_count", "ms", "bytes_written", "binary", "counters", "writes")


class Options:
    """What to compile and how."""

    root_path: str
    output_path: str | None
    """None: analysis and code generation only (the null linker); nothing is written."""
    output_mode: OutputMode
    optimize_mode: OptimizeMode
    target: str
    hot: bool
    """The hot-swap layout (docs/design/elf-linker.md §17): room in memory for a running program's updates."""
    cache: bool
    """Continue from the persistent compile cache and save it after commits (docs/design/performance.md §7);
    only with the default ELF linker of a normal (not hot) build."""

    __slots__ = ("cache", "hot", "optimize_mode", "output_mode", "output_path", "root_path", "target")
    __match_args__ = ("root_path", "output_path", "output_mode", "optimize_mode", "target", "hot", "cache")

    def __init__(
        self,
        root_path: str,
        output_path: str | None = None,
        output_mode: OutputMode = OutputMode.EXE,
        optimize_mode: OptimizeMode = OptimizeMode.DEBUG,
        target: str = "x86_64-linux",
        hot: bool = False,
        cache: bool = False,
    ) -> None:
        self.root_path = root_path
        self.output_path = output_path
        self.output_mode = output_mode
        self.optimize_mode = optimize_mode
        self.target = target
        self.hot = hot
        self.cache = cache

    def __repr__(self) -> str:
        return record_repr(self, _OPTIONS_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _OPTIONS_FIELDS)

    __hash__ = None  # type: ignore[assignment]


class SourceError:
    """One compile error: the file, an absolute byte offset, the message, and the text the offset refers to."""

    path: str
    byte_offset: int
    message: str
    text: bytes
    notes: tuple[Note, ...]
    """Related locations in ``text`` (``note:`` lines under the error on a terminal)."""
    kind: ErrorKind
    """A program error, or the output file could not be written (``ErrorKind.OUTPUT``)."""

    __slots__ = ("byte_offset", "kind", "message", "notes", "path", "text")
    __match_args__ = ("path", "byte_offset", "message", "text", "notes", "kind")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self,
        path: str,
        byte_offset: int,
        message: str,
        text: bytes,
        notes: tuple[Note, ...] = (),
        kind: ErrorKind = ErrorKind.SOURCE,
    ) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "byte_offset", byte_offset)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "notes", notes)
        object.__setattr__(self, "kind", kind)

    def __repr__(self) -> str:
        return record_repr(self, _SOURCE_ERROR_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _SOURCE_ERROR_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _SOURCE_ERROR_FIELDS)

    def position(self) -> tuple[int, int]:
        """0-based line and byte column (only 0x0A ends a line); C-speed counting, no index built."""
        offset = max(0, min(self.byte_offset, len(self.text)))
        line = self.text.count(b"\n", 0, offset)
        return line, offset - (self.text.rfind(b"\n", 0, offset) + 1)

    def render(self, path: str | None = None) -> str:
        """``PATH:LINE:COL: error: MSG`` (1-based)."""
        line, col = self.position()
        return f"{self.path if path is None else path}:{line + 1}:{col + 1}: error: {self.message}"


class UpdateReport:
    """The result of one update. Counters are deterministic work measures (performance.md §5)."""

    ok: bool
    """No errors at all after this update."""
    committed: bool
    """The output file now holds this update's program."""
    error_count: int
    ms: float
    bytes_written: int
    binary: str | None
    """The output path when it holds this update's program, else None."""
    counters: dict[str, int]
    writes: tuple[WrittenRange, ...]
    """The file ranges this update's commit wrote (empty when nothing was committed)."""

    __slots__ = ("binary", "bytes_written", "committed", "counters", "error_count", "ms", "ok", "writes")
    __match_args__ = ("ok", "committed", "error_count", "ms", "bytes_written", "binary", "counters", "writes")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self,
        ok: bool,
        committed: bool,
        error_count: int,
        ms: float,
        bytes_written: int,
        binary: str | None,
        counters: dict[str, int] | None = None,
        writes: tuple[WrittenRange, ...] = (),
    ) -> None:
        object.__setattr__(self, "ok", ok)
        object.__setattr__(self, "committed", committed)
        object.__setattr__(self, "error_count", error_count)
        object.__setattr__(self, "ms", ms)
        object.__setattr__(self, "bytes_written", bytes_written)
        object.__setattr__(self, "binary", binary)
        object.__setattr__(self, "counters", {} if counters is None else counters)
        object.__setattr__(self, "writes", writes)

    def __repr__(self) -> str:
        return record_repr(self, _UPDATE_REPORT_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, _UPDATE_REPORT_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _UPDATE_REPORT_FIELDS)


def _default_linker(options: Options) -> Linker:
    """The one place that picks the ELF linker for an output path."""
    if options.output_path is None:
        return NullLinker(options.output_mode)
    from compiler.link.elf.linker import ElfLinker

    return ElfLinker(options.output_path, mode=options.output_mode, root_src_path=options.root_path, hot=options.hot)


class Compilation:
    """One root file compiled incrementally: a Module and its Linker."""

    def __init__(self, options: Options, source: SourceProvider | None = None, linker: Linker | None = None):
        self.options = options
        self.source: SourceProvider = source if source is not None else FileSource(options.root_path)
        self.linker: Linker = linker if linker is not None else _default_linker(options)
        self.module = Module(self.source, self.linker, options.output_mode, options.optimize_mode)
        self.update_count = 0
        self._swept = False
        self.cache: CompileCache | None = None
        self._kept = 0
        """Function bodies the last update kept from the cache (not analysed, not generated)."""
        self._restored = 0
        """Decls whose decl-level analysis the last update took from the cache (not analysed)."""
        self.cache_autosave = True
        """Save the cache after every committed update; ``zir watch`` saves when idle instead."""
        self._cache_dirty = False
        self._clean = False
        """The last update was committed without errors (``settle_lines`` may add to that commit)."""
        self._lines_at_commit = False
        """Deferred line numbers are written by the next commit (``defer_line_numbers``)."""
        if options.cache and linker is None and options.output_path is not None and not options.hot:
            self._open_cache()
        self.before_commit: Callable[[], None] | None = None
        """Called when an error-free update's image is final, just before the output file is written (a hot
        session applies the update to the running program here, so the file's durability syncs are not in its
        latency; compiler/hot/session.py)."""

    # ------------------------------------------------------------------ updates

    def update(self, *, commit: bool = True) -> UpdateReport:
        """One update (module.md §4); commits the output when the update has no compile errors (unless
        ``commit`` is False: the server's editor tier analyses every keystroke and commits only on a build)."""
        start = time.perf_counter()
        m = self.module
        m.update()
        self.update_count += 1
        self._kept = self._restored = 0
        if m.restored is not None and m.file.status is FileStatus.LOADED_SUCCESS:
            # only the first analysed update after a restart: later the blocks hold code written since
            self._kept, self._restored = m.restored.kept_count, m.restored.restored_count
            m.restored = None
        if not commit:
            self._clean = False
            errors = self.all_errors()
            ms = (time.perf_counter() - start) * 1000.0
            return UpdateReport(not errors, False, len(errors), ms, 0, None, self._counters())
        return self.commit(start)

    def commit(self, start: float | None = None) -> UpdateReport:
        """Commit the last update's program to the output when it has no compile errors (the second half of
        ``update``; the server calls it alone to build a state its editor tier already analysed)."""
        if start is None:
            start = time.perf_counter()
        m = self.module
        committed = False
        bytes_written = 0
        writes: tuple[WrittenRange, ...] = ()
        binary: str | None = None
        parsed_ok = m.file.status is FileStatus.LOADED_SUCCESS and not m.failed_files
        refused = None
        if parsed_ok and not m.has_compile_errors():
            refused = self._output_refusal()
        if refused is not None:
            m.commit_failure = ErrorMsg(0, refused)
        elif parsed_ok and not m.has_compile_errors():
            if self.before_commit is not None:
                self.before_commit()
            if self._lines_at_commit:
                self.linker.settle_line_numbers()
            report = self.linker.commit()
            bytes_written = report.bytes_written
            writes = report.writes
            if report.error is not None:
                err = report.error
                m.commit_failure = ErrorMsg(0, f"unable to write output '{err.path}': {err.error_name}")
            else:
                m.commit_failure = None
                committed = self.options.output_path is not None
                binary = report.binary if report.binary is not None else self.options.output_path
                if self.options.output_path is None:
                    binary = None
                elif self.options.output_mode is OutputMode.EXE:
                    output_guard.ensure_executable(self.options.output_path)
        errors = self.all_errors()
        self._clean = committed and not errors
        if committed and self.cache is not None:
            self._cache_dirty = True
            if self.cache_autosave:
                self.save_cache()
        ms = (time.perf_counter() - start) * 1000.0
        return UpdateReport(
            ok=not errors,
            committed=committed,
            error_count=len(errors),
            ms=ms,
            bytes_written=bytes_written,
            writes=writes,
            binary=binary,
            counters=self._counters(),
        )

    def _open_cache(self) -> None:
        from compiler.cache.session import CompileCache
        from compiler.link.elf.linker import ElfLinker

        o = self.options
        assert o.output_path is not None and isinstance(self.linker, ElfLinker)
        settings = {"optimize": o.optimize_mode.value, "output_mode": o.output_mode.name, "target": o.target}
        self.cache = CompileCache.open(o.output_path, o.root_path, settings, self.linker, self.module)

    @property
    def cache_pending(self) -> bool:
        """A committed update is not in the cache yet."""
        return self.cache is not None and self._cache_dirty

    def one_shot(self, *, keep_air: bool) -> None:
        """This Compilation makes one update, then the process ends (``zir build``/``zir run``): each body is kept
        as parsed until analysed (docs/design/performance.md §9), no parsed region is kept for a later parse, and
        the cache's one save, its last, writes restored records as read (§7.5)."""
        self.module.keep_air, self.module.parser.drop_bodies = keep_air, False
        self.module.parser.cache_regions = False  # it parses once
        if self.cache is not None:
            self.cache.rows_as_text = False

    def save_cache(self) -> None:
        """Write the cache of the last committed update, if it changed since the last save."""
        from compiler.link.elf.linker import ElfLinker

        if self.cache is None or not self._cache_dirty or not isinstance(self.linker, ElfLinker):
            return
        self._cache_dirty = False
        self.module.materialize_anon_names()  # the cache records anonymous decls by name
        self.cache.save(self.module, self.linker)

    def defer_line_numbers(self, *, at_commit: bool = False) -> None:
        """Edits that add or remove lines leave the moved functions' debug lines to ``settle_lines`` (``zir
        watch`` calls it when idle) or, ``at_commit``, to the next commit (the server's editor tier, which
        commits only on a build), so their O(functions moved) rewrite is not in an edit's latency
        (docs/design/performance.md §6.10)."""
        from compiler.link.elf.linker import ElfLinker

        if isinstance(self.linker, ElfLinker):
            self.linker.dwarf.defer_line_shifts = True
            self._lines_at_commit = at_commit

    @property
    def lines_pending(self) -> bool:
        """Deferred debug line numbers wait for ``settle_lines``, which can write them (the last update was
        committed without errors; otherwise the next one that is makes them pending again)."""
        from compiler.link.elf.linker import ElfLinker

        return isinstance(self.linker, ElfLinker) and bool(self.linker.dwarf.line_shifts) and self._clean

    @property
    def idle_work_pending(self) -> bool:
        """``idle`` has something to do (``zir watch`` then wakes after a short idle time)."""
        return self.cache_pending or self.lines_pending

    def idle(self) -> None:
        """Nothing happened for a while since the last commit: write deferred line numbers, save the cache."""
        self.settle_lines()
        self.save_cache()

    def settle_lines(self) -> None:
        """Write the deferred debug line numbers and commit them, over a committed error-free state only (an
        update with errors leaves them pending for the next)."""
        from compiler.link.elf.linker import ElfLinker

        linker = self.linker
        if not self.lines_pending or not isinstance(linker, ElfLinker):
            return
        if self._output_refusal() is not None:
            self._clean = False  # not ours to write now: the next update's commit decides again
            return
        linker.settle_line_numbers()
        report = linker.commit()
        if report.error is None and self.options.output_path is not None:
            if self.options.output_mode is OutputMode.EXE:
                output_guard.ensure_executable(self.options.output_path)
            if self.cache is not None:
                self._cache_dirty = True

    def _counters(self) -> dict[str, int]:
        counters = self.module.counters.as_dict()
        if self.cache is not None:
            counters["bodies_kept"] = self._kept
            counters["decls_restored"] = self._restored  # docs/design/performance.md §7.6
            counters["bodies_deferred"] = self.module.parser.stats.bodies_deferred  # performance.md §7.4
        return counters

    def _output_refusal(self) -> str | None:
        """Why the output must not be written now (docs/reliability.md), or None; the first update also
        removes temporary files a crashed writer of the same output left behind."""
        path = self.options.output_path
        if path is None:
            return None
        if not self._swept:
            self._swept = True
            output_guard.sweep_stale_temps(path)
        return output_guard.refusal(path, [self.options.root_path])

    def all_errors(self) -> list[SourceError]:
        path = self.source.path
        return [SourceError(path, e.byte_offset, e.msg, e.text, e.notes, e.kind) for e in self.module.all_errors()]

    def total_error_count(self) -> int:
        return len(self.module.all_errors())

    def emit_zir(self, *, liveness: bool = False) -> bytes:
        """The emitted ZIR of the analysed state (zir-language.md §10.3)."""
        from compiler.module.emit_zir import emit_module  # only `zir emit` and tests: not on the build path

        self.module.materialize_anon_names()
        return emit_module(self.module, liveness=liveness)

    def close(self) -> None:
        """Write deferred line numbers, save a pending cache, release the linker (the output file stays as the
        last commit left it)."""
        self.settle_lines()
        self.save_cache()
        self.linker.close()

    # ------------------------------------------------------------------ read-only queries (editor features)

    @property
    def parsed(self) -> ParsedFile | None:
        """The parse of the last good text."""
        return self.module.file.parsed

    @property
    def source_bytes(self) -> bytes | None:
        """The last successfully parsed text."""
        return self.module.file.source

    def decl(self, name: str) -> Decl | None:
        """A live decl (source or anonymous) by name."""
        if "__anon_" in name:
            self.module.materialize_anon_names()
        return self.module.decl_table.get(name)

    def decls(self) -> list[Decl]:
        self.module.materialize_anon_names()
        return list(self.module.decl_table.values())

    def source_decl(self, name: str) -> SourceDecl | None:
        d = self.module.decl_table.get(name)
        if d is None or d.is_anonymous or self.module.file.parsed is None:
            return None
        return self.module.source_decl(d)

    def decl_status(self, name: str) -> DeclStatus | None:
        d = self.decl(name)
        return None if d is None else d.analysis

    def typed_value(self, name: str) -> TypedValue | None:
        d = self.decl(name)
        return None if d is None else d.typed_value

    def decl_type(self, name: str) -> Type | None:
        tv = self.typed_value(name)
        return None if tv is None else tv.ty

    def function(self, name: str) -> Fn | None:
        d = self.decl(name)
        return None if d is None else d.fn

    def air(self, name: str) -> list[AirInst] | None:
        fn = self.function(name)
        return None if fn is None else fn.air

    def decl_address(self, name: str) -> int | None:
        """The linker's virtual address of the decl's code or data, if placed."""
        d = self.decl(name)
        if d is None or not d.has_bits:
            return None
        return self.linker.decl_address(DeclIndex(d.index))

    def decl_size(self, name: str) -> int | None:
        """Bytes of the decl's machine code or data as last generated, if any."""
        d = self.decl(name)
        if d is None or not d.has_bits or d.code_size < 0:
            return None
        return d.code_size

    def got_address(self, name: str) -> int | None:
        d = self.decl(name)
        if d is None or not d.has_bits:
            return None
        return self.linker.got_address(DeclIndex(d.index))
