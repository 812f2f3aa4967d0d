"""An edit that adds or removes lines in one function costs the same at any size (issue 13), and every
function's line stays right: in the Module (``Decl.line``) and in the ELF's ``.debug_line`` rows.

The functions after the edit are not visited one by one: their lines follow from one shift-log entry
(docs/design/performance.md §6). The ELF linker still rewrites each one's 4-byte line operand (its count is
asserted too, so a change in what the bytes cost shows here).
"""

from __future__ import annotations

from pathlib import Path

from elftools.elf.elffile import ELFFile

from compiler import Compilation, Options, OutputMode
from compiler.module.module import Module
from compiler.source import BufferSource, LineIndex
from tests.compiler.module.util import Session

HEAD = "@usize = primitive(usize)\n@fty = fntype([], @usize)\n"
TAIL = '@n = str("all")\n@e = export(@n, "all")\n'


def function(i: int, extra: int = 0) -> str:
    """``f{i}``, with ``extra`` more instruction lines (each one more line of source)."""
    more = "".join(f"  %x{j} = int({j})\n" for j in range(extra))
    return f"@f{i} = fn(@fty, {{\n  %c = int({1000 + i})\n{more}  %k = as(@usize, %c)\n  %r = return(%k)\n}})\n"


def program(n: int, extra: dict[int, int] | None = None, *, between: str = "") -> str:
    """``f0 … f{n-1}`` and ``@all`` calling each one (exported); ``extra[i]`` lines more in ``f{i}``;
    ``between`` is put before ``f{n/2}`` (top-level comments or blank lines)."""
    extra = extra or {}
    fns = [(between if i == n // 2 else "") + function(i, extra.get(i, 0)) for i in range(n)]
    calls = "".join(f"  %b{i} = call(@f{i}, [])\n" for i in range(n))
    return HEAD + "".join(fns) + "@all = fn(@fty, {\n" + calls + "  %r = return(%b0)\n})\n" + TAIL


def one_line(text: str, i: int) -> str:
    """``text`` with ``f{i}`` written on one line."""
    start = text.index(f"@f{i} = fn(")
    end = text.index("})\n", start) + 2
    return text[:start] + text[start:end].replace("\n", " ") + text[end:]


def check_lines(module: Module) -> int:
    """Every placed function's ``Decl.line`` is the line of its ``fn(`` in the text; returns how many."""
    text = module.file.source or b""
    index = LineIndex(text)
    checked = 0
    for d in module.decl_table.values():
        if d.line >= 0:
            assert d.line == index.position(module.source_decl(d).src)[0], d.name
            checked += 1
    return checked


def editor_costs(n: int) -> list[tuple[int, ...]]:
    """Editor tier (no output): what three line-count-changing edits of ``f{n/2}`` cost."""
    s = Session(program(n))
    assert s.update().ok
    assert s.update(program(n, {n // 2: 1})).ok  # the first edit at a new place splits the parser's position blocks
    module = s.comp.module
    costs: list[tuple[int, ...]] = []
    for extra in (3, 0, 2):
        log_before = len(module.shift_log.boundary)
        report = s.update(program(n, {n // 2: extra}))
        assert report.ok
        c = report.counters
        costs.append(
            (
                c["line_updates"],
                c["decls_diffed"],
                c["decls_analyzed"],
                c["decls_generated"],
                len(module.shift_log.boundary) - log_before,
                len(module.work_queue),
            )
        )
    assert check_lines(module) == n + 1  # and the lines are right after all three
    return costs


def test_a_line_inserting_edit_costs_the_editor_tier_the_same_at_10_and_10000_functions() -> None:
    small, large = editor_costs(10), editor_costs(10_000)
    assert small == large
    assert all(c[0] == 0 for c in large)  # no function after the edit gets a line-number work item
    assert all(c[4] == 1 for c in large)  # one shift-log entry carries the line shift


def pending(comp: Compilation) -> bool:
    """Deferred line numbers wait to be written (a call: mypy would keep a narrowed property's value)."""
    return comp.lines_pending


def elf_session(tmp_path: Path, name: str, text: str) -> tuple[Compilation, BufferSource]:
    source = BufferSource(f"{name}.zir", text.encode())
    options = Options(f"{name}.zir", str(tmp_path / name), OutputMode.OBJ)
    return Compilation(options, source), source


def rows_by_function(path: Path) -> dict[str, list[int]]:
    """Each subprogram's 1-based lines in ``.debug_line`` (its sequence's rows, in address order)."""
    with path.open("rb") as file:
        elf = ELFFile(file)
        info = elf.get_dwarf_info()
        starts: dict[int, str] = {}
        rows: dict[int, list[int]] = {}
        for cu in info.iter_CUs():
            for die in cu.get_top_DIE().iter_children():
                if die.tag == "DW_TAG_subprogram":
                    starts[die.attributes["DW_AT_low_pc"].value] = die.attributes["DW_AT_name"].value.decode()
            program_ = info.line_program_for_CU(cu)
            assert program_ is not None
            current: list[int] | None = None
            for entry in program_.get_entries():
                state = entry.state
                if state is None:
                    continue
                if current is None:
                    current = rows.setdefault(state.address, [])
                if state.end_sequence:
                    current = None
                else:
                    current.append(state.line)
    return {starts[address]: lines for address, lines in rows.items() if address in starts}


def test_after_line_count_edits_every_function_has_the_rows_of_a_fresh_build(tmp_path: Path) -> None:
    n = 12
    edits = [
        program(n, {n // 2: 2}),  # lines added inside a function
        program(n, {n // 2: 2, 2: 1}),  # and before it
        program(n, {2: 1}),  # lines removed
        program(n, {2: 1}, between="; a comment\n\n"),  # top-level lines between functions
        program(n, {2: 1, n - 1: 3}, between="; a comment\n\n"),  # the last function grows
        program(n, {2: 1, n - 1: 3}).replace("})\n@f7 =", "}) @f7 =").replace("})\n@f4 =", "})\n\n@f4 ="),
        program(n, {2: 1, n - 1: 3}).replace("})\n@f7 =", "})\n\n\n@f7 ="),  # f7 leaves f6's last line
        # f7 on one line, then f8 joins it: a line break between two functions that share a line
        one_line(program(n), 7),
        one_line(program(n), 7).replace("})\n@f8 =", "}) @f8 ="),
        one_line(program(n), 7),  # f8 leaves f7's line: f7 (before the edit) keeps its line
        one_line(program(n), 7).replace("})\n@f8 =", "}) @f8 ="),
        one_line(program(n), 7).replace("int(1007)", "int(17)"),  # f7 changed too (the changed region)
        one_line(program(n), 7).replace("})\n@f8 =", "}) @f8 =").replace("%c = int(1007)", "%c = int(7)"),
        program(n),
    ]
    comp, source = elf_session(tmp_path, "live", program(n))
    assert comp.update().ok
    for k, text in enumerate(edits):
        source.text = text.encode()
        report = comp.update()
        assert report.ok and report.committed, [e.message for e in comp.all_errors()]
        assert check_lines(comp.module) == n + 1
        fresh, _ = elf_session(tmp_path, f"fresh{k}", text)
        assert fresh.update().ok
        fresh.close()
        expected = rows_by_function(tmp_path / f"fresh{k}")
        assert len(expected) == n + 1
        assert rows_by_function(tmp_path / "live") == expected, k
    comp.close()


def elf_costs(tmp_path: Path, n: int) -> tuple[tuple[int, int, int], list[int]]:
    """ELF path: the Module's line work items, generated decls and the commit's write calls (equal at any
    size), and the linker's line operands rewritten."""
    comp, source = elf_session(tmp_path, f"out{n}", program(n))
    assert comp.update().ok
    source.text = program(n, {n // 2: 1}).encode()
    assert comp.update().ok
    module_costs: set[tuple[int, int, int]] = set()
    rewritten: list[int] = []
    for extra in (3, 0, 2):
        source.text = program(n, {n // 2: extra}).encode()
        before = comp.linker.totals.snapshot()
        report = comp.update()
        assert report.ok
        link = comp.linker.totals.snapshot().since(before)
        module_costs.add((report.counters["line_updates"], report.counters["decls_generated"], link["write_calls"]))
        rewritten.append(link["line_numbers"])
    assert check_lines(comp.module) == n + 1
    comp.close()
    assert len(module_costs) == 1
    return module_costs.pop(), rewritten


def test_a_line_inserting_edit_costs_the_module_the_same_in_the_elf_path(tmp_path: Path) -> None:
    small, small_rewritten = elf_costs(tmp_path, 10)
    large, large_rewritten = elf_costs(tmp_path, 1000)
    assert small[:2] == large[:2] == (0, 1)  # no work item per moved function; the edited one generated
    assert small[2] <= 5 and large[2] <= 5  # pwrite calls: the moved lines share one (not 500 at N = 1 000)
    # the bytes: one 4-byte operand per function after f{n/2} (the rest of the fs and @all), in one span
    assert small_rewritten == [10 - 10 // 2] * 3
    assert large_rewritten == [1000 - 1000 // 2] * 3


def test_deferred_line_numbers_are_written_when_settled(tmp_path: Path) -> None:
    """``zir watch`` defers the moved functions' lines: the edit's commit leaves them old, ``settle_lines``
    (when idle) writes them, also after several edits, one of which regenerated a moved function."""
    n = 12
    comp, source = elf_session(tmp_path, "live", program(n))
    comp.defer_line_numbers()
    assert comp.update().ok
    edits = [
        program(n, {n // 2: 2}),  # f7 … f11 and @all move two lines down
        program(n, {n // 2: 2, 9: 1}),  # f9 regenerated at its new line; f10, f11 and @all move again
        program(n, {n // 2: 2, 9: 1}).replace("%c = int(1003)", "%c = int(1003"),  # a parse error: not committed
        program(n, {n // 2: 1, 9: 1}),
    ]
    for text in edits:
        source.text = text.encode()
        before = comp.linker.totals.snapshot()
        comp.update()
        assert comp.linker.totals.snapshot().since(before)["line_numbers"] == 0
    assert pending(comp)
    fresh, _ = elf_session(tmp_path, "fresh", edits[-1])
    assert fresh.update().ok
    fresh.close()
    expected = rows_by_function(tmp_path / "fresh")
    stale = rows_by_function(tmp_path / "live")
    assert stale != expected and stale["f0"] == expected["f0"]
    comp.settle_lines()
    assert not pending(comp)
    assert rows_by_function(tmp_path / "live") == expected
    assert check_lines(comp.module) == n + 1
    comp.close()


def test_a_deferred_line_inserting_edit_writes_the_same_at_10_and_1000_functions(tmp_path: Path) -> None:
    def costs(n: int) -> set[tuple[int, ...]]:
        comp, source = elf_session(tmp_path, f"d{n}", program(n))
        comp.defer_line_numbers()
        assert comp.update().ok
        seen: set[tuple[int, ...]] = set()
        for k, extra in enumerate((1, 3, 0, 2)):
            source.text = program(n, {n // 2: extra}).encode()
            before = comp.linker.totals.snapshot()
            report = comp.update()
            assert report.ok
            link = comp.linker.totals.snapshot().since(before)
            if k:  # the first edit at a new place splits the parser's position blocks there
                seen.add((report.counters["line_updates"], link["line_numbers"], link["write_calls"]))
        comp.close()
        return seen

    small, large = costs(10), costs(1000)
    assert small == large and len(large) == 1
    assert next(iter(large))[:2] == (0, 0)  # no work item, no line operand in the edit's commit


def test_zir_watch_writes_the_deferred_lines_by_its_exit(tmp_path: Path) -> None:
    """Through the real `zir watch` process: a line-inserting edit's update writes no line operand (the
    ``--json`` counters); by the time the watcher has exited the file has the rows of a fresh build."""
    from tests.test_cli_build_watch import Watch, zir

    n = 12
    src = tmp_path / "w.zir"
    src.write_text(program(n))
    w = Watch(tmp_path, "w.zir", "--obj", "-o", "live", "--json", "--manual", "--no-cache")
    w.send("update")
    assert w.json()["ok"]
    src.write_text(program(n, {n // 2: 3}))
    w.send("update")
    line = w.json()
    assert line["ok"] and line["counters"]["line_numbers"] == 0 and line["counters"]["line_updates"] == 0
    code, err = w.close()
    assert code == 0, err
    built = zir("build", "w.zir", "--obj", "-o", "fresh", "--no-cache", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert rows_by_function(tmp_path / "live") == rows_by_function(tmp_path / "fresh")


def test_the_servers_editor_tier_leaves_moved_lines_to_the_build(tmp_path: Path) -> None:
    """The language server's editor Compilation links in memory to its build output: a keystroke that adds a
    line rewrites no line operand; the build on save (a commit) writes them with the rest."""
    from server.backend import BuildTarget, EditorCompilation

    n = 12
    src = tmp_path / "s.zir"
    src.write_text(program(n))
    editor = EditorCompilation(str(src), "obj", BuildTarget(str(tmp_path / "live"), "obj", "Debug"))
    try:
        assert editor.update(program(n).encode()) == []
        assert editor.build(program(n).encode()).committed
        for extra in (1, 2, 4):  # typing: each keystroke analysed, nothing written
            text = program(n, {n // 2: extra})
            before = editor.compilation.linker.totals.snapshot()
            assert editor.update(text.encode()) == []
            assert editor.compilation.linker.totals.snapshot().since(before)["line_numbers"] == 0
        src.write_text(text)
        assert editor.build(text.encode()).committed
        assert not pending(editor.compilation)
    finally:
        editor.close()
    fresh, _ = elf_session(tmp_path, "fresh", text)
    assert fresh.update().ok
    fresh.close()
    assert rows_by_function(tmp_path / "live") == rows_by_function(tmp_path / "fresh")
    assert len(rows_by_function(tmp_path / "live")) == n + 1


SEPARATORS = ("\n", "\n\n", "\n; a comment\n", " ", "\n  \n\n")
"""What may stand between two functions: a line break, blank lines, a comment line, or nothing (same line)."""


def random_program(n: int, extra: list[int], seps: list[str], flat: list[bool]) -> str:
    """``f{i}`` with ``extra[i]`` more lines (on one line when ``flat[i]``), preceded by ``seps[i]``."""
    parts = []
    for i in range(n):
        text = function(i, extra[i]).rstrip("\n")
        parts.append(seps[i] + (text.replace("\n", " ") if flat[i] else text))
    calls = "".join(f"  %b{i} = call(@f{i}, [])\n" for i in range(n))
    return HEAD + "".join(parts) + "\n@all = fn(@fty, {\n" + calls + "  %r = return(%b0)\n})\n" + TAIL


def test_random_line_edits_keep_every_line_right(tmp_path: Path) -> None:
    """Seeded random edits that add, remove, join and split lines anywhere: after each one every function's
    ``Decl.line`` is right in the editor tier and the ELF path, and the ELF rows are a fresh build's (at once,
    and deferred: after each settle)."""
    import random

    rng = random.Random(13)
    n = 8
    extra, seps, flat = [0] * n, ["\n"] * n, [False] * n
    seps[0] = ""
    text = random_program(n, extra, seps, flat)
    editor = Session(text)
    assert editor.update().ok
    eager, eager_src = elf_session(tmp_path, "eager", text)
    deferred, deferred_src = elf_session(tmp_path, "deferred", text)
    deferred.defer_line_numbers()
    assert eager.update().ok and deferred.update().ok
    for step in range(40):
        i = rng.randrange(n)
        match rng.randrange(3):
            case 0:
                extra[i] = rng.choice([e for e in range(4) if e != extra[i]])
            case 1 if i:
                seps[i] = rng.choice([s for s in SEPARATORS if s != seps[i]])
            case _:
                flat[i] = not flat[i]
        text = random_program(n, extra, seps, flat)
        assert editor.update(text).ok
        assert check_lines(editor.comp.module) == n + 1, step
        for comp, source in ((eager, eager_src), (deferred, deferred_src)):
            source.text = text.encode()
            assert comp.update().ok, step
            assert check_lines(comp.module) == n + 1, step
        settle = rng.randrange(3) == 0
        if settle:
            deferred.settle_lines()
        fresh, _ = elf_session(tmp_path, f"fresh{step}", text)
        assert fresh.update().ok
        fresh.close()
        expected = rows_by_function(tmp_path / f"fresh{step}")
        assert rows_by_function(tmp_path / "eager") == expected, step
        if settle:
            assert rows_by_function(tmp_path / "deferred") == expected, step
    eager.close()
    deferred.close()
    assert rows_by_function(tmp_path / "deferred") == expected  # close() writes what was pending


def test_a_line_edit_after_a_body_edit_reads_no_whole_file_for_lines(tmp_path: Path) -> None:
    """A body edit leaves the line tracker inside the edited function; the next edit there adds a line: the
    linker's line shift is counted from that place, and no update builds a whole-file line index (it did:
    ~40 ms at N = 10 000)."""

    def builds(n: int) -> list[int]:
        comp, source = elf_session(tmp_path, f"b{n}", program(n))
        assert comp.update().ok
        tracker = comp.module.lines
        counts: list[int] = []
        for text in (
            program(n).replace(f"int({1000 + n // 2})", "int(7)"),  # a body edit: the position blocks split there
            program(n).replace(f"int({1000 + n // 2})", "int(8)"),
            program(n, {n // 2: 1}).replace(f"int({1000 + n // 2})", "int(9)"),  # a line added
            program(n, {n // 2: 0}).replace(f"int({1000 + n // 2})", "int(10)"),  # and removed
        ):
            source.text = text.encode()
            before = tracker.index_builds
            assert comp.update().ok
            counts.append(tracker.index_builds - before)
        assert check_lines(comp.module) == n + 1
        comp.close()
        return counts[1:]

    assert builds(10) == builds(1000) == [0, 0, 0]
