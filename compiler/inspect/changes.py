"""Marks what changed between two builds: per decl whether its bytes differ from the previous binary's decl of
the same name, and per instruction whether it is new (a difflib match over the two instruction lists)."""

from __future__ import annotations

import difflib
from typing import Any

from compiler.inspect.binary import Binary
from compiler.inspect.disasm import instructions


def mark_decls(decls: list[dict[str, Any]], current: Binary, previous: Binary | None) -> None:
    """Set ``changed`` on each decl object (``zir objdump`` or ``zir layout`` block) and, for a function of the
    ``zir objdump`` JSON, on each instruction. With no previous binary everything is new (changed)."""
    for entry in decls:
        now = current.decl(entry["name"])
        old = None if previous is None else previous.decl(entry["name"])
        new_bytes = b"" if now is None else current.block_bytes(now)
        old_bytes = None if old is None or previous is None else previous.block_bytes(old)
        entry["changed"] = old_bytes != new_bytes
        listing = entry.get("instructions")
        if listing is None:
            continue
        if old_bytes is None or old is None:
            for inst in listing:
                inst["changed"] = True
            continue
        before = [(data.hex(), m, o) for _a, data, m, o in instructions(old_bytes, old.address)]
        after = [(i["bytes"], i["mnemonic"], i["operands"]) for i in listing]
        same = [False] * len(after)
        if entry["changed"]:
            matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
            for block in matcher.get_matching_blocks():
                for k in range(block.b, block.b + block.size):
                    same[k] = True
        else:
            same = [True] * len(after)
        for inst, kept in zip(listing, same, strict=True):
            inst["changed"] = not kept
