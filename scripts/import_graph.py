"""Print the import graph of a package tree (module -> imported modules) and its import cycles.

Usage: python scripts/import_graph.py [PACKAGE_DIR ...]   (default: compiler)

Every `import` and `from ... import` statement counts, at the top of a module and inside functions alike
(a function-local import is still a dependency; it only hides the cycle from the interpreter). Relative
imports are resolved, and `from pkg import name` counts `pkg.name` when that is a module. Only edges between
modules of the scanned trees are shown.

Imports under `if TYPE_CHECKING:` are listed separately as `types:`. They name a type in an annotation and
never execute (every module uses `from __future__ import annotations`), so they do not make a module depend
on another at run time; cycles through them are reported for information only. Cycles are the strongly
connected components (of more than one module, or a module importing itself) of the run-time edges; the
exit status is 1 when there is one.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def collect_modules(package_dirs: list[Path], root: Path = ROOT) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package_dir in package_dirs:
        for path in sorted(package_dir.rglob("*.py")):
            modules[module_name(path, root)] = path
    return modules


def _resolve_relative(current: str, is_package: bool, level: int, target: str | None) -> str:
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    if target:
        base = [*base, *target.split(".")]
    return ".".join(base)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _type_only_imports(tree: ast.Module) -> set[int]:
    """``id()`` of every import statement inside an ``if TYPE_CHECKING:`` block."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                for child in ast.walk(statement):
                    if isinstance(child, ast.Import | ast.ImportFrom):
                        inside.add(id(child))
    return inside


def imports_of(name: str, path: Path, known: dict[str, Path], *, type_only: bool = False) -> set[str]:
    """The modules of `known` that the module `name` (file `path`) imports, anywhere in its body: the run-time
    imports, or with `type_only` those that appear only under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    typing_imports = _type_only_imports(tree)
    runtime = _resolve(name, path, known, tree, lambda node: id(node) not in typing_imports)
    if not type_only:
        return runtime
    return _resolve(name, path, known, tree, lambda node: id(node) in typing_imports) - runtime


def _resolve(
    name: str, path: Path, known: dict[str, Path], tree: ast.Module, wanted: Callable[[ast.stmt], bool]
) -> set[str]:
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or not wanted(node):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(name, is_package, node.level, node.module)
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    result: set[str] = set()
    for target in found:
        # `import a.b.c` names a.b.c; keep the longest prefix that is one of our modules.
        parts = target.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()
        if parts:
            result.add(".".join(parts))
    return result


def import_graph(package_dirs: list[Path], root: Path = ROOT, *, type_only: bool = False) -> dict[str, set[str]]:
    """Module -> the modules it imports at run time (or, with `type_only`, only for annotations)."""
    known = collect_modules(package_dirs, root)
    return {name: imports_of(name, path, known, type_only=type_only) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # Iterative Tarjan: the graph is small, but recursion depth should not depend on it.
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                succ = pending.pop(0)
                if succ not in graph:
                    continue
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, sorted(graph[succ])))
                elif succ in on_stack:
                    low[node] = min(low[node], index[succ])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    components.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(components)


def main(argv: list[str]) -> int:
    dirs = [ROOT / arg for arg in argv] if argv else [ROOT / "compiler"]
    graph = import_graph(dirs)
    typing_graph = import_graph(dirs, type_only=True)
    for name in sorted(graph):
        targets = ", ".join(sorted(graph[name])) or "-"
        types = f"  (types: {', '.join(sorted(typing_graph[name]))})" if typing_graph[name] else ""
        print(f"{name} -> {targets}{types}")
    combined = {name: graph[name] | typing_graph[name] for name in graph}
    typing_cycles = [c for c in cycles(combined) if c not in cycles(graph)]
    found = cycles(graph)
    print()
    print(f"cycles through annotation-only imports (never executed): {len(typing_cycles) or 'none'}")
    for component in typing_cycles:
        print("  " + " <-> ".join(component))
    if not found:
        print("cycles: none")
        return 0
    print(f"cycles: {len(found)}")
    for component in found:
        print("  " + " <-> ".join(component))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
