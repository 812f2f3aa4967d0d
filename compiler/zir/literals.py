"""String-literal escapes (zir-language.md §2.5): the bytes a quoted string stands for."""

from __future__ import annotations

from typing import Final

_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
_SIMPLE_ESCAPES: Final = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("\\"): 92, ord("'"): 39, ord('"'): 34}


def byte_text(byte: int) -> str:
    """A single source byte as it appears in a message (``{c}``): the byte itself, losslessly decoded."""
    return bytes((byte,)).decode("utf-8", "surrogateescape")


class BadStringByte(Exception):
    """An invalid byte of a string literal at an absolute offset (the parser reports it as a parse error)."""

    def __init__(self, pos: int, msg: str) -> None:
        super().__init__(msg)
        self.pos = pos
        self.msg = msg


def decode_string(buf: bytes, begin: int, end: int) -> bytes:
    """Decodes the escapes of ``buf[begin:end]`` (the text between the quotes; ``buf[end]`` is ``"``)."""
    out = bytearray()
    i = begin
    while i < end:
        c = buf[i]
        if c == 0x0A:
            raise BadStringByte(i, "invalid string literal character: '\n'\n")
        if c != 0x5C:  # '\'
            out.append(c)
            i += 1
            continue
        letter_at = i + 1
        letter = buf[letter_at]
        simple = _SIMPLE_ESCAPES.get(letter)
        if simple is not None:
            out.append(simple)
            i += 2
        elif letter == 0x78:  # \xHH
            for k in (i + 2, i + 3):
                if k >= end or buf[k] not in _HEX:
                    raise _bad_string_byte(buf, k)
            out.append(int(buf[i + 2 : i + 4], 16))
            i += 4
        elif letter == 0x75:  # \u{H...}
            i = _decode_unicode_escape(buf, letter_at, end, out)
        else:
            raise _bad_string_byte(buf, letter_at)
    return bytes(out)


def _decode_unicode_escape(buf: bytes, u_at: int, end: int, out: bytearray) -> int:
    """``\\u{H…}`` (1–6 hex digits, a Unicode scalar value) appended as UTF-8; returns the offset after ``}``."""
    brace = u_at + 1
    if buf[brace] != 0x7B or brace >= end:  # '{'
        raise _bad_string_byte(buf, brace)
    k = brace + 1
    while k < end and buf[k] in _HEX and k - brace <= 6:
        k += 1
    if buf[k] != 0x7D or k >= end or k == brace + 1:  # '}' after 1..6 digits
        raise _bad_string_byte(buf, k)
    value = int(buf[brace + 1 : k], 16)
    if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        raise _bad_string_byte(buf, u_at)
    out += chr(value).encode("utf-8")
    return k + 1


def _bad_string_byte(buf: bytes, pos: int) -> BadStringByte:
    return BadStringByte(pos, f"invalid string literal character: '{byte_text(buf[pos])}'\n")
