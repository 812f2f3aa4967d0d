"""Import boundaries (architecture.md §5): the compiler never imports pygls, lsprotocol or the server, and
the server reaches the compiler only through its one door (server/backend.py) and a few pure modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
FORBIDDEN_IN_COMPILER = ("pygls", "lsprotocol", "server", "cattrs")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            names += [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return names


def test_compiler_never_imports_the_editor_side() -> None:
    files = sorted((ROOT / "compiler").rglob("*.py"))
    assert len(files) > 10
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN_IN_COMPILER
    ]
    assert offenders == []


def test_server_uses_the_module_only_through_backend() -> None:
    """Only backend.py touches the Compilation; features use the pure parser-side modules (tags, the formatter
    and its per-unit cache)."""
    allowed_elsewhere = {
        "compiler.zir.tags",
        "compiler.zir.formatter",
        "compiler.zir.incremental_format",
        "compiler.errors",
    }
    offenders = []
    for path in sorted((ROOT / "server").glob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] == "compiler" and path.name != "backend.py" and name not in allowed_elsewhere:
                offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_server_has_no_import_time_server_object() -> None:
    """create_server() builds a fresh server; importing the package must not create one."""
    for path in sorted((ROOT / "server").glob("*.py")):
        tree = ast.parse(path.read_bytes())
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                value = node.value
                if isinstance(value, ast.Call):
                    callee = ast.unparse(value.func)
                    assert "Server" not in callee and callee != "create_server", f"{path.name}: {callee}"


def _size_table() -> dict[str, int]:
    """``docs/architecture.md`` §13's rows: module path → its line ceiling."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## 13. Module size", 1)[1]
    rows: dict[str, int] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`") and cells[1].isdigit():
            rows[cells[0].strip("`")] = int(cells[1])
    return rows


def test_no_module_is_longer_than_its_stated_reason_allows() -> None:
    table = _size_table()
    assert "compiler/sema/analyze.py" in table  # the table was read
    too_long = []
    for package in ("compiler", "server", "bench"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            lines = len(path.read_text().splitlines())
            if lines > table.get(name, 600):
                too_long.append(f"{name}: {lines} lines (ceiling {table.get(name, 600)}, docs/architecture.md §13)")
    assert too_long == []
