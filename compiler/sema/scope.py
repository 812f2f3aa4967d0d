"""Analysis scopes: block scopes with labels, and the runtime-availability bookkeeping (zir-language.md §5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

# Imported at run time, not under TYPE_CHECKING: mypyc's compiled dataclasses look their field types up
# when the class is created (docs/design/performance.md §8).
from compiler.air import Block as AirBlock
from compiler.module.decl import Fn
from compiler.record import record_repr
from compiler.zir.ast import Inst

if TYPE_CHECKING:
    from compiler.air import AirInst, Operand


class BlockLabel:
    """The target of ``break``/``breakvoid``: a ZIR ``block`` instruction being analysed."""

    zir_inst: Inst
    """The ZIR ``block`` instruction (what a ``Label.block`` refers to)."""
    air_block: AirBlock
    """The AIR block the breaks leave."""
    results: list[Operand]
    """The operands of the breaks seen so far (for peer type resolution)."""

    __slots__ = ("air_block", "results", "zir_inst")
    __match_args__ = ("zir_inst", "air_block", "results")

    def __init__(self, zir_inst: Inst, air_block: AirBlock, results: list[Operand] | None = None) -> None:
        self.zir_inst = zir_inst
        self.air_block = air_block
        self.results = [] if results is None else results

    def __repr__(self) -> str:
        return record_repr(self, ("zir_inst", "air_block", "results"))


class BlockScope:
    """A runtime block inside a function body: where runtime AIR instructions are appended.

    A decl scope (a top-level decl's instruction) has no BlockScope at all (``None``).
    """

    fn: Fn
    """The function whose body is being analysed."""
    parent: BlockScope | None
    label: BlockLabel | None
    """Set for the child block of a ZIR ``block``."""
    insts: list[AirInst]

    __slots__ = ("fn", "insts", "label", "parent")
    __match_args__ = ("fn", "parent", "label", "insts")

    def __init__(
        self,
        fn: Fn,
        parent: BlockScope | None = None,
        label: BlockLabel | None = None,
        insts: list[AirInst] | None = None,
    ) -> None:
        self.fn = fn
        self.parent = parent
        self.label = label
        self.insts = [] if insts is None else insts

    def __repr__(self) -> str:
        return record_repr(self, ("fn", "parent", "label", "insts"))

    def child(self, label: BlockLabel | None = None) -> BlockScope:
        return BlockScope(self.fn, self, label)

    def encloses(self, other: BlockScope) -> bool:
        """True when ``other`` is this block or nested inside it (runtime availability, §5.4)."""
        b: BlockScope | None = other
        while b is not None:
            if b is self:
                return True
            b = b.parent
        return False

    def find_label(self, zir_block: Inst) -> BlockLabel | None:
        """The label of the enclosing block analysing ``zir_block``, if any."""
        b: BlockScope | None = self
        while b is not None:
            if b.label is not None and b.label.zir_inst is zir_block:
                return b.label
            b = b.parent
        return None
