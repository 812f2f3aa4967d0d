"""Differential random session: one long-lived Compilation against fresh full builds (issue 4).

A seeded `bench.gen.EditSequence` (grow, shrink, add, delete, rename), plus growth of a string decl that
`_start` writes to stdout, drives ≥ 300 updates of one
`Compilation` writing a real ELF in place; between them the test injects compile errors (a call to an
undefined decl, a parse error) and then fixes them. After every good update the incrementally updated binary
must print the current string and exit with the code the edit model predicts, `readelf -a -W` must print no warning and pyelftools must read
every section and every symbol. While errors exist the last good binary must stay byte-for-byte unchanged on
disk. After every good update (`FRESH_EVERY` = 1; raise it to thin the checks for longer sessions) and after
every error→fix transition, a fresh `Compilation` builds the same source into a new file and both binaries
must give the same stdout and exit code (the whole session takes ~10 s here).
Every failure message names the seed and the edit index so the session can be replayed.
"""

from __future__ import annotations

import hashlib
import random
import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from bench.gen import EditKind, EditSequence
from bench.sequence import readelf_warnings, section_bounds_problems
from compiler.compilation import Compilation, Options
from compiler.link import OutputMode

SEED = 4
"""The session's seed (replay a failure by setting it to the seed the message names)."""
EDITS = 320
"""Model edits (each one update); error updates and their fixes come on top."""
CHAIN = 12
"""Functions in the initial chain."""
ERROR_RATE = 0.08
"""Probability that an edit is followed by an error update (then fixed by the next update)."""
STRING_RATE = 0.1
"""Probability that an edit also grows the `@msg` string `_start` writes to stdout."""
FRESH_EVERY = 1
"""A fresh full build is compared on every k-th good update (and always after an error→fix and at the end)."""


def _run(path: Path) -> tuple[int, bytes]:
    proc = subprocess.run([str(path)], capture_output=True, check=False, timeout=30)
    return proc.returncode, proc.stdout


def _elf_problems(path: Path) -> list[str]:
    """pyelftools reads every section's data and every symbol; readelf prints no warning."""
    problems = list(readelf_warnings(path)) + section_bounds_problems(path)
    with path.open("rb") as f:
        elf = ELFFile(f)
        for sec in elf.iter_sections():
            sec.data()
            if isinstance(sec, SymbolTableSection):
                for sym in sec.iter_symbols():
                    _ = (sym.name, sym["st_value"], sym["st_size"], sym["st_shndx"])
        for seg in elf.iter_segments():
            seg.data()
    return problems


def _fresh(src: Path, out: Path) -> Path:
    out.unlink(missing_ok=True)
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE))
    try:
        report = comp.update()
        assert report.ok, [e.message for e in comp.all_errors()]
    finally:
        comp.close()
    return out


def _with_message(source: bytes, message: str) -> bytes:
    """`source` whose `_start` first writes the `@msg` string decl to stdout (the string-growth edits)."""
    write = (
        '  %wsys = str("syscall")\n'
        '  %wout = str("={rax}")\n'
        '  %wrax = str("{rax}")\n'
        '  %wrdi = str("{rdi}")\n'
        '  %wrsi = str("{rsi}")\n'
        '  %wrdx = str("{rdx}")\n'
        '  %wrcx = str("rcx")\n'
        '  %wr11 = str("r11")\n'
        '  %wmem = str("memory")\n'
        "  %wnr = int(1)\n"
        "  %wfd = int(1)\n"
        "  %wbuf = ptrtoint(@msg)\n"
        f"  %wlen = int({len(message)})\n"
        "  %w = asm(%wsys, @usize, volatile=1, output=%wout, inputs=[%wrax, %wrdi, %wrsi, %wrdx],"
        " clobbers=[%wrcx, %wr11, %wmem], args=[%wnr, %wfd, %wbuf, %wlen])\n"
    )
    text = source.decode().replace("  %v = call(", write + "  %v = call(", 1)
    return (text + f'@msg = str("{message}")\n').encode()


def _reachable(seq: EditSequence) -> list[str]:
    """Functions `_start` reaches (only referenced decls are analysed, so only their errors are reported)."""
    seen, stack = {seq.root}, [seq.root]
    while stack:
        for term in seq.functions[stack.pop()].terms:
            if term.callee is not None and term.callee not in seen:
                seen.add(term.callee)
                stack.append(term.callee)
    return [name for name in seq.functions if name in seen]


def _broken(seq: EditSequence, good: bytes, rng: random.Random, k: int) -> bytes:
    """The good source with one injected compile error: an undefined callee, or a line that does not parse."""
    text = good.decode()
    callers = [seq.functions[n] for n in _reachable(seq) if any(t.callee for t in seq.functions[n].terms)]
    if callers and rng.random() < 0.5:
        fn = rng.choice(callers)
        callee = rng.choice([t.callee for t in fn.terms if t.callee is not None])
        body = fn.render()
        broken = body.replace(f"call(@{callee},", f"call(@undefined_decl_{k},", 1)
        return text.replace(body, broken, 1).encode()
    lines = text.splitlines(keepends=True)
    lines.insert(rng.randrange(len(lines)), "@@ this is not ZIR\n")
    return "".join(lines).encode()


def test_random_session_matches_fresh_builds(tmp_path: Path) -> None:
    seq = EditSequence(SEED, CHAIN)
    rng = random.Random(SEED * 7919 + 1)
    src, out, fresh = tmp_path / "s.zir", tmp_path / "s", tmp_path / "fresh"
    message = "hi"
    src.write_bytes(_with_message(seq.source(), message))
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE))
    where = f"seed {SEED}"
    good_updates = fresh_checks = error_updates = string_edits = 0
    try:
        assert comp.update().ok, f"{where}: initial build failed"
        for k in range(1, EDITS + 1):
            kind = seq.step()
            at = f"{where}, edit {k} ({kind.value})"
            if rng.random() < STRING_RATE:
                message += f" word{k}" * rng.randrange(1, 6)
                string_edits += 1
            good = _with_message(seq.source(), message)
            src.write_bytes(good)
            report = comp.update()
            assert report.ok, f"{at}: {[e.message for e in comp.all_errors()]}"
            good_updates += 1
            code, stdout = _run(out)
            assert code == seq.exit_code(), f"{at}: exit code {code}, expected {seq.exit_code()}"
            assert stdout == message.encode(), f"{at}: stdout {stdout!r}, expected {message!r}"
            assert _elf_problems(out) == [], f"{at}: {_elf_problems(out)}"
            compare = good_updates % FRESH_EVERY == 0 or k == EDITS
            if rng.random() < ERROR_RATE:
                error_updates += 1
                before = hashlib.sha256(out.read_bytes()).digest()
                src.write_bytes(_broken(seq, good, rng, k))
                bad = comp.update()
                assert not bad.ok and comp.all_errors(), f"{at}, error update: no error reported"
                assert hashlib.sha256(out.read_bytes()).digest() == before, f"{at}, error update: binary changed"
                assert _run(out)[0] == code, f"{at}, error update: last good binary runs differently"
                src.write_bytes(good)
                fixed = comp.update()
                assert fixed.ok, f"{at}, fix: {[e.message for e in comp.all_errors()]}"
                assert _run(out) == (code, stdout), f"{at}, fix: binary runs differently"
                assert _elf_problems(out) == [], f"{at}, fix: {_elf_problems(out)}"
                compare = True
            if compare:
                fresh_checks += 1
                assert _run(_fresh(src, fresh)) == _run(out), f"{at}: differs from a fresh build"
    finally:
        comp.close()
    assert good_updates == EDITS
    assert error_updates >= 10, f"{where}: only {error_updates} error updates"
    assert set(seq.history) == set(EditKind), f"{where}: edit kinds {set(seq.history)}"  # every kind exercised
    assert string_edits >= 10, f"{where}: only {string_edits} string edits"
    assert fresh_checks >= EDITS // FRESH_EVERY
