"""The internal codegen error: a message raised before its position is known (the instruction adds it)."""

from __future__ import annotations


class Fail(Exception):
    """A codegen error without a position yet; ``FunctionGen.gen_body`` adds the current instruction's ``src``."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg
