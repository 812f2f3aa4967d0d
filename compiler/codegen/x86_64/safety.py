"""Runtime safety: the checks' calls of the panic routine, and the routine ``__zirlive_panic`` itself
(docs/design/language-complete.md §10).

A failed check runs ``mov edi, ID; call [G(__zirlive_panic)]``; a passing one jumps over it. The routine is
Naked and position independent: it writes ``panic: MESSAGE\\n`` to fd 2 with one ``write``, then ``getpid``,
``kill(pid, SIGABRT)`` and, should that return, ``exit_group(134)``.
"""

from __future__ import annotations

import enum
import struct
from typing import TYPE_CHECKING, Final

from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64 import encoder_ext as ex
from compiler.codegen.x86_64.encoder import Cond
from compiler.codegen.x86_64.frame import Label
from compiler.link import GeneratedSymbol, SymbolType

if TYPE_CHECKING:
    from compiler.codegen.x86_64.function import FunctionGen

PANIC_NAME: Final = "__zirlive_panic"


class PanicId(enum.IntEnum):
    """The panic messages, numbered as §10 orders them (the id travels in ``edi``)."""

    INTEGER_OVERFLOW = 0
    DIVISION_BY_ZERO = 1
    CAST_NEGATIVE = 2
    CAST_TRUNCATED = 3
    SHIFT_AMOUNT = 4
    NULL_UNWRAP = 5
    INDEX_OUT_OF_BOUNDS = 6
    REACHED_UNREACHABLE = 7


MESSAGES: Final[dict[PanicId, str]] = {
    PanicId.INTEGER_OVERFLOW: "integer overflow",
    PanicId.DIVISION_BY_ZERO: "division by zero",
    PanicId.CAST_NEGATIVE: "attempt to cast negative value to unsigned integer",
    PanicId.CAST_TRUNCATED: "integer cast truncated bits",
    PanicId.SHIFT_AMOUNT: "shift amount is greater than the type size",
    PanicId.NULL_UNWRAP: "attempt to use null value",
    PanicId.INDEX_OUT_OF_BOUNDS: "index out of bounds",
    PanicId.REACHED_UNREACHABLE: "reached unreachable code",
}


def call_panic(fg: FunctionGen, msg: PanicId) -> None:
    """``mov edi, ID; call [G(__zirlive_panic)]`` (never returns)."""
    fg.buf.emit(ex.mov_edi_imm32(int(msg)))
    fg.buf.emit(enc.call_abs32(fg.panic_got_address()))


def panic_unless(fg: FunctionGen, ok: Cond, msg: PanicId) -> None:
    """The check: ``j<ok>`` over the panic call."""
    over = Label("SAFE")
    fg.buf.jcc(ok, over)
    call_panic(fg, msg)
    fg.buf.bind(over)


# The routine's code before its table (rip-relative, so it runs wherever the block is placed):
#   mov eax, edi ; lea rcx, [rip + TABLE] ; mov edx, [rcx + rax*8 + 4] ; mov esi, [rcx + rax*8] ; add rsi, rcx
#   mov edi, 2 ; mov eax, 1 ; syscall                      (write(2, message, length))
#   mov eax, 39 ; syscall ; mov edi, eax ; mov esi, 6 ; mov eax, 62 ; syscall   (kill(getpid(), SIGABRT))
#   mov edi, 134 ; mov eax, 231 ; syscall                   (exit_group(134))
_HEAD: Final = bytes.fromhex("89f8 488d0d")
_AFTER_LEA: Final = bytes.fromhex(
    "8b54c104 8b34c1 4801ce"
    "bf02000000 b801000000 0f05"
    "b827000000 0f05 89c7 be06000000 b83e000000 0f05"
    "bf86000000 b8e7000000 0f05"
)


def panic_code_length() -> int:
    """Bytes of the routine's code: its table and texts follow (``zir objdump`` shows those as data)."""
    return len(_HEAD) + 4 + len(_AFTER_LEA)


PANIC_ASM: Final = """mov eax, edi
lea rcx, [rip + table]
mov edx, [rcx + rax*8 + 4]
mov esi, [rcx + rax*8]
add rsi, rcx
mov edi, 2
mov eax, 1
syscall
mov eax, 39
syscall
mov edi, eax
mov esi, 6
mov eax, 62
syscall
mov edi, 134
mov eax, 231
syscall
table:"""
"""The routine's code as GNU ``as`` text (tests assemble it and compare; inspectors know where data starts)."""


def panic_routine_code() -> bytes:
    """The routine's bytes: code, then a table of (offset from the table, length) per id, then the texts."""
    code_len = panic_code_length()
    texts = [f"panic: {MESSAGES[m]}\n".encode() for m in PanicId]
    table = b""
    offset = 8 * len(texts)
    for t in texts:
        table += struct.pack("<II", offset, len(t))
        offset += len(t)
    rel = code_len - (len(_HEAD) + 4)
    return _HEAD + struct.pack("<i", rel) + _AFTER_LEA + table + b"".join(texts)


def generate_panic_routine() -> GeneratedSymbol:
    """The synthetic decl ``__zirlive_panic``: its bytes never change within a Module."""
    return GeneratedSymbol(code=panic_routine_code(), alignment=1, symbol_type=SymbolType.FUNC)
