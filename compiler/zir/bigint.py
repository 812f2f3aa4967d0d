"""Decimal conversion of arbitrary-size integers, free of Python's 4300-digit int/str conversion limit."""

from __future__ import annotations

from typing import Final

_CHUNK: Final = 1000


def parse_decimal(text: bytes) -> int:
    """The value of ``-?[0-9]+`` (already validated), however many digits it has."""
    negative = text.startswith(b"-")
    digits = text[1:] if negative else text
    if len(digits) <= _CHUNK:
        value = int(digits)
    else:
        value = 0
        for k in range(0, len(digits), _CHUNK):
            chunk = digits[k : k + _CHUNK]
            value = value * 10 ** len(chunk) + int(chunk)
    return -value if negative else value


def format_decimal(value: int) -> str:
    """``value`` in decimal with a leading ``-`` when negative, however many digits it has."""
    if value < 0:
        return "-" + format_decimal(-value)
    if value < 10**_CHUNK:
        return str(value)
    parts: list[str] = []
    base = 10**_CHUNK
    while value:
        value, rest = divmod(value, base)
        parts.append(str(rest))
    head = parts.pop()
    return head + "".join(p.rjust(_CHUNK, "0") for p in reversed(parts))
