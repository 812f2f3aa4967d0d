"""Anonymous decl names without per-owner work when an update edits one function's body or nothing (module.md §9.6).

Every update retires every anonymous decl and revives it under the next number, in the order the work queue
reaches its owner (module.md §9.2, §13). After an edit of one function ``F``'s body and nothing else, that order
is a deterministic function of the previous order and of the dependency graph, which the edit leaves as it was
when ``F``'s analysis uses the same owners and makes the same strings in the same sequence as before
(``module/anon_order.py`` computes it). Such an update retires and re-analyses only ``F``; the edit joins a list
of pending edits, and the names are brought up to date when something reads them (``materialize``: the orders
of the pending edits, one after another, O(anonymous decls) each). If ``F``'s new sequence differs, the update
is redone the full way at its end (``check``). module.md §9.6.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from compiler.module import anon_order
from compiler.module.decl import Decl, DeclStatus, FnStatus
from compiler.zir.ast import decode_name
from compiler.zir.tags import Tag

if TYPE_CHECKING:
    from compiler.module.module import Module

PENDING_LIMIT = 64
"""Pending edits of different functions after which a fast update brings the names up to date at its end (their
cost stays bounded when nothing reads the names for a long time)."""


class AnonFast:
    """Per-Module state of the fast path (module.md §9.6)."""

    __slots__ = ("active", "base", "fast", "modelable", "old_deps", "order", "pending", "renumbered", "runs",
                 "snapshot_due", "tainted", "trace")  # fmt: skip

    def __init__(self) -> None:
        self.base = 0
        """``next_anon_index`` at the start of the last update: a live anonymous decl's number is base + rank."""
        self.order: list[Decl] = []
        """The owners of the live anonymous decls, one entry per decl, in the numbering order of the last update
        whose names are up to date (before the pending edits)."""
        self.pending: list[Decl | None] = []
        """The functions edited by fast updates since, in order, None for an update that changed nothing (the
        names are stale while it is not empty)."""
        self.runs = 0
        """Runs of equal functions in ``pending``."""
        self.modelable = False
        """The graph after the last full update is one ``anon_order.full_path_order`` models."""
        self.fast = False
        """This update takes the fast path."""
        self.snapshot_due = False
        """``order`` and ``modelable`` are still to be taken from the last full update's state (``_snapshot``)."""
        self.renumbered = False
        """This fast update changed its function's owners or strings and named every anonymous decl at once."""
        self.active: Decl | None = None
        """During a fast update: the edited function (None: the update changed nothing)."""
        self.tainted = False
        """Some decl named an anonymous decl, or a source decl's name looks like one: always the full path."""
        self.trace: list[Decl | None] = []
        """During a fast update: the edited function's uses of owners and its own strings (None) before it."""
        self.old_deps: list[Decl] = []
        """During a fast update: the edited function's dependencies before it."""

    @property
    def stale(self) -> bool:
        """Fast updates renumbered the anonymous decls without renaming them yet."""
        return bool(self.pending)


def note_name(m: Module, name: str) -> None:
    """A source decl is called ``name``, or analysis looked ``name`` up."""
    if "__anon_" in name:
        m.anon_fast.tainted = True


def note_anon_named(m: Module) -> None:
    """A decl names an anonymous decl (``declref``, an export): a name that changes every update, so that decl's
    analysis depends on the numbering (even of its own strings)."""
    m.anon_fast.tainted = True


def qualifying_edit(m: Module, marked: list[Decl], other_changes: bool) -> tuple[bool, Decl | None]:
    """Whether this update's edit is one function's body and nothing else, or nothing at all; and that
    function (None: nothing changed)."""
    if m.anon_fast.tainted or other_changes or len(marked) > 1 or not m.replay_enabled or m.restored is not None:
        return False, None
    if m.comptime_callers:  # a compile-time call re-analyses its caller and numbers its strings there: not modelled
        return False, None
    if m.got_overflow or m.failed_decls or m.failed_exports or m.failed_files or m.locals_requested:
        return False, None  # (a function whose locals an editor asked for is analysed again: module/local_types.py)
    if not marked:
        return True, None
    f = _qualifying_function(m, marked[0])
    return f is not None, f


def _qualifying_function(m: Module, f: Decl) -> Decl | None:
    if f.is_anonymous or f.is_export_root or f.analysis is not DeclStatus.OUTDATED or f.destroyed:
        return None
    fn = f.fn
    if fn is None or fn.performed_exports or fn.header_deps != 1 or fn.analysis not in _BODY_DONE:
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
    table = m.decl_table
    for raw in _USES.findall(text):
        d = table.get(decode_name(raw))
        if d is not f and (d is None or d.analysis is not DeclStatus.COMPLETE):
            return None  # f's analysis would analyse it (or fail to find it): other decls' strings are numbered
    for x in f.dependencies:
        if x.is_anonymous and x.owner is not f:
            return None
    return f


_USES: Final = re.compile(rb"@([^ \n\t\r,)\]]*)")
"""A decl named in a body (the parser's operand syntax; a name inside a string only errs on the safe side)."""
_BODY_DONE: Final = (FnStatus.SUCCESS, FnStatus.SEMA_FAILURE)
"""A function body analysed to its end or to its first error."""


def body_failure(d: Decl) -> bool:
    """``d``'s only failure is in its function body: the full path analyses it again and stops at the same
    place, having used the same owners and made the same strings (module.md §9.6)."""
    fn = d.fn
    return fn is not None and fn.analysis is FnStatus.SEMA_FAILURE and d.analysis is DeclStatus.COMPLETE


def _trace(f: Decl) -> list[Decl | None]:
    """``f``'s uses of owners of anonymous decls and its own anonymous decls (None), in first-use order."""
    out: list[Decl | None] = []
    for x in f.dependencies:
        if x.is_anonymous:
            out.append(None if x.owner is f else x)
        elif x.anon_created:
            out.append(x)
    return out


def _same(a: list[Decl | None] | list[Decl], b: list[Decl | None] | list[Decl]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _key(a: Decl) -> int:
    return a.table_seq


def begin(m: Module, qualifies: bool, f: Decl | None) -> bool:
    """At the diff's end: take the fast path for a qualifying edit of ``f`` (None: no change) when the last full
    update left a graph whose order ``anon_order`` models; only ``f``'s anonymous decls are then retired.
    Otherwise brings stale names up to date for the full path. True: fast."""
    st = m.anon_fast
    start = m.next_anon_index
    if qualifies and st.modelable and (not st.snapshot_due or _snapshot(m, f)):
        st.old_deps = list(f.dependencies) if f is not None else []
        st.trace = _trace(f) if f is not None else []
        if not st.pending or st.pending[-1] is not f:
            st.runs += 1
        st.pending.append(f)
        st.base = start  # f's strings are numbered from here for now (above every stale name), renamed later
        st.active = f
        st.fast = True
        return True
    materialize(m)
    st.base = start
    st.active = None
    st.fast = False
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
    st.pending.pop()  # this update's edit: renumbered now, or redone below
    if _renumber_now(m, f):
        return
    st.active = None
    st.fast = False
    new_own = list(f.anon_created)
    m.drop_dependency_edges_of(f)  # the full path re-analyses f against its previous dependencies
    for x in st.old_deps:
        if not x.destroyed and not (x.is_anonymous and x.owner is f):
            m.declare_dependency(f, x)
    owners = _pending_order(m, f, st.old_deps)  # the order at the update's start
    order: list[Decl] = []
    taken: dict[Decl, int] = {}
    for o in owners:
        if o is f:
            if f not in taken:
                taken[f] = 0
                order += new_own  # its decls now, at its place
            continue
        k = taken.get(o, 0)
        taken[o] = k + 1
        order.append(o.anon_created[k])
    if f not in taken:
        order += new_own
    listed = {id(a) for a in order}
    # decls first made by this update's analysis of f (an owner it started to use): after the others
    order += sorted((a for a in m.live_anon if id(a) not in listed), key=_key)
    st.pending.clear()
    st.runs = 0
    m.next_anon_index = st.base
    m.mark_outdated(f)
    from compiler.module import anon

    for a in order:
        if not a.is_retired and not a.destroyed:
            anon.retire(m, a)
    m.perform_all_the_work()


def _renumber_now(m: Module, f: Decl) -> bool:
    """The edit changed which owners ``f`` uses or how many strings it makes, but analysed nothing else: the
    graph is the one before with ``f``'s new dependencies, and the full path's order is the model's with ``f``'s
    edges dropped as they were and its new body walked. Numbers every anonymous decl now (O(anonymous decls),
    no analysis); False when the model does not cover the change (then the update is redone the full way)."""
    st = m.anon_fast
    if m.counters.decls_analyzed != 1 or m.failed_exports or m.got_overflow:
        return False  # another decl analysed: one newly referenced, whose strings the model does not know
    if any(d is not f or not body_failure(d) for d in m.failed_decls):
        return False  # (a failure of f's body stops its walk where the full path's analysis stops too)
    before = _pending_order(m, f, st.old_deps)  # the order at the update's start
    graph = anon_order.Graph(before, (f,), f, st.old_deps)
    now = f.dependencies
    for x in now:
        if x.is_anonymous and x.owner is not f:
            return False
        if not x.is_anonymous and x.anon_created and x not in graph.own:
            return False  # (cannot happen with nothing else analysed: an owner it did not know)
    order = graph.full_path_order(before, f, graph.trace(now))
    counts: dict[Decl, int] = {}
    for o in order:
        counts[o] = counts.get(o, 0) + 1
    if any(len(o.anon_created) != k for o, k in counts.items()):
        return False
    for o in graph.own:
        if o is not f and o not in counts and (o.dependants or o.is_export_root):
            return False  # (an owner the full path leaves waiting is one only f used: it is deleted now too)
    st.pending.clear()  # the pending edits' orders are in ``before``
    st.runs = 0
    st.order = order
    _rename(m, order, every=False)  # the owners left out are deleted at this update's end, with their strings
    st.renumbered = True
    return True


def finish(m: Module) -> None:
    """At the update's end (after releases): the counter after this update's numbering; after a full update,
    its order and whether the next one-function edit may take the fast path."""
    st = m.anon_fast
    if st.fast and not st.renumbered:
        st.active = None
        st.fast = False
        m.next_anon_index = st.base + len(m.live_anon)
        if st.runs > PENDING_LIMIT:
            materialize(m)
        return
    if st.renumbered:  # every decl it numbered was named then (some may have been deleted since)
        m.next_anon_index = st.base + len(st.order)
    st.active = None
    st.fast = False
    st.renumbered = False
    st.pending.clear()
    st.runs = 0
    st.modelable = (
        not st.tainted and all(body_failure(d) for d in m.failed_decls) and not m.failed_exports and not m.got_overflow
    )
    st.snapshot_due = st.modelable  # the order and the graph's check: at the next qualifying edit (a one-shot
    # build never pays them)


def _snapshot(m: Module, f: Decl | None) -> bool:
    """The order the last full update left (its names are up to date: table order) and whether the model
    covers its graph, taken when the next update qualifies (only ``f`` changed since, by its text)."""
    st = m.anon_fast
    st.snapshot_due = False
    live = m.live_anon
    st.order = [a.owner for a in sorted(live, key=_key) if a.owner is not None]
    st.modelable = len(st.order) == len(live) and anon_order.modelable(live, f)
    return st.modelable


def _pending_order(m: Module, f: Decl | None = None, f_deps: list[Decl] | None = None) -> list[Decl]:
    """The owners in the numbering order after the pending edits (``f_deps``: ``f``'s dependencies then)."""
    st = m.anon_fast
    order = st.order
    graph = anon_order.Graph(order, st.pending, f, f_deps)
    last: Decl | None = None
    fixed = False
    for g in st.pending:
        if g is last and fixed:
            continue  # the same edit again from the order it left unchanged
        new = graph.full_path_order(order, g)
        fixed = _same(new, order)
        order, last = new, g
    return order


def before_delete(m: Module) -> None:
    """A decl is about to be deleted: the pending edits' orders need the graph as it was, so the names are
    brought up to date now. In a fast update, every anonymous decl of that order was numbered, including those
    this deletion takes (a full update numbers them before deleting them)."""
    st = m.anon_fast
    if st.pending:
        materialize(m)
        if st.fast:
            st.renumbered = True


def materialize(m: Module) -> None:
    """Give every anonymous decl the name of the last update's numbering (module.md §9.6), in table order."""
    st = m.anon_fast
    if not st.pending:
        return
    owners = _pending_order(m)
    st.pending.clear()
    st.runs = 0
    st.order = owners
    _rename(m, owners)


def _rename(m: Module, owners: list[Decl], *, every: bool = True) -> None:
    """Name the anonymous decls of ``owners`` (one entry per decl) base, base + 1, … in that order (``every``:
    they are all the live ones)."""
    order: list[Decl] = []
    taken: dict[Decl, int] = {}
    for o in owners:
        k = taken.get(o, 0)
        taken[o] = k + 1
        order.append(o.anon_created[k])
    assert not every or len(order) == len(m.live_anon), "the modelled order numbers every live anonymous decl"
    table = m.decl_table
    for a in order:
        if table.get(a.name) is a:
            del table[a.name]
    base = m.anon_fast.base
    for i, (a, o) in enumerate(zip(order, owners, strict=True)):
        a.name = f"{o.name}__anon_{base + i}"
        m.table_seq += 1
        a.table_seq = m.table_seq
        table[a.name] = a
