"""docs/guide.md: every ZIR snippet in the guide is compiled (and run) as the guide says.

A fenced block is checked when an HTML comment ``<!-- zir-check {...} -->`` precedes it (JSON options):
``prelude`` stores the block; other ``zir`` blocks are whole programs (``standalone``) or the prelude plus the
block, built and run for ``exit`` / ``stdout``; ``edit`` [old, new] rebuilds the last program named ``file``
with one replacement, and its ``text`` block is the exact piped stderr (``stderr``) or the terminal rendering
(``terminal``, from ``--color always`` without its colour codes). Every ``zir`` block must be checked."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "guide.md"
ZIR = [sys.executable, "-m", "compiler"]
BLOCK = re.compile(r"(?:<!-- zir-check (\{.*?\}) -->\n)?```(\w+)\n(.*?)```", re.S)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def blocks() -> list[tuple[dict[str, Any] | None, str, str]]:
    text = GUIDE.read_text()
    return [(json.loads(m[1]) if m[1] else None, m[2], m[3]) for m in BLOCK.finditer(text)]


def build(tmp: Path, name: str, source: str, *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp / name).write_text(source)
    return subprocess.run([*ZIR, "build", name, *extra], cwd=tmp, capture_output=True, text=True, timeout=120)


def test_every_zir_snippet_of_the_guide_compiles_and_runs(tmp_path: Path) -> None:
    prelude: str | None = None
    programs: dict[str, str] = {}
    checked = 0
    for options, lang, body in blocks():
        if lang == "zir":
            assert options is not None, f"unchecked zir block in the guide:\n{body[:200]}"
        if options is None:
            continue
        checked += 1
        if options.get("prelude"):
            prelude = body
            continue
        name = options.get("file", f"snippet{checked}.zir")
        if "edit" in options:
            old, new = options["edit"]
            assert old in programs[name]
            source = programs[name].replace(old, new, 1)
            if options.get("stderr") == "next":
                result = build(tmp_path, name, source)
                assert (result.returncode, result.stderr) == (1, body), name
            else:
                result = build(tmp_path, name, source, "--color", "always")
                assert result.returncode == 1
                assert ANSI.sub("", result.stderr) == body
            continue
        assert lang == "zir"
        if not options.get("standalone"):
            assert prelude is not None, "a snippet before the prelude"
            source = prelude + "\n" + body
        else:
            source = body
        programs[name] = source
        result = build(tmp_path, name, source)
        assert (result.returncode, result.stderr) == (0, ""), f"{name}: {result.stderr}"
        run = subprocess.run([str(tmp_path / Path(name).stem)], capture_output=True, timeout=20)
        assert run.returncode == options["exit"], name
        assert run.stdout.decode() == options.get("stdout", ""), name
    assert prelude is not None and checked >= 9
