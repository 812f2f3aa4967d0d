"""Maps every byte of a ZIR Live output: header tables, sections, text blocks with their room, free gaps, GOT
slots, and the totals (used, slack, fragmentation). The ``zir layout`` JSON (docs/inspect.md)."""

from __future__ import annotations

from typing import Any

from compiler.inspect.binary import Binary, Section

FORMAT = "zir-layout"
VERSION = 1

SECTION_TYPES = {0: "NULL", 1: "PROGBITS", 2: "SYMTAB", 3: "STRTAB", 8: "NOBITS"}
FLAG_LETTERS = ((1, "W"), (2, "A"), (4, "X"), (0x10, "M"), (0x20, "S"))


def flag_text(flags: int) -> str:
    """``sh_flags`` as readelf prints them (``AX``, ``MS``…)."""
    return "".join(letter for bit, letter in FLAG_LETTERS if flags & bit)


def regions(binary: Binary) -> list[dict[str, Any]]:
    """Everything the file holds, as ``{name, kind, offset, size}`` in file order (header tables and sections)."""
    out: list[dict[str, Any]] = [
        {"name": "ehdr", "kind": "header", "offset": 0, "size": 64},
        {"name": "phdr_table", "kind": "header", "offset": binary.phdr_offset, "size": binary.phdr_size},
        {"name": "shdr_table", "kind": "header", "offset": binary.shdr_offset, "size": binary.shdr_size},
    ]
    out.extend(
        {"name": s.name, "kind": "section", "offset": s.offset, "size": s.size} for s in binary.sections[1:] if s.size
    )
    out.sort(key=lambda r: (r["offset"], r["size"]))
    return out


def file_gaps(binary: Binary, spans: list[dict[str, Any]]) -> list[dict[str, int]]:
    """Byte ranges of the file no region covers (the free space the linker can reuse)."""
    gaps: list[dict[str, int]] = []
    covered = 0
    for region in spans:
        if region["offset"] > covered:
            gaps.append({"offset": covered, "size": region["offset"] - covered})
        covered = max(covered, region["offset"] + region["size"])
    if covered < len(binary.data):
        gaps.append({"offset": covered, "size": len(binary.data) - covered})
    return gaps


def section_json(section: Section) -> dict[str, Any]:
    return {
        "index": section.index,
        "name": section.name,
        "type": SECTION_TYPES.get(section.sh_type, str(section.sh_type)),
        "flags": flag_text(section.flags),
        "offset": section.offset,
        "size": section.size,
        "address": section.address,
        "align": section.align,
    }


def text_json(binary: Binary) -> dict[str, Any]:
    """``.text``: every block (size, room to the next block) and the free ranges no block's room covers."""
    text = binary.text
    blocks: list[dict[str, Any]] = []
    gaps: list[dict[str, int]] = []
    end = text.address
    for decl in binary.decls:
        if decl.address > end:
            gaps.append({"address": end, "offset": binary.file_offset(end), "size": decl.address - end})
        capacity = binary.capacity(decl)
        blocks.append(
            {
                "name": decl.name,
                "kind": decl.kind,
                "address": decl.address,
                "offset": binary.file_offset(decl.address),
                "size": decl.size,
                "room": capacity - decl.size,
                "gotSlot": binary.got_slot(decl.address),
            }
        )
        end = max(end, decl.address + capacity)
    text_end = text.address + text.size
    if end < text_end:  # only when .text holds no block at all
        gaps.append({"address": end, "offset": binary.file_offset(end), "size": text_end - end})
    return {"address": text.address, "offset": text.offset, "size": text.size, "blocks": blocks, "gaps": gaps}


def got_json(binary: Binary) -> dict[str, Any]:
    """Every GOT slot, its value and the decl it points to (None for a free slot)."""
    got = binary.section(".got")
    by_address = {d.address: d.name for d in binary.decls}
    slots = [
        {"index": i, "address": got.address + 8 * i, "value": value, "decl": by_address.get(value) if value else None}
        for i, value in enumerate(binary.got)
    ]
    return {"address": got.address, "offset": got.offset, "size": got.size, "slots": slots}


def layout_json(binary: Binary) -> dict[str, Any]:
    """The ``zir layout --json`` object."""
    spans = regions(binary)
    gaps = file_gaps(binary, spans)
    text = text_json(binary)
    got = got_json(binary)
    used = sum(b["size"] for b in text["blocks"])
    rooms = [b["room"] for b in text["blocks"]] + [g["size"] for g in text["gaps"]]
    slack = sum(rooms)
    largest = max(rooms, default=0)
    free_slots = sum(1 for s in got["slots"] if s["value"] == 0)
    return {
        "format": FORMAT,
        "version": VERSION,
        "binary": binary.path,
        "source": binary.source_file(),
        "fileSize": len(binary.data),
        "entry": binary.entry,
        "regions": spans,
        "sections": [section_json(s) for s in binary.sections[1:]],
        "fileGaps": gaps,
        "text": text,
        "got": got,
        "totals": {
            "textSize": text["size"],
            "used": used,
            "slack": slack,
            "largestFree": largest,
            "fragmentation": round(1 - largest / slack, 4) if slack else 0.0,
            "blocks": len(text["blocks"]),
            "gotSlots": len(got["slots"]),
            "gotUsed": len(got["slots"]) - free_slots,
            "gotFree": free_slots,
            "fileFree": sum(g["size"] for g in gaps),
        },
    }
