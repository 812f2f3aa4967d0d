"""Diffing: the new parse against the decl table — which decls are new, changed, moved or gone (module.md §5).

Only the changed region is diffed (performance.md §6): the parser reports how many leading decls are the very
same and how many trailing ones only moved; those are not looked at, and the trailing ones' new positions are
one shift-log entry, applied when a decl's position is next read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from compiler.errors import AnalysisFail
from compiler.module import anon, anon_fast, deletion
from compiler.module.decl import Decl, DeclStatus, WorkKind
from compiler.module.syntax import decl_src, diff_fields, name_and_start
from compiler.zir.ast import SourceDecl
from compiler.zir.tags import Tag

if TYPE_CHECKING:
    from compiler.module.module import Module


def diff_root(m: Module) -> None:
    """Diff the new source against the decl table (module.md §5).

    Only the changed region is diffed (performance.md §6): the parser reports how many leading decls
    are the very same and how many trailing ones only moved; those are not looked at, and the trailing
    ones' new positions are one shift-log entry, applied when a decl's position is next read.
    """
    parsed = m.file.parsed
    assert parsed is not None
    new_decls = parsed.decls
    stats = m.parser.stats
    if m.diff_against_previous:
        prefix, suffix = stats.same_prefix_decls, stats.same_suffix_decls
    else:
        prefix, suffix = 0, 0
    table = m.decl_table
    vacated_before: list[Decl] = []
    vacated_after: list[Decl] = []
    from_line = -1  # the old line from which the linker moved functions' lines (-1: it moved none)
    if not m.diff_against_previous:
        anon_fast.materialize(m)  # the whole table, anonymous decls in their numbering order (module.md §9.6)
        deleted: dict[Decl, None] = dict.fromkeys(table.values())
        old_end = 0
        m.vacated.clear()
    else:
        old_count = stats.old_decl_count
        old_end = old_count - suffix
        candidates: list[Decl] = []  # the live anonymous decls join once the path is chosen (module.md §9.6)
        for name in stats.old_names:  # the previous parse's decls in the changed region
            c = table.get(name)
            if c is not None and not c.is_anonymous:
                candidates.append(c)
        candidates.sort(key=_table_order)
        deleted = dict.fromkeys(candidates)
        for v in m.vacated:
            if v.src_index < prefix:
                vacated_before.append(v)
            elif v.src_index >= old_end:
                vacated_after.append(v)
        m.vacated.clear()
        index_shift = len(new_decls) - old_count
        line_shift = _suffix_line_shift(m, new_decls, len(new_decls) - suffix, stats.shift, prefix) if suffix else 0
        if index_shift or stats.shift or line_shift:
            m.shift_log.append(old_end, index_shift, stats.shift, line_shift)
        if line_shift:
            first_new = name_and_start(new_decls, len(new_decls) - suffix)[1]  # no decl parsed again (syntax.py)
            from_line = _shift_linker_lines(m, first_new, line_shift, prefix)
    new_end = len(new_decls) - suffix
    m.counters.decls_diffed += new_end - prefix
    exports_to_resolve: list[Decl] = []
    moved_fns: list[Decl] = []
    last_old_index = -1
    reordered = False
    marked: list[Decl] = []  # decls outdated by a change of their text
    other_changes = bool(vacated_before or vacated_after) or not m.diff_against_previous
    _recreate(m, vacated_before, exports_to_resolve)
    for i in range(prefix, new_end):
        name, contents_start, contents_hash, is_export = diff_fields(new_decls, i)
        if "__anon_" in name:
            anon_fast.materialize(m)  # a source decl named like an anonymous decl: the names of now (§9.6)
        d = table.get(name)
        if d is not None and d.is_anonymous:
            deleted.pop(d, None)
            anon.retire(m, d)
            d = None
            other_changes = True
        if d is not None:
            deleted.pop(d, None)
            if d.src_index < last_old_index:
                reordered = True
            last_old_index = d.src_index
            d.src_index = i
            d.contents_start = contents_start
            d.is_export_root = is_export
            if contents_hash != d.contents_hash:
                d.contents_hash = contents_hash
                m.mark_outdated(d)
                marked.append(d)
            elif d.line >= 0:  # its line may have changed even where its offset did not (a newline for a space)
                moved_fns.append(d)
        else:
            d = m.create_decl(name, i, contents_hash, contents_start)
            d.is_export_root = is_export
            if d.is_export_root:
                exports_to_resolve.append(d)
            waiting = m.missing_names.pop(name, None)
            # a new decl nothing names stays unreferenced: it changes no analysis (module.md §9.6)
            other_changes = other_changes or is_export or bool(waiting)
            if waiting:
                for u in waiting:
                    if not u.destroyed and not u.is_retired:
                        m.mark_outdated(u)
    _recreate(m, vacated_after, exports_to_resolve)
    if reordered:
        # [ZIR Live] Whether an @operand names an earlier or a later decl decides where its errors
        # are positioned (zir-language.md §1); after a reorder, stored messages are recomputed.
        for d in list(m.failed_decls):
            if not d.is_anonymous and not d.destroyed:
                m.mark_outdated(d)
    text = m.file.source or b""
    for d in moved_fns:
        if d.analysis is DeclStatus.COMPLETE and (
            0 <= from_line <= d.line or m.lines.peek(text, decl_src(m, d)) != d.line
        ):
            _queue_line_update(m, d)
    # An edit that cannot reorder the anonymous decls keeps those of the other owners (module.md §9.6).
    if m.diff_against_previous:
        # An edit that cannot reorder the anonymous decls retires only its function's (module.md §9.6).
        qualifies, edited = anon_fast.qualifying_edit(m, marked, other_changes or reordered or bool(deleted))
        if anon_fast.begin(m, qualifies, edited):
            assert not deleted
            deleted = dict.fromkeys(edited.anon_created if edited is not None else ())
        else:  # (stale names were brought up to date: table order)
            deleted = dict.fromkeys(sorted([*deleted, *m.live_anon], key=_table_order))
    else:
        anon_fast.begin(m, False, None)
    # Deleted decls go first: an export resolved now must not find a decl the new text no longer has
    # (a fresh build would not), nor analyse it at a source index past the end of the new parse.
    for d in deleted:
        if d.is_anonymous:
            anon.retire(m, d)
        else:
            deletion.delete_decl(m, d, in_source=False)
    for d in exports_to_resolve:
        try:
            m.ensure_decl_analyzed(d)
        except AnalysisFail:
            continue
    m.previous_source = b""  # read by the diff only: kept, it held a second copy of the text between updates


def _recreate(m: Module, vacated: list[Decl], exports_to_resolve: list[Decl]) -> None:
    """Fresh decls for deleted-but-still-written decls outside the changed region, in source order."""
    parsed = m.file.parsed
    assert parsed is not None
    for v in sorted(vacated, key=_source_order):
        if v.name in m.decl_table:
            continue
        sd = parsed.decls[v.src_index]
        assert sd.name == v.name
        d = m.create_decl(sd.name, v.src_index, sd.contents_hash, sd.contents_start)
        d.is_export_root = sd.inst.tag is Tag.EXPORT
        if d.is_export_root:
            exports_to_resolve.append(d)
        waiting = m.missing_names.pop(sd.name, None)
        for u in waiting or ():
            if not u.destroyed and not u.is_retired:
                m.mark_outdated(u)


def _suffix_line_shift(m: Module, new_decls: Sequence[SourceDecl], first: int, shift: int, prefix: int) -> int:
    """How many lines the edit added before the unchanged decls after it (negative: removed), from one
    newline count over the changed region (docs/design/performance.md §6)."""
    new_text = m.file.source or b""
    old_text = m.previous_source
    start = name_and_start(new_decls, prefix - 1)[1] if prefix else 0
    first_new = name_and_start(new_decls, first)[1]
    return new_text.count(b"\n", start, first_new) - old_text.count(b"\n", start, first_new - shift)


def _shift_linker_lines(m: Module, first_new: int, line_shift: int, prefix: int) -> int:
    """The decls from ``first_new`` on moved by ``line_shift`` lines: the Module's lines follow from the shift
    log; a linker with line tables moves its functions' lines in one call. Returns the old line it moved them
    from (-1 when the linker keeps no lines).

    A function before ``first_new`` on that same old line would be moved too; it is put back (a work item)
    here when unchanged before the edit, and by ``diff_root`` when in the changed region. (The parser gives
    the region the decls on both sides of a change, so this is a guard, not a path a test reaches.)"""
    if not m.linker.keeps_line_numbers:
        return -1
    parsed = m.file.parsed
    assert parsed is not None
    from_line = m.lines.peek(m.file.source or b"", first_new) - line_shift  # counted from near the edit
    m.linker.shift_line_numbers(from_line, line_shift)
    old_text = m.previous_source
    shift = m.parser.stats.shift
    line_start = old_text.rfind(b"\n", 0, first_new - shift) + 1  # the old line's start (prefix: same offsets)
    for i in range(prefix - 1, -1, -1):
        name, start = name_and_start(parsed.decls, i)
        if start < line_start:
            break
        d = m.decl_table.get(name)
        if d is not None and d.line >= 0:
            _queue_line_update(m, d)
    return from_line


def _queue_line_update(m: Module, d: Decl) -> None:
    m.counters.line_updates += 1
    m.work_queue.append((WorkKind.UPDATE_LINE_NUMBER, d))


def _table_order(d: Decl) -> int:
    return d.table_seq


def _source_order(d: Decl) -> int:
    return d.src_index


def mark_locals_requested(m: Module) -> None:
    """The functions an editor asked about that were analysed without keeping their locals
    (``local_types.request_locals``) are outdated: the update analyses them again, now keeping them."""
    for d in m.locals_requested:
        if not d.destroyed and d.fn is not None and d.fn.local_results is None:
            m.mark_outdated(d)
    m.locals_requested.clear()
