"""Deleting decls: delete_decl, draining the deletion set, and garbage-cycle collection (module.md §8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.link import DeclIndex
from compiler.module import anon_fast, exports
from compiler.module.decl import DeclStatus, LifeStage

if TYPE_CHECKING:
    from compiler.module.decl import Decl
    from compiler.module.module import Module


def delete_decl(m: Module, d: Decl, *, in_source: bool = True) -> None:
    """module.md §8.1. Never recursive: decls losing their last dependant are only pushed.

    ``in_source``: the decl's source is still in the file (it lost its last user); the next update's diff
    creates a fresh decl for it even when it lies outside the changed region (``Module.vacated``).
    """
    anon_fast.before_delete(m)  # (stale anonymous names: brought up to date while the graph is whole, §9.6)
    m.live_anon.pop(d, None)
    if m.decl_table.get(d.name) is d:
        del m.decl_table[d.name]
        if in_source and not d.is_anonymous:
            m.vacated.append(d)
    for dep in d.dependencies:
        dep.dependants.pop(d, None)
        m.suspects.setdefault(dep, set()).add(d)
        if not dep.dependants and not dep.deletion_flag:
            dep.deletion_flag = True
            m.deletion_set.append(dep)
    d.dependencies.clear()
    for u in list(d.dependants):
        u.dependencies.pop(d, None)
        if u.analysis is not DeclStatus.OUTDATED:
            m.mark_outdated(u)
    d.dependants.clear()
    m.failed_decls.pop(d, None)
    m.comptime_callers.pop(d, None)
    exports.delete_decl_exports(m, d)
    if d.has_bits:
        m.linker.free_decl(DeclIndex(d.index))
        d.has_bits = False
    d.stage = LifeStage.DESTROYED
    m.suspects.pop(d, None)
    m.counters.decls_deleted += 1


def drain_deletion_set(m: Module) -> int:
    """module.md §8.2 (LIFO). Returns the number of decls deleted."""
    count = 0
    while m.deletion_set:
        d = m.deletion_set.pop()
        if d.destroyed or d.is_retired:
            continue
        d.deletion_flag = False
        if d.dependants or d.is_export_root:
            continue
        delete_decl(m, d)
        count += 1
    return count


def collect_garbage_cycles(m: Module) -> int:
    """module.md §8.3: delete groups of decls that only keep each other alive. Returns how many."""
    live: set[Decl] = set()
    garbage: set[Decl] = set()
    for s, lost in list(m.suspects.items()):
        if s.destroyed or s.is_retired or s in live or s in garbage:
            continue
        if all(u in s.dependants for u in lost):
            continue  # every edge it lost came back (its user was re-analysed): its liveness is unchanged
        visited: set[Decl] = set()
        if _reaches_root(s, visited, live, garbage):
            continue
        garbage |= visited
    m.suspects.clear()
    doomed = sorted((d for d in garbage if not d.destroyed), key=lambda d: d.index)
    for d in doomed:
        if not d.destroyed:
            delete_decl(m, d)
    return len(doomed)


def _reaches_root(start: Decl, visited: set[Decl], live: set[Decl], garbage: set[Decl]) -> bool:
    """Depth-first search up ``dependants``; marks the path to a root live (iterative)."""
    path: list[Decl] = [start]
    iters = [iter(list(start.dependants))]
    visited.add(start)
    if start.is_export_root:
        live.add(start)
        return True
    while iters:
        nxt = next(iters[-1], None)
        if nxt is None:
            iters.pop()
            path.pop()
            continue
        if nxt.destroyed or nxt in garbage:
            continue
        if nxt.is_export_root or nxt in live:
            live.update(path)
            live.add(nxt)
            return True
        if nxt in visited:
            continue
        visited.add(nxt)
        path.append(nxt)
        iters.append(iter(list(nxt.dependants)))
    return False
