"""The synthetic panic routine decl ``__zirlive_panic``: created when generated code first needs it, a
dependency of every function whose code calls it, deleted with its last user (docs/design/language-complete.md
§10, docs/design/module.md §9).

It is never in the decl table, so name lookup (``declval``, ``declref``, ``export``) cannot see it, and a
source decl of the same name is a different decl.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from compiler.codegen import PANIC_NAME, generate_panic_routine
from compiler.link import DeclIndex
from compiler.module.decl import Decl, DeclStatus

if TYPE_CHECKING:
    from compiler.module.module import Module


class PanicGotOverflow(Exception):
    """The GOT has no room for the panic routine (the user's code generation fails retryably)."""


def ensure(m: Module) -> Decl:
    """The live panic decl, created (text block, local symbol, GOT slot, its fixed bytes) if needed."""
    p = m.panic_decl
    if p is not None and not p.destroyed:
        return p
    log = m.shift_log
    p = Decl(m.next_decl_index, PANIC_NAME, 0, shift_log=log, epoch=len(log.boundary))
    m.next_decl_index += 1
    p.analysis = DeclStatus.COMPLETE
    p.generation = m.generation
    if not m.allocate(p):
        raise PanicGotOverflow
    p.has_bits = True
    m.linker.update_decl(DeclIndex(p.index), PANIC_NAME, generate_panic_routine())
    m.panic_decl = p
    return p


def got_address_for(m: Module, user: Decl) -> Callable[[], int]:
    """The ``panic`` callback of code generation for ``user``: the routine's GOT address, and ``user``
    depends on the routine from now on."""

    def got_address() -> int:
        p = ensure(m)
        if p not in user.dependencies:
            m.declare_dependency(user, p)
        fn = user.fn
        if fn is not None and p not in fn.dependencies:
            # a replay of this body keeps its code, so it must declare this dependency again (module.md §9.4)
            fn.dependencies += (p,)
        return m.linker.got_address(DeclIndex(p.index))

    return got_address
