"""The source formatter of ``zir fmt`` and LSP formatting: canonical layout and spelling (zir-language.md §10.4)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Final

from compiler.errors import ErrorMsg
from compiler.zir.ast import Body, Inst, Label, SourceDecl, decode_name, encode_name
from compiler.zir.bigint import format_decimal
from compiler.zir.parser import Trivia, parse_with_trivia
from compiler.zir.tags import SCHEMAS, FieldKind, FieldSpec, Tag
from compiler.zir.writer import positional_fields, render_string

MAX_COLUMNS: Final = 100
"""An instruction with keyword arguments whose one-line form is longer than this is broken (§10.4 rule 4)."""


class ParseErrors(Exception):
    """The file does not parse, so it is not formatted; ``errors`` are the parse errors (absolute offsets)."""

    def __init__(self, errors: list[ErrorMsg]) -> None:
        super().__init__(f"{len(errors)} parse error(s)")
        self.errors = errors


def format_result(source: bytes) -> bytes | list[ErrorMsg]:
    """The canonical form of ``source``, or its parse errors when it does not parse.

    Bytes after a NUL (which ends the input, zir-language.md §2.1) are kept unchanged after the NUL.
    """
    nul = source.find(b"\0")
    content, tail = (source, b"") if nul < 0 else (source[:nul], source[nul:])
    parsed, trivia = parse_with_trivia(content)
    if parsed.errors:
        return parsed.errors
    return _Formatter(content, trivia).file(parsed.decls) + tail


def format_source(source: bytes) -> bytes:
    """The canonical form of ``source``; raises :class:`ParseErrors` when it does not parse."""
    result = format_result(source)
    if isinstance(result, list):
        raise ParseErrors(result)
    return result


def format_unit(window: bytes, length: int, decls: Sequence[SourceDecl], trivia: Trivia, last: bool) -> bytes:
    """The formatted text of one parsed span ``window[:length]`` (a *unit*, ``incremental_format.py``), offsets
    in ``window``: its lines, then the blank line that separates it from the next unit when its tail holds one.

    A file's canonical form is the concatenation of its units' texts: a unit's first item is a decl at its first
    byte (or, for the unit at offset 0, whatever comes first), so the only thing its formatting takes from the
    unit before is whether a blank line separates them, and that is read from the earlier unit's own tail."""
    elements: list[_Element] = [
        (decl.name_offset, decl.contents_end, decl.inst, f"@{decl.name} = ", False) for decl in decls
    ]
    lines = _Formatter(window, trivia).sequence(elements, 0, length, 0)
    text = "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")
    # the end of the unit's last item: body comments end inside their decl, so the maximum is a top-level one
    ends = [decl.contents_end for decl in decls[-1:]] + [end for _, end in trivia.comments[-1:]]
    if not last and ends and window.count(b"\n", max(ends), length) >= 2:
        text += b"\n"
    return text


_Element = tuple[int, int, Inst, str, bool]
"""(start offset, end offset, instruction, head ``@name = ``/``%name = ``, print ``arg(N)`` as named)."""


class _Formatter:
    """Prints the decls of one parsed file with the comments and blank lines found between them."""

    __slots__ = ("comment_starts", "comments", "source", "trivia")

    def __init__(self, source: bytes, trivia: Trivia) -> None:
        self.source = source
        self.trivia = trivia
        self.comments = trivia.comments
        self.comment_starts = [start for start, _ in trivia.comments]

    def file(self, decls: Sequence[SourceDecl]) -> bytes:
        elements: list[_Element] = [
            (decl.name_offset, decl.contents_end, decl.inst, f"@{decl.name} = ", False) for decl in decls
        ]
        lines = self.sequence(elements, 0, len(self.source), 0)
        if not lines:
            return b""
        return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")

    # ---------------------------------------------------------------- sequences with comments

    def sequence(self, elements: list[_Element], lo: int, hi: int, indent: int) -> list[str]:
        """Lines of ``elements`` (in order, all inside ``[lo, hi)``) with the comments between them."""
        source = self.source
        pad = " " * indent
        lines: list[str] = []
        prev_end: int | None = None  # end of the previous element or own-line comment
        prev_is_element = False

        def gap_comments(start: int, end: int) -> None:
            nonlocal prev_end, prev_is_element
            k = bisect.bisect_left(self.comment_starts, start)
            while k < len(self.comments) and self.comments[k][0] < end:
                c_start, c_end = self.comments[k]
                k += 1
                text = source[c_start + 1 : c_end].rstrip(b"\r").decode("utf-8", "surrogateescape")
                if prev_is_element and prev_end is not None and b"\n" not in source[prev_end:c_start]:
                    if text:
                        lines[-1] += " ;" + text
                else:
                    if prev_end is not None and source.count(b"\n", prev_end, c_start) >= 2:
                        lines.append("")
                    lines.append(pad + ";" + text)
                prev_end = c_end
                prev_is_element = False

        for start, end, inst, head, as_named_arg in elements:
            gap_comments(prev_end if prev_end is not None else lo, start)
            if prev_end is not None and source.count(b"\n", prev_end, start) >= 2:
                lines.append("")
            lines.extend(self.inst_lines(inst, indent, head, as_named_arg))
            prev_end = end
            prev_is_element = True
        gap_comments(prev_end if prev_end is not None else lo, hi)
        return lines

    # ---------------------------------------------------------------- instructions

    def inst_lines(self, inst: Inst, indent: int, head: str, as_named_arg: bool) -> list[str]:
        """The lines of ``head`` + ``inst`` at ``indent``; ``as_named_arg`` prints ``arg(N)`` as ``arg("name")``."""
        pad = " " * indent
        if as_named_arg:
            assert inst.name is not None
            positionals = [render_string(encode_name(inst.name))]
        else:
            positionals = [self.value(f, inst.args[f.name], inst, indent) for f in positional_fields(inst)]
        keywords: list[str] = []
        if not inst.is_arg_index_form:
            for field in SCHEMAS[inst.tag].keywords:
                value = inst.args[field.name]
                if _is_default(field, value):
                    continue
                keywords.append(f"{field.name}={self.value(field, value, inst, indent)}")
        start = f"{pad}{head}{inst.tag.value}("
        one_line = start + ", ".join(positionals + keywords) + ")"
        if not keywords or len(one_line) <= MAX_COLUMNS:
            return one_line.split("\n")
        lines = (start + ", ".join(positionals) + ",").split("\n")
        kw_pad = " " * (indent + 2)
        lines.extend(f"{kw_pad}{kw}," for kw in keywords[:-1])
        lines.append(f"{kw_pad}{keywords[-1]})")
        return lines

    def value(self, field: FieldSpec, value: object, inst: Inst, indent: int) -> str:
        kind = field.kind
        if kind is FieldKind.INST:
            assert isinstance(value, Inst)
            return _operand(value)
        if kind is FieldKind.INST_LIST:
            assert isinstance(value, list)
            return "[" + ", ".join(_operand(i) for i in value) + "]"
        if kind is FieldKind.BODY:
            assert isinstance(value, Body)
            return self.body(value, indent, is_fn_body=inst.tag is Tag.FN)
        if kind is FieldKind.STR:
            assert isinstance(value, bytes)
            return render_string(value)
        if kind is FieldKind.LABEL:
            assert isinstance(value, Label)
            return render_string(value.text)
        if kind is FieldKind.BOOL:
            return "1" if value else "0"
        if kind is FieldKind.ENUM:
            assert isinstance(value, str)
            return value
        assert isinstance(value, int) and kind in (FieldKind.USIZE, FieldKind.BIGINT), kind
        return format_decimal(value)

    def body(self, body: Body, indent: int, is_fn_body: bool) -> str:
        """``{`` newline, the instructions and comments indented by 2 more, ``}`` at ``indent``."""
        named_args: set[Inst] = set()
        if is_fn_body:
            for k, inst in enumerate(body.insts):
                if inst.tag is not Tag.ARG:
                    break
                if inst.is_arg_index_form and inst.args["index"] == k:
                    named_args.add(inst)
        elements: list[_Element] = [
            (*self.trivia.inst_extents[inst], inst, f"%{inst.name} = ", inst in named_args) for inst in body.insts
        ]
        open_at, close_at = self.trivia.body_extents[body]
        lines = self.sequence(elements, open_at + 1, close_at, indent + 2)
        return "{\n" + "".join(line + "\n" for line in lines) + " " * indent + "}"


def _operand(inst: Inst) -> str:
    if inst.hidden:
        return "@" + decode_name(inst.string("name"))
    assert inst.name is not None
    return "%" + inst.name


def _is_default(field: FieldSpec, value: object) -> bool:
    if field.kind is FieldKind.INST_LIST:
        return value == []
    if field.optional:
        return value is None
    return value == field.default and type(value) is type(field.default)
