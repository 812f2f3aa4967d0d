"""Incremental code generation through the Module: one function moves between a spilling and a non-spilling
version, gains and loses stack parameters, and gains and loses a panic check; every update is made in place
and runs like a fresh build of the same source (docs/design/language-complete.md §10, §11)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from compiler.compilation import Compilation, Options
from compiler.link import OutputMode

PRELUDE = """@usize = primitive(usize)
@noreturn = primitive(noreturn)
@n1 = int(1)
@n231 = int(231)
@syscall = str("syscall")
@out = str("={rax}")
@rax = str("{rax}")
@rdi = str("{rdi}")
@rcx = str("rcx")
@r11 = str("r11")
@memory = str("memory")
@start_fnty = fntype([], @noreturn, cc=Naked)
@start = fn(@start_fnty, {
  %code = call(@main, [])
  %rc = asm(@syscall, @usize, volatile=1, output=@out,
    inputs=[@rdi, @rax], clobbers=[@rcx, @r11, @memory], args=[%code, @n231])
  %u = unreachable()
})
@start_name = str("_start")
@start_export = export(@start_name, "start")
@main_fnty = fntype([], @usize)
"""


def program(nparams: int, live: int, checked: bool) -> tuple[str, int]:
    """``f(p0..p{n-1})`` keeps ``live`` values ``p_i + k`` alive, sums them with add (checked) or addwrap;
    main calls it with 1..n. Returns the source and the expected exit code."""
    op = "add" if checked else "addwrap"
    params = ", ".join(["@usize"] * nparams)
    lines = [f"@f_fnty = fntype([{params}], @usize)", "@f = fn(@f_fnty, {"]
    lines += [f'  %p{i} = arg("p{i}")' for i in range(nparams)]
    for k in range(live):
        lines.append(f"  %k{k} = int({k + 1})")
        lines.append(f"  %u{k} = as(@usize, %k{k})")
        lines.append(f"  %v{k} = {op}(%p{k % nparams}, %u{k})")
    acc = "%v0"
    for k in range(1, live):
        lines.append(f"  %s{k} = {op}({acc}, %v{k})")
        acc = f"%s{k}"
    lines += [f"  %r = return({acc})", "})"]
    args = ", ".join(f"%a{i}" for i in range(nparams))
    main = ["@main = fn(@main_fnty, {"]
    main += [f"  %i{i} = int({i + 1})\n  %a{i} = as(@usize, %i{i})" for i in range(nparams)]
    main += [f"  %c = call(@f, [{args}])", "  %r = return(%c)", "})"]
    want = sum((k % nparams) + 1 + k + 1 for k in range(live)) % 256
    return PRELUDE + "\n".join(lines + main) + "\n", want


def run(path: Path) -> int:
    return subprocess.run([str(path)], capture_output=True, timeout=10, check=False).returncode


def symbols(path: Path) -> set[str]:
    with path.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        return {s.name for s in symtab.iter_symbols()}


def fresh(src: Path, out: Path) -> int:
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE))
    try:
        report = comp.update()
        assert report.ok, [e.message for e in comp.all_errors()]
    finally:
        comp.close()
    return run(out)


def test_function_moves_between_spills_stack_params_and_checks_in_place(tmp_path: Path) -> None:
    src = tmp_path / "prog.zir"
    out = tmp_path / "prog"
    versions = [
        (2, 3, False),  # small, no spill, register params, no check
        (2, 16, False),  # spills
        (8, 16, False),  # spills and stack parameters
        (8, 4, True),  # stack parameters and panic checks (the routine appears)
        (3, 4, False),  # no stack parameters, no checks (the routine goes away)
        (9, 18, True),  # everything at once
        (1, 1, False),
    ]
    src.write_text(program(*versions[0])[0])
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE))
    try:
        for i, version in enumerate(versions):
            text, want = program(*version)
            src.write_text(text)
            report = comp.update()
            assert report.ok, [e.message for e in comp.all_errors()]
            assert run(out) == want, f"step {i}: incremental"
            assert fresh(src, tmp_path / f"fresh{i}") == want, f"step {i}: fresh"
            assert ("__zirlive_panic" in symbols(out)) == version[2], f"step {i}: panic routine"
            assert symbols(out) == symbols(tmp_path / f"fresh{i}"), f"step {i}: symbols"
    finally:
        comp.close()


def test_replayed_functions_keep_the_panic_routine_they_call(tmp_path: Path) -> None:
    # A chain whose every function holds a str and a checked add: an update that replays every body (module.md
    # §9.4: a save without changes, a new decl) kept their code but dropped their dependency on the panic
    # routine, which was deleted: the next overflow jumped through a freed GOT slot (SIGSEGV, not the panic).
    from bench.shapes import ShapeProgram

    prog = ShapeProgram("strings", 4)
    prog.constants[0] = 2**64 - 1  # f1 adds its constant to it: an integer overflow at run time
    text = prog.source().decode()
    src, out = tmp_path / "p.zir", tmp_path / "p"
    src.write_text(text)
    comp = Compilation(Options(str(src), str(out), OutputMode.EXE))
    more = text.replace("@name = str", '@zq = str("more")\n@name = str', 1)
    try:
        for step, version in enumerate((text, text, more, more)):
            src.write_text(version)
            report = comp.update()
            assert report.ok, [e.message for e in comp.all_errors()]
            proc = subprocess.run([str(out)], capture_output=True, timeout=10)
            assert (proc.returncode, proc.stderr) == (-6, b"panic: integer overflow\n"), step
    finally:
        comp.close()
