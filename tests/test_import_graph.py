"""No import cycles (docs/architecture.md §11): the run-time import graph of compiler/ and server/ is acyclic, the ELF
linker has no cycle even through annotations, and the graph tool itself finds the cycles it is meant to find."""

from __future__ import annotations

from pathlib import Path

from scripts.import_graph import ROOT, cycles, import_graph

KNOWN_CYCLES = [["compiler.sema.analyze", "compiler.sema.comptime_call"]]
"""The one cycle left, on purpose for now: the compile-time interpreter (issue 12, being written) subclasses
``Sema`` and ``analyze`` imports it on the first compile-time call. It goes when ``Sema`` leaves analyze.py."""


def test_no_runtime_import_cycle_in_compiler_or_server() -> None:
    graph = import_graph([ROOT / "compiler", ROOT / "server"])
    assert len(graph) > 50
    assert [c for c in cycles(graph) if c not in KNOWN_CYCLES] == []


def test_the_linker_has_no_cycle_even_through_annotations() -> None:
    """No cycle of the whole compiler's graph, annotations included, passes through compiler/link."""
    dirs = [ROOT / "compiler"]
    runtime = import_graph(dirs)
    typing = import_graph(dirs, type_only=True)
    combined = {name: runtime[name] | typing[name] for name in runtime}
    through_link = [c for c in cycles(combined) if any(name.startswith("compiler.link") for name in c)]
    assert through_link == []


def test_analysis_reaches_the_module_only_through_its_methods() -> None:
    """sema/ uses the Module object it is given and the decl types, never the Module's implementation."""
    graph = import_graph([ROOT / "compiler"])
    reaching = {
        f"{name} -> {target}"
        for name, targets in graph.items()
        if name.startswith("compiler.sema.")
        for target in targets
        if target.startswith("compiler.module.") and target != "compiler.module.decl"
    }
    assert reaching == set()


def test_the_front_end_stands_alone() -> None:
    """compiler/zir (lexer, parser, formatter) imports nothing of analysis, the Module, code generation or the
    linker (annotations included): the server's syntax features and the formatter use it on their own."""
    dirs = [ROOT / "compiler"]
    runtime = import_graph(dirs)
    typing = import_graph(dirs, type_only=True)
    back_end = ("compiler.module", "compiler.sema", "compiler.air", "compiler.codegen", "compiler.link")
    reaching = {
        f"{name} -> {target}"
        for name in runtime
        if name.startswith("compiler.zir")
        for target in runtime[name] | typing[name]
        if target.startswith(back_end)
    }
    assert reaching == set()


def _package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in files.items():
        (package / name).write_text(text)
    return package


def test_the_tool_finds_function_local_cycles_and_sets_annotations_apart(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "a.py": "from pkg import b\n",
            "b.py": "def f() -> None:\n    from pkg.a import x\n",
            "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.d import D\n",
            "d.py": "from . import c\n",
        },
    )
    graph = import_graph([package], tmp_path)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert graph["pkg.c"] == set() and graph["pkg.d"] == {"pkg.c"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
    typing = import_graph([package], tmp_path, type_only=True)
    assert typing["pkg.c"] == {"pkg.d"}
    assert cycles({name: graph[name] | typing[name] for name in graph}) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
