"""Every encoder form of x86_64.md §6.2 against GNU ``as`` (byte for byte) and capstone (decoded back).

Each table row is (assembly text, our bytes). All rows of a form are assembled by GNU ``as`` in one file and
the bytes must be identical. Where ``as`` prefers a shorter accumulator alias (``add eax, imm32`` → ``05``,
``add al, imm8`` → ``04``, ``test al, 1`` → ``A8``), the row is marked and both encodings must decode (with
capstone) to the same instruction instead. Every row of ours must decode as exactly one instruction.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import capstone
import pytest
from elftools.elf.elffile import ELFFile

from compiler.codegen.x86_64 import encoder as enc
from compiler.codegen.x86_64.encoder import AluOp, Cond
from compiler.codegen.x86_64.registers import Register

Row = tuple[str, bytes, bool]  # (asm text, our bytes, as-uses-an-accumulator-alias)

REGS64 = [Register(i) for i in range(16)]
INDIRECT_OK = [r for r in REGS64 if r.lo not in (4, 5)]  # [rsp]/[rbp]-like bases need SIB/disp
SIZES = (8, 4, 2, 1)
PTR = {8: "qword", 4: "dword", 2: "word", 1: "byte"}
DISPS = (1, 8, 127, 128, 129, 4096, 1 << 31)
CCS = list(Cond)


def name(reg: Register, size: int) -> str:
    r = reg.to_size(size)
    # 8-bit ids 4-7 are spl/bpl/sil/dil in every ZIR Live form (they all carry a REX prefix)
    if size == 1 and 4 <= r.id <= 7:
        return ("spl", "bpl", "sil", "dil")[r.id - 4]
    return r.asm_name


def rows_moves() -> Iterator[Row]:
    for r in REGS64:
        yield f"xor {name(r, 4)}, {name(r, 4)}", enc.xor_r32_r32(r), False  # M1
        for imm in (1, 0x7F, 0xFFFF_FFFF):
            yield f"mov {name(r, 4)}, {imm}", enc.mov_r32_imm32(r, imm), False  # M2
        for imm in (1, 0x1_0000_0000, 0xAAAA_AAAA_AAAA_AAAA):
            yield f"movabs {name(r, 8)}, {imm}", enc.mov_r64_imm64(r, imm), False  # M3
        for s in REGS64:
            yield f"{{load}} mov {name(r, 8)}, {name(s, 8)}", enc.mov_reg_reg(r, s, 8), False  # M4
            yield f"{{load}} mov {name(r, 4)}, {name(s, 4)}", enc.mov_reg_reg(r, s, 4), False
    yield "movabs rax, [0x123456789abc]", enc.movabs_rax_moffs64(0x1234_5678_9ABC), False  # M6
    for r in INDIRECT_OK:
        yield f"mov {name(r, 8)}, qword ptr [{name(r, 8)}]", enc.mov_reg_indirect(r, 8), False


def rows_loads() -> Iterator[Row]:
    for r in REGS64:
        for a in (0x4000060, 0x7FFF_FFFF):
            yield f"mov {name(r, 8)}, qword ptr [{a}]", enc.mov_reg_abs32(r, a, 8), False  # M5
            yield f"mov {name(r, 4)}, dword ptr [{a}]", enc.mov_reg_abs32(r, a, 4), False
            yield f"movzx {name(r, 4)}, word ptr [{a}]", enc.mov_reg_abs32(r, a, 2), False
            yield f"movzx {name(r, 4)}, byte ptr [{a}]", enc.mov_reg_abs32(r, a, 1), False
        for d in DISPS:
            yield f"mov {name(r, 8)}, qword ptr [rbp - {d}]", enc.mov_reg_rbp(r, d, 8), False  # M7
            yield f"mov {name(r, 4)}, dword ptr [rbp - {d}]", enc.mov_reg_rbp(r, d, 4), False
            yield f"movzx {name(r, 4)}, word ptr [rbp - {d}]", enc.mov_reg_rbp(r, d, 2), False
            yield f"movzx {name(r, 4)}, byte ptr [rbp - {d}]", enc.mov_reg_rbp(r, d, 1), False
            yield f"lea {name(r, 8)}, [rbp - {d}]", enc.lea_reg_rbp(r, d), False  # M8


def rows_flags() -> Iterator[Row]:
    for r in REGS64:
        for cc in CCS:
            yield f"set{cc.name.lower()} {name(r, 1)}", enc.setcc_r8(cc, r), False  # M9
        yield f"movzx {name(r, 4)}, {name(r, 1)}", enc.movzx_r32_r8(r), False  # M10
        yield f"test {name(r, 1)}, 1", enc.test_r8_1(r), r.id == 0  # T1


def rows_stores() -> Iterator[Row]:
    for r in REGS64:
        for d in DISPS:
            for size in SIZES:
                yield f"mov {PTR[size]} ptr [rbp - {d}], {name(r, size)}", enc.mov_rbp_reg(d, r, size), False
    for d in DISPS:
        if d < 8:
            continue
        yield f"mov dword ptr [rbp - {d}], 0xaaaaaaaa", enc.mov_rbp_imm(d, 0xAAAA_AAAA, 4), False  # S2
        yield f"mov qword ptr [rbp - {d}], 0x7fffffff", enc.mov_rbp_imm(d, 0x7FFF_FFFF, 8), False
        yield f"mov word ptr [rbp - {d}], 0xaaaa", enc.mov_rbp_imm(d, 0xAAAA, 2), False
        yield f"mov byte ptr [rbp - {d}], 0xaa", enc.mov_rbp_imm(d, 0xAA, 1), False
        # an 8-byte value >= 2^31: two 4-byte stores, low half first
        yield (
            f"mov dword ptr [rbp - {d}], 0x89abcdef\nmov dword ptr [rbp - {d - 4}], 0x1234567",
            enc.mov_rbp_imm(d, 0x0123_4567_89AB_CDEF, 8),
            False,
        )


def rows_alu() -> Iterator[Row]:
    for op in AluOp:
        m = op.name.lower()
        for r in REGS64:
            for s in (Register.RAX, Register.RSP, Register.RSI, Register.R8, Register.R15, r):
                for size in SIZES:
                    yield f"{m} {name(r, size)}, {name(s, size)}", enc.alu_reg_reg(op, r, s, size), False  # A1
            for size in (8, 4, 2):
                for imm in (0, 1, 127):
                    yield f"{m} {name(r, size)}, {imm}", enc.alu_reg_imm8(op, r, imm, size), False  # A2
                for imm in (128, 300, 0x7FFF):
                    yield f"{m} {name(r, size)}, {imm}", enc.alu_reg_imm32(op, r, imm, size), r.id == 0  # A3
            for imm in (128, 0x7FFF_FFFF):
                for size in (8, 4):
                    yield f"{m} {name(r, size)}, {imm}", enc.alu_reg_imm32(op, r, imm, size), r.id == 0
            for imm in (0, 1, 127, 200, 255):
                yield f"{m} {name(r, 1)}, {imm}", enc.alu_r8_imm8(op, r, imm), r.id == 0  # A4


def rows_control() -> Iterator[Row]:
    for rel in (0, 3, -5, 0x1234, -0x10000):
        yield f"{{disp32}} jmp .{rel + 5:+d}", enc.jmp_rel32(rel), False  # J1
        for cc in CCS:
            yield f"{{disp32}} j{cc.name.lower()} .{rel + 6:+d}", enc.jcc_rel32(cc, rel), False  # J3
    for rel in (-128, -2, 0, 127):
        yield f"jmp .{rel + 2:+d}", enc.jmp_rel8(rel), False  # J2
    for a in (0x4000018, 0x4000000, 0x7FFF_FFF8):
        yield f"call qword ptr [{a}]", enc.call_abs32(a), False  # C1
    yield "ret", enc.ret(), False  # R1
    yield "int3", enc.int3(), False  # B1
    yield "syscall", enc.syscall(), False  # Y1
    yield "push rbp", enc.push_rbp(), False  # F1
    yield "mov rbp, rsp", enc.mov_rbp_rsp(), False
    yield "pop rbp", enc.pop_rbp(), False
    for n in (0, 16, 0x7FFF_FFF0):
        yield f"sub rsp, {n}", enc.sub_rsp_imm32(n), False  # F2 (as would pick imm8 for small n)
    for n in (16, 127, 128, 0x7FFF_FFF0):
        yield f"add rsp, {n}", enc.add_rsp_imm(n), False  # F3


FORMS = {
    "moves": rows_moves,
    "loads": rows_loads,
    "flags": rows_flags,
    "stores": rows_stores,
    "alu": rows_alu,
    "control": rows_control,
}


def assemble(lines: list[str], workdir: Path) -> bytes:
    """Assemble Intel-syntax lines with GNU as and return the bytes of .text."""
    src = workdir / "t.s"
    obj = workdir / "t.o"
    src.write_text(".intel_syntax noprefix\n" + "\n".join(lines) + "\n")
    subprocess.run(["as", "--64", "-o", str(obj), str(src)], check=True, capture_output=True)
    with obj.open("rb") as f:
        text = ELFFile(f).get_section_by_name(".text")
        assert text is not None
        data: bytes = text.data()
    return data


def decode(code: bytes) -> list[str]:
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    out = []
    consumed = 0
    for insn in md.disasm(code, 0x1000):
        out.append(f"{insn.mnemonic} {insn.op_str}")
        consumed += insn.size
    assert consumed == len(code), f"capstone could not decode all of {code.hex(' ')}"
    return out


def test_sub_rsp_keeps_imm32_and_add_rsp_picks_imm8() -> None:
    # F2 is always the imm32 form (patched after the body); F3 uses imm8 up to 127.
    assert enc.sub_rsp_imm32(16) == bytes.fromhex("4881ec10000000")
    assert enc.add_rsp_imm(127) == bytes.fromhex("4883c47f")
    assert enc.add_rsp_imm(128) == bytes.fromhex("4881c480000000")


@pytest.mark.parametrize("form", list(FORMS))
def test_form_matches_gnu_as_and_capstone(form: str, tmp_path: Path) -> None:
    rows = list(FORMS[form]())
    exact = [(text, ours) for text, ours, alias in rows if not alias and not text.startswith("sub rsp")]
    theirs = assemble([t for t, _ in exact], tmp_path)
    if theirs != b"".join(b for _, b in exact):
        for text, ours in exact:  # find the first differing row for a precise failure
            got = assemble([text], tmp_path)
            assert ours == got, f"{text!r}: ours {ours.hex(' ')} != as {got.hex(' ')}"
    for text, ours, alias in rows:
        ours_decoded = decode(ours)
        assert len(ours_decoded) == text.count("\n") + 1, text
        if alias or text.startswith("sub rsp"):
            assert ours_decoded == decode(assemble([text], tmp_path)), text


def test_no_redundant_rex_on_8_bit_forms() -> None:
    # Zig emitted REX.W on 8-bit forms; ZIR Live uses 40 only for spl/bpl/sil/dil, 41 for r8b-r15b.
    assert enc.alu_reg_reg(AluOp.ADD, Register.RAX, Register.RCX, 1) == bytes.fromhex("00c8")
    assert enc.alu_reg_reg(AluOp.ADD, Register.RSI, Register.RCX, 1) == bytes.fromhex("4000ce")
    assert enc.setcc_r8(Cond.E, Register.RAX) == bytes.fromhex("0f94c0")
    assert enc.setcc_r8(Cond.E, Register.RDI) == bytes.fromhex("400f94c7")
    assert enc.mov_rbp_reg(1, Register.RDX, 1) == bytes.fromhex("8855ff")


def test_zig_rex_bit_bugs_fixed() -> None:
    # mov r, [abs32] uses REX.R for r8-r15 (Zig: REX.B)
    assert enc.mov_reg_abs32(Register.R9, 0x4000000, 8) == bytes.fromhex("4c8b0c2500000004")
    # the register store uses REX.R (Zig: REX.B)
    assert enc.mov_rbp_reg(8, Register.R10, 8) == bytes.fromhex("4c8955f8")
    # the imm32 ALU form uses REX.B (Zig: REX.R)
    assert enc.alu_reg_imm32(AluOp.ADD, Register.R11, 1000, 8) == bytes.fromhex("4981c3e8030000")
