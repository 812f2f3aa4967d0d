"""The repository stands alone: every design citation and every relative link in the docs resolves inside it.

A citation is ``<name>.md`` optionally followed by section numbers: ``module.md §5``, ``elf-linker.md §5.2``,
``§§3–5``, ``§4–§7, §13``, ``docs/design/x86_64.md §7.4``. It resolves when the file exists inside the
repository (an explicit path from the repository root or from the citing file's folder, else ``docs/<name>``
or ``docs/design/<name>``) and, for each section number, the file has a heading carrying that number
(``## 5. …``, ``### 5.2 …``). A range ``§a–§b`` needs both ends; between two top-level numbers, every number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

THIS_FILE = Path(__file__).resolve()
ROOT = THIS_FILE.parents[1]
SCANNED = ("compiler", "server", "bench", "tests", "scripts", "vscode-client/src", "docs", "README.md")
"""Code, tests and scripts, and the documents themselves (a design document citing another must resolve too)."""
SKIPPED = (ROOT / "tests" / "cases" / "examples", ROOT / "tests" / "cases" / "complete")
"""Not this repository's text: the example cases vendored byte for byte from the shared examples
(``tests/test_vendored_examples.py`` keeps them identical, so their own references stay as written)."""
SKIPPED_DIRS = {"node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "out", ".venv"}

NUMBER = r"\d+(?:\.\d+)*"
DESIGN_DOCS = (
    "architecture",
    "zir-language",
    "module",
    "x86_64",
    "elf-linker",
    "lsp",
    "performance",
    "language-complete",
)
"""Documents a citation may name without ``.md`` when a section follows (``language-complete §10``)."""
CITATION = re.compile(
    r"(?<![\w./-])(?:(?P<name>[\w./-]*\w\.md)\b|(?P<stem>" + "|".join(DESIGN_DOCS) + r")(?=[ \t]*§))"
    # the section list may follow after a line break and a comment leader
    r"(?:[ \t]*(?:\n[ \t]*(?:#|//|\*)?[ \t]*)?(?P<sections>§§?[ \t]*" + NUMBER + r"(?:[ \t]*(?:"
    r"(?:,|and)[ \t]*§§?[ \t]*" + NUMBER + r"|(?:–|—|-|to)[ \t]*(?:§§?)?[ \t]*" + NUMBER + r")"
    r")*))?"
)
PART = re.compile(r"(?P<sep>^|,|and|–|—|-|to)[ \t]*(?:§§?)?[ \t]*(?P<number>" + NUMBER + r")")
HEADING = re.compile(r"^#{1,6}[ \t]+(?P<number>" + NUMBER + r")\.?(?:[ \t]|$)", re.MULTILINE)
LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\((?P<target>[^)\s]+)(?:[ \t]+\"[^\"]*\")?\)")
MARKDOWN_DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")))


@dataclass(frozen=True)
class Citation:
    where: str
    name: str
    sections: tuple[str, ...]

    def __str__(self) -> str:
        cited = f"{self.name} {', '.join('§' + s for s in self.sections)}" if self.sections else self.name
        return f"{self.where}: {cited}"


def _scanned_files() -> list[Path]:
    files: list[Path] = []
    for top in SCANNED:
        base = ROOT / top
        for path in [base] if base.is_file() else sorted(base.rglob("*")):
            if path == THIS_FILE or any(path.is_relative_to(skipped) for skipped in SKIPPED):
                continue  # this file's examples are broken on purpose
            if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                files.append(path)
    return files


def _expand(sections: str) -> tuple[str, ...]:
    """The section numbers a citation's list names: ``§4–§7, §13`` -> 4, 5, 6, 7, 13."""
    numbers: list[str] = []
    for part in PART.finditer(sections.strip()):
        number = part["number"]
        if part["sep"] in ("–", "—", "-", "to") and numbers:
            start = numbers[-1]
            if start.isdigit() and number.isdigit():
                numbers += [str(n) for n in range(int(start) + 1, int(number))]
        numbers.append(number)
    return tuple(numbers)


def _parse(text: str, where: str) -> list[Citation]:
    """The citations in ``text``; each ``where`` is ``where:LINE``."""
    return [
        Citation(
            f"{where}:{text.count(chr(10), 0, m.start()) + 1}",
            m["name"] or m["stem"] + ".md",
            _expand(m["sections"] or ""),
        )
        for m in CITATION.finditer(text)
    ]


def citations_in(path: Path) -> list[Citation]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []
    return _parse(text, str(path.relative_to(ROOT)))


def resolve(name: str, citing: Path) -> Path | None:
    """The cited file inside the repository, or None."""
    candidates = [ROOT / name, citing.parent / name]
    if "/" not in name:
        candidates += [ROOT / "docs" / name, ROOT / "docs" / "design" / name]
    for candidate in candidates:
        path = candidate.resolve()
        if path.is_file() and path.is_relative_to(ROOT):
            return path
    return None


@cache
def headings(path: Path) -> frozenset[str]:
    return frozenset(m["number"] for m in HEADING.finditer(path.read_text(encoding="utf-8")))


def unresolved(citation: Citation, citing: Path) -> str | None:
    target = resolve(citation.name, citing)
    if target is None:
        return f"{citation}: no such file in the repository"
    missing = [s for s in citation.sections if s not in headings(target)]
    if missing:
        return f"{citation}: {target.relative_to(ROOT)} has no heading " + ", ".join("§" + s for s in missing)
    return None


def all_citations() -> list[tuple[Citation, Path]]:
    return [(c, path) for path in _scanned_files() for c in citations_in(path)]


def test_the_scanner_reads_citation_forms() -> None:
    text = (
        "a (module.md §4–§7, §13) b elf-linker.md §§5.2 c x86_64.md\n"
        "# §7.4, §7.5 d docs/design/lsp.md §3 e performance.md P4 f zir-language.md §2–4 g language-complete §10"
    )
    found = [(c.name, c.sections) for c in _parse(text, "x.py")]
    assert found == [
        ("module.md", ("4", "5", "6", "7", "13")),
        ("elf-linker.md", ("5.2",)),
        ("x86_64.md", ("7.4", "7.5")),
        ("docs/design/lsp.md", ("3",)),
        ("performance.md", ()),
        ("zir-language.md", ("2", "3", "4")),
        ("language-complete.md", ("10",)),
    ]


def test_a_broken_citation_is_reported() -> None:
    citing = ROOT / "compiler" / "x.py"
    (typo,) = _parse("see odule.md §5", "x.py")
    assert unresolved(typo, citing) == "x.py:1: odule.md §5: no such file in the repository"
    (missing,) = _parse("see\nmodule.md §99.1", "x.py")
    assert unresolved(missing, citing) == "x.py:2: module.md §99.1: docs/design/module.md has no heading §99.1"
    (outside,) = _parse("see ../../shared/spec/module.md §5", "x.py")
    assert unresolved(outside, citing) is not None


def test_every_design_citation_resolves_inside_the_repository() -> None:
    cited = all_citations()
    assert len([c for c, _ in cited if c.sections]) > 100, "the scanner found too few citations"
    broken = [message for c, path in cited if (message := unresolved(c, path)) is not None]
    assert broken == [], "\n".join(broken)


def test_every_relative_link_in_the_docs_resolves() -> None:
    broken: list[str] = []
    for doc in MARKDOWN_DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in LINK.finditer(text):
            target = match["target"].split("#", 1)[0]
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # an anchor in the same file, or a URL
            path = (doc.parent / target).resolve()
            if not path.exists() or not path.is_relative_to(ROOT):
                line = text.count("\n", 0, match.start()) + 1
                broken.append(f"{doc.relative_to(ROOT)}:{line}: {match['target']}")
    assert broken == [], "\n".join(broken)
