"""``zir objdump BINARY [--decl NAME] [--json]`` and ``zir layout BINARY [--json] [--svg PATH]``.

Both read an ELF file ZIR Live wrote and never modify it; a file that is not one (or is truncated or
corrupted) is refused with one line ``zir CMD: PATH: reason`` and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from compiler import output_guard
from compiler.inspect.binary import InspectError, read_file, read_regular
from compiler.inspect.disasm import objdump_json
from compiler.inspect.layout import layout_json


class UsageError(Exception):
    """Bad arguments: exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _out(text: str) -> None:
    sys.stdout.write(text)


def _source_lines(path: str) -> list[str] | None:
    """The lines of the binary's source, or None when it is not a readable regular file (a FIFO put in its
    place hung the listing)."""
    try:
        return read_regular(path).decode("utf-8", "replace").split("\n")
    except InspectError:
        return None


def render_objdump(listing: dict[str, Any]) -> str:
    """The text form: decl headers, instructions with their source line interleaved (as ``objdump -d -l``)."""
    source = listing["source"]
    lines = _source_lines(source)
    out = [f"{listing['binary']}:     file format elf64-x86-64 (ZIR Live, source {source})", ""]
    for decl in listing["decls"]:
        slot = decl["gotSlot"]
        facts = [f"{decl['kind']}, {decl['size']} bytes of {decl['capacity']}"]
        if slot is not None:
            facts.append(f"GOT[{slot}] at {decl['gotAddress']:#x}")
        facts.extend(f"export {name}" for name in decl["exports"])
        out.append(f"{decl['address']:016x} <{decl['name']}>: {'; '.join(facts)}")
        if decl["kind"] == "function":
            current: int | None = None
            for inst in decl["instructions"]:
                if inst["line"] is not None and inst["line"] != current:
                    current = inst["line"]
                    out.append(f"{source}:{current}")
                    if lines is not None and 0 < current <= len(lines):
                        out.append(f"    {lines[current - 1].strip()}")
                data = bytes.fromhex(inst["bytes"])
                text = f"{inst['mnemonic']} {inst['operands']}".rstrip()
                out.append(f" {inst['address']:x}:\t{data.hex(' '):<24}\t{text}")
        if "data" in decl:
            data = bytes.fromhex(decl["data"]["bytes"])
            base = decl["address"] + decl["data"].get("offset", 0)
            for at in range(0, len(data), 16):
                out.append(f" {base + at:x}:\t{data[at : at + 16].hex(' ')}")
            out.append(f'\t"{decl["data"]["text"]}"')
        out.append("")
    return "\n".join(out)


def render_layout(layout: dict[str, Any]) -> str:
    """The text form: sections, blocks with their room, gaps, GOT slots and the totals."""
    out = [f"{layout['binary']}: {layout['fileSize']} bytes (ZIR Live, source {layout['source']})", "", "Sections:"]
    out.append(f"  {'[Nr] Name':<22}{'Offset':>10}{'Size':>10}  {'Address':<18}Flags")
    for s in layout["sections"]:
        out.append(
            f"  [{s['index']:2}] {s['name']:<17}{s['offset']:>#10x}{s['size']:>10}  {s['address']:#018x}{s['flags']}"
        )
    text = layout["text"]
    out += ["", f".text blocks ({len(text['blocks'])}):"]
    out.append(f"  {'Address':<12}{'Size':>8}{'Room':>8}  {'GOT':>5}  Decl")
    for b in text["blocks"]:
        slot = "-" if b["gotSlot"] is None else str(b["gotSlot"])
        out.append(f"  {b['address']:<#12x}{b['size']:>8}{b['room']:>8}  {slot:>5}  @{b['name']} ({b['kind']})")
    for g in text["gaps"]:
        out.append(f"  {g['address']:<#12x}{0:>8}{g['size']:>8}  {'-':>5}  (free)")
    out += ["", "File gaps:"]
    out.extend(f"  {g['offset']:#x}: {g['size']} bytes" for g in layout["fileGaps"])
    out += ["", f"GOT slots ({len(layout['got']['slots'])}):"]
    for slot in layout["got"]["slots"]:
        target = f"@{slot['decl']}" if slot["decl"] else "(free)"
        out.append(f"  [{slot['index']:>4}] {slot['address']:#x} -> {slot['value']:#x} {target}")
    t = layout["totals"]
    out += [
        "",
        f"Totals: .text {t['textSize']} bytes: {t['used']} used, {t['slack']} slack, largest free run "
        f"{t['largestFree']}, fragmentation {t['fragmentation']:.2f}; GOT {t['gotUsed']} used, {t['gotFree']} free; "
        f"{t['fileFree']} free bytes in the file",
        "",
    ]
    return "\n".join(out)


def cmd_objdump(argv: list[str]) -> int:
    parser = _Parser(prog="zir objdump", description="Disassemble an ELF file ZIR Live wrote.")
    parser.add_argument("binary", metavar="BINARY")
    parser.add_argument("--decl", metavar="NAME", help="only this decl (@NAME or NAME)")
    parser.add_argument("--json", action="store_true", help="print the JSON of docs/inspect.md")
    args = parser.parse_args(argv)
    listing = objdump_json(read_file(args.binary), args.decl)
    _out(json.dumps(listing) + "\n" if args.json else render_objdump(listing))
    return 0


def cmd_layout(argv: list[str]) -> int:
    parser = _Parser(prog="zir layout", description="Map the bytes of an ELF file ZIR Live wrote.")
    parser.add_argument("binary", metavar="BINARY")
    parser.add_argument("--json", action="store_true", help="print the JSON of docs/inspect.md")
    parser.add_argument("--svg", metavar="PATH", help="also draw the map as an SVG file")
    args = parser.parse_args(argv)
    layout = layout_json(read_file(args.binary))
    if args.svg:
        from compiler.inspect.svg import render

        if os.path.realpath(args.svg) == os.path.realpath(args.binary):
            raise UsageError("--svg would overwrite the binary")
        # as --emit-zir (docs/reliability.md): never the binary's source (it was overwritten with the map), never
        # a FIFO or device (a FIFO hung the command), a directory said so
        refusal = output_guard.check_plain_output(args.svg, [args.binary, layout["source"]])
        if refusal is not None:
            raise InspectError(refusal)
        try:
            output_guard.write_plain_output(args.svg, render(layout).encode())
        except OSError as error:
            raise InspectError(f"cannot write '{args.svg}': {error.strerror or error}") from None
    _out(json.dumps(layout) + "\n" if args.json else render_layout(layout))
    return 0


COMMANDS: dict[str, Callable[[list[str]], int]] = {"objdump": cmd_objdump, "layout": cmd_layout}


def main_objdump(argv: list[str]) -> int:
    """``zir objdump`` (registered in ``compiler/cli.py``)."""
    return run("objdump", argv)


def main_layout(argv: list[str]) -> int:
    """``zir layout`` (registered in ``compiler/cli.py``)."""
    return run("layout", argv)


def run(name: str, argv: list[str]) -> int:
    """Run ``zir NAME``: 0 success, 1 the file cannot be inspected, 2 usage error."""
    try:
        return COMMANDS[name](argv)
    except UsageError as error:
        sys.stderr.write(f"zir {name}: {error}\n")
        return 2
    except InspectError as error:
        path = next((a for a in argv if not a.startswith("-")), "")
        sys.stderr.write(f"zir {name}: {path}: {error}\n")
        return 1
