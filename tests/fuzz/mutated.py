"""Edit sequences made by mutating the conformance examples token by token (``python -m tests.fuzz --mutated``).

Each sequence starts from one example of ``tests/cases`` or ``examples/`` and edits it the way a person
experimenting would: a reference swapped for another defined name, an integer constant for a boundary value, an
instruction for another of the same shape, a body line deleted, duplicated or renamed, a call made at compile
time or no longer, now and then a few bytes mutated (``tests/compiler/zir/test_fuzz.py``). The texts are not
modelled (``expected_exit`` None): the campaign compares each incremental build with a fresh one. This family
found the compile-time callee bug of case ``412-compile-time-callee-edited`` (docs/reliability.md §6).

A mutated program can behave differently from run to run, reported as a mismatch to be read: undefined behaviour
that depends on the code's layout (a function falling off its end, docs/design/x86_64.md §9), or unbounded
recursion whose output before the stack overflows depends on where the stack starts (seed 280 of ``--mutated``).
"""

from __future__ import annotations

import random
import re
from functools import cache
from pathlib import Path
from typing import Final

from tests.compiler.zir.test_fuzz import mutate
from tests.fuzz.programs import Step

ROOT: Final = Path(__file__).resolve().parents[2]
VALUES: Final = (b"0", b"1", b"-1", b"7", b"63", b"64", b"255", b"256", b"-128", b"65535", b"4294967296",
                 b"9223372036854775807", b"18446744073709551615", b"18446744073709551616")  # fmt: skip
"""Boundary constants an ``int(…)`` is set to."""
BINARY: Final = (b"add", b"sub", b"mul", b"div", b"mod_rem", b"addwrap", b"subwrap", b"mulwrap", b"shl", b"shr",
                 b"bitand", b"bitor", b"xor", b"cmp_lt", b"cmp_lte", b"cmp_eq", b"cmp_neq", b"cmp_gt", b"cmp_gte",
                 b"array_cat", b"array_mul", b"as", b"intcast", b"bitcast", b"floatcast", b"elemptr", b"store",
                 b"inttype")  # fmt: skip
"""Tags of two operands, swapped for one another."""
UNARY: Final = (b"deref", b"ref", b"ptrtoint", b"typeof", b"isnull", b"isnonnull", b"unwrap_optional_safe",
                b"unwrap_optional_unsafe", b"optional_type", b"single_const_ptr_type", b"single_mut_ptr_type",
                b"alloc", b"return", b"boolnot", b"ensure_result_used", b"ensure_result_non_error", b"bitnot",
                b"negate", b"negatewrap", b"alloc_inferred", b"breakvoid")  # fmt: skip
"""Tags of one operand, swapped for one another."""
_CALL = re.compile(rb"call\(@[^,]+, \[[^\]]*\]")
_DEFINED = re.compile(rb"(?m)^\s*([@%][^\s=]+) =")
_REFERENCE = re.compile(rb"(?<=[(, \[])[@%][A-Za-z0-9_$]+")
_INT = re.compile(rb"int\((-?\d+)\)")
_BINARY = re.compile(rb"= (" + b"|".join(BINARY) + rb")\(")
_UNARY = re.compile(rb"= (" + b"|".join(UNARY) + rb")\(")
_LOCAL = re.compile(rb"^(  %)([^ ]+)")


@cache
def corpus() -> tuple[bytes, ...]:
    """Every text of the conformance cases and of ``examples/``."""
    paths = sorted((ROOT / "tests" / "cases").glob("*/*/update*.zir")) + sorted((ROOT / "examples").glob("*.zir"))
    return tuple(p.read_bytes() for p in paths)


def _replace(text: bytes, m: re.Match[bytes], group: int, new: bytes) -> bytes:
    return text[: m.start(group)] + new + text[m.end(group) :]


def mutated(rng: random.Random, text: bytes) -> bytes:
    """``text`` with one token-level edit (unchanged when the drawn edit finds nothing to change)."""
    op = rng.randrange(8)
    if op == 0:  # a reference to another defined name
        names, refs = _DEFINED.findall(text), list(_REFERENCE.finditer(text))
        if names and refs:
            return _replace(text, rng.choice(refs), 0, rng.choice(names))
    for kind, pattern, choices in ((1, _INT, VALUES), (2, _BINARY, BINARY), (3, _UNARY, UNARY)):
        if op == kind:
            found = list(pattern.finditer(text))
            if found:
                return _replace(text, rng.choice(found), 1, rng.choice(choices))
    if op == 7:  # a call made at compile time, or no longer
        calls = list(_CALL.finditer(text))
        if calls:
            at = rng.choice(calls).end()
            return text[:at] + b", modifier=compile_time" + text[at:]
        return text.replace(b", modifier=compile_time", b"", 1)
    lines = text.split(b"\n")
    body = [i for i, line in enumerate(lines) if line.startswith(b"  %")]
    if body and op == 4:
        del lines[rng.choice(body)]
        return b"\n".join(lines)
    if body and op == 5:
        lines.insert(rng.choice(body), lines[rng.choice(body)])
        return b"\n".join(lines)
    if body and op == 6:
        i = rng.choice(body)
        lines[i] = _LOCAL.sub(lambda m: m.group(1) + m.group(2) + b"_x", lines[i])
        return b"\n".join(lines)
    return mutate(rng, text) if rng.random() < 0.2 else text


def mutated_sequence(rng: random.Random, steps: int) -> list[Step]:
    """``steps`` successive mutations of one example, each text a step."""
    text = rng.choice(corpus())
    out: list[Step] = []
    for _ in range(steps):
        text = mutated(rng, text)
        out.append(Step(text, None, "mutated example"))
    return out
