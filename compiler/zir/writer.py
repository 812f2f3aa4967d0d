"""Zig's ``writeToStream`` printer of a ZIR module (zir-language.md §10.2), and the shared value rendering (§10.1).

The emitter builds ``Inst`` trees and calls :func:`write_module` with ``(name, inst)`` pairs in output order.
An operand that is the instruction of one of those decls prints as ``@name``; a body instruction as ``%k``
(a per-decl counter, pre-order through nested bodies); a ``declval`` that is not in the list prints as
``@`` + its name. A ``block`` printed as ``%k`` is named ``"label_k"`` by ``break``/``breakvoid``.
Liveness annotations (§10.3.4) come from an optional :class:`Annotations` object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol

from compiler.zir.ast import Body, Inst, Label, decode_name
from compiler.zir.bigint import format_decimal
from compiler.zir.tags import SCHEMAS, FieldKind, FieldSpec, Tag

_LITERAL: Final = frozenset(b" !") | frozenset(range(ord("#"), ord("[") + 1)) | frozenset(range(ord("]"), ord("~") + 1))
_ESCAPES: Final = {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x5C: "\\\\", 0x22: '\\"'}
_ARG_INDEX_FIELDS: Final = (FieldSpec("index", FieldKind.USIZE),)


def render_string(data: bytes) -> str:
    """Zig's string-literal rendering (§10.1): ``"2\\x08\\x01\\n"`` for the bytes 32 08 01 0A."""
    parts = ['"']
    for byte in data:
        if byte in _LITERAL:
            parts.append(chr(byte))
        else:
            parts.append(_ESCAPES.get(byte) or f"\\x{byte:02x}")
    parts.append('"')
    return "".join(parts)


def positional_fields(inst: Inst) -> tuple[FieldSpec, ...]:
    """The positional fields of ``inst`` (the compatibility ``arg(N)`` has the single field ``index``)."""
    if inst.is_arg_index_form:
        return _ARG_INDEX_FIELDS
    return SCHEMAS[inst.tag].positionals


class Annotations(Protocol):
    """Liveness annotations for the writer (zir-language.md §10.3.4)."""

    def deaths(self, inst: Inst) -> int | None:
        """The death mask printed as `` ; deaths=0b…`` after body instruction ``inst``, or None for none."""
        ...

    def entry_deaths(self, condbr: Inst, branch: str) -> Sequence[Inst]:
        """Operands dying on entry to ``condbr``'s ``then_body``/``else_body`` (the ``; deaths={…}`` line)."""
        ...


class _Writer:
    """Prints one module; ``decl_names`` maps each top-level instruction to its decl name."""

    __slots__ = ("annotations", "decl_names", "indent", "labels", "numbers", "out")

    def __init__(self, decls: Sequence[tuple[str, Inst]], annotations: Annotations | None) -> None:
        self.decl_names: dict[Inst, str] = {inst: name for name, inst in decls}
        self.annotations = annotations
        self.numbers: dict[Inst, int] = {}
        self.labels: dict[Inst, str] = {}
        self.indent = 2
        self.out: list[str] = []

    def module(self, decls: Sequence[tuple[str, Inst]]) -> str:
        for name, inst in decls:
            self.numbers = {}
            self.labels = {}
            self.indent = 2
            self.out.append(f"@{name} ")
            self.inst(inst)
            self.out.append("\n")
        return "".join(self.out)

    def inst(self, inst: Inst) -> None:
        out = self.out
        out.append(f"= {inst.tag.value}(")
        first = True
        for field in positional_fields(inst):
            if not first:
                out.append(", ")
            first = False
            self.value(field, inst.args[field.name])
        for field in SCHEMAS[inst.tag].keywords if not inst.is_arg_index_form else ():
            value = inst.args[field.name]
            if field.optional and value is None:
                continue
            if not first:
                out.append(", ")
            first = False
            out.append(f"{field.name}=")
            self.value(field, value)
        out.append(")")

    def value(self, field: FieldSpec, value: object) -> None:
        out = self.out
        kind = field.kind
        if kind is FieldKind.INST:
            assert isinstance(value, Inst)
            out.append(self.operand(value))
        elif kind is FieldKind.INST_LIST:
            assert isinstance(value, list)
            out.append("[" + ", ".join(self.operand(i) for i in value) + "]")
        elif kind is FieldKind.BODY:
            assert isinstance(value, Body)
            self.body(value)
        elif kind is FieldKind.STR:
            assert isinstance(value, bytes)
            out.append(render_string(value))
        elif kind is FieldKind.LABEL:
            assert isinstance(value, Label)
            label = self.labels.get(value.block)
            out.append(render_string(label.encode("utf-8", "surrogateescape") if label is not None else value.text))
        elif kind is FieldKind.BOOL:
            out.append("1" if value else "0")
        elif kind is FieldKind.ENUM:
            assert isinstance(value, str)
            out.append(value)
        elif kind is FieldKind.USIZE or kind is FieldKind.BIGINT:
            assert isinstance(value, int)
            out.append(format_decimal(value))
        else:
            raise AssertionError(f"{kind} values are never printed")  # const / declval_in_module

    def operand(self, inst: Inst) -> str:
        number = self.numbers.get(inst)
        if number is not None:
            return f"%{number}"
        name = self.decl_names.get(inst)
        if name is not None:
            return f"@{name}"
        if inst.tag is Tag.DECLVAL:
            return "@" + decode_name(inst.string("name"))
        return f"?{inst.tag.value}?"

    def body(self, body: Body, entry_deaths: Sequence[Inst] = ()) -> None:
        out = self.out
        pad = " " * self.indent
        out.append("{\n")
        if entry_deaths:
            out.append(pad + "; deaths={" + ", ".join(self.operand(i) for i in entry_deaths) + "}\n")
        for inst in body.insts:
            k = len(self.numbers)
            self.numbers[inst] = k
            if inst.tag is Tag.BLOCK:
                self.labels[inst] = f"label_{k}"
            out.append(f"{pad}%{k} ")
            self.indent += 2
            if inst.tag is Tag.CONDBR and self.annotations is not None:
                self.condbr(inst)
            else:
                self.inst(inst)
            self.indent -= 2
            mask = self.annotations.deaths(inst) if self.annotations is not None else None
            if mask is not None:
                out.append(f" ; deaths=0b{mask:b}")
            out.append("\n")
        out.append(" " * (self.indent - 2) + "}")

    def condbr(self, inst: Inst) -> None:
        """``condbr`` with the branch-entry deaths lines of the annotations."""
        assert self.annotations is not None
        out = self.out
        out.append(f"= {inst.tag.value}({self.operand(inst.operand('condition'))}, ")
        self.body(inst.body("then_body"), self.annotations.entry_deaths(inst, "then_body"))
        out.append(", ")
        self.body(inst.body("else_body"), self.annotations.entry_deaths(inst, "else_body"))
        out.append(")")


def write_module(decls: Sequence[tuple[str, Inst]], annotations: Annotations | None = None) -> str:
    """The text of ``decls`` as Zig's ``writeToStream`` prints it (one ``@name = …`` line per decl).

    Names are ``decode_name`` strings; encode the result with ``encode_name``'s codec
    (``"utf-8", "surrogateescape"``) to get the exact bytes.
    """
    return _Writer(decls, annotations).module(decls)
