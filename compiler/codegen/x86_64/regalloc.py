"""Register ownership and allocation, snapshots, and the parallel-move order (x86_64.md §4.2, §7.4, §7.5).

A register may have several owners: a value and aliases of it (``ptrtoint``/``bitcast`` results share their
operand's register), or a value plus a block whose result location is reserved there (§9.2). A register is
free when it has no owner. Owners are AIR instructions (values and blocks), compared by identity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from compiler.codegen.x86_64.mcvalue import MCKind, MCValue
from compiler.codegen.x86_64.registers import ALLOCATABLE, Register

TEMP_MSG: Final = "unable to allocate a temporary register for a parallel move"

Owner = object
"""An owner key: the AIR instruction (value or block) whose value a register holds."""


class RegisterFile:
    """Who owns which register (by 64-bit register), plus a log of every owner freed, in order."""

    owners: dict[Register, list[Owner]]
    freed_log: list[Owner]
    # ids of the owners that died on the path being generated (saved and merged around branches)
    dead: set[int]

    __slots__ = ("dead", "freed_log", "owners")

    def __init__(
        self,
        owners: dict[Register, list[Owner]] | None = None,
        freed_log: list[Owner] | None = None,
        dead: set[int] | None = None,
    ) -> None:
        self.owners = {} if owners is None else owners
        self.freed_log = [] if freed_log is None else freed_log
        self.dead = set() if dead is None else dead

    def is_free(self, reg: Register) -> bool:
        """No owner holds ``reg``."""
        return not self.owners.get(reg.to64())

    def owners_of(self, reg: Register) -> list[Owner]:
        """The owners of ``reg`` (empty when free)."""
        return self.owners.get(reg.to64(), [])

    def find_free(self, exclude: Iterable[Register] = ()) -> Register | None:
        """The lowest free allocatable register not in ``exclude``, or None."""
        excluded = {r.id for r in exclude}
        for reg in ALLOCATABLE:
            if reg.id not in excluded and self.is_free(reg):
                return reg
        return None

    def allocate(self, owner: Owner, exclude: Iterable[Register] = ()) -> Register | None:
        """``alloc_reg``: the lowest free allocatable register becomes owned by ``owner``; None when none is free."""
        reg = self.find_free(exclude)
        if reg is not None:
            self.add_owner(reg, owner)
        return reg

    def add_owner(self, reg: Register, owner: Owner) -> None:
        """Make ``owner`` an owner of ``reg`` (keeping the others)."""
        lst = self.owners.setdefault(reg.to64(), [])
        if not any(o is owner for o in lst):
            lst.append(owner)

    def remove_owner(self, reg: Register, owner: Owner) -> None:
        """Drop ``owner`` from ``reg`` without logging a death (ownership moved, or a temporary ended)."""
        reg = reg.to64()
        lst = [o for o in self.owners.get(reg, []) if o is not owner]
        if lst:
            self.owners[reg] = lst
        else:
            self.owners.pop(reg, None)

    def is_exclusive(self, reg: Register, owner: Owner) -> bool:
        """``owner`` is the only owner of ``reg``."""
        lst = self.owners.get(reg.to64(), [])
        return len(lst) == 1 and lst[0] is owner

    def free(self, owner: Owner) -> None:
        """``owner`` died: it owns no register any more (logged for block merges, §9.2)."""
        held: list[Register] = []
        for reg, lst in self.owners.items():
            for o in lst:
                if o is owner:
                    held.append(reg)
                    break
        for reg in held:
            self.remove_owner(reg, owner)
        self.freed_log.append(owner)
        self.dead.add(id(owner))

    def snapshot(self) -> dict[Register, list[Owner]]:
        """A copy of the ownership table."""
        return {reg: list(lst) for reg, lst in self.owners.items()}

    def restore(self, snap: dict[Register, list[Owner]]) -> None:
        """Replace the ownership table by a snapshot."""
        self.owners = {reg: list(lst) for reg, lst in snap.items()}


def plan_parallel_move(
    moves: list[tuple[Register, MCValue]],
    find_temp: Callable[[set[int]], Register | None],
) -> list[tuple[Register, MCValue]]:
    """Order the moves ``(dst, src)`` so every source is read before it is overwritten (§7.4).

    Moves whose source is the destination register are dropped. A cycle of register moves is broken by
    copying one destination to a temporary ``find_temp(ids of every destination and remaining source)``; the returned list
    then contains that copy (``(temp, register(dst))``). Raises ``LookupError`` when no temporary is free.
    """
    pending = [(dst, src) for dst, src in moves if not (src.kind is MCKind.REGISTER and src.register.id == dst.id)]
    all_dsts = {dst.id for dst, _ in moves}
    out: list[tuple[Register, MCValue]] = []
    while pending:
        sources = {src.register.id for _, src in pending if src.kind is MCKind.REGISTER}
        idx = next((i for i, (dst, _) in enumerate(pending) if dst.id not in sources), None)
        if idx is not None:
            out.append(pending.pop(idx))
            continue
        # [ZIR Live] The spec says "a destination or source of any remaining move"; a destination already
        # written holds its final value too, so every destination of the whole set is excluded.
        used = all_dsts | sources
        temp = find_temp(used)
        if temp is None:
            raise LookupError(TEMP_MSG)
        s = pending[0][0].to64()
        out.append((temp.to64(), MCValue(MCKind.REGISTER, reg=s)))
        new_src = MCValue(MCKind.REGISTER, reg=temp.to64())
        pending = [
            (dst, new_src if src.kind is MCKind.REGISTER and src.register.id == s.id else src) for dst, src in pending
        ]
    return out
