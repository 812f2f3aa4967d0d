"""A generated function's syntax in a long-lived process: released, made again from its text when read.

Once a function's code is generated, `zir watch` and the language server keep neither its body nor its decl's
instruction tree (docs/design/performance.md §9.1): reading its ``SourceDecl`` parses its region again.
Readers that need only where a decl is (its instruction's ``src``, its contents' extent) read that here,
from the parser's relative record, and parse nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from compiler.zir.ast import Inst, SourceDecl
from compiler.zir.regions import DeclView
from compiler.zir.tags import Tag

if TYPE_CHECKING:
    from compiler.module.decl import Decl, Fn
    from compiler.module.module import Module


def name_and_start(decls: Sequence[SourceDecl], i: int) -> tuple[str, int]:
    """``(decls[i].name, decls[i].contents_start)``, from the parser's record when ``decls`` is a ``DeclView``."""
    if isinstance(decls, DeclView):
        rel, base = decls.record(i)
        return rel.name, base + rel.contents_start
    sd = decls[i]
    return sd.name, sd.contents_start


def diff_fields(decls: Sequence[SourceDecl], i: int) -> tuple[str, int, bytes, bool]:
    """What the diff reads of ``decls[i]``: its name, contents start and hash, and whether it is an ``export``;
    from the parser's record when ``decls`` is a ``DeclView`` and the decl is attached (no ``SourceDecl`` made)."""
    if isinstance(decls, DeclView):
        rel, base = decls.record(i)
        if rel.inst is not None:
            return rel.name, base + rel.contents_start, rel.contents_hash, rel.inst.tag is Tag.EXPORT
    sd = decls[i]
    return sd.name, sd.contents_start, sd.contents_hash, sd.inst.tag is Tag.EXPORT


def decl_src(m: Module, d: Decl) -> int:
    """``m.source_decl(d).src``: the absolute offset of the decl's instruction (just after ``tag(``)."""
    parsed = m.file.parsed
    assert parsed is not None
    decls = parsed.decls
    if isinstance(decls, DeclView):
        rel, base = decls.record(d.src_index)
        return base + rel.contents_start + rel.inst_src
    return decls[d.src_index].src


def decl_inst_and_src(m: Module, d: Decl) -> tuple[Inst, int]:
    """``(m.source_decl(d).inst, m.source_decl(d).src)`` without a ``SourceDecl`` made (a detached decl's region
    is parsed again, as ``source_decl`` would)."""
    parsed = m.file.parsed
    decls = parsed.decls if parsed is not None else None
    if isinstance(decls, DeclView):
        rel, base = decls.record(d.src_index)
        if rel.inst is not None:
            return rel.inst, base + rel.contents_start + rel.inst_src
    sd = m.source_decl(d)
    return sd.inst, sd.src


def decl_extent(m: Module, d: Decl) -> tuple[int, int]:
    """The absolute ``(contents_start, contents_end)`` of the decl (zir-language.md §4.3)."""
    parsed = m.file.parsed
    assert parsed is not None
    decls = parsed.decls
    if isinstance(decls, DeclView):
        rel, base = decls.record(d.src_index)
        return base + rel.contents_start, base + rel.contents_end
    sd = decls[d.src_index]
    return sd.contents_start, sd.contents_end


def release_generated(m: Module, d: Decl, fn: Fn) -> None:
    """Once ``fn``'s code is generated (``Module.keep_air`` off), nothing reads its AIR again (docs/design/
    performance.md §9.2); and a long-lived process (``parser.drop_bodies``) keeps neither its body nor its
    decl's instruction tree: the parser makes them again from the decl's region when they are next read, as the
    same text parses (§9.1 there)."""
    fn.air = None
    parsed = m.file.parsed
    if not m.parser.drop_bodies or d.is_anonymous or d.anon_created or parsed is None:
        return  # (a function owning strings is analysed again at every update for now: module.md §9.4)
    decls = parsed.decls
    if isinstance(decls, DeclView) and decls.detach(d.src_index, d.name):
        fn.zir_body = None
