"""Draws the ``zir layout`` JSON as an SVG map: the file's regions and gaps, ``.text``'s blocks (used bytes and
room), and the GOT's slots. Widths grow with the logarithm of a size so small headers stay visible next to
large reservations; every box has a ``<title>`` naming what it is."""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape

WIDTH = 1200
ROW = 28
COLORS = {
    "header": "#8e7cc3",
    "section": "#6fa8dc",
    ".text": "#f6b26b",
    "gap": "#eeeeee",
    "function": "#e69138",
    "data": "#93c47d",
    "room": "#fce5cd",
    "slot": "#76a5af",
    "free": "#dddddd",
}


def _width(size: int) -> float:
    return 6 + 10 * math.log2(1 + size)


def _box(x: float, y: float, w: float, h: float, color: str, title: str, label: str = "") -> str:
    text = ""
    if label and w > 7 * len(label):
        text = f'<text x="{x + 3:.1f}" y="{y + h - 9:.1f}" font-size="11">{escape(label)}</text>'
    return (
        f'<g><title>{escape(title)}</title><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h}" '
        f'fill="{color}" stroke="#555" stroke-width="0.5"/>{text}</g>'
    )


def _flow(items: list[tuple[float, str, str, str]], y: float) -> tuple[list[str], float]:
    """Lay boxes ``(width, color, title, label)`` left to right, wrapping at ``WIDTH``; returns the next free y."""
    out: list[str] = []
    x = 10.0
    for width, color, title, label in items:
        if x + width > WIDTH - 10 and x > 10:
            x, y = 10.0, y + ROW + 4
        out.append(_box(x, y, width, ROW, color, title, label))
        x += width
    return out, y + ROW + 24


def render(layout: dict[str, Any]) -> str:
    """The SVG document of a ``layout_json`` object."""
    parts: list[str] = []
    y = 10.0
    totals = layout["totals"]
    heading = (
        f"{layout['binary']}: {layout['fileSize']} bytes; .text {totals['textSize']} bytes, {totals['used']} used, "
        f"{totals['slack']} slack (fragmentation {totals['fragmentation']:.2f}); GOT {totals['gotUsed']}/"
        f"{totals['gotSlots']} slots used"
    )
    parts.append(f'<text x="10" y="{y + 14}" font-size="13">{escape(heading)}</text>')
    y += 30
    entries: list[tuple[int, tuple[float, str, str, str]]] = []
    for region in layout["regions"]:
        color = COLORS[".text"] if region["name"] == ".text" else COLORS[region["kind"]]
        title = f"{region['name']}: offset {region['offset']:#x}, {region['size']} bytes"
        entries.append((region["offset"], (_width(region["size"]), color, title, region["name"])))
    for gap in layout["fileGaps"]:
        title = f"free: offset {gap['offset']:#x}, {gap['size']} bytes"
        entries.append((gap["offset"], (_width(gap["size"]), COLORS["gap"], title, "free")))
    entries.sort(key=lambda e: e[0])
    parts.append(f'<text x="10" y="{y + 12}" font-size="12">file</text>')
    boxes, y = _flow([e[1] for e in entries], y + 18)
    parts.extend(boxes)
    items: list[tuple[float, str, str, str]] = []
    for block in layout["text"]["blocks"]:
        title = (
            f"@{block['name']} ({block['kind']}): {block['address']:#x}, {block['size']} bytes + {block['room']} room"
        )
        items.append((_width(block["size"]), COLORS[block["kind"]], title, block["name"]))
        if block["room"]:
            items.append(
                (_width(block["room"]) / 2, COLORS["room"], f"room after @{block['name']}: {block['room']} bytes", "")
            )
    for gap in layout["text"]["gaps"]:
        items.append((_width(gap["size"]), COLORS["gap"], f"free: {gap['address']:#x}, {gap['size']} bytes", "free"))
    parts.append(f'<text x="10" y="{y + 12}" font-size="12">.text</text>')
    boxes, y = _flow(items, y + 18)
    parts.extend(boxes)
    slots = [
        (
            14.0,
            COLORS["slot"] if s["decl"] else COLORS["free"],
            f"GOT[{s['index']}] {s['address']:#x} → " + (f"@{s['decl']}" if s["decl"] else "free"),
            "",
        )
        for s in layout["got"]["slots"]
    ]
    parts.append(f'<text x="10" y="{y + 12}" font-size="12">.got</text>')
    boxes, y = _flow(slots, y + 18)
    parts.extend(boxes)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y:.0f}" font-family="monospace">'
        f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>\n'
    )
