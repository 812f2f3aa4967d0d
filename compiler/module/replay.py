"""Replaying function bodies that only lost their own strings, instead of re-analysing them (module.md §9.4)."""

from __future__ import annotations

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
            if not anon.can_replay(m, x):
                return False
        elif x.analysis not in USABLE_STATUSES or x.value_changed_generation == m.generation:
            return False
    for x in old.dependencies:
        if x in own:
            anon.revive(m, x)
            add_anon_created(d, x)
        elif x.analysis is DeclStatus.OUTDATED:
            m.ensure_decl_analyzed(x)  # a string decl: replayed at the point the body would use it
        m.declare_dependency(d, x)
    fn.air = old.air
    fn.local_results = old.local_results  # the same body and results (module/local_types.py)
    fn.dependencies = old.dependencies
    fn.analysis = FnStatus.SUCCESS
    return True
