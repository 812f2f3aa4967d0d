"""The editor's query of analysed `%` locals (compiler/module/local_types.py) and the "used here" note of an
error placed at an operand's definition (docs/design/lsp.md §8.6, §9)."""

from __future__ import annotations

import gc

from compiler.module import local_types
from compiler.module.local_types import LocalFact
from tests.compiler.module.util import Session

PROGRAM = """@usize = primitive(usize)
@two = int(2)
@fnty = fntype([@usize], @usize)
@double = fn(@fnty, {
  %n = arg(0)
  %k = as(@usize, @two)
  %m = add(%k, %k)
  %s = str("hi\\n")
  %t = primitive(usize)
  %r = return(%n)
})
@other = fn(@fnty, {
  %x = arg(0)
  %r = return(%x)
})
@e1 = export(@n1, "double")
@n1 = str("double")
@e2 = export(@n2, "other")
@n2 = str("other")
"""


def _facts(s: Session, name: str) -> dict[str, tuple[str, str | None]]:
    [found] = local_types.decl_locals(s.comp.module, [name])
    return {f.name: (f.type_text, f.value_text) for f in found.locals}


def test_a_cli_compilation_keeps_no_local_results() -> None:
    s = Session(PROGRAM)
    s.update()
    assert s.errors() == []
    assert local_types.decl_locals(s.comp.module, ["double", "other"]) == []
    assert all(d.fn is None or d.fn.local_results is None for d in s.comp.decls())


def test_types_and_comptime_values_of_locals_with_the_text_analysed() -> None:
    s = Session(PROGRAM)
    s.comp.module.record_locals = True
    s.update()
    [double] = local_types.decl_locals(s.comp.module, ["double"])
    start = PROGRAM.index("@double = fn")
    assert double.text == PROGRAM[start : PROGRAM.index("})", start) + 2].encode()
    assert double.locals == (
        LocalFact("n", "usize", None),
        LocalFact("k", "usize", "2"),
        LocalFact("m", "usize", "4"),
        LocalFact("s", "*const [3:0]u8", '"hi\\n"'),
        LocalFact("t", "type", "usize"),
        LocalFact("r", "noreturn", None),
    )
    assert local_types.decl_locals(s.comp.module, ["usize", "missing"]) == []  # not functions: left out


def test_an_edit_of_one_function_keeps_the_others_facts_and_renews_its_own() -> None:
    s = Session(PROGRAM)
    s.comp.module.record_locals = True
    s.update()
    other_before = local_types.decl_locals(s.comp.module, ["other"])[0].locals
    edited = PROGRAM.replace("%m = add(%k, %k)", "%m = add(%k, %n)")
    report = s.update(edited)
    assert s.errors() == [] and report.counters["fn_bodies_analyzed"] == 1
    assert _facts(s, "double")["m"] == ("usize", None)  # now a runtime value
    assert local_types.decl_locals(s.comp.module, ["other"])[0].locals == other_before


def test_an_error_at_an_operand_definition_notes_its_use() -> None:
    text = PROGRAM.replace("@two = int(2)", "@two = int(-1)")
    s = Session(text)
    s.update()
    [err] = s.comp.all_errors()
    assert err.message == "type comptime_int cannot represent integer value -1"
    assert err.byte_offset == text.index("-1)")
    assert [(n.byte_offset, n.msg) for n in err.notes] == [(text.index("@two)"), "used here")]


def test_a_wrong_arity_call_notes_the_call() -> None:
    text = PROGRAM.replace("%r = return(%x)", "%c = call(@double, [%x, %x])\n  %r = return(%c)")
    s = Session(text)
    s.update()
    [err] = s.comp.all_errors()
    assert err.message == "expected 1 arguments, found 2"
    assert err.byte_offset == text.index("@fnty, {", text.index("@double = fn"))
    assert [(n.byte_offset, n.msg) for n in err.notes] == [(text.index("@double, [%x"), "used here")]


def test_an_error_at_its_own_instruction_has_no_note() -> None:
    s = Session(PROGRAM.replace("%m = add(%k, %k)", "%m = add(%k, @nope)"))
    s.update()
    [err] = s.comp.all_errors()
    assert err.message == "decl 'nope' not found" and err.notes == ()


def test_the_results_of_alike_named_bodies_hold_no_dict_and_share_their_names() -> None:
    """One tuple per function, its names shared by the bodies naming their locals alike (performance.md §9.4:
    a dict per function was about 20 MB of the language server at N = 100 000)."""
    chain = "".join(
        f"@f{i} = fn(@fnty, {{\n  %x = arg(0)\n  %k = as(@usize, @two)\n  %r = return(%x)\n}})\n"
        f'@x{i} = export(@s{i}, "f{i}")\n@s{i} = str("f{i}")\n'
        for i in range(50)
    )
    s = Session(PROGRAM + chain)
    s.comp.module.record_locals = True
    s.update()
    assert s.errors() == []
    fns = [d.fn for d in s.comp.decls() if d.name.startswith("f") and d.fn is not None]
    assert len(fns) == 50
    assert not any(isinstance(x, dict) for fn in fns for x in gc.get_referents(fn))
    assert len({id(fn.local_results[0]) for fn in fns if fn.local_results is not None}) == 1
    facts = local_types.decl_locals(s.comp.module, ["f7"])[0].locals
    assert facts == (LocalFact("x", "usize", None), LocalFact("k", "usize", "2"), LocalFact("r", "noreturn", None))
