"""The extension's TextMate grammar names every instruction the compiler knows, and nothing else.

Runs in the default tier (no VS Code needed): the grammar's instruction alternation must equal
``compiler.zir.tags.Tag`` plus the compatibility tag ``cmp`` (zir-language.md §3.5), and its enum words
must be the members of zir-language.md §2.8.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from compiler.zir.tags import Tag

GRAMMAR = Path(__file__).resolve().parents[2] / "vscode-client" / "syntaxes" / "zir.tmLanguage.json"


def load_grammar() -> dict[str, Any]:
    grammar: dict[str, Any] = json.loads(GRAMMAR.read_text())
    return grammar


def alternation(pattern: str) -> set[str]:
    """The words of the first ``(?:a|b|…)`` or ``(a|b|…)`` group of a pattern."""
    match = re.search(r"\((?:\?:)?([A-Za-z0-9_|]+)\)", pattern)
    assert match is not None, pattern
    return set(match.group(1).split("|"))


def test_instruction_names_equal_the_compiler_tags() -> None:
    grammar = load_grammar()
    known = grammar["repository"]["instruction"]["patterns"][0]
    assert known["captures"]["1"]["name"] == "keyword.other.instruction.zir"
    assert alternation(known["match"]) == {tag.value for tag in Tag} | {"cmp"}


def test_enum_words_are_the_members_of_the_language_enums() -> None:
    patterns = load_grammar()["repository"]["enum-word"]["patterns"]
    words = {p["name"]: alternation(p["match"]) for p in patterns}
    primitive_types = set(
        "i8 u8 i16 u16 i32 u32 i64 u64 isize usize c_short c_ushort c_int c_uint c_long c_ulong c_longlong "
        "c_ulonglong c_longdouble c_void f16 f32 f64 f128 bool void noreturn type anyerror comptime_int "
        "comptime_float".split()
    )
    calling_conventions = set(
        "Unspecified C Cold Naked Async Interrupt Signal Stdcall Fastcall Vectorcall Thiscall APCS AAPCS "
        "AAPCSVFP".split()
    )
    modifiers = set("auto async_kw never_tail never_inline no_async always_tail always_inline compile_time".split())
    operators = set("lt lte eq gte gt neq".split())
    assert words == {
        "support.type.primitive.zir": primitive_types,
        "constant.language.zir": {"true", "false", "null", "undefined", "void_value"},
        "constant.language.enum.zir": calling_conventions | modifiers | operators,
    }
