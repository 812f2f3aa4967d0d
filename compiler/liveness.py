"""Liveness analysis of AIR bodies: death masks, branch entry deaths and loop exit deaths (x86_64.md §2).

``analyze(body)`` walks the body backwards keeping ``T``, the set of values used later (instructions and
constants, by identity). Each instruction gets bit 15 when its result is never used and bit ``i`` when
operand ``i`` is used for the last time there. ``condbr`` records the values each branch must free on entry;
``loop`` keeps every outer value it reads alive for the whole loop (**[ZIR Live]**) and frees the ones that
are not used after it in ``exit_deaths``.
"""

from __future__ import annotations

from typing import Final

from compiler.air import (
    MAX_TRACKED_OPERAND_BITS,
    UNUSED_BIT,
    AirInst,
    Arg,
    Assembly,
    BinOp,
    Block,
    Br,
    BrVoid,
    Call,
    CondBr,
    Loop,
    NoOp,
    Operand,
    UnOp,
    nested_bodies,
)

# Instruction classes without nested bodies (subclasses of them would be tested by isinstance below).
_FLAT: Final[frozenset[type[AirInst]]] = frozenset({NoOp, UnOp, BinOp, Arg, Assembly, Br, BrVoid, Call})

# The live set: operands by identity, in insertion order (so derived lists are deterministic).
_Live = dict[int, Operand]


def analyze(body: list[AirInst]) -> None:
    """Fill ``deaths`` of every instruction of ``body`` (recursively), and the entry/exit death lists."""
    _analyze_body(body, {})


def _analyze_body(body: list[AirInst], live: _Live) -> None:
    for inst in reversed(body):
        _analyze_inst(inst, live)


def _analyze_inst(inst: AirInst, live: _Live) -> None:
    deaths = 0 if id(inst) in live else UNUSED_BIT
    if type(inst) not in _FLAT:  # nearly every instruction has no nested body: only its operands below
        _analyze_nested(inst, live)
    for i, operand in enumerate(inst.operands()):
        key = id(operand)
        if key not in live:
            if i < MAX_TRACKED_OPERAND_BITS:
                deaths |= 1 << i
            live[key] = operand
    inst.deaths = deaths


def _analyze_nested(inst: AirInst, live: _Live) -> None:
    """The bodies of a block, loop or condbr, and their entry and exit deaths."""
    if isinstance(inst, Block):
        _analyze_body(inst.body, live)
    elif isinstance(inst, Loop):
        refs = _outer_refs(inst)
        inst.exit_deaths = [op for key, op in refs.items() if key not in live]
        live.update(refs)
        _analyze_body(inst.body, live)
    elif isinstance(inst, CondBr):
        then_live = dict(live)
        _analyze_body(inst.then_body, then_live)
        then_set = {k: v for k, v in then_live.items() if k not in live}
        else_live = dict(live)
        _analyze_body(inst.else_body, else_live)
        else_set = {k: v for k, v in else_live.items() if k not in live}
        inst.then_entry_deaths = [v for k, v in else_set.items() if k not in then_set]
        inst.else_entry_deaths = [v for k, v in then_set.items() if k not in else_set]
        live.update(then_set)
        live.update(else_set)


def _outer_refs(loop: Loop) -> _Live:
    """Every instruction defined outside ``loop`` that is an operand somewhere inside its body, in order of
    first use. Constants are not defined anywhere, so they are not outer values."""
    defined: set[int] = set()
    used: _Live = {}

    def walk(body: list[AirInst]) -> None:
        for inst in body:
            defined.add(id(inst))
            for operand in inst.operands():
                if isinstance(operand, AirInst):
                    used.setdefault(id(operand), operand)
            for nested in nested_bodies(inst):
                walk(nested)

    walk(loop.body)
    return {k: v for k, v in used.items() if k not in defined}
