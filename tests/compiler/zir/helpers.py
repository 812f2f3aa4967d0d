"""Shared helpers of the ZIR front-end tests: error rendering as ``:LINE:COL: error: MSG``."""

from __future__ import annotations

from compiler.source import LineIndex
from compiler.zir.ast import ParsedFile


def rendered(source: bytes, parsed: ParsedFile) -> list[str]:
    """The parse errors of ``parsed`` rendered 1-based, as the example cases spell them."""
    index = LineIndex(source)
    out = []
    for error in parsed.errors:
        line, col = index.position(error.byte_offset)
        out.append(f":{line + 1}:{col + 1}: error: {error.msg}")
    return out


def normalize_compat(parsed: ParsedFile) -> ParsedFile:
    """Rewrites, in place, each ``arg(N)`` that the formatter prints as ``arg("name")`` into that form."""
    from compiler.zir.ast import Body, Inst
    from compiler.zir.tags import Tag

    def visit(inst: Inst) -> None:
        for value in inst.args.values():
            if isinstance(value, Body):
                if inst.tag is Tag.FN:
                    for k, arg in enumerate(value.insts):
                        if arg.tag is not Tag.ARG:
                            break
                        if arg.is_arg_index_form and arg.args["index"] == k:
                            assert arg.name is not None
                            arg.args = {"name": arg.name.encode("utf-8", "surrogateescape")}
                for child in value.insts:
                    visit(child)

    for decl in parsed.decls:
        visit(decl.inst)
    return parsed


def same_decls(a: ParsedFile, b: ParsedFile) -> bool:
    """Same decls in the same order, structurally (offsets ignored)."""
    from compiler.zir.ast import structurally_equal

    return len(a.decls) == len(b.decls) and all(structurally_equal(x, y) for x, y in zip(a.decls, b.decls, strict=True))
