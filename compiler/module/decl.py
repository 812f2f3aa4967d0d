"""The Module's data types: File, Decl, Fn, Export and their status enums (module.md §2–§3)."""

from __future__ import annotations

import builtins
import enum
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, cast

from compiler.module.declset import DeclSet
from compiler.record import record_eq, record_repr

# Imported at run time, not under TYPE_CHECKING: mypyc's compiled dataclasses look their field types up
# when the class is created (docs/design/performance.md §8).
from compiler.sema.types import Type
from compiler.sema.values import FunctionValue
from compiler.zir.ast import Body, ParsedFile, SourceDecl
from compiler.zir.tags import Tag

if TYPE_CHECKING:
    from compiler.air import AirInst, Constant
    from compiler.sema.values import TypedValue


class WorkKind(enum.Enum):
    """The kinds of work item (module.md §13)."""

    ANALYZE_DECL = "analyze_decl"
    """Re-analyse an outdated decl."""
    CODEGEN_DECL = "codegen_decl"
    """Analyse the body (functions) and generate and place the decl's code or data."""
    UPDATE_LINE_NUMBER = "update_line_number"
    """A placed function moved: rewrite its debug line number."""


MAX_SEND_BACKS: Final = 8
"""Times a user already analysed in an update is sent back in it (Decl.redone_count; Module.cascade): enough
for nested type chains, and a cycle of users whose values keep changing still ends."""


class DeclStatus(enum.Enum):
    """Decl.analysis (module.md §3.1); each member says where its message lives."""

    __hash__ = object.__hash__  # members are singletons: identity hash (status sets), not Enum's name hash

    UNREFERENCED = "unreferenced"
    """Known from the source but never analysed. No message."""
    IN_PROGRESS = "in_progress"
    """Being analysed right now; meeting it while resolving a reference is a dependency loop. No message."""
    DEPENDENCY_FAILURE = "dependency_failure"
    """Analysis stopped because a used decl failed. No message (the root cause is on the failing decl)."""
    SEMA_FAILURE = "sema_failure"
    """Analysis of the decl's instruction failed. Message in failed_decls."""
    SEMA_FAILURE_RETRYABLE = "sema_failure_retryable"
    """Never produced for ZIR (kept for completeness)."""
    CODEGEN_FAILURE = "codegen_failure"
    """Code generation failed. Message in failed_decls."""
    CODEGEN_FAILURE_RETRYABLE = "codegen_failure_retryable"
    """Code generation failed transiently (I/O); retried when next queued. Message in failed_decls."""
    COMPLETE = "complete"
    """Analysed successfully (for functions: the decl, not the body). No message, or a body error."""
    OUTDATED = "outdated"
    """Flagged for re-analysis during this update; an analyze_decl item is queued. No message."""


FAILED_STATUSES: Final = frozenset(
    {
        DeclStatus.DEPENDENCY_FAILURE,
        DeclStatus.SEMA_FAILURE,
        DeclStatus.SEMA_FAILURE_RETRYABLE,
        DeclStatus.CODEGEN_FAILURE,
        DeclStatus.CODEGEN_FAILURE_RETRYABLE,
    }
)


USABLE_STATUSES: Final = frozenset(
    {DeclStatus.COMPLETE, DeclStatus.CODEGEN_FAILURE, DeclStatus.CODEGEN_FAILURE_RETRYABLE}
)
"""[ZIR Live] Statuses whose value users may analyse against. A decl whose code generation failed still
has a correct value; users analysed after its code generation (an incremental update) must see what users
analysed before it (a fresh build) saw. The failed code itself blocks the commit."""


class FnStatus(enum.Enum):
    """Fn.analysis (module.md §3.2)."""

    QUEUED = "queued"
    """The body has not been analysed yet; it will be at the decl's codegen_decl item."""
    IN_PROGRESS = "in_progress"
    """The body is being analysed."""
    SEMA_FAILURE = "sema_failure"
    """The body failed; message in failed_decls[owner]; the owner stays complete."""
    DEPENDENCY_FAILURE = "dependency_failure"
    """The body used a failed decl; no message of its own."""
    SUCCESS = "success"
    """The analysed body (AIR) is available."""


class ExportStatus(enum.Enum):
    """Export.status (module.md §3.3)."""

    IN_PROGRESS = "in_progress"
    """Being created."""
    FAILED = "failed"
    """Error in failed_exports; never given to the linker."""
    FAILED_RETRYABLE = "failed_retryable"
    """An I/O-type failure in the linker."""
    COMPLETE = "complete"
    """Published to the linker."""


class FileStatus(enum.Enum):
    """File.status (module.md §3.4)."""

    NEVER_LOADED = "never_loaded"
    """Before the first update."""
    LOADED_SUCCESS = "loaded_success"
    """The last update parsed the file."""
    PARSE_FAILURE = "parse_failure"
    """The newest text has parse errors; source/parsed still describe the last good text."""


class File:
    """The root file (module.md §2.2)."""

    path: str
    source: bytes | None
    """The last successfully parsed bytes."""
    parsed: ParsedFile | None
    status: FileStatus
    pending_parse: tuple[bytes, ParsedFile] | None
    """Per update: the newest text and its partial parse when it failed to parse."""

    __slots__ = ("parsed", "path", "pending_parse", "source", "status")

    def __init__(self, path: str, source: bytes | None = None, parsed: ParsedFile | None = None,
                 status: FileStatus = FileStatus.NEVER_LOADED,
                 pending_parse: tuple[bytes, ParsedFile] | None = None) -> None:  # fmt: skip
        self.path = path
        self.source = source
        self.parsed = parsed
        self.status = status
        self.pending_parse = pending_parse


class LifeStage(enum.Enum):
    """Where a decl is in its life (module.md §8, §9.2); a decl only moves forward, except that a retired
    anonymous decl may be revived.

    Being on the deletion set is not a stage: ``Decl.deletion_flag`` marks membership of that stack, and a
    decl of any stage may still be on it when it is popped (a retired or destroyed one is then skipped).
    """

    LIVE = "live"
    """In the decl table (or, for a source decl, about to be re-entered by the next diff)."""
    RETIRED = "retired"
    """Anonymous decls only: taken out of the table at the start of an update; revived by a re-analysis
    that creates the same bytes, or destroyed at the end of the update."""
    DESTROYED = "destroyed"
    """Deleted: its linker state is freed; work items and deletion-set entries for it are skipped."""


class Decl:
    """A named top-level definition tracked by the Module (module.md §2.3). Identity semantics."""

    index: int
    """Stable id, never reused; the linker keys its per-decl tables by it."""
    name: str
    """Name without '@'. Anonymous decls: '{owner}__anon_{n}'."""
    stored_index: int
    """``src_index`` as of shift-log entry ``epoch`` (read ``src_index``, never this)."""
    stored_start: int
    """``contents_start`` as of shift-log entry ``epoch`` (read ``contents_start``, never this)."""
    contents_hash: bytes | None
    """16-byte contents hash; None for anonymous decls."""
    typed_value: TypedValue | None
    """The most recent successful value, or None (never succeeded)."""
    analysis: DeclStatus
    generation: int
    """Module.generation of the last analysis of this decl."""
    deletion_flag: bool
    """True while the decl is on the deletion set (stack membership, not a ``LifeStage``)."""
    dependencies: DeclSet[Decl]
    """Ordered set of decls this one uses; symmetric with their ``dependants``."""
    dependants: DeclSet[Decl]
    """Ordered set of decls using this one."""
    anon_created: Sequence[Decl]
    """Anonymous decls created or revived by the last analysis of this decl (or its body), in order."""
    is_export_root: bool
    """True when the decl's current source instruction is ``export``."""
    stage: LifeStage
    """Live, retired (anonymous decls) or destroyed; read through ``destroyed`` and ``is_retired``."""
    is_anonymous: bool
    owner: Decl | None
    """Anonymous decls: the decl whose analysis created it."""
    shift_log: ShiftLog | None
    """The Module's shift log; positions are brought up to date from it when read (performance.md §6)."""
    epoch: int
    """How many entries of ``shift_log`` are already applied to ``stored_index``/``stored_start``."""
    table_seq: int
    """When the decl was (last) put into the Module's decl table: the table's iteration order."""
    bytes: bytes
    """Anonymous decls: the string bytes."""
    has_bits: bool
    """Whether the linker holds a symbol/GOT slot for this decl (its type has code-gen bits)."""
    stored_line: int
    """``line`` as of shift-log entry ``epoch`` (read ``line``, never this)."""
    replayable: bool
    """Outdated only because its own anonymous decls were retired, after a successful analysis."""
    replay_anon: Sequence[Decl]
    """Per update: the anonymous decls a replayed function body revives, in creation order."""
    value_changed_generation: int
    """The generation in which the decl's value (or failure) last changed for its users."""
    redone_generation: int
    """[ZIR Live] The generation in which a changed dependency last sent this decl, already analysed in that
    generation, back to be analysed again (Module.cascade)."""
    redone_count: int
    """How many times it was sent back in ``redone_generation`` (at most MAX_SEND_BACKS per update)."""
    last_analysis_failed: bool
    """The last analysis of the decl failed (its users saw a failure, whatever ``typed_value`` says)."""
    code_size: int
    """Bytes of the decl's code or data as last handed to the linker (-1: never generated)."""

    __slots__ = ("analysis", "anon_created", "bytes", "code_size", "contents_hash", "deletion_flag", "dependants",
                 "dependencies", "epoch", "generation", "has_bits", "index", "is_anonymous", "is_export_root",
                 "last_analysis_failed", "name", "owner", "redone_count", "redone_generation", "replay_anon", "replayable",
                 "shift_log", "stage", "stored_index", "stored_line", "stored_start", "table_seq", "typed_value",
                 "value_changed_generation")  # fmt: skip
    __match_args__ = ("index", "name", "stored_index", "stored_start", "contents_hash", "typed_value", "analysis",
                      "generation", "deletion_flag", "dependencies", "dependants", "anon_created", "is_export_root",
                      "stage", "is_anonymous", "owner", "shift_log", "epoch", "table_seq", "bytes", "has_bits",
                      "stored_line", "replayable", "replay_anon", "value_changed_generation", "redone_generation",
                      "last_analysis_failed", "code_size", "redone_count")  # fmt: skip

    def __init__(self, index: int, name: str, stored_index: int, stored_start: int = 0,
                 contents_hash: builtins.bytes | None = None, typed_value: TypedValue | None = None,
                 analysis: DeclStatus = DeclStatus.UNREFERENCED, generation: int = 0, deletion_flag: bool = False,
                 dependencies: DeclSet[Decl] | None = None, dependants: DeclSet[Decl] | None = None,
                 anon_created: Sequence[Decl] | None = None, is_export_root: bool = False,
                 stage: LifeStage = LifeStage.LIVE, is_anonymous: bool = False, owner: Decl | None = None,
                 shift_log: ShiftLog | None = None, epoch: int = 0, table_seq: int = 0, bytes: builtins.bytes = b"",
                 has_bits: bool = False, stored_line: int = -1, replayable: bool = False,
                 replay_anon: Sequence[Decl] | None = None, value_changed_generation: int = 0, redone_generation: int = 0,
                 last_analysis_failed: bool = False, code_size: int = -1, redone_count: int = 0) -> None:  # fmt: skip
        self.index = index
        self.name = name
        self.stored_index = stored_index
        self.stored_start = stored_start
        self.contents_hash = contents_hash
        self.typed_value = typed_value
        self.analysis = analysis
        self.generation = generation
        self.deletion_flag = deletion_flag
        self.dependencies = DeclSet() if dependencies is None else dependencies  # small: a tuple, not a dict
        self.dependants = DeclSet() if dependants is None else dependants
        self.anon_created = () if anon_created is None else anon_created  # no list until one is made
        self.is_export_root = is_export_root
        self.stage = stage
        self.is_anonymous = is_anonymous
        self.owner = owner
        self.shift_log = shift_log
        self.epoch = epoch
        self.table_seq = table_seq
        self.bytes = bytes
        self.has_bits = has_bits
        self.stored_line = stored_line
        self.replayable = replayable
        self.replay_anon = () if replay_anon is None else replay_anon
        self.value_changed_generation = value_changed_generation
        self.redone_generation = redone_generation
        self.last_analysis_failed = last_analysis_failed
        self.code_size = code_size
        self.redone_count = redone_count

    def __repr__(self) -> str:
        return f"Decl({self.index}, {self.name!r}, {self.analysis.value})"

    @property
    def destroyed(self) -> bool:
        """The decl was deleted (``LifeStage.DESTROYED``)."""
        return self.stage is LifeStage.DESTROYED

    @property
    def is_retired(self) -> bool:
        """An anonymous decl retired in this update and not yet revived (``LifeStage.RETIRED``)."""
        return self.stage is LifeStage.RETIRED

    def _catch_up(self) -> None:
        """Apply the shift-log entries recorded since ``epoch`` (each shifts decls at or after its boundary)."""
        log = self.shift_log
        if log is None:
            return
        boundary, index_shift, offset_shift, line_shift = (
            log.boundary,
            log.index_shift,
            log.offset_shift,
            log.line_shift,
        )
        i, start, line = self.stored_index, self.stored_start, self.stored_line
        for k in range(self.epoch, len(boundary)):
            if i >= boundary[k]:
                i += index_shift[k]
                start += offset_shift[k]
                if line >= 0:
                    line += line_shift[k]
        self.stored_index, self.stored_start, self.stored_line, self.epoch = i, start, line, len(boundary)

    @property
    def src_index(self) -> int:
        """Index into file.parsed.decls (anonymous decls: the owner's when last created or revived)."""
        log = self.shift_log
        if log is not None and self.epoch != len(log.boundary):
            self._catch_up()
        return self.stored_index

    @src_index.setter
    def src_index(self, value: int) -> None:
        self._catch_up()
        self.stored_index = value

    @property
    def contents_start(self) -> int:
        """Offset of the decl's instruction tag in file.source (anonymous decls: as ``src_index``)."""
        log = self.shift_log
        if log is not None and self.epoch != len(log.boundary):
            self._catch_up()
        return self.stored_start

    @contents_start.setter
    def contents_start(self, value: int) -> None:
        self._catch_up()
        self.stored_start = value

    @property
    def line(self) -> int:
        """0-based source line of the function's ``fn(`` as its placed code and line table say (-1: none).

        Kept when the decl only moves: an edit before it that adds or removes lines is one shift-log entry,
        applied here when the line is next read (docs/design/performance.md §6)."""
        log = self.shift_log
        if log is not None and self.epoch != len(log.boundary):
            self._catch_up()
        return self.stored_line

    @line.setter
    def line(self, value: int) -> None:
        self._catch_up()
        self.stored_line = value

    @property
    def fn(self) -> Fn | None:
        """The Fn of a function decl's current value, if any."""
        tv = self.typed_value
        if tv is not None and isinstance(tv.val, FunctionValue):
            fn = tv.val.fn
            assert isinstance(fn, Fn)
            return fn
        return None


LocalResults = tuple[object, ...]
"""A function's results for the editor (``Fn.local_results``): the tuple of its ``%`` names (one tuple shared by
the bodies that name their locals alike), then each local's result, in one tuple: a dict per function cost about
200 bytes, 20 MB of the language server at N = 100 000 (docs/design/performance.md §9.4)."""

_LOCAL_NAMES: Final[dict[tuple[str, ...], tuple[str, ...]]] = {}
"""The names tuples shared so far (a sharing cache, emptied when it grows past ``_LOCAL_NAMES_MAX``)."""
_LOCAL_NAMES_MAX: Final = 4096


def pack_local_results(results: dict[str, Type | Constant]) -> LocalResults:
    """``results`` (name → result, in body order) as a ``LocalResults`` tuple."""
    names = tuple(results)
    shared = _LOCAL_NAMES.get(names)
    if shared is None:
        if len(_LOCAL_NAMES) >= _LOCAL_NAMES_MAX:
            _LOCAL_NAMES.clear()
        shared = _LOCAL_NAMES.setdefault(names, names)
    return (shared, *results.values())


def local_result_items(results: LocalResults) -> dict[str, Type | Constant]:
    """The name → result map ``pack_local_results`` packed."""
    names = cast("tuple[str, ...]", results[0])
    return dict(zip(names, cast("tuple[Type | Constant, ...]", results[1:]), strict=True))


class Fn:
    """The value of a function decl (module.md §2.4). A new Fn is made at every analysis of the ``fn``."""

    owner: Decl
    zir_body: Body | None
    """The body as parsed; None once the function's code is generated in a long-lived process (its decl's
    syntax is released, docs/design/performance.md §9.1): read it through ``fn_body``."""
    fn_type: Type
    analysis: FnStatus
    header_deps: int
    """How many of the owner's dependencies its decl-level analysis declared (they come first; -1: unknown).
    The compile cache records them to restore the decl's value without analysing it (performance.md §7.6)."""
    air: list[AirInst] | None
    """On success: the analysed body (liveness filled in before code generation)."""
    dependencies: tuple[Decl, ...]
    """On success: every decl the owner depended on after the body was analysed (for replay); a tuple, not a
    list (one object a function, docs/design/performance.md §9.3)."""
    performed_exports: bool
    """The body performed an ``export`` (such a body is never replayed)."""
    replay_from: Fn | None
    """The previous Fn whose body may be replayed instead of analysed (module.md §9.4)."""
    local_results: LocalResults | None
    """Each named body instruction's analysed result (by its ``%`` name, ``pack_local_results``), kept only when
    ``Module.record_locals`` is on (editor queries, ``module/local_types.py``); also after a failure, up to the
    failing instruction."""

    __slots__ = ("air", "analysis", "dependencies", "fn_type", "header_deps", "local_results", "owner",
                 "performed_exports", "replay_from", "zir_body")  # fmt: skip
    __match_args__ = ("owner", "zir_body", "fn_type", "analysis", "header_deps", "air", "dependencies",
                      "performed_exports", "replay_from", "local_results")  # fmt: skip

    def __init__(self, owner: Decl, zir_body: Body | None, fn_type: Type, analysis: FnStatus = FnStatus.QUEUED,
                 header_deps: int = -1, air: list[AirInst] | None = None, dependencies: tuple[Decl, ...] = (),
                 performed_exports: bool = False, replay_from: Fn | None = None,
                 local_results: LocalResults | None = None) -> None:  # fmt: skip
        self.owner = owner
        self.zir_body = zir_body
        self.fn_type = fn_type
        self.analysis = analysis
        self.header_deps = header_deps
        self.air = air
        self.dependencies = dependencies
        self.performed_exports = performed_exports
        self.replay_from = replay_from
        self.local_results = local_results

    def __repr__(self) -> str:
        return f"Fn({self.owner.name!r}, {self.analysis.value})"


class Export:
    """One ``export`` request (module.md §2.5). Owned by ``Module.export_owners``."""

    export_id: int
    name: bytes
    """The symbol name."""
    src: int
    """Absolute offset of the ``export`` instruction's src when it was analysed."""
    owner: Decl
    exported: Decl
    status: ExportStatus
    in_linker: bool
    """Whether the linker was given this export (it then has a global symbol to delete)."""

    __slots__ = ("export_id", "exported", "in_linker", "name", "owner", "src", "status")
    __match_args__ = ("export_id", "name", "src", "owner", "exported", "status", "in_linker")

    def __init__(self, export_id: int, name: bytes, src: int, owner: Decl, exported: Decl,
                 status: ExportStatus = ExportStatus.IN_PROGRESS, in_linker: bool = False) -> None:  # fmt: skip
        self.export_id = export_id
        self.name = name
        self.src = src
        self.owner = owner
        self.exported = exported
        self.status = status
        self.in_linker = in_linker

    def __repr__(self) -> str:
        return f"Export({self.name!r}, {self.exported.name!r}, {self.status.value})"


class ShiftLog:
    """The position shifts of the decls after each update's edit, applied lazily when a position is read.

    Entry ``k`` says: a decl whose index (as of entry ``k``) is at least ``boundary[k]`` moved by
    ``index_shift[k]`` places, ``offset_shift[k]`` bytes and ``line_shift[k]`` lines. An update appends one
    entry instead of touching every decl after its edit (docs/design/performance.md §6).
    """

    boundary: list[int]
    index_shift: list[int]
    offset_shift: list[int]
    line_shift: list[int]
    """Lines the edit added (or removed, negative) before the boundary: added to a placed function's
    ``Decl.line``."""

    __slots__ = ("boundary", "index_shift", "line_shift", "offset_shift")

    def __init__(self, boundary: list[int] | None = None, index_shift: list[int] | None = None,
                 offset_shift: list[int] | None = None, line_shift: list[int] | None = None) -> None:  # fmt: skip
        self.boundary = [] if boundary is None else boundary
        self.index_shift = [] if index_shift is None else index_shift
        self.offset_shift = [] if offset_shift is None else offset_shift
        self.line_shift = [] if line_shift is None else line_shift

    def append(self, boundary: int, index_shift: int, offset_shift: int, line_shift: int = 0) -> None:
        self.boundary.append(boundary)
        self.index_shift.append(index_shift)
        self.offset_shift.append(offset_shift)
        self.line_shift.append(line_shift)


class UpdateCounters:
    """Per-update deterministic work counters (performance.md §5)."""

    decls_analyzed: int
    fn_bodies_analyzed: int
    decls_generated: int
    decls_deleted: int
    anon_created: int
    anon_revived: int
    anon_released: int
    decls_diffed: int
    """Source decls ``diffing.diff_root`` looked at (the changed region of the file, not the whole file)."""
    line_updates: int
    """``update_line_number`` work items queued (functions whose line moved, found one by one)."""

    __slots__ = ("anon_created", "anon_released", "anon_revived", "decls_analyzed", "decls_deleted", "decls_diffed",
                 "decls_generated", "fn_bodies_analyzed", "line_updates")  # fmt: skip
    __match_args__ = ("decls_analyzed", "fn_bodies_analyzed", "decls_generated", "decls_deleted", "anon_created",
                      "anon_revived", "anon_released", "decls_diffed", "line_updates")  # fmt: skip

    def __init__(self, decls_analyzed: int = 0, fn_bodies_analyzed: int = 0, decls_generated: int = 0,
                 decls_deleted: int = 0, anon_created: int = 0, anon_revived: int = 0, anon_released: int = 0,
                 decls_diffed: int = 0, line_updates: int = 0) -> None:  # fmt: skip
        self.decls_analyzed = decls_analyzed
        self.fn_bodies_analyzed = fn_bodies_analyzed
        self.decls_generated = decls_generated
        self.decls_deleted = decls_deleted
        self.anon_created = anon_created
        self.anon_revived = anon_revived
        self.anon_released = anon_released
        self.decls_diffed = decls_diffed
        self.line_updates = line_updates

    def __repr__(self) -> str:
        return record_repr(self, ("decls_analyzed", "fn_bodies_analyzed", "decls_generated", "decls_deleted",
                                  "anon_created", "anon_revived", "anon_released", "decls_diffed",
                                  "line_updates"))  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:  # (mypyc checks a called function's bool)
            return NotImplemented
        return record_eq(self, other, ("decls_analyzed", "fn_bodies_analyzed", "decls_generated", "decls_deleted",
                                       "anon_created", "anon_revived", "anon_released", "decls_diffed",
                                       "line_updates"))  # fmt: skip

    __hash__ = None  # type: ignore[assignment]

    def as_dict(self) -> dict[str, int]:
        return {
            "decls_analyzed": self.decls_analyzed,
            "fn_bodies_analyzed": self.fn_bodies_analyzed,
            "decls_generated": self.decls_generated,
            "decls_deleted": self.decls_deleted,
            "anon_created": self.anon_created,
            "anon_revived": self.anon_revived,
            "anon_released": self.anon_released,
            "decls_diffed": self.decls_diffed,
            "line_updates": self.line_updates,
        }


def add_anon_created(d: Decl, a: Decl) -> None:
    """Appends ``a`` to ``d.anon_created`` (an empty one is a shared ``()``, not a list per decl:
    docs/design/performance.md §9)."""
    created = d.anon_created
    if isinstance(created, list):
        created.append(a)
    else:
        d.anon_created = [*created, a]


def fn_body(fn: Fn, source_decl: Callable[[Decl], SourceDecl]) -> Body:
    """``fn``'s body: as parsed, or parsed again from its owner's text once released (``Fn.zir_body`` None,
    ``module/syntax.py``): the owner's current text is the one ``fn`` was analysed from, since a changed text
    makes a new ``Fn``. ``source_decl``: the Module's."""
    body = fn.zir_body
    if body is None:
        inst = source_decl(fn.owner).inst
        assert inst.tag is Tag.FN, fn.owner.name
        body = fn.zir_body = inst.body("body")
    return body
