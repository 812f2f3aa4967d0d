"""The analysed type and compile-time value of each ``%`` local of a function body, for editors (lsp.md §9).

Analysis keeps a function body's per-instruction results (``Fn.local_results``) only when the Module was asked
to (``Module.record_locals``, set by the language server's editor Compilation, which keeps only the functions it
was asked about: ``Module.locals_wanted``, ``request_locals``; a CLI build keeps nothing). The
results are Sema's own map, keyed by each local's ``%`` name once the body is analysed (packed in one tuple, ``decl.pack_local_results``) (not by its ``Inst``,
which would keep the body's syntax tree alive), a runtime local's result by its type only (not its AIR
instruction, which would keep the body's AIR alive): about one dict entry per local. A query reads only the decls it names, so answering for the visible
range costs those decls, not the file. Positions stay the editor's business: a decl's facts come with the text
they were analysed from, so a caller can tell whether they still describe the decl it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from compiler.air import Constant
from compiler.module.decl import Decl, local_result_items
from compiler.sema import values as v
from compiler.sema.types import TypeTag

if TYPE_CHECKING:
    from compiler.module.module import Module

_NO_VALUE_SHOWN: Final = frozenset({TypeTag.VOID, TypeTag.NORETURN})
"""Types whose only value says nothing (``{}``) or that have none."""


@dataclass(frozen=True, slots=True)
class LocalFact:
    """One ``%name``: its analysed type, and its compile-time value when it is known (else None)."""

    name: str
    type_text: str
    value_text: str | None


@dataclass(frozen=True, slots=True)
class DeclLocals:
    """The facts of one function decl's locals and the exact text (``@`` to its closing ``)``) analysed."""

    name: str
    text: bytes
    locals: tuple[LocalFact, ...]


def value_text(val: v.Value) -> str | None:
    """A compile-time value as an editor shows it: strings rendered, a named decl as ``&@name``."""
    if isinstance(val, v.FunctionValue):
        return None  # its value is its code
    if isinstance(val, v.DeclRef):
        decl = val.decl
        if not isinstance(decl, Decl) or not decl.is_anonymous:
            return f"&@{decl.name}"
        tv = decl.typed_value
        return str(tv.val) if tv is not None and isinstance(tv.val, v.Bytes) else None
    return str(val)


def decl_locals(m: Module, names: list[str]) -> list[DeclLocals]:
    """The facts of every named decl that is a function analysed with ``record_locals`` on (others skipped)."""
    parsed = m.file.parsed
    source = m.file.source
    out: list[DeclLocals] = []
    if parsed is None or source is None:
        return out
    for name in names:
        d = m.decl_table.get(name)
        fn = None if d is None or d.is_anonymous or d.destroyed else d.fn
        if d is None or fn is None or fn.local_results is None:
            continue
        sd = m.source_decl(d)
        facts: list[LocalFact] = []
        for local, res in local_result_items(fn.local_results).items():
            if not isinstance(res, Constant):  # a runtime value: its type
                facts.append(LocalFact(local, str(res), None))
                continue
            shown = value_text(res.val) if res.ty.tag not in _NO_VALUE_SHOWN else None
            facts.append(LocalFact(local, str(res.ty), shown))
        out.append(DeclLocals(name, bytes(source[sd.name_offset : sd.contents_end]), tuple(facts)))
    return out


def request_locals(m: Module, names: list[str]) -> bool:
    """Keep the locals of the named functions from now on (``Module.locals_wanted``, when it is a set); those
    analysed without them are analysed again by the next update. Returns whether there are any (an update is
    then due). An editor asks for the functions it shows: K functions' results are kept, not N."""
    wanted = m.locals_wanted
    if wanted is None:
        return False
    for name in names:
        d = m.decl_table.get(name)
        if d is None or d.is_anonymous or d.destroyed:
            continue
        wanted.add(name)
        if d.fn is not None and d.fn.local_results is None:
            m.locals_requested.append(d)
    return bool(m.locals_requested)
