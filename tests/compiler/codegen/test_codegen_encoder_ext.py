"""The instruction forms of the complete language (encoder_ext) against GNU ``as`` byte for byte, and capstone.

Rows use every register as operand and base (rsp/r12 need a SIB byte, rbp/r13 a displacement), every size
and displacements at the disp8/disp32 boundaries.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.codegen.x86_64 import encoder_ext as ex
from compiler.codegen.x86_64.encoder import AluOp, Cond
from compiler.codegen.x86_64.encoder_ext import Mem
from compiler.codegen.x86_64.registers import Register
from tests.compiler.codegen.test_codegen_encoder import PTR, REGS64, assemble, decode, name

Row = tuple[str, bytes]
DISPS = (0, 8, -8, 127, -128, 128, -129, 4096, -(1 << 31))
MEMS = [Mem(b, d) for b in REGS64 for d in (0, -8, 200)] + [Mem(Register.RBP, d) for d in DISPS]


def mem_text(m: Mem) -> str:
    return f"[{name(m.base, 8)} {'+' if m.disp >= 0 else '-'} {abs(m.disp)}]"


def rm_text(rm: Register | Mem, size: int) -> str:
    return name(rm, size) if isinstance(rm, Register) else f"{PTR[size]} ptr {mem_text(rm)}"


def operands() -> Iterator[Register | Mem]:
    yield from REGS64
    yield from MEMS


def rows_moves() -> Iterator[Row]:
    for r in (Register.RAX, Register.RSI, Register.R9, Register.R15):
        for rm in operands():
            for size in (8, 4, 2, 1):
                load = "{load} " if isinstance(rm, Register) else ""
                store = "{store} " if isinstance(rm, Register) else ""
                yield f"{load}mov {name(r, size)}, {rm_text(rm, size)}", ex.mov_r_rm(r, rm, size)
                yield f"{store}mov {rm_text(rm, size)}, {name(r, size)}", ex.mov_rm_r(rm, r, size)
            yield f"movsx {name(r, 8)}, {rm_text(rm, 1)}", ex.load_ext(r, rm, 1, True)
            yield f"movzx {name(r, 4)}, {rm_text(rm, 1)}", ex.load_ext(r, rm, 1, False)
            yield f"movsx {name(r, 8)}, {rm_text(rm, 2)}", ex.load_ext(r, rm, 2, True)
            yield f"movzx {name(r, 4)}, {rm_text(rm, 2)}", ex.load_ext(r, rm, 2, False)
            yield f"movsxd {name(r, 8)}, {rm_text(rm, 4)}", ex.load_ext(r, rm, 4, True)
            yield (
                f"{'{load} ' if isinstance(rm, Register) else ''}mov {name(r, 4)}, {rm_text(rm, 4)}",
                ex.load_ext(r, rm, 4, False),
            )
        for m in MEMS:
            yield f"lea {name(r, 8)}, {mem_text(m)}", ex.lea(r, m)
    for rm in MEMS:  # register destinations: as picks the shorter B8+r / B0+r forms
        for size, imm in ((1, 0xAA), (2, 0x1234), (4, 0x12345678), (8, -5), (8, 0x7FFF_FFFF)):
            yield f"mov {rm_text(rm, size)}, {imm}", ex.mov_rm_imm(rm, imm, size)


def rows_arith() -> Iterator[Row]:
    for r in (Register.RAX, Register.RDI, Register.R8, Register.R12):
        for rm in operands():
            load = "{load} " if isinstance(rm, Register) else ""
            for size in (8, 4, 2, 1):
                for op in AluOp:
                    yield f"{load}{op.name.lower()} {name(r, size)}, {rm_text(rm, size)}", ex.alu_r_rm(op, r, rm, size)
                yield f"test {rm_text(rm, size)}, {name(r, size)}", ex.test_rm_r(rm, r, size)
            for size in (8, 4, 2):
                yield f"imul {name(r, size)}, {rm_text(rm, size)}", ex.imul_r_rm(r, rm, size)
    for rm in MEMS:  # register destinations: as picks the accumulator forms for al/ax/eax/rax
        for size in (8, 4, 2, 1):
            for op in AluOp:
                imm = -3 if size != 1 else 0xF0
                yield f"{op.name.lower()} {rm_text(rm, size)}, {imm}", ex.alu_rm_imm8(op, rm, imm, size)
    for rm in operands():
        for size in (8, 4):
            for ext, mn in ((ex.NOT, "not"), (ex.NEG, "neg"), (ex.MUL, "mul"), (ex.IMUL, "imul"), (ex.DIV, "div")):
                yield f"{mn} {rm_text(rm, size)}", ex.group3(ext, rm, size)
            yield f"idiv {rm_text(rm, size)}", ex.group3(ex.IDIV, rm, size)
            for ext, mn in ((ex.SHL, "shl"), (ex.SHR, "shr"), (ex.SAR, "sar")):
                yield f"{mn} {rm_text(rm, size)}, cl", ex.shift_cl(ext, rm, size)
                yield f"{mn} {rm_text(rm, size)}, 3", ex.shift_imm(ext, rm, 3, size)
        for cc in Cond:
            yield f"set{cc.name.lower()} {rm_text(rm, 1)}", ex.setcc(cc, rm)
        yield f"call {rm_text(rm, 8)}", ex.call_rm(rm)
    yield "cqo", ex.cqo()
    yield "cdq", ex.cdq()


def rows_stack() -> Iterator[Row]:
    for r in REGS64:
        yield f"push {name(r, 8)}", ex.push(r)
        yield f"pop {name(r, 8)}", ex.pop(r)
    for n in (16, 0x7FFF_FFF0):
        yield f"{{disp32}} sub rsp, {n}", ex.sub_rsp(n)
    yield "mov edi, 7", ex.mov_edi_imm32(7)


FORMS = {"moves": rows_moves, "arith": rows_arith, "stack": rows_stack}


@pytest.mark.parametrize("form", list(FORMS))
def test_form_matches_gnu_as_and_capstone(form: str, tmp_path: Path) -> None:
    rows = [(t, b) for t, b in FORMS[form]() if not t.startswith("{disp32} sub rsp, 16")]
    theirs = assemble([t for t, _ in rows], tmp_path)
    if theirs != b"".join(b for _, b in rows):
        for text, ours in rows:
            got = assemble([text], tmp_path)
            assert ours == got, f"{text!r}: ours {ours.hex(' ')} != as {got.hex(' ')}"
    for text, ours in rows:
        assert len(decode(ours)) == 1, text


def test_sub_rsp_keeps_imm32() -> None:
    # the stack-argument area is reserved with the imm32 form (as would pick imm8 for 16)
    assert ex.sub_rsp(16) == bytes.fromhex("4881ec10000000")
