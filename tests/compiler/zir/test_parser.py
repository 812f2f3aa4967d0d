"""The parsed data model: operands, relative positions, compatibility forms, labels, whitespace and EOF rules."""

from __future__ import annotations

import hashlib

from compiler.zir.ast import Body, Inst, Label, structurally_equal
from compiler.zir.parser import parse
from compiler.zir.tags import SCHEMAS, Tag


def only_decl(source: bytes) -> tuple[str, Inst, int]:
    parsed = parse(source)
    assert parsed.errors == []
    assert len(parsed.decls) == 1
    d = parsed.decls[0]
    return d.name, d.inst, d.contents_start


def fn_body(source: bytes) -> list[Inst]:
    _, inst, _ = only_decl(source)
    assert inst.tag is Tag.FN
    return inst.body("body").insts


def test_every_tag_has_a_schema_and_only_const_and_declval_in_module_are_not_writable() -> None:
    assert set(SCHEMAS) == set(Tag)
    assert {t for t, s in SCHEMAS.items() if not s.writable} == {Tag.CONST, Tag.DECLVAL_IN_MODULE}


def test_decl_offsets_and_contents_hash() -> None:
    source = b'; lead\n@msg  =  str("hi") ; trailing\n'
    parsed = parse(source)
    (d,) = parsed.decls
    assert d.name == "msg"
    assert d.name_offset == source.index(b"@msg")
    assert d.contents_start == source.index(b"str(")
    assert d.contents_end == source.index(b") ;") + 1
    assert d.contents_hash == hashlib.blake2b(b'str("hi")', digest_size=16).digest()
    assert d.inst.src == len(b"str(")  # relative to contents_start
    assert d.src == source.index(b'"hi"')  # absolute: just after the '('


def test_body_instruction_positions_are_relative_to_the_decl() -> None:
    source = b"@pad = int(0)\n@f = fn(@t, {\n  %a = int(1)\n})"
    _, f, _ = only_decl(source.split(b"\n", 1)[1])
    parsed = parse(source)
    f2 = parsed.decls[1].inst
    (a,) = f2.body("body").insts
    assert parsed.decls[1].contents_start + a.src == source.index(b"1)")
    assert a.src == f.body("body").insts[0].src  # same relative offset wherever the decl sits


def test_at_operands_are_hidden_declvals_at_the_at_sign() -> None:
    source = b"@void = primitive(void)\n@fnty = fntype([], @void, cc=C)"
    parsed = parse(source)
    fnty = parsed.decls[1]
    ret = fnty.inst.operand("return_type")
    assert ret.tag is Tag.DECLVAL and ret.hidden and ret.string("name") == b"void"
    assert ret is not parsed.decls[0].inst  # never resolved by the parser
    assert fnty.contents_start + ret.src == source.index(b"@void,")
    assert fnty.inst.operands("param_types") == []
    assert fnty.inst.word("cc") == "C"


def test_percent_operands_are_the_defining_instruction() -> None:
    body = fn_body(b"@f = fn(@t, {\n  %a = int(1)\n  %b = add(%a, %a)\n})")
    a, b = body
    assert b.operand("lhs") is a and b.operand("rhs") is a
    assert (a.name, b.name) == ("a", "b")


def test_percent_names_are_shared_by_nested_bodies() -> None:
    body = fn_body(
        b"@f = fn(@t, {\n  %c = condbr(@x, {\n    %a = int(1)\n  }, {\n    %r = unreachable()\n  })\n"
        b"  %u = add(%a, %a)\n})"
    )
    condbr, use = body
    (a,) = condbr.body("then_body").insts
    assert use.operand("lhs") is a


def test_keyword_defaults_and_repeats() -> None:
    body = fn_body(
        b'@f = fn(@t, {\n  %s = str("x")\n'
        b"  %r = asm(%s, @usize, volatile=1, volatile=0, inputs=[%s], args=[%s, %s])\n"
        b"  %c = call(@g, [])\n})"
    )
    s, r, c = body
    assert r.boolean("volatile") is False  # the last one wins
    assert r.opt_operand("output") is None
    assert r.operands("inputs") == [s] and r.operands("clobbers") == [] and r.operands("args") == [s, s]
    assert c.word("modifier") == "auto"
    _, p, _ = only_decl(b"@p = ptr_type(@u8)")
    assert (p.boolean("allowzero"), p.boolean("const"), p.boolean("volatile")) == (False, True, False)
    assert p.opt_operand("sentinel") is None


def test_comma_between_positionals_is_optional() -> None:
    _, t, _ = only_decl(b"@t = fntype([] @void)")
    assert t.operand("return_type").string("name") == b"void"


def test_values_strings_integers_bools() -> None:
    _, s, _ = only_decl(b'@s = str("\\x32\\x08\\x01\\x0a\\n\\r\\t\\\\\\\'\\"\\u{1f4af}\\u{41}")')
    assert s.string("bytes") == b"2\x08\x01\n\n\r\t\\'\"" + "\U0001f4af".encode() + b"A"
    big = "1" + "0" * 5000
    _, i, _ = only_decl(b"@i = int(-" + big.encode() + b")")
    assert i.integer("int") == -(10**5000)
    _, p, _ = only_decl(b"@p = param_type(@f, 18446744073709551615)")
    assert p.integer("arg_index") == 2**64 - 1
    _, q, _ = only_decl(b"@p = param_type(@f, -0)")
    assert q.integer("arg_index") == 0


def test_compatibility_forms() -> None:
    body = fn_body(
        b'@f = fn(@t, {\n  %p = arg(0)\n  %q = arg("q")\n  %c = cmp(%p, gte, %q)\n  %r = return()\n'
        b"  %s = return(%c)\n})"
    )
    p, q, c, r, s = body
    assert p.tag is Tag.ARG and p.args == {"index": 0} and p.is_arg_index_form
    assert q.tag is Tag.ARG and q.args == {"name": b"q"} and not q.is_arg_index_form
    assert c.tag is Tag.CMP_GTE and c.args == {"lhs": p, "rhs": q}
    assert r.tag is Tag.RETURNVOID and r.args == {}
    assert s.tag is Tag.RETURN and s.operand("operand") is c


def test_every_cmp_operator() -> None:
    for op in ("lt", "lte", "eq", "gte", "gt", "neq"):
        _, inst, _ = only_decl(b"@c = cmp(@a, " + op.encode() + b", @b)")
        assert inst.tag is Tag["CMP_" + op.upper()]


def test_block_labels_by_name_and_label_n() -> None:
    body = fn_body(
        b'@f = fn(@t, {\n  %outer = block({\n    %3 = block({\n      %x = break("outer", @v)\n'
        b'      %y = breakvoid("label_3")\n    })\n  })\n})'
    )
    (outer,) = body
    (inner,) = outer.body("body").insts
    brk, brkvoid = inner.body("body").insts
    assert isinstance(brk.args["block"], Label)
    assert brk.label("block").block is outer and brk.label("block").text == b"outer"
    assert brkvoid.label("block").block is inner and brkvoid.label("block").text == b"label_3"


def test_labels_are_per_decl() -> None:
    source = (
        b'@f = fn(@t, {\n  %b = block({\n    %x = breakvoid("b")\n  })\n})\n'
        b'@g = fn(@t, {\n  %b = block({\n    %x = breakvoid("b")\n  })\n})\n'
    )
    parsed = parse(source)
    assert parsed.errors == []
    f, g = parsed.decls
    fb = f.inst.body("body").insts[0]
    gb = g.inst.body("body").insts[0]
    assert fb.body("body").insts[0].label("block").block is fb
    assert gb.body("body").insts[0].label("block").block is gb


def test_tab_and_cr_are_whitespace() -> None:
    source = b"@f\t=\tfn(@t,\r\n\t{\r\n\t%a =\tint(1)\r\n\t%b = add(%a,\t%a)\r\n})\r\n"
    parsed = parse(source)
    assert parsed.errors == []
    (a, b) = parsed.decls[0].inst.body("body").insts
    assert b.operand("lhs") is a


def test_comments_everywhere_including_eof() -> None:
    source = b"; head\n@f = fn(@t, { ; open\n  ; own\n  %a = int(1) ; trailing\n}) ; after\n; last"
    parsed = parse(source)
    assert parsed.errors == [] and len(parsed.decls) == 1


def test_nul_ends_the_input() -> None:
    parsed = parse(b"@a = int(1)\n\0@b = garbage(((")
    assert parsed.errors == [] and [d.name for d in parsed.decls] == ["a"]
    parsed = parse(b"@a = int(1\0)")
    assert [e.msg for e in parsed.errors] == ["expected ')'"]


def test_names_may_hold_any_non_whitespace_bytes() -> None:
    source = b"@unnamed$4 = int(1)\n@ = int(2)\n@\xc3\xa9=x = as(@unnamed$4, @\xc3\xa9=x)\n"
    parsed = parse(source)
    assert parsed.errors == []
    assert [d.name for d in parsed.decls] == ["unnamed$4", "", "é=x"]


def test_empty_and_whitespace_files() -> None:
    for source in (b"", b"   \n\t\r\n", b"; only a comment"):
        parsed = parse(source)
        assert parsed.decls == [] and parsed.errors == []


def test_structurally_equal_ignores_offsets_only() -> None:
    a = parse(b"@f = fn(@t, {\n  %a = int(1)\n  %b = add(%a, %a)\n})").decls[0]
    b = parse(b"\n\n@f   =   fn(@t,{%a = int(1) %b = add(%a,%a)})").decls[0]
    c = parse(b"@f = fn(@t, {\n  %a = int(1)\n  %b = add(%a, @a)\n})").decls[0]
    d = parse(b"@f = fn(@t, {\n  %a = int(2)\n  %b = add(%a, %a)\n})").decls[0]
    assert structurally_equal(a, b)
    assert not structurally_equal(a, c)
    assert not structurally_equal(a, d)


def test_body_type() -> None:
    _, inst, _ = only_decl(b"@f = fn(@t, {})")
    assert isinstance(inst.args["body"], Body) and inst.body("body").insts == []
