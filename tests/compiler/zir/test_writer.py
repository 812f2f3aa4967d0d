"""The writeToStream printer (zir-language.md §10.2) on Inst trees built the way the emitter builds them."""

from __future__ import annotations

from collections.abc import Sequence

from compiler.zir.ast import Body, Inst, Label
from compiler.zir.parser import parse
from compiler.zir.tags import Tag
from compiler.zir.writer import render_string, write_module


def inst(kind: Tag, **args: object) -> Inst:
    return Inst(kind, 0, dict(args))  # type: ignore[arg-type]


def test_render_string_rule() -> None:
    assert render_string(bytes([0x32, 0x08, 0x01, 0x0A])) == '"2\\x08\\x01\\n"'
    assert render_string(b"\r\t\\\"' !#[]~\x7f\xff") == '"\\r\\t\\\\\\"\' !#[]~\\x7f\\xff"'


def test_top_level_operands_print_as_decl_names_and_keywords_always_print() -> None:
    void = inst(Tag.PRIMITIVE, tag="void")
    fnty = inst(Tag.FNTYPE, param_types=[], return_type=void, cc="C")
    body = Body([inst(Tag.RETURNVOID)])
    fn = inst(Tag.FN, fn_type=fnty, body=body)
    text = write_module([("void", void), ("unnamed$1", fnty), ("entry", fn)])
    assert text == (
        "@void = primitive(void)\n"
        "@unnamed$1 = fntype([], @void, cc=C)\n"
        "@entry = fn(@unnamed$1, {\n  %0 = returnvoid()\n})\n"
    )


def test_body_numbering_continues_through_nested_bodies_and_labels() -> None:
    hidden_f = Inst(Tag.DECLVAL, 0, {"name": b"f"}, None, True)
    cond = inst(Tag.DECLREF, name=b"x")
    block = inst(Tag.BLOCK)
    brk = inst(Tag.BREAK, operand=cond)
    brk.args["block"] = Label(b"ignored", block)
    block.args["body"] = Body([brk])
    then_ret = inst(Tag.RETURNVOID)
    else_ret = inst(Tag.UNREACH_NOCHECK)
    condbr = inst(Tag.CONDBR, condition=block, then_body=Body([then_ret]), else_body=Body([else_ret]))
    call = inst(Tag.CALL, func=hidden_f, args=[cond, block], modifier="auto")
    fn = inst(Tag.FN, fn_type=hidden_f, body=Body([cond, block, condbr, call]))
    assert write_module([("g", fn)]) == (
        "@g = fn(@f, {\n"
        '  %0 = declref("x")\n'
        "  %1 = block({\n"
        '    %2 = break("label_1", %0)\n'
        "  })\n"
        "  %3 = condbr(%1, {\n"
        "    %4 = returnvoid()\n"
        "  }, {\n"
        "    %5 = unreach_nocheck()\n"
        "  })\n"
        "  %6 = call(@f, [%0, %1], modifier=auto)\n"
        "})\n"
    )


def test_optional_keywords_only_when_set_and_asm_shape() -> None:
    s = inst(Tag.STR, bytes=b"syscall")
    t = inst(Tag.PRIMITIVE, tag="usize")
    a = inst(Tag.ASM, asm_source=s, return_type=t, volatile=True, output=None, inputs=[s], clobbers=[], args=[t])
    b = inst(Tag.ASM, asm_source=s, return_type=t, volatile=False, output=s, inputs=[], clobbers=[s], args=[])
    assert write_module([("s", s), ("t", t), ("a", a), ("b", b)]).splitlines()[2:] == [
        "@a = asm(@s, @t, volatile=1, inputs=[@s], clobbers=[], args=[@t])",
        "@b = asm(@s, @t, volatile=0, output=@s, inputs=[], clobbers=[@s], args=[])",
    ]


def test_unknown_operands_and_big_integers() -> None:
    stray = inst(Tag.INT, int=5)
    big = inst(Tag.INT, int=-(10**6000))
    user = inst(Tag.AS, lhs=Inst(Tag.DECLVAL, 0, {"name": b"later"}, None, True), rhs=stray)
    text = write_module([("big", big), ("u", user)])
    assert text.startswith("@big = int(-1" + "0" * 6000 + ")\n")
    assert text.endswith("@u = as(@later, ?int?)\n")


class Deaths:
    def __init__(self, masks: dict[Inst, int], entry: dict[tuple[Inst, str], list[Inst]]) -> None:
        self.masks = masks
        self.entry = entry

    def deaths(self, inst: Inst) -> int | None:
        return self.masks.get(inst)

    def entry_deaths(self, condbr: Inst, branch: str) -> Sequence[Inst]:
        return self.entry.get((condbr, branch), [])


def test_liveness_annotations() -> None:
    x = inst(Tag.ARG, name=b"x")
    ret1 = inst(Tag.RETURNVOID)
    ret2 = inst(Tag.RETURNVOID)
    condbr = inst(Tag.CONDBR, condition=x, then_body=Body([ret1]), else_body=Body([ret2]))
    fn = inst(Tag.FN, fn_type=Inst(Tag.DECLVAL, 0, {"name": b"t"}, None, True), body=Body([x, condbr]))
    annotations = Deaths({x: 0, condbr: 1, ret1: 0x8000}, {(condbr, "else_body"): [x]})
    assert write_module([("f", fn)], annotations) == (
        "@f = fn(@t, {\n"
        '  %0 = arg("x") ; deaths=0b0\n'
        "  %1 = condbr(%0, {\n"
        "    %2 = returnvoid() ; deaths=0b1000000000000000\n"
        "  }, {\n"
        "    ; deaths={%0}\n"
        "    %3 = returnvoid()\n"
        "  }) ; deaths=0b1\n"
        "})\n"
    )


def test_parse_of_printed_text_gives_the_same_tree_shape() -> None:
    source = (
        b'@f = fn(@t, {\n  %0 = arg(1)\n  %1 = block({\n    %2 = breakvoid("label_1")\n  })\n'
        b"  %3 = cmp_lt(%0, %1)\n})\n"
    )
    parsed = parse(source)
    assert write_module([(d.name, d.inst) for d in parsed.decls]).encode() == source
