"""Exports: analysis of ``export``, symbol collisions, linker updates and deletion (module.md §10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.errors import AnalysisFail, ErrorMsg, Note
from compiler.link import DeclIndex, ExportRequest, Linkage
from compiler.module.decl import DeclStatus, Export, ExportStatus

if TYPE_CHECKING:
    from compiler.module.decl import Decl
    from compiler.module.module import Module


def analyze_export(m: Module, owner: Decl, name: bytes, decl_name: str, src: int) -> None:
    """Steps 2–10 of module.md §10.1 (the symbol name is already resolved). Raises AnalysisFail."""
    exported = m.decl_table.get(decl_name)
    if exported is None:
        m.note_missing_name(decl_name, owner)
        raise m.fail_decl(owner, ErrorMsg(src, f"decl '{decl_name}' not found"))
    if exported.is_anonymous:
        m.note_anon_named()
    m.declare_dependency(owner, exported)
    if exported.analysis is DeclStatus.IN_PROGRESS:
        raise m.fail_decl(owner, ErrorMsg(src, "dependency loop detected"))
    m.ensure_decl_analyzed(exported)
    tv = exported.typed_value
    assert tv is not None
    if not tv.ty.is_fn():
        raise m.fail_decl(owner, ErrorMsg(src, f"unable to export type '{tv.ty}'"))
    exp = Export(m.next_export_id, name, src, owner, exported)
    m.next_export_id += 1
    m.export_owners.setdefault(owner, []).append(exp)
    m.decl_exports.setdefault(exported, []).append(exp)
    if name in m.symbol_exports:
        first = m.symbol_exports[name].owner
        notes = () if first.is_anonymous or first.destroyed else (Note(m.source_decl(first).src, "other symbol here"),)
        m.failed_exports[exp] = m.anchor(
            ErrorMsg(src, f"exported symbol collision: {name.decode('utf-8', 'surrogateescape')}", notes)
        )
        exp.status = ExportStatus.FAILED
        m.collision_losers.setdefault(name, []).append(exp)
        return
    m.symbol_exports[name] = exp
    update_linker_exports(m, exported)
    if exp.status is ExportStatus.IN_PROGRESS:
        exp.status = ExportStatus.COMPLETE


def _request(exp: Export) -> ExportRequest:
    return ExportRequest(exp.export_id, exp.name, Linkage.STRONG, None)


def update_linker_exports(m: Module, exported: Decl) -> None:
    """Give the linker the non-failed exports of ``exported`` (module.md §10.2)."""
    exps = [
        e for e in m.decl_exports.get(exported, []) if e.status in (ExportStatus.IN_PROGRESS, ExportStatus.COMPLETE)
    ]
    if not exps:
        return
    failures = m.linker.update_decl_exports(DeclIndex(exported.index), [_request(e) for e in exps])
    for e in exps:
        e.in_linker = True
    by_id = {e.export_id: e for e in exps}
    for f in failures:
        failed = by_id.get(f.export_id)
        if failed is None:
            continue
        e = failed
        e.status = ExportStatus.FAILED
        m.failed_exports[e] = m.anchor(f.error)
        if m.symbol_exports.get(e.name) is e:
            del m.symbol_exports[e.name]


def delete_decl_exports(m: Module, owner: Decl) -> None:
    """module.md §10.4."""
    exps = m.export_owners.pop(owner, None)
    if not exps:
        return
    for exp in exps:
        lst = m.decl_exports.get(exp.exported)
        if lst is not None:
            if exp in lst:
                lst.remove(exp)
            if not lst:
                del m.decl_exports[exp.exported]
        if exp.in_linker:
            m.linker.delete_export(exp.export_id)
            exp.in_linker = False
        m.failed_exports.pop(exp, None)
        if m.symbol_exports.get(exp.name) is exp:
            del m.symbol_exports[exp.name]
            for loser in list(m.collision_losers.get(exp.name, [])):
                if loser.owner is not owner:
                    m.mark_outdated(loser.owner)
        losers = m.collision_losers.get(exp.name)
        if losers is not None and exp in losers:
            losers.remove(exp)
            if not losers:
                del m.collision_losers[exp.name]


__all__ = ["AnalysisFail", "analyze_export", "delete_decl_exports", "update_linker_exports"]
