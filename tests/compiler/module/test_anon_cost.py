"""What an edit costs in a program where many functions hold a ``str`` (docs/design/module.md §9.2, §9.4).

The program is bench/shapes.py's ``strings`` shape: a chain ``f{i}`` calls ``f{i-1}``, every function also
holding a ``str``; the edit changes the width of one constant in ``f{N/2}``."""

from __future__ import annotations

from bench.shapes import STRINGS, ShapeProgram, edited_constant
from tests.compiler.module.util import Session


def _edited_session(n: int, edits: int) -> tuple[Session, Session, list[dict[str, int]]]:
    """A replaying and a re-analysing session after a full build and ``edits`` edits (checked equal)."""
    prog = ShapeProgram(STRINGS, n)
    replaying, analysing = Session(prog.source().decode()), Session(prog.source().decode())
    analysing.comp.module.replay_enabled = False
    replaying.update()
    analysing.update()
    counters = []
    for k in range(edits):
        prog.edited_constant = edited_constant(k)
        text = prog.source().decode()
        counters.append(dict(replaying.update(text).counters))
        analysing.update(text)
        assert replaying.errors() == analysing.errors() == []
        # replay is invisible: the same anonymous decl names as re-analysing every owner (module.md §9.4)
        assert replaying.emit() == analysing.emit()
    return replaying, analysing, counters


def test_untouched_string_owners_in_a_chain_are_replayed_not_analysed() -> None:
    # Re-analysing a caller drops its edges, so its callee waits for its first use (the caller's body); the
    # replayed body analyses it there, as a real analysis would, instead of giving up and analysing itself.
    for n in (10, 200):
        _, _, counters = _edited_session(n, 3)
        for c in counters:
            assert (c["fn_bodies_analyzed"], c["decls_generated"]) == (1, 1), (n, c)
            assert c["anon_created"] == 0 and c["anon_released"] == 0
