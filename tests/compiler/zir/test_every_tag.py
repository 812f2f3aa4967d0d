"""Every writable tag, with every field set to a non-default value, through parser, formatter and writer."""

from __future__ import annotations

import pytest

from compiler.zir.ast import Inst
from compiler.zir.formatter import format_source
from compiler.zir.parser import parse
from compiler.zir.tags import SCHEMAS, FieldKind, FieldSpec, Tag
from compiler.zir.writer import write_module
from tests.compiler.zir.helpers import same_decls

WRITABLE = [t for t in Tag if SCHEMAS[t].writable]


def sample(field: FieldSpec, keyword: bool) -> str:
    kind = field.kind
    if kind is FieldKind.INST:
        return "%v"
    if kind is FieldKind.INST_LIST:
        return "[%v, @g]"
    if kind is FieldKind.BODY:
        return "{\n    %" + field.name + " = breakpoint()\n  }"
    if kind is FieldKind.STR:
        return '"s\\n"'
    if kind is FieldKind.LABEL:
        return '"blk"'
    if kind is FieldKind.ENUM:
        assert field.members is not None
        return next(m for m in field.members if m != field.default)
    if kind is FieldKind.BOOL:
        return "0" if field.default else "1"
    if kind is FieldKind.USIZE:
        return "7"
    assert kind is FieldKind.BIGINT
    return "-123456789012345678901234567890"


def instruction_text(tag: Tag) -> str:
    schema = SCHEMAS[tag]
    args = [sample(f, False) for f in schema.positionals]
    args += [f"{f.name}={sample(f, True)}" for f in schema.keywords]
    return f"{tag.value}({', '.join(args)})"


def module_text(tag: Tag) -> str:
    return (
        "@f = fn(@t, {\n"
        "  %v = int(1)\n"
        "  %blk = block({\n"
        f"    %x = {instruction_text(tag)}\n"
        '    %b = breakvoid("blk")\n'
        "  })\n"
        "})\n"
    )


def test_every_writable_tag_is_covered() -> None:
    assert len(WRITABLE) == len(Tag) - 2


@pytest.mark.parametrize("tag", WRITABLE, ids=[t.value for t in WRITABLE])
def test_tag_round_trips(tag: Tag) -> None:
    source = module_text(tag).encode()
    parsed = parse(source)
    assert parsed.errors == []
    (decl,) = parsed.decls
    block = decl.inst.body("body").insts[1]
    x: Inst = block.body("body").insts[0]
    assert x.tag is tag
    schema = SCHEMAS[tag]
    assert set(x.args) == {f.name for f in schema.positionals + schema.keywords}
    for f in schema.keywords:
        assert x.args[f.name] != f.default  # every keyword was parsed, none left at its default
    formatted = format_source(source)
    assert format_source(formatted) == formatted
    assert same_decls(parse(formatted), parsed)
    written = write_module([(d.name, d.inst) for d in parsed.decls]).encode()
    reparsed = parse(written)
    assert reparsed.errors == []
    assert write_module([(d.name, d.inst) for d in reparsed.decls]).encode() == written
