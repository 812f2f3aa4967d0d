"""The order in which a full update numbers the anonymous decls after a one-function edit, computed from the
dependency graph without analysing anything (docs/design/module.md §9.6).

A full update whose edit is the body of one function ``F`` (nothing else changed) retires every anonymous decl
in numbering order, which queues ``analyze_decl(F)`` first and then one ``analyze_decl`` per owner, in the order
of its first anonymous decl (module.md §9.2, §13). Processing those items in FIFO order:

- an owner nothing uses any more (every user was re-analysed at decl level before its item, dropping its edges)
  waits for its first use (§13);
- a top-level ``str`` (an owner without a body) numbers its anonymous decl when analysed;
- a function analysed at decl level drops its edges and queues its ``codegen_decl``, which walks its body's
  first uses in order (module.md §9.4): its own strings are numbered there, and a waiting owner it uses is
  analysed there (a function's ``codegen_decl`` then goes to the end of the queue).

That is all that decides the numbers when the graph is ``modelable`` (checked once per full update): every
owner a function with code or a decl whose only dependencies are its own anonymous decls, no owner an export
root, no owner's type depending on an owner, and every anonymous decl used by its owner only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from compiler.module.decl import DeclStatus, FnStatus

if TYPE_CHECKING:
    from compiler.module.decl import Decl


def modelable(live_anon: Iterable[Decl], edited: Decl | None = None) -> bool:
    """Whether ``full_path_order`` gives the order of a full update for every one-function edit of this graph
    (``edited``: a function already outdated by an edit of its body, otherwise as analysed)."""
    owners: dict[Decl, None] = {}
    for a in live_anon:
        o = a.owner
        if o is None or len(a.dependants) != 1 or o not in a.dependants:
            return False  # named elsewhere (declref, export): its users would be outdated too
        owners[o] = None
    for o in owners:
        if o.is_anonymous or o.destroyed or o.is_export_root:
            return False
        if o.analysis is not DeclStatus.COMPLETE and not (o is edited and o.analysis is DeclStatus.OUTDATED):
            return False
        fn = o.fn
        if fn is None:
            if any(not (x.is_anonymous and x.owner is o) for x in o.dependencies):
                return False  # a data decl that uses other decls: its analysis could reach another owner
            continue
        if fn.analysis not in (FnStatus.SUCCESS, FnStatus.SEMA_FAILURE) or not o.has_bits or fn.header_deps < 0:
            return False
        for i, x in enumerate(o.dependencies):
            if i >= fn.header_deps:
                break
            if x.is_anonymous or x.anon_created:
                return False  # its decl-level analysis would reach an owner
        for x in o.dependencies:
            if x.is_anonymous and x.owner is not o:
                return False
    return True


class Graph:
    """What ``full_path_order`` reads of the graph, taken once for a run of edits that leave it unchanged: each
    owner's (and each edited function's) first uses of owners, own strings as None, and its users."""

    __slots__ = ("leaves", "own", "traces", "users")

    def __init__(self, owners: Iterable[Decl], edited: Iterable[Decl | None], f: Decl | None = None,
                 f_deps: Sequence[Decl] | None = None) -> None:  # fmt: skip
        own = dict.fromkeys(owners)
        self.own = own
        fns = {**own, **dict.fromkeys(g for g in edited if g is not None)}
        users = self.users = {o: len(o.dependants) for o in fns}
        self.leaves = {o: len(o.anon_created) for o in own if o.fn is None}
        self.traces: dict[Decl, list[Decl | None]] = {}
        for o in fns:
            if o in self.leaves:
                continue
            deps = f_deps if o is f and f_deps is not None else o.dependencies
            self.traces[o] = self.trace(deps)
        if f is not None and f_deps is not None:  # the users when f's dependencies were f_deps
            then = set(f_deps)
            for x in f_deps:
                if x in users and x not in f.dependencies:
                    users[x] += 1
            for x in f.dependencies:
                if x in users and x not in then:
                    users[x] -= 1

    def trace(self, deps: Iterable[Decl]) -> list[Decl | None]:
        """A body's first uses of owners, its own strings as None (modelable: no other owner's anonymous decl)."""
        own = self.own
        return [None if x.is_anonymous else x for x in deps if x.is_anonymous or x in own]

    def full_path_order(
        self, prev: Sequence[Decl], f: Decl | None, walk: list[Decl | None] | None = None
    ) -> list[Decl]:
        """The owners of the anonymous decls, one entry per anonymous decl, in the order a full update of an
        edit of ``f``'s body (None: of nothing) numbers them, given ``prev`` (the same, for the update before).
        ``walk``: the trace of ``f``'s new body when it differs from the one its decl-level analysis drops."""
        owners = dict.fromkeys(prev)
        users = self.users.copy()
        leaves, traces = self.leaves, self.traces
        waiting: set[Decl] = set(owners)
        first: tuple[Decl, ...] = ()
        if f is not None:
            waiting.add(f)
            first = (f,)
        out: list[Decl] = []
        bodies: deque[Decl] = deque()

        def analyse(o: Decl) -> None:
            waiting.discard(o)
            n = leaves.get(o)
            if n is not None:  # a top-level str: revived (numbered) by its decl-level analysis
                out.extend([o] * n)
                return
            for x in traces[o]:  # re-analysis at decl level drops the function's edges (module.md §6.1)
                if x is not None:
                    users[x] -= 1
            bodies.append(o)

        for o in (*first, *(o for o in owners if o is not f)):
            if users[o]:
                analyse(o)
            # else it waits for its first use (module.md §13)
        while bodies:
            o = bodies.popleft()
            for x in walk if o is f and walk is not None else traces[o]:
                if x is None:
                    out.append(o)  # its own string (modelable: no other owner's anonymous decl is used)
                else:
                    users[x] += 1
                    if x in waiting:
                        analyse(x)
        return out
