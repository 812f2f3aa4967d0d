"""Replaying function bodies that only lost their own strings, instead of re-analysing them (module.md §9.4)."""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from compiler.module import anon
from compiler.module.decl import USABLE_STATUSES, DeclStatus, FnStatus, add_anon_created

if TYPE_CHECKING:
    from compiler.module.decl import Decl, Fn
    from compiler.module.module import Module


def body_replay_source(d: Decl) -> Fn | None:
    """The analysed Fn whose body a re-analysis of ``d`` may replay (it only lost its own strings)."""
    fn = d.fn
    if fn is None or fn.analysis is not FnStatus.SUCCESS or fn.performed_exports:
        return None  # (its AIR may be gone after code generation: Module.keep_air; the code is what is kept)
    return fn


def replay_body(m: Module, d: Decl, fn: Fn) -> bool:
    """module.md §9.4: when every decl the previous body used is unchanged, walk its first uses in order —
    reviving its own anonymous decls, replaying outdated string decls it uses — exactly as a re-analysis
    would (same names), and keep its AIR and machine code. False (nothing done): analyse the body."""
    old = fn.replay_from
    fn.replay_from = None
    assert old is not None
    own = set(d.replay_anon)
    d.replay_anon = ()
    for x in old.dependencies:
        if x in own:
            if not (x.is_retired and x.owner is d and not x.destroyed):
                return False
        elif x.destroyed or x.is_retired:
            return False
        elif x.analysis is DeclStatus.OUTDATED:
            if d in m.comptime_callers.get(x, ()):  # it ran x's body, which may have changed
                return False
            if not (anon.can_replay(m, x) or same_header(m, x)):
                return False
        elif x.analysis not in USABLE_STATUSES or x.value_changed_generation == m.generation:
            return False
    for x in old.dependencies:
        if x in own:
            anon.revive(m, x)
            add_anon_created(d, x)
            m.declare_dependency(d, x)
        elif x.analysis is DeclStatus.OUTDATED:
            # a string decl, or a function that only lost its own strings: analysed at the point the body
            # would use it, as the body's analysis would (the dependency first, then the analysis: module.md §7)
            m.declare_dependency(d, x)
            m.ensure_decl_analyzed(x)
        else:
            m.declare_dependency(d, x)
    fn.air = old.air
    fn.local_results = old.local_results  # the same body and results (module/local_types.py)
    fn.dependencies = old.dependencies
    fn.analysis = FnStatus.SUCCESS
    return True


def same_header(m: Module, x: Decl) -> bool:
    """Whether the outdated function ``x`` only lost its own strings and every decl its type was analysed
    against is unchanged: its decl-level analysis then gives the same type, cannot fail and creates no
    anonymous decl, so a body that uses it may still be replayed (its use analyses ``x`` where the body's
    analysis would: a caller's re-analysis drops its edges, so ``x`` waits for its first use)."""
    if not (x.replayable and m.replay_enabled):
        return False
    fn = x.fn
    if fn is None or fn.header_deps < 0 or fn.header_deps > len(x.dependencies):
        return False
    gen = m.generation
    for h in islice(x.dependencies, fn.header_deps):
        if h.destroyed or h.is_retired or h.analysis not in USABLE_STATUSES or h.value_changed_generation == gen:
            return False
    return True
