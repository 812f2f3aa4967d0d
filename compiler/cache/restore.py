"""Keeping a cached function's body and code instead of analysing and generating it again
(docs/design/performance.md §7).

A restarted Module analyses decls as a fresh build does (the decl-level analysis gives each function its type
and its linker state, adopted from the output by name). When a function's body is about to be analysed, it is
kept instead if the cache recorded it with the same contents hash and function type, its block is the one the
output holds, and every decl it used — analysed here in the recorded order, as the body would — has the
recorded fingerprint and GOT address. Then its dependencies are declared as the body would have, its code and
debug pieces stay in the output, and only a moved first line is rewritten. Anything else: the body is analysed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from compiler.cache.document import CachedFn, Document, Malformed, Row, RowText, fn_record, known_good
from compiler.cache.fingerprint import NoFingerprint, anonymous_value, decl_fingerprint, type_fingerprint
from compiler.codegen import PANIC_NAME
from compiler.errors import AnalysisFail
from compiler.link import DeclIndex
from compiler.link.elf.linker import ElfLinker
from compiler.link.elf.trusted import FN_LINE, GOT_INDEX, SIZE, VADDR
from compiler.logs import LazyLogger
from compiler.module import exports, panic
from compiler.module.decl import DeclStatus, Fn, FnStatus, WorkKind
from compiler.module.syntax import decl_inst_and_src
from compiler.sema.values import FunctionValue, TypedValue, TypeValue
from compiler.zir.regions import DeclView
from compiler.zir.seed import BadTable, seed_version
from compiler.zir.tags import Tag

if TYPE_CHECKING:
    from compiler.module.decl import Decl
    from compiler.module.module import Module
    from compiler.sema.types import Type
    from compiler.sema.values import DeclHandle
    from compiler.zir.ast import Inst, ParsedFile
    from compiler.zir.parser import SpanDecl
    from compiler.zir.regions import IncrementalParser

log = LazyLogger(__name__)

_UNREAD: Final = CachedFn(b"", 0, "", (), 0)
"""``Restorer._records``' answer for a name whose record was not read yet."""


class Restorer:
    """The cached functions of one restart; asked by the Module before it analyses a function body."""

    def __init__(self, doc: Document, linker: ElfLinker, rows: dict[str, tuple[Fn, Row | RowText]]) -> None:
        self.doc = doc
        self.rows = rows
        """Kept functions' records as read, by name with their Fn: written back unchanged by the next save."""
        self.damaged = False
        self.placements = doc.placements
        """Each cached block's placement in the output (``trusted.Placement``), read where a body is kept."""
        self._linker = linker
        """The reopened output's linker (the Module's)."""
        self.kept: dict[int, Fn] = {}
        """Every Fn kept, by ``id`` (its ``air`` is None: the output holds its code)."""
        self.kept_count = 0
        """Function bodies kept (not analysed, not generated) so far."""
        self.restored_count = 0
        """Decls whose decl-level analysis was taken from the cache (``decl_value``) so far."""
        self._memo: dict[Decl, tuple[TypedValue | None, str | None]] = {}
        self._type_memo: dict[Type, str] = {}
        self._type_ids: dict[int, tuple[Type, str | None]] = {}
        self._types: dict[str, Type] = {}
        """Function types analysed in this process, by fingerprint (equal fingerprints: equal types)."""
        self._records: dict[str, CachedFn | None] = {}
        self._seen: dict[str, tuple[Decl, TypedValue | None, str | None, int]] = {}
        """A dependency checked before, by name: the decl, its value then, its fingerprint and GOT address (-1:
        none). Valid while the name holds that decl with that value (a GOT slot is stable while it has bits)."""
        self._restored: dict[int, tuple[Fn, int, CachedFn]] = {}
        """Every Fn ``decl_value`` made, by ``id``, with its decl's src in this update's text and the record it
        was made from: its contents hash, function type and decl-level dependencies are checked and declared."""
        self._known: dict[str, tuple[int, str]] | None = None
        self._seeded = False
        """The parser was offered the recorded text's parse (``prepare_parse``; once)."""
        self._fn_fps: dict[int, tuple[Type, str | None]] = {}
        """The fingerprint of a function of each function type met, by the type's ``id`` (the type is held)."""
        self._parse_records: tuple[ParsedFile | None, list[SpanDecl], list[int]] | None = None
        """The current parse and its decls' records and bases (``_inst_and_src``)."""
        self._bits: dict[int, tuple[Type, bool]] = {}
        """``has_code_gen_bits`` of the function types ``restore_reached`` gave, by ``id``."""
        self._panic: Decl | None = None
        self._panic_got = -1
        """The panic routine's decl as last checked, and its GOT address then (-1: none)."""

    def prepare_parse(self, parser: IncrementalParser) -> dict[str, tuple[int, str]]:
        """Before a parse: the first one is diffed against the recorded text's parse, rebuilt from the cache
        (``compiler/zir/seed.py``; a table that does not check is ignored with a log line). Returns
        ``known_good``."""
        known = self.known_good()
        if not self._seeded and self.doc.parse is not None:
            try:
                parser.seed(*seed_version(self.doc.parse, known, parser))
            except BadTable as exc:
                log.warning("compile cache parse table ignored: corrupt (%s)", exc)
        self._seeded = True
        return known

    def known_good(self) -> dict[str, tuple[int, str]]:
        """The recorded functions' contents (length, hash): they parsed, so the parser may defer their bodies."""
        if self._known is None:
            self._known = known_good(self.doc)
        return self._known

    def _record(self, name: str) -> CachedFn | None:
        """The checked record of function ``name`` (read once); None when there is none or it is damaged."""
        if name in self._records:
            return self._records[name]
        try:
            cached = fn_record(self.doc, name)
        except Malformed as exc:
            if not self.damaged:
                log.warning("compile cache record of %r ignored: corrupt (%s)", name, exc)
            self.damaged = True
            cached = None
        self._records[name] = cached
        return cached

    def learn_type(self, m: Module, fn_type: Type) -> None:
        """A function type the decl-level analysis of a function gave: later functions recorded with the same
        type fingerprint take this type object instead of being analysed (``decl_value``)."""
        fp = self._type_fingerprint(m, fn_type)
        if fp is not None:
            self._types.setdefault(fp, fn_type)

    def _type_fingerprint(self, m: Module, t: Type) -> str | None:
        """``t``'s fingerprint (None: it has none), remembered by identity (a type's hash walks all of it)."""
        hit = self._type_ids.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        fp = self._type_memo.get(t)
        if fp is None:
            try:
                fp = self._type_memo[t] = type_fingerprint(t, lambda h: self._got(m, h))
            except NoFingerprint:
                fp = None
        self._type_ids[id(t)] = (t, fp)
        return fp

    def decl_value(self, m: Module, d: Decl) -> TypedValue | None:
        """The value the decl-level analysis of function ``d`` gives, without analysing it (docs/design/performance.md
        §7.6), or None (then it is analysed). Taken when the cache recorded ``d`` with the same contents hash, every
        decl its decl-level analysis used — analysed here in the recorded order, declared first as the analysis
        would — has the recorded fingerprint and GOT address, and a function type of the recorded fingerprint is at
        hand: the value of one of those decls (``fn(@T, …)``) or the type of a function analysed in this process.
        The analysis is a function of the contents and those decls' values, so it would give a type equal to the
        recorded one (a fingerprint renders every field of a type); only the body is taken from the current parse."""
        if d.is_anonymous:
            return None
        cached = self._record(d.name)
        if cached is None or cached.contents_hash != d.contents_hash:
            return None
        inst, src = decl_inst_and_src(m, d)
        if inst.tag is not Tag.FN:
            return None
        table = m.decl_table
        seen = self._seen
        deps = cached.deps
        complete = DeclStatus.COMPLETE
        for i in range(cached.header_deps):
            name, fp, got = deps[i]
            hit = seen.get(name)  # checked before, and still that decl with that value (``_seen``)?
            if hit is not None:
                known = hit[0]
                if table.get(name) is known and known.analysis is complete and known.typed_value is hit[1]:
                    if hit[2] != fp or hit[3] != got:
                        return None
                    d.dependencies[known] = None  # ``Module.declare_dependency``, inline
                    known.dependants[d] = None
                    continue
            found = table.get(name)
            if found is None or found.is_anonymous or found.analysis is DeclStatus.IN_PROGRESS:
                return None  # the analysis reports what is wrong (a missing decl, a loop)
            x = found
            m.declare_dependency(d, x)
            try:
                m.ensure_decl_analyzed(x)
            except AnalysisFail:
                return None
            if self._seen_now(m, x) != (fp, got):
                return None
        fn_type = self._types.get(cached.fn_type)
        if fn_type is None:
            fn_type = self._type_among(m, cached)
            if fn_type is None:
                return None  # analysed; its type is then known to later functions (``learn_type``)
        fn = Fn(d, inst.body("body"), fn_type)
        fn.header_deps = cached.header_deps
        self._restored[id(fn)] = (fn, src, cached)
        self.restored_count += 1
        return TypedValue(fn_type, FunctionValue(fn))

    def restore_reached(self, m: Module, d: Decl) -> bool:
        """``Module.ensure_decl_analyzed`` of never-analysed function ``d`` when ``decl_value`` would take its
        value with nothing to analyse (every decl-level dependency checked before and unchanged since): the same
        end state — its value, status, linker slot, codegen item, edges, deletion candidacy — without the general
        path's calls (docs/design/performance.md §7.6). False: nothing was changed, the general path runs."""
        if d.typed_value is not None or d.has_bits or d.last_analysis_failed or d.is_anonymous:
            return False
        name = d.name
        cached = self._records.get(name, _UNREAD)  # ``_record``, inline: read once, here for most functions
        if cached is _UNREAD:
            cached = self._record(name)
        if cached is None or cached.contents_hash != d.contents_hash:
            return False
        fn_type = self._types.get(cached.fn_type)
        if fn_type is None:
            return False
        table, seen = m.decl_table, self._seen
        complete = DeclStatus.COMPLETE
        header = cached.deps[: cached.header_deps]
        for name, fp, got in header:
            hit = seen.get(name)  # checked before, and still that decl with that value (``_seen``)?
            if hit is None:
                return False
            known = hit[0]
            if table.get(name) is not known or known.analysis is not complete or known.typed_value is not hit[1]:
                return False
            if hit[2] != fp or hit[3] != got:
                return False
        inst, src = self._inst_and_src(m, d)
        if inst.tag is not Tag.FN:
            return False
        # ``decl_value``'s result, declared as the analysis would (its decl-level dependencies first)
        dependencies = d.dependencies
        for name, _fp, _got in header:
            known = seen[name][0]
            dependencies[known] = None
            known.dependants[d] = None
        fn = Fn(d, inst.body("body"), fn_type)
        fn.header_deps = cached.header_deps
        self._restored[id(fn)] = (fn, src, cached)
        self.restored_count += 1
        # ``Module.analyze_zir_decl`` of a decl with no previous value, then ``ensure_decl_analyzed``'s bookkeeping
        d.typed_value = TypedValue(fn_type, FunctionValue(fn))
        d.analysis = complete
        generation = m.generation
        d.generation = generation
        bits = self._bits.get(id(fn_type))  # by identity: the types of ``_types`` live as long as this
        if bits is None or bits[0] is not fn_type:
            bits = self._bits[id(fn_type)] = (fn_type, fn_type.has_code_gen_bits())
        if bits[1] and m.allocate(d):
            d.has_bits = True
            m.work_queue.append((WorkKind.CODEGEN_DECL, d))
        d.value_changed_generation = generation
        if not d.is_export_root and not d.dependants and not d.deletion_flag:
            d.deletion_flag = True
            m.deletion_set.append(d)
        return True

    def _inst_and_src(self, m: Module, d: Decl) -> tuple[Inst, int]:
        """``decl_inst_and_src(m, d)``, from the records of the current parse read once (``DeclView.records``)."""
        parsed = m.file.parsed
        known = self._parse_records
        if known is None or known[0] is not parsed:
            decls = parsed.decls if parsed is not None else None
            known = self._parse_records = (
                (parsed, *decls.records()) if isinstance(decls, DeclView) else (parsed, [], [])
            )
        rels = known[1]
        if rels:
            i = d.src_index
            rel = rels[i]
            if rel.inst is not None:  # attached (a released decl's instruction is parsed again by the accessor)
                return rel.inst, known[2][i] + rel.contents_start + rel.inst_src
        return decl_inst_and_src(m, d)

    def _type_among(self, m: Module, cached: CachedFn) -> Type | None:
        """A type of the recorded fingerprint that is the value of one of the decl-level dependencies (the type
        operand of ``fn(@T, …)``), or None."""
        for i in range(cached.header_deps):
            x = m.decl_table[cached.deps[i][0]]
            tv = x.typed_value
            if tv is not None and isinstance(tv.val, TypeValue) and tv.val.ty.is_fn():
                fp = self._type_fingerprint(m, tv.val.ty)
                if fp is None:
                    continue
                self._types.setdefault(fp, tv.val.ty)
                if fp == cached.fn_type:
                    return tv.val.ty
        return None

    def keeps(self, m: Module, d: Decl, fn: Fn) -> bool:
        """True: ``fn``'s body and code are the output's (nothing to analyse or generate)."""
        if self.kept.get(id(fn)) is fn:
            return True
        if fn.analysis is not FnStatus.QUEUED or d.is_anonymous or not self._keep(m, d, fn):
            return False
        self.kept[id(fn)] = fn
        self.kept_count += 1
        self.rows[d.name] = (fn, self.doc.rows[d.name])
        return True

    def _fingerprint(self, m: Module, x: Decl) -> str | None:
        tv = x.typed_value
        if tv is not None:  # a function's fingerprint is its type's (``decl_fingerprint``): by the type's identity
            t = tv.ty
            known = self._fn_fps.get(id(t))
            if known is not None and known[0] is t:
                return known[1]
        memo = self._memo.get(x)
        if memo is not None and memo[0] is tv:
            return memo[1]
        if tv is not None and tv.ty.is_fn():  # ``decl_fingerprint``'s rendering of a function: its type
            rendered = self._type_fingerprint(m, tv.ty)
            fp = None if rendered is None else "fn" + rendered
            self._fn_fps[id(tv.ty)] = (tv.ty, fp)
            return fp
        fp = decl_fingerprint(tv, lambda h: self._got(m, h), self._type_memo, lambda h: anonymous_value(m, h))
        self._memo[x] = (tv, fp)
        return fp

    def _seen_now(self, m: Module, x: Decl) -> tuple[str | None, int]:
        """``x``'s fingerprint and GOT address (-1: none), remembered while ``x`` keeps its value."""
        fp = self._fingerprint(m, x)
        got = m.linker.got_address(DeclIndex(x.index)) if x.has_bits else -1
        self._seen[x.name] = (x, x.typed_value, fp, got)
        return fp, got

    @staticmethod
    def _got(m: Module, h: DeclHandle) -> int | None:
        x = m.decl_table.get(h.name)
        if x is None or not x.has_bits:
            return None
        return m.linker.got_address(DeclIndex(x.index))

    def _keep(self, m: Module, d: Decl, fn: Fn) -> bool:
        restored = self._restored.get(id(fn))
        if restored is not None and restored[0] is fn:
            # a Fn made by ``decl_value`` from this record: its function type is one of the recorded fingerprint
            # and its decl-level dependencies were checked and declared
            cached = restored[2]
            if cached.contents_hash != d.contents_hash:
                return False
            checked, src = cached.header_deps, restored[1]
        else:
            record = self._record(d.name)
            if record is None or record.contents_hash != d.contents_hash:
                return False
            if record.fn_type != self._type_fingerprint(m, fn.fn_type):
                return False
            cached, checked, src = record, 0, m.source_decl(d).src
        index = DeclIndex(d.index)
        expected = self.placements.get(d.name)
        if expected is None:
            return False
        state = self._linker.decls.get(index)  # its block and GOT slot: the recorded ones?
        if state is None or not state.block.is_placed or state.block.vaddr != expected[VADDR]:
            return False
        if state.got_index != expected[GOT_INDEX]:
            return False
        used: list[Decl] = []
        table, seen = m.decl_table, self._seen
        complete = DeclStatus.COMPLETE
        deps = cached.deps
        for i in range(checked, len(deps)):
            name, fp, got = deps[i]
            hit = seen.get(name)  # checked before, and still that decl with that value (``_seen``)? Most were
            if hit is not None and name != PANIC_NAME:
                known = hit[0]
                if table.get(name) is known and known.analysis is complete and known.typed_value is hit[1]:
                    if hit[2] != fp or hit[3] != got:
                        return False
                    used.append(known)
                    continue
            if name == PANIC_NAME:
                x = m.panic_decl  # checked once while it lives (most functions' code can panic)
                if x is None or x is not self._panic or x.destroyed:
                    try:
                        x = panic.ensure(m)
                    except panic.PanicGotOverflow:
                        return False
                    self._panic, self._panic_got = x, m.linker.got_address(DeclIndex(x.index)) if x.has_bits else -1
                if self._panic_got != got:
                    return False
            else:
                found = table.get(name)
                if found is None or found.is_anonymous:
                    return False
                x = found
                status = x.analysis
                if status is DeclStatus.IN_PROGRESS and x is not d:
                    return False  # a loop: the body's analysis reports it
                # ``ensure_decl_analyzed``, whose first step for an unchanged function reached for the first time
                # is ``restore_reached``: taken here directly
                if status is not DeclStatus.UNREFERENCED or not self.restore_reached(m, x):
                    try:
                        m.ensure_decl_analyzed(x)
                    except AnalysisFail:
                        return False
                if self._seen_now(m, x) != (fp, got):
                    return False
            used.append(x)
        members = d.dependencies.extend(used)  # ``Module.declare_dependency`` of each, in one call
        for x in used:
            x.dependants[d] = None
        fn.dependencies = members if type(members) is tuple else tuple(members)
        fn.analysis = FnStatus.SUCCESS
        d.code_size = expected[SIZE]
        line = m.lines.line_of(m.file.source or b"", src)  # ``Module.line_of``
        if line != expected[FN_LINE]:
            m.linker.update_decl_line_number(index, line)
        d.line = line
        if m.decl_exports.get(d):  # most kept functions are exported by nobody
            exports.update_linker_exports(m, d)
        return True
