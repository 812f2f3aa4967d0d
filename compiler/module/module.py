"""The incremental Module: the update driver, decl analysis, the work queue, the error tables (module.md §4–§7)."""

from __future__ import annotations

import contextlib
import enum
from collections import deque
from typing import TYPE_CHECKING, Final, assert_never

from compiler.errors import AnalysisFail, CodegenFailure, ErrorKind, ErrorMsg
from compiler.link import DeclIndex, GotOverflow, OutputMode
from compiler.logs import LazyLogger
from compiler.module import anon, anon_fast, deletion, diffing, exports
from compiler.module.codegen_step import generate_symbol
from compiler.module.decl import (
    FAILED_STATUSES,
    MAX_SEND_BACKS,
    USABLE_STATUSES,
    Decl,
    DeclStatus,
    Export,
    File,
    FileStatus,
    Fn,
    FnStatus,
    ShiftLog,
    UpdateCounters,
    WorkKind,
)
from compiler.module.failures import AnchoredMsg, ReportedError, sort_key, span_index
from compiler.module.lines import LineTracker
from compiler.module.replay import body_replay_source, replay_body
from compiler.module.syntax import decl_src, release_generated
from compiler.progress import Phase, ProgressSink, QueueProgress
from compiler.runtime import run_with_deep_stack
from compiler.source import SourceLoadError, SourceProvider
from compiler.zir.ast import SourceDecl

if TYPE_CHECKING:
    from compiler.cache.restore import Restorer
    from compiler.link import Linker, LinkErrorFlags
    from compiler.sema.values import TypedValue

log = LazyLogger(__name__)


class OptimizeMode(enum.Enum):
    """The optimize mode (affects safety checks of ``unreachable``)."""

    DEBUG = "Debug"
    RELEASE_SAFE = "ReleaseSafe"
    RELEASE_FAST = "ReleaseFast"
    RELEASE_SMALL = "ReleaseSmall"

    @property
    def has_safety(self) -> bool:
        return self in (OptimizeMode.DEBUG, OptimizeMode.RELEASE_SAFE)


class Module:
    """The compiler's long-lived state for one root file (module.md §2.1)."""

    def __init__(
        self,
        source: SourceProvider,
        linker: Linker,
        output_mode: OutputMode,
        optimize_mode: OptimizeMode = OptimizeMode.DEBUG,
    ) -> None:
        from compiler.zir.regions import IncrementalParser

        self.source_provider = source
        self.linker = linker
        self.output_mode = output_mode
        self.optimize_mode = optimize_mode
        self.file = File(source.path)
        self.parser = IncrementalParser()
        self.decl_table: dict[str, Decl] = {}
        """Owns every live decl, source and anonymous; insertion order."""
        self.decl_exports: dict[Decl, list[Export]] = {}
        """The exports OF an exported decl (references; owned by export_owners)."""
        self.export_owners: dict[Decl, list[Export]] = {}
        """The exports PERFORMED BY an export-owner decl; owns the Export objects."""
        self.symbol_exports: dict[bytes, Export] = {}
        """The successful export holding each symbol name."""
        self.collision_losers: dict[bytes, list[Export]] = {}
        """Exports that failed with a symbol collision, by name (module.md §10.3)."""
        self.failed_files: list[ErrorMsg] = []
        self.load_failed = False
        """The last update could not read the source file (``failed_files`` holds that error, not parse errors)."""
        """Parse errors of the newest text (absolute offsets), or the load error."""
        self.failed_decls: dict[Decl, AnchoredMsg] = {}
        """At most one message per decl (a function's may belong to its body)."""
        self.failed_exports: dict[Export, AnchoredMsg] = {}
        self.work_queue: deque[tuple[WorkKind, Decl]] = deque()
        """FIFO; empty between updates."""
        self.deletion_set: list[Decl] = []
        """Stack of decls that lost their last dependant; empty between updates."""
        self.suspects: dict[Decl, set[Decl]] = {}
        """Per update: decls that lost a dependant, with the dependants they lost (garbage-cycle suspects,
        module.md §8.3)."""
        self.retired_anon: list[Decl] = []
        """Anonymous decls retired in this update and not yet revived; empty between updates."""
        self.generation = 0
        self.next_anon_index = 0
        """Never reset."""
        self.next_decl_index = 0
        """Source of Decl.index; never reused."""
        self.next_export_id = 0
        self.replay_enabled = True
        """Replay (module.md §9.4) decls outdated only by the retirement of their own anonymous decls: a
        top-level ``str`` revives its decl without re-analysis; a function whose used decls are unchanged
        revives its body's strings in order and keeps its AIR and code. Names are those of a re-analysis."""
        self.record_locals = False
        """Keep each function body's per-instruction results for editor queries (module/local_types.py)."""
        self.locals_wanted: set[str] | None = None  # with it, only these functions' (local_types.request_locals)
        self.locals_requested: list[Decl] = []  # asked about but analysed without them: again at the next update
        self.keep_air = True
        """Keep each function's AIR after its code is generated (``emit_zir``, ``Compilation.air``); a build
        that needs neither drops it (docs/design/performance.md §9)."""
        self.shift_log = ShiftLog()
        """Position shifts of the decls after each update's edit, applied when a decl's position is read."""
        self.anon_fast = anon_fast.AnonFast()
        """Edits that keep the other owners' anonymous decls, renamed when read (module.md §9.6)."""
        self.live_anon: dict[Decl, None] = {}
        """The anonymous decls in ``decl_table`` (retired at the start of every update, module.md §9.2)."""
        self.table_seq = 0
        """Source of Decl.table_seq: the order of insertion into ``decl_table``."""
        self.got_overflow: dict[Decl, None] = {}
        self.panic_decl: Decl | None = None
        """The synthetic ``__zirlive_panic`` decl while some function's code calls it (module/panic.py)."""
        """Decls that got no GOT slot (the link error ``GOT overflows its address range``); retried each update."""
        self.vacated: list[Decl] = []
        """Source decls deleted because nothing used them; the next diff gives each a fresh decl."""
        self.diff_against_previous = False
        """Per update: the parser's previous parse is the last good one, so its diff (stats) is ours."""
        self.dependency_failed: list[Decl] = []
        """Per update: decls that became dependency_failure (checked for silent failure cycles)."""
        self.missing_names: dict[str, dict[Decl, None]] = {}
        """[ZIR Live] Decls whose analysis failed to find a name; re-analysed when a decl of that name appears."""
        self.comptime_callers: dict[Decl, dict[Decl, None]] = {}
        """Function decl → the decls whose analysis ran its body at compile time: re-analysed when it is (§6.4)."""
        self.link_error_flags: LinkErrorFlags | None = None
        self.counters = UpdateCounters()
        """Counters of the current (or last) update."""
        self.progress: ProgressSink | None = None
        """[ZIR Live] Told the phase and decls done / total during updates (compiler/progress.py)."""
        self.commit_failure: ErrorMsg | None = None
        """``unable to write output …`` when the last commit failed."""
        self.previous_source = b""
        """Per update: the last good text before this update (for line moves; dropped when the diff is done)."""
        self.lines = LineTracker()
        """Lines of byte offsets in the last good text (code generation's ``line_of``)."""
        self.restored: Restorer | None = None
        """[ZIR Live] A restart's cached functions whose bodies and code the output holds (performance.md §7)."""

    # ------------------------------------------------------------------ update

    def update(self) -> None:
        """One update (module.md §4): read, parse, diff, analyse, generate, delete, flush."""
        self.generation += 1
        self.counters = UpdateCounters()
        self.lines.drop_index()
        try:
            data = self.source_provider.read()
        except SourceLoadError as exc:
            self.failed_files = [ErrorMsg(0, exc.message)]
            self.load_failed = True
            return
        self.load_failed = False
        if self.progress is not None:
            self.progress(Phase.PARSE, 0, 0)
        restored = self.restored  # a restart's first parse: the compile cache's (docs/design/performance.md §7.4)
        self.parser.known = restored.prepare_parse(self.parser) if restored is not None else None
        parsed = self.parser.parse(data)
        self.parser.known = None
        in_sync = self.file.parsed is not None  # the parser diffs against its last result without errors
        unchanged = self.parser.stats.prefix_bytes if in_sync else 0  # the text before it did not change
        self.lines.text_changed_after(unchanged)
        if parsed.errors:
            self.failed_files = list(parsed.errors)
            self.file.status = FileStatus.PARSE_FAILURE
            self.file.pending_parse = (data, parsed)
            return
        self.failed_files = []
        self.previous_source = self.file.source or b""
        self.diff_against_previous = in_sync
        self.file.source = data
        self.file.parsed = parsed
        self.file.status = FileStatus.LOADED_SUCCESS
        self.file.pending_parse = None
        run_with_deep_stack(self._analyze, deep=len(parsed.decls) > SHALLOW_DECL_COUNT)
        while True:
            deleted = deletion.drain_deletion_set(self)
            deleted += deletion.collect_garbage_cycles(self)
            if not deleted:
                break
        anon.release_retired(self)
        anon_fast.finish(self)
        self.suspects.clear()
        if self.progress is not None:
            self.progress(Phase.WRITE, 0, 0)
        self.linker.flush()
        self.link_error_flags = self.linker.error_flags()

    def _analyze(self) -> None:
        diffing.diff_root(self)
        diffing.mark_locals_requested(self)
        for d in list(self.got_overflow):  # the GOT may have room now
            del self.got_overflow[d]
            if not d.destroyed and not d.is_anonymous and d.analysis is DeclStatus.COMPLETE:
                self.mark_outdated(d)
        self.perform_all_the_work()
        anon_fast.check(self)  # a fast update whose edit turned out to reorder is redone (module.md §9.6)
        for _ in range(SILENT_FAILURE_ROUNDS):
            silent = self._silent_failures()
            if not silent:
                break
            for d in silent:
                self.mark_outdated(d)
            self.perform_all_the_work()
        self.dependency_failed.clear()

    def _silent_failures(self) -> list[Decl]:
        """[ZIR Live] Decls of this update's dependency failures from which no decl with a message is
        reachable: a cycle re-analysed piecemeal against stale statuses. Re-analysing them together makes
        the cycle report ``dependency loop detected``."""
        has_root: dict[Decl, bool] = {}
        silent: list[Decl] = []
        for start in self.dependency_failed:
            if start in has_root or start.destroyed or start.analysis is not DeclStatus.DEPENDENCY_FAILURE:
                continue
            seen: list[Decl] = []
            stack = [start]
            found = False
            while stack:
                d = stack.pop()
                if d in has_root:
                    found = found or has_root[d]
                    continue
                has_root[d] = False
                seen.append(d)
                if d in self.failed_decls:
                    found = True
                    continue
                stack += [x for x in d.dependencies if x.analysis in FAILED_STATUSES and not x.destroyed]
            for d in seen:
                has_root[d] = found
            if not found:
                silent += [d for d in seen if d.analysis is DeclStatus.DEPENDENCY_FAILURE]
        return silent

    def has_compile_errors(self) -> bool:
        """Items 1–4 of module.md §12.1 are non-empty (what blocks a commit; item 5 does not)."""
        if self.failed_files or self.failed_decls or self.failed_exports or self.got_overflow:
            return True
        flags = self.link_error_flags
        return flags is not None and flags.no_entry_point_found and self._is_exe()

    # ------------------------------------------------------------------ diffing

    def source_decl(self, d: Decl) -> SourceDecl:
        assert self.file.parsed is not None
        return self.file.parsed.decls[d.src_index]

    def decl_src(self, d: Decl) -> int:
        return decl_src(self, d)  # source_decl(d).src without parsing a released decl again (module/syntax.py)

    def create_decl(self, name: str, src_index: int, contents_hash: bytes | None, contents_start: int) -> Decl:
        log = self.shift_log
        d = Decl(
            self.next_decl_index, name, src_index, contents_start, contents_hash, shift_log=log, epoch=len(log.boundary)
        )
        self.next_decl_index += 1
        self.table_seq += 1
        d.table_seq = self.table_seq
        self.decl_table[name] = d
        anon_fast.note_name(self, name)
        return d

    def mark_outdated(self, d: Decl, *, own_anon_retired: bool = False) -> None:
        """module.md §5.1. ``own_anon_retired``: the reason is the retirement of ``d``'s own anonymous decls."""
        if d.analysis is DeclStatus.UNREFERENCED:
            if d.is_export_root and not d.is_anonymous:
                self.work_queue.append((WorkKind.ANALYZE_DECL, d))
            return
        if d.analysis in (DeclStatus.OUTDATED, DeclStatus.IN_PROGRESS):
            if not own_anon_retired:
                d.replayable = False
            return
        d.replayable = own_anon_retired and d.analysis is DeclStatus.COMPLETE
        self.work_queue.append((WorkKind.ANALYZE_DECL, d))
        self.failed_decls.pop(d, None)
        d.analysis = DeclStatus.OUTDATED

    # ------------------------------------------------------------------ analysis

    def declare_dependency(self, depender: Decl, dependee: Decl) -> None:
        """``depender`` uses ``dependee`` (module.md §7); recorded before ``dependee`` is analysed."""
        depender.dependencies[dependee] = None
        dependee.dependants[depender] = None

    def note_comptime_call(self, caller: Decl, callee: Decl) -> None:
        """``caller``'s analysis evaluated ``callee``'s body (a compile-time call, language-complete.md §7)."""
        self.comptime_callers.setdefault(callee, {})[caller] = None

    def anon_decl(self, owner: Decl, data: bytes, tv: TypedValue) -> Decl:
        """The anonymous decl holding ``data`` for ``owner`` (module.md §9): an identical one retired in this
        update is revived, otherwise a new one is created. Analysis calls this for ``str``."""
        return anon.create_or_revive(self, owner, data, tv)

    def analyze_export(self, owner: Decl, name: bytes, decl_name: str, src: int) -> None:
        """``owner``'s ``export`` instruction at ``src``: export the decl ``decl_name`` as the symbol ``name``
        (module.md §10); failures are recorded in ``failed_exports``."""
        exports.analyze_export(self, owner, name, decl_name, src)

    def note_missing_name(self, name: str, user: Decl) -> None:
        """``user``'s analysis looked ``name`` up and did not find it (re-analysed when it appears)."""
        anon_fast.note_name(self, name)
        self.missing_names.setdefault(name, {})[user] = None

    def note_anon_named(self) -> None:
        """The decl being analysed named an anonymous decl (``declref``, ``export``): module.md §9.6."""
        anon_fast.note_anon_named(self)

    def materialize_anon_names(self) -> None:
        """Bring anonymous decls' names up to date before they are read by name (module.md §9.6)."""
        anon_fast.materialize(self)

    def drop_dependency_edges_of(self, d: Decl) -> None:
        """Remove every dependency of ``d``; decls left without dependants go on the deletion set."""
        for dep in d.dependencies:
            dep.dependants.pop(d, None)
            self.suspects.setdefault(dep, set()).add(d)
            if not dep.dependants and not dep.deletion_flag:
                dep.deletion_flag = True
                self.deletion_set.append(dep)
        d.dependencies.clear()

    def ensure_decl_analyzed(self, d: Decl) -> None:
        """module.md §6.1. Raises AnalysisFail when ``d`` is (or becomes) failed."""
        status = d.analysis
        if status in USABLE_STATUSES:
            return
        if status is DeclStatus.UNREFERENCED and self.restored is not None and self.restored.restore_reached(self, d):
            return  # a restart's unchanged function, reached for the first time (compiler/cache/restore.py)
        stale_dependency_failure = (
            status is DeclStatus.DEPENDENCY_FAILURE and d.generation != self.generation and not d.is_anonymous
        )
        if status in FAILED_STATUSES and not stale_dependency_failure:
            raise AnalysisFail()
        assert status is not DeclStatus.IN_PROGRESS, "callers report dependency loops"
        # [ZIR Live] A dependency failure from an earlier update is re-checked when something uses it: its
        # root cause may have been a decl of a cycle that is being re-analysed right now, and trusting the
        # stale status would leave the whole cycle failed without any message.
        subsequent = status is DeclStatus.OUTDATED or stale_dependency_failure
        if status is DeclStatus.OUTDATED and d.replayable and self.replay_enabled and anon.replay(self, d):
            return
        replay_from: Fn | None = None
        if status is DeclStatus.OUTDATED and d.replayable and self.replay_enabled:
            replay_from = body_replay_source(d)
        if subsequent:
            exports.delete_decl_exports(self, d)
            self.drop_dependency_edges_of(d)
            d.replay_anon = d.anon_created if replay_from is not None else ()
            d.anon_created = ()
        old = d.typed_value
        previously_failed = d.last_analysis_failed
        try:
            self.analyze_zir_decl(d)
            new_fn = d.fn
            if replay_from is not None and new_fn is not None and new_fn.fn_type == replay_from.fn_type:
                new_fn.replay_from = replay_from
        except AnalysisFail:
            d.value_changed_generation = self.generation
            d.last_analysis_failed = True
            if d.analysis is DeclStatus.IN_PROGRESS:
                d.analysis = DeclStatus.DEPENDENCY_FAILURE
                self.dependency_failed.append(d)
            d.generation = self.generation
            if subsequent:
                self.cascade(d)
            raise
        d.last_analysis_failed = False
        # [ZIR Live] Users that saw the failure are re-analysed even when the value equals the last good one.
        if not subsequent or previously_failed or _changed(old, d.typed_value):
            d.value_changed_generation = self.generation
        if subsequent and (previously_failed or _changed(old, d.typed_value)):
            self.cascade(d)
        elif subsequent and d in self.comptime_callers:  # they computed with its previous body (and do not replay)
            d.value_changed_generation = self.generation
            self.cascade(d, only=self.comptime_callers.pop(d))
        if not d.is_export_root and not d.dependants and not d.deletion_flag:
            d.deletion_flag = True
            self.deletion_set.append(d)

    def analyze_zir_decl(self, d: Decl) -> None:
        """module.md §6.2."""
        from compiler.sema.analyze import analyze_decl_instruction

        d.analysis = DeclStatus.IN_PROGRESS
        prev = d.typed_value
        prev_has_bits = prev is not None and d.has_bits
        restored = self.restored  # a restart takes an unchanged function's type from the cache (performance.md §7.6)
        tv = restored.decl_value(self, d) if restored is not None else None
        analysed = tv is None
        if tv is None:
            self.counters.decls_analyzed += 1
            tv = analyze_decl_instruction(self, d, self.source_decl(d))
        d.typed_value = tv
        if analysed:
            fn = d.fn
            if fn is not None:
                fn.header_deps = len(d.dependencies)  # decl-level dependencies come first
                if restored is not None:
                    restored.learn_type(self, fn.fn_type)
        d.analysis = DeclStatus.COMPLETE
        d.generation = self.generation
        if tv.ty.has_code_gen_bits():
            if not self.allocate(d):
                return
            d.has_bits = True
            self.work_queue.append((WorkKind.CODEGEN_DECL, d))
        elif prev_has_bits:
            self.linker.free_decl(_decl_index(d))
            d.has_bits = False
            d.line = -1

    def allocate(self, d: Decl) -> bool:
        """Give ``d`` its linker state (GOT slot); False, with the link error recorded, when the GOT is full
        (elf-linker.md §6). The decl keeps its value and is retried on every later update."""
        try:
            self.linker.allocate_decl(_decl_index(d), d.name)
        except GotOverflow:
            self.got_overflow[d] = None
            return False
        self.got_overflow.pop(d, None)
        return True

    def cascade(self, d: Decl, only: dict[Decl, None] | None = None) -> None:
        """``d``'s value (or failure) just changed: its users (``only`` these) are analysed again, [ZIR Live] those
        already analysed in this update too (cases 410, 411), at most MAX_SEND_BACKS times, not by own anonymous
        decls (§6.4)."""
        for dep in list(d.dependants) if only is None else [u for u in only if u in d.dependants]:
            if dep.analysis in (DeclStatus.OUTDATED, DeclStatus.IN_PROGRESS, DeclStatus.UNREFERENCED):
                continue
            if dep.generation == self.generation:
                if d.is_anonymous and d.owner is dep:
                    continue
                if dep.redone_generation != self.generation:
                    dep.redone_generation, dep.redone_count = self.generation, 0
                elif dep.redone_count >= MAX_SEND_BACKS:
                    continue
                dep.redone_count += 1
            self.mark_outdated(dep)

    # ------------------------------------------------------------------ errors

    def anchor(self, msg: ErrorMsg) -> AnchoredMsg:
        """Convert an absolute offset in the analysed text to an anchored position (module.md §2.6)."""
        parsed = self.file.parsed
        if parsed is not None:
            i = span_index(parsed.decls, msg.byte_offset)
            if i is not None:
                sd = parsed.decls[i]
                a = self.decl_table.get(sd.name)
                if a is not None and not a.is_anonymous:
                    notes = tuple(self.anchor(ErrorMsg(n.byte_offset, n.msg)) for n in msg.notes)
                    return AnchoredMsg(a, msg.byte_offset - sd.contents_start, msg.msg, msg.byte_offset, notes)
        notes = tuple(self.anchor(ErrorMsg(n.byte_offset, n.msg)) for n in msg.notes)
        return AnchoredMsg(None, msg.byte_offset, msg.msg, msg.byte_offset, notes)

    def fail_decl(self, d: Decl, msg: ErrorMsg, *, fn: Fn | None = None) -> AnalysisFail:
        """Record ``msg`` for ``d`` (decl scope, or ``fn``'s body) and return the exception to raise."""
        self.failed_decls[d] = self.anchor(msg)
        if fn is not None:
            fn.analysis = FnStatus.SEMA_FAILURE
        else:
            d.analysis = DeclStatus.SEMA_FAILURE
        return AnalysisFail()

    def all_errors(self) -> list[ReportedError]:
        """The ordered error list of module.md §12.1 (with §12.2 while the file does not parse)."""
        out: list[ReportedError] = []
        good = self.file.source or b""
        files_kind = ErrorKind.FILE if self.load_failed else ErrorKind.SOURCE
        if self.file.status is FileStatus.PARSE_FAILURE and self.file.pending_parse is not None:
            newest, partial = self.file.pending_parse
            out += [ReportedError(e.byte_offset, e.msg, newest, e.notes, files_kind) for e in self.failed_files]
            by_name = {sd.name: sd for sd in partial.decls}

            def reposition(items: list[AnchoredMsg]) -> list[ReportedError]:
                found: list[ErrorMsg] = []
                for m in items:
                    a = m.anchor
                    if a is None or a.destroyed:
                        continue
                    sd = by_name.get(a.name)
                    if sd is not None and sd.contents_hash == a.contents_hash:
                        found.append(ErrorMsg(sd.contents_start + m.offset, m.msg))
                return [ReportedError(e.byte_offset, e.msg, newest) for e in sorted(found, key=sort_key)]

            out += reposition(list(self.failed_decls.values()))
            out += reposition(list(self.failed_exports.values()))
        else:
            text = good
            if self.failed_files and self.file.pending_parse is None and self.file.source is None:
                text = b""
            out += [ReportedError(e.byte_offset, e.msg, text, e.notes, files_kind) for e in self.failed_files]
            for table in (self.failed_decls, self.failed_exports):
                msgs = sorted((ErrorMsg(m.resolve(), m.msg, m.resolve_notes()) for m in table.values()), key=sort_key)
                out += [ReportedError(e.byte_offset, e.msg, good, e.notes) for e in msgs]
            flags = self.link_error_flags
            if not out and flags is not None and flags.no_entry_point_found and self._is_exe():
                out.append(ReportedError(0, "no entry point found", good, kind=ErrorKind.FILE))
        if self.got_overflow:
            out.append(ReportedError(0, GOT_OVERFLOW, good, kind=ErrorKind.FILE))
        if self.commit_failure is not None:
            out.append(ReportedError(0, self.commit_failure.msg, good, kind=ErrorKind.OUTPUT))
        return out

    def _is_exe(self) -> bool:
        return self.output_mode is OutputMode.EXE

    # ------------------------------------------------------------------ work queue

    def line_of(self, byte_offset: int) -> int:
        """0-based line of an absolute offset in the last good text (``LineTracker.line_of``)."""
        return self.lines.line_of(self.file.source or b"", byte_offset)

    def perform_all_the_work(self) -> None:
        """Process the work queue in FIFO order (module.md §13)."""
        q = self.work_queue
        tracker = None
        if self.progress is not None:
            tracker = QueueProgress(self.progress, q, WorkKind.CODEGEN_DECL, self._unanalysed_count)
        while q:
            kind, d = q.popleft()
            if tracker is not None:
                tracker.step(kind)
            if d.destroyed:
                continue
            match kind:
                case WorkKind.ANALYZE_DECL:
                    if d.analysis is DeclStatus.OUTDATED and not d.is_export_root and not d.dependants:
                        # [ZIR Live] Nothing uses it any more (it stopped being an export, or its users
                        # went away): a fresh build would not analyse it, so it is only a deletion
                        # candidate. A later reference in this update analyses it on demand.
                        if not d.deletion_flag:
                            d.deletion_flag = True
                            self.deletion_set.append(d)
                        continue
                    with contextlib.suppress(AnalysisFail):
                        self.ensure_decl_analyzed(d)
                case WorkKind.CODEGEN_DECL:
                    self.codegen_decl(d)
                case WorkKind.UPDATE_LINE_NUMBER:
                    if d.analysis is DeclStatus.COMPLETE and d.has_bits and not d.is_retired:
                        line = self.lines.peek(self.file.source or b"", decl_src(self, d))  # lines.py
                        d.line = line
                        self.linker.update_decl_line_number(_decl_index(d), line)
                case _:
                    assert_never(kind)
        if tracker is not None:
            tracker.finish()

    def _unanalysed_count(self) -> int:
        """Decls waiting for analysis (progress estimate; one pass over the table, only when progress is on)."""
        waiting = (DeclStatus.UNREFERENCED, DeclStatus.OUTDATED)
        return sum(1 for d in self.decl_table.values() if d.analysis in waiting)

    def codegen_decl(self, d: Decl) -> None:
        from compiler.sema.analyze import analyze_fn_body

        status = d.analysis
        if status is not DeclStatus.COMPLETE:  # the common case first: one item per function of a build
            match status:
                case DeclStatus.UNREFERENCED | DeclStatus.IN_PROGRESS | DeclStatus.OUTDATED:
                    return  # superseded by a later re-analysis item
                case (
                    DeclStatus.SEMA_FAILURE
                    | DeclStatus.SEMA_FAILURE_RETRYABLE
                    | DeclStatus.CODEGEN_FAILURE
                    | DeclStatus.DEPENDENCY_FAILURE
                ):
                    return
                case DeclStatus.COMPLETE | DeclStatus.CODEGEN_FAILURE_RETRYABLE:
                    pass
                case _:
                    assert_never(status)
        if d.is_retired or not d.has_bits:
            return
        fn = d.fn
        if fn is not None and self.restored is not None and self.restored.keeps(self, d, fn):
            return  # the output holds this body's code (compiler/cache/restore.py)
        if fn is not None:
            match fn.analysis:
                case FnStatus.QUEUED if fn.replay_from is not None and replay_body(self, d, fn):
                    return  # same AIR, same code: nothing to analyse or generate (module.md §9.4)
                case FnStatus.QUEUED:
                    self.counters.fn_bodies_analyzed += 1
                    try:
                        analyze_fn_body(self, d, fn)
                    except AnalysisFail:
                        return
                case FnStatus.SEMA_FAILURE | FnStatus.DEPENDENCY_FAILURE:
                    return
                case FnStatus.SUCCESS if fn.air is None:
                    return  # generated from this analysis already, its AIR dropped (keep_air off)
                case FnStatus.SUCCESS:
                    pass
                case FnStatus.IN_PROGRESS:
                    return
                case _:
                    assert_never(fn.analysis)
        self.counters.decls_generated += 1
        # the function's own line first: code generation then asks for lines further down its body
        line = self.line_of(self.source_decl(d).src) if fn is not None and not d.is_anonymous else -1
        try:
            symbol = generate_symbol(self, d)
        except CodegenFailure as exc:
            d.analysis = DeclStatus.CODEGEN_FAILURE
            self.failed_decls[d] = self.anchor(exc.error)
            return
        except AnalysisFail:
            d.analysis = DeclStatus.DEPENDENCY_FAILURE
            return
        except Exception as exc:  # a backend defect must not take the editor or `zir watch` down
            log.exception("internal compiler error generating code for %s", d.name)
            d.analysis = DeclStatus.CODEGEN_FAILURE
            src = self.source_decl(d.owner if d.is_anonymous and d.owner is not None else d).src
            msg = f"internal compiler error in code generation: {type(exc).__name__}: {exc}"
            self.failed_decls[d] = self.anchor(ErrorMsg(src, msg))
            return
        self.linker.update_decl(_decl_index(d), d.name, symbol)
        if fn is not None and not self.keep_air:
            release_generated(self, d, fn)  # the output holds its code: AIR and syntax dropped (performance.md §9)
        d.code_size = len(symbol.code)
        d.line = line
        exports.update_linker_exports(self, d)


GOT_OVERFLOW: Final = "GOT overflows its address range"
"""The link error of a GOT that outgrew its virtual range (elf-linker.md §6)."""
SILENT_FAILURE_ROUNDS: Final = 3
"""At most this many extra work-queue rounds re-analyse silent failure cycles per update."""
SHALLOW_DECL_COUNT: Final = 64
"""Up to this many decls, analysis runs on the caller's stack (a chain of references cannot be deep)."""


def _decl_index(d: Decl) -> DeclIndex:
    return DeclIndex(d.index)


def _changed(old: TypedValue | None, new: TypedValue | None) -> bool:
    """Whether a re-analysed decl's dependants must be re-analysed (module.md §6.4)."""
    if old is None or new is None:
        return True
    if not old.ty.eql(new.ty):
        return True
    if new.ty.is_fn():
        return False
    from compiler.sema.values import values_equal

    return not values_equal(old.val, new.val)
