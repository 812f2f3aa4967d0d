"""Disassembles decls with capstone and renders data decls: the ``zir objdump`` JSON (docs/inspect.md).

Each function's instructions carry the 1-based ``.zir`` line they came from (``lines``); Intel syntax, as
GNU ``objdump -M intel`` prints it. Bytes capstone cannot decode become one-byte ``(bad)`` entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compiler.codegen.x86_64.safety import PANIC_NAME, panic_code_length, panic_routine_code
from compiler.inspect.binary import Binary, DeclSymbol, InspectError
from compiler.inspect.lines import LineHeader, decode, read_header, rows_of

if TYPE_CHECKING:
    import capstone

FORMAT = "zir-objdump"
VERSION = 1

_engine: capstone.Cs | None = None


def _capstone() -> capstone.Cs:
    global _engine
    if _engine is None:
        try:
            import capstone  # imported on first use: the server starts without it (a client may never ask)
        except ImportError as err:
            raise InspectError(f"disassembly needs the capstone package ({err})") from err
        _engine = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        _engine.syntax = capstone.CS_OPT_SYNTAX_INTEL
    return _engine


def instructions(code: bytes, address: int) -> list[tuple[int, bytes, str, str]]:
    """``(address, bytes, mnemonic, operands)`` of every instruction in ``code`` placed at ``address``."""
    engine = _capstone()
    out: list[tuple[int, bytes, str, str]] = []
    pos = 0
    while pos < len(code):
        for at, size, mnemonic, operands in engine.disasm_lite(code[pos:], address + pos):
            offset = at - address
            out.append((at, code[offset : offset + size], mnemonic, operands))
            pos = offset + size
        if pos < len(code):  # capstone stops at bytes it cannot decode: show one, go on after it
            out.append((address + pos, code[pos : pos + 1], "(bad)", ""))
            pos += 1
    return out


def render_text(data: bytes) -> str:
    """The bytes as text: UTF-8 where valid, control and invalid bytes escaped (``\\n``, ``\\x00``)."""
    out: list[str] = []
    for char in data.decode("utf-8", "surrogateescape"):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        else:
            out.append(char)
    return "".join(out)


def code_length(decl: DeclSymbol, code: bytes) -> int:
    """Where a function's instructions end: the panic routine's message table follows its code (it is data,
    not instructions); every other function is code to its last byte."""
    if decl.name == PANIC_NAME:
        routine = panic_routine_code()
        length = panic_code_length()
        if code == routine and length <= len(code):
            return length
    return len(code)


def decl_json(
    binary: Binary, decl: DeclSymbol, header: LineHeader | None, sequences: dict[int, list[tuple[int, int]]] | None
) -> dict[str, Any]:
    """One decl of the ``zir objdump`` JSON; ``sequences`` is the whole decoded line table, when at hand."""
    slot = binary.got_slot(decl.address)
    got = binary.section(".got")
    code = binary.block_bytes(decl)
    out: dict[str, Any] = {
        "name": decl.name,
        "kind": decl.kind,
        "address": decl.address,
        "offset": binary.file_offset(decl.address),
        "size": decl.size,
        "capacity": binary.capacity(decl),
        "gotSlot": slot,
        "gotAddress": None if slot is None else got.address + 8 * slot,
        "exports": binary.exports_of(decl.address),
    }
    if decl.kind == "function":
        code_end = code_length(decl, code)
        code, tail = code[:code_end], code[code_end:]
        if tail:
            out["data"] = {"offset": code_end, "bytes": tail.hex(), "text": render_text(tail)}
        rows = rows_of(binary, header, decl.address) if sequences is None else sequences.get(decl.address, [])
        out["line"] = rows[0][1] if rows else None
        listing: list[dict[str, Any]] = []
        row = 0
        line: int | None = None
        for address, data, mnemonic, operands in instructions(code, decl.address):
            while row < len(rows) and rows[row][0] <= address:
                line = rows[row][1]
                row += 1
            listing.append(
                {"address": address, "bytes": data.hex(), "mnemonic": mnemonic, "operands": operands, "line": line}
            )
        out["instructions"] = listing
    else:
        out["data"] = {"bytes": code.hex(), "text": render_text(code)}
    return out


def objdump_json(binary: Binary, decl: str | None = None) -> dict[str, Any]:
    """The ``zir objdump --json`` object: every decl in address order, or only ``decl``."""
    header = read_header(binary)
    sequences: dict[int, list[tuple[int, int]]] | None = None
    if decl is not None:
        found = binary.decl(decl)
        if found is None:
            raise InspectError(f"no decl named '{decl.removeprefix('@')}' in {binary.path}")
        selected = [found]
    else:
        selected = binary.decls
        sequences = {} if header is None else decode(binary, header)
    return {
        "format": FORMAT,
        "version": VERSION,
        "binary": binary.path,
        "source": binary.source_file(),
        "entry": binary.entry,
        "decls": [decl_json(binary, d, header, sequences) for d in selected],
    }
