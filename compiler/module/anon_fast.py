"""Anonymous decl names without per-owner work when an edit repeats one that left their order unchanged.

Every update retires every anonymous decl and revives it under the next number, in the order the work queue
reaches its owner (module.md §9.2, §13). That order is a deterministic function of the Module's state, of the
previous order and of the edit. When a full update edited only the body of one function ``F``, ``F`` used the
same owners of anonymous decls and made the same strings, in the same sequence, as before, and the order came
out as it went in, then the next edit of ``F`` alone whose analysis again uses that sequence leaves the order
unchanged too: every anonymous decl's number moves up by the number of anonymous decls, ``F``'s own being
numbered by a real analysis at their place. Such an update retires and re-analyses only ``F``. The other
names are renumbered when something reads them (``materialize``: O(anonymous decls), once). If ``F``'s new
sequence differs, the update is redone the full way at its end (``check``). module.md §9.6.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from compiler.module.decl import Decl, DeclStatus, FnStatus
from compiler.zir.ast import decode_name
from compiler.zir.tags import Tag

if TYPE_CHECKING:
    from compiler.module.module import Module


class AnonFast:
    """Per-Module state of the fast path (module.md §9.6)."""

    __slots__ = ("active", "base", "before", "candidate", "old_deps", "slot_key", "stable",
                 "stable_fn", "stale", "tainted", "trace")  # fmt: skip

    def __init__(self) -> None:
        self.stable_fn: Decl | None = None
        """The function whose edit left the order unchanged in the last update (None: no such function)."""
        self.base = 0
        """``next_anon_index`` at the start of the last update: a live anonymous decl's number is base + rank."""
        self.stale = False
        """Fast updates renumbered the anonymous decls without renaming them yet."""
        self.slot_key = 0
        """While ``stale``: where ``stable_fn``'s anonymous decls sit among the others' ``table_seq``."""
        self.active: Decl | None = None
        """During a fast update: the edited function."""
        self.tainted = False
        """Some decl named an anonymous decl, or a source decl's name looks like one: always the full path."""
        self.candidate: Decl | None = None
        """During a full update: its edit's function when the edit qualified."""
        self.before: list[Decl] = []
        """During a full update whose edit qualified: the anonymous decls' order at its start."""
        self.trace: list[Decl | None] = []
        """The edited function's uses of owners and its own strings (None) before this update, in order."""
        self.old_deps: list[Decl] = []
        """During a fast update: the edited function's dependencies before it (its own strings left out)."""
        self.stable = False
        """The last update left the order stable for the next edit of ``stable_fn``."""


def note_name(m: Module, name: str) -> None:
    """A source decl is called ``name``, or analysis looked ``name`` up."""
    if "__anon_" in name:
        m.anon_fast.tainted = True


def note_anon_use(m: Module, user: Decl, a: Decl) -> None:
    """``user`` uses the anonymous decl ``a`` by name (``declref``, an export): a name that changes every update,
    so ``user``'s analysis depends on the numbering (even of its own strings)."""
    m.anon_fast.tainted = True


def qualifying_edit(m: Module, marked: list[Decl], other_changes: bool) -> Decl | None:
    """The edited function when this update's edit is one function's body and nothing else."""
    if m.anon_fast.tainted or other_changes or len(marked) != 1 or not m.replay_enabled or m.restored is not None:
        return None
    if m.got_overflow or m.failed_decls or m.failed_exports or m.failed_files:
        return None
    f = marked[0]
    if f.is_anonymous or f.is_export_root or f.analysis is not DeclStatus.OUTDATED or f.destroyed:
        return None
    fn = f.fn
    if fn is None or fn.performed_exports or fn.header_deps != 1 or fn.analysis is not FnStatus.SUCCESS:
        return None
    sd = m.source_decl(f)
    if sd.inst.tag is not Tag.FN:
        return None
    header = next(iter(f.dependencies), None)
    type_op = sd.inst.operand("fn_type")
    if header is None or not type_op.hidden or decode_name(type_op.string("name")) != header.name:
        return None  # the same type decl: the same type (its value did not change: nothing else was edited)
    text = (m.file.source or b"")[sd.contents_start : sd.contents_end]
    if b"__anon_" in text or b"export" in text or b"declref_str" in text:
        return None
    for x in f.dependencies:
        if x.is_anonymous and x.owner is not f:
            return None
    return f


def _trace(f: Decl) -> list[Decl | None]:
    """``f``'s uses of owners of anonymous decls and its own anonymous decls (None), in first-use order."""
    out: list[Decl | None] = []
    for x in f.dependencies:
        if x.is_anonymous:
            out.append(None if x.owner is f else x)
        elif x.anon_created:
            out.append(x)
    return out


def _same(a: list[Decl | None], b: list[Decl | None]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _key(a: Decl) -> int:
    return a.table_seq


def _order(m: Module, group: list[Decl]) -> list[Decl]:
    """The live anonymous decls in numbering order, ``group`` at the stable function's place when stale."""
    st = m.anon_fast
    if not st.stale:
        return sorted(m.live_anon, key=_key)
    owner = st.stable_fn
    skip = {id(a) for a in group}
    if owner is not None:
        skip.update(id(a) for a in owner.anon_created)
    rest = sorted((a for a in m.live_anon if id(a) not in skip), key=_key)
    at = bisect_left([a.table_seq for a in rest], st.slot_key)
    return rest[:at] + group + rest[at:]


def begin(m: Module, f: Decl | None) -> bool:
    """At the diff's end: take the fast path for the edit of ``f`` (qualifying, or None) when the last update
    left the order stable for it; only ``f``'s anonymous decls are then retired. Otherwise brings stale names
    up to date for the full path. True: fast."""
    st = m.anon_fast
    start = m.next_anon_index
    trace = _trace(f) if f is not None else []
    if f is not None and st.stable and st.stable_fn is f and _same(trace, st.trace):
        if f.anon_created:
            first = f.anon_created[0]
            if not st.stale:
                st.slot_key = first.table_seq
            m.next_anon_index = start + _number(first) - st.base  # where the full path numbers them
        st.old_deps = [x for x in f.dependencies if not (x.is_anonymous and x.owner is f)]
        st.base = start
        st.stale = True
        st.active = f
        return True
    materialize(m)
    st.base = start
    st.active = None
    st.candidate = f
    st.trace = trace
    st.before = sorted(m.live_anon, key=_key) if f is not None else []
    return False


def check(m: Module) -> None:
    """After a fast update's work: if the edited function's sequence of owners and strings changed, the full
    path would have ordered differently — redo its anonymous-decl part the full way (module.md §9.6)."""
    st = m.anon_fast
    f = st.active
    if f is None:
        return
    # A fast update's edit is one function's body (qualifying_edit): nothing deletes that function.
    assert not f.destroyed, "the edited function of a fast update was deleted"
    if _same(_trace(f), st.trace):
        return
    st.active = None
    order = _order(m, list(f.anon_created))  # the order at the update's start, f's decls at their place
    st.stale = False
    st.candidate = None  # not stable: the next edit takes the full path
    m.next_anon_index = st.base
    m.drop_dependency_edges_of(f)  # the full path re-analysed f against its previous dependencies
    for x in st.old_deps:
        if not x.destroyed:
            m.declare_dependency(f, x)
    m.mark_outdated(f)
    from compiler.module import anon

    for a in order:
        if not a.is_retired:
            anon.retire(m, a)
    m.perform_all_the_work()


def finish(m: Module) -> None:
    """At the update's end (after releases): the counter after this update's numbering, and whether the order
    is stable for the next edit of the same function."""
    st = m.anon_fast
    f = st.active
    if f is not None:
        st.active = None
        st.trace = _trace(f)
        m.next_anon_index = st.base + len(m.live_anon)
        return
    f = st.candidate
    st.candidate = None
    before, st.before = st.before, []
    after = sorted(m.live_anon, key=_key)
    st.stable = (
        f is not None
        and not f.destroyed
        and not m.failed_decls
        and _same(list(after), list(before))
        and _same(_trace(f), st.trace)
        and _contiguous(f)
    )
    st.stable_fn = f if st.stable else None
    st.trace = _trace(f) if f is not None and st.stable else []


def _contiguous(f: Decl) -> bool:
    """``f``'s anonymous decls were numbered one after another (nothing else was numbered between them)."""
    group = f.anon_created
    return all(a.table_seq == group[0].table_seq + i for i, a in enumerate(group))


def _number(a: Decl) -> int:
    return int(a.name[a.name.rindex("_") + 1 :])


def materialize(m: Module) -> None:
    """Give every anonymous decl the name of the last update's numbering (module.md §9.6), in table order."""
    st = m.anon_fast
    if not st.stale:
        return
    owner = st.stable_fn
    order = _order(m, list(owner.anon_created) if owner is not None else [])
    st.stale = False
    table = m.decl_table
    for a in order:
        if table.get(a.name) is a:
            del table[a.name]
    for i, a in enumerate(order):
        o = a.owner
        assert o is not None
        a.name = f"{o.name}__anon_{st.base + i}"
        m.table_seq += 1
        a.table_seq = m.table_seq
        table[a.name] = a
