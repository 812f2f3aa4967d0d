"""Anonymous decls: creation, retirement and revival, release at the end of an update (module.md §9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.link import DeclIndex
from compiler.module.decl import Decl, DeclStatus, LifeStage, WorkKind, add_anon_created
from compiler.zir.tags import Tag

if TYPE_CHECKING:
    from compiler.module.module import Module
    from compiler.sema.values import TypedValue


def next_anon_name(m: Module, owner: Decl) -> str:
    """``{owner}__anon_{n}``; the counter never resets and skips names already taken (module.md §9.1)."""
    while True:
        name = f"{owner.name}__anon_{m.next_anon_index}"
        m.next_anon_index += 1
        if name not in m.decl_table:
            return name


def create_or_revive(m: Module, owner: Decl, data: bytes, tv: TypedValue) -> Decl:
    """The anonymous decl holding ``data`` for ``owner`` (revived if an identical one was retired)."""
    for a in m.retired_anon:
        if a.owner is owner and a.bytes == data:
            revive(m, a)
            break
    else:
        log = m.shift_log
        a = Decl(m.next_decl_index, next_anon_name(m, owner), owner.src_index, shift_log=log, epoch=len(log.boundary))
        m.next_decl_index += 1
        m.live_anon[a] = None
        a.is_anonymous = True
        a.owner = owner
        a.bytes = data
        a.contents_start = owner.contents_start
        a.typed_value = tv
        a.analysis = DeclStatus.COMPLETE
        a.generation = m.generation
        m.table_seq += 1
        a.table_seq = m.table_seq
        m.decl_table[a.name] = a
        m.counters.anon_created += 1
        if tv.ty.has_code_gen_bits() and m.allocate(a):
            a.has_bits = True
            m.work_queue.append((WorkKind.CODEGEN_DECL, a))
    add_anon_created(owner, a)
    return a


def retire(m: Module, a: Decl) -> None:
    """Remove ``a`` from the table, outdate its users, keep its linker state (module.md §9.2)."""
    if m.decl_table.get(a.name) is a:
        del m.decl_table[a.name]
    for u in list(a.dependants):
        u.dependencies.pop(a, None)
        m.mark_outdated(u, own_anon_retired=u is a.owner)
    a.dependants.clear()
    m.live_anon.pop(a, None)
    a.stage = LifeStage.RETIRED
    m.retired_anon.append(a)
    m.failed_decls.pop(a, None)


def can_replay(m: Module, owner: Decl) -> bool:
    """Whether ``owner`` is an outdated top-level ``str`` whose only anonymous decl is retired unchanged."""
    if not (owner.replayable and m.replay_enabled) or owner.analysis is not DeclStatus.OUTDATED:
        return False
    if owner.fn is not None:  # its unchanged text is a `fn`, not a `str` (and reading it would parse it again)
        return False
    sd = m.source_decl(owner)
    if sd.inst.tag is not Tag.STR or len(owner.anon_created) != 1:
        return False
    a = owner.anon_created[0]
    return a.is_retired and a.owner is owner and a.bytes == sd.inst.string("bytes")


def replay(m: Module, owner: Decl) -> bool:
    """Replay a top-level ``str`` decl (module.md §9.4): revive its anonymous decl exactly as re-analysis
    would, keep its value, generate nothing. False when the decl does not qualify (then it is re-analysed)."""
    if not can_replay(m, owner):
        return False
    a = owner.anon_created[0]
    revive(m, a)
    m.declare_dependency(owner, a)
    owner.analysis = DeclStatus.COMPLETE
    owner.generation = m.generation
    owner.replayable = False
    return True


def revive(m: Module, a: Decl) -> None:
    m.retired_anon.remove(a)
    a.stage = LifeStage.LIVE
    owner = a.owner
    assert owner is not None
    a.name = next_anon_name(m, owner)
    a.src_index = owner.src_index
    a.contents_start = owner.contents_start
    a.generation = m.generation
    a.deletion_flag = False
    m.table_seq += 1
    a.table_seq = m.table_seq
    m.decl_table[a.name] = a
    m.live_anon[a] = None
    m.counters.anon_revived += 1


def release_retired(m: Module) -> None:
    """Free every anonymous decl that was not revived this update (module.md §9.3)."""
    for a in m.retired_anon:
        if a.has_bits:
            m.linker.free_decl(DeclIndex(a.index))
            a.has_bits = False
        a.stage = LifeStage.DESTROYED
        m.counters.anon_released += 1
    m.retired_anon.clear()
