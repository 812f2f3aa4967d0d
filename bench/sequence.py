"""The random edit sequence through `zir watch`, checked against fresh builds (performance.md §3.4, S2–S4).

After each checked edit the incremental binary and a fresh build of the same source (`zir build` in a new
process, into an empty output) must exit alike; their `.symtab` name sets must match (ignoring the counter of
anonymous decl names) and `readelf -a -W` must print no warning. Bytes written are summed from the JSON lines;
`.text` growth is read with pyelftools, which also checks that every section lies inside the file.
"""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path
from typing import Any

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from bench.gen import EditSequence, Function, Term
from bench.watch import REPO, WatchProcess, run_binary, zir_command

_ANON = re.compile(r"__anon_\d+$")


def symbol_names(path: Path) -> set[str]:
    """Names in `.symtab`, with anonymous decl counters erased (S4)."""
    with path.open("rb") as f:
        elf = ELFFile(f)
        tab = elf.get_section_by_name(".symtab")
        if not isinstance(tab, SymbolTableSection):
            return set()
        return {_ANON.sub("__anon_N", s.name) for s in tab.iter_symbols() if s.name}


def symbol_size(path: Path, name: str) -> int | None:
    """`st_size` of the named symbol in `.symtab`."""
    with path.open("rb") as f:
        tab = ELFFile(f).get_section_by_name(".symtab")
        if not isinstance(tab, SymbolTableSection):
            return None
        for sym in tab.iter_symbols():
            if sym.name == name:
                return int(sym["st_size"])
    return None


def text_size(path: Path) -> int:
    with path.open("rb") as f:
        sec = ELFFile(f).get_section_by_name(".text")
        return int(sec["sh_size"]) if sec is not None else 0


def section_bounds_problems(path: Path) -> list[str]:
    """Sections whose file range lies outside the file (readelf does not warn about these)."""
    size = path.stat().st_size
    problems = []
    with path.open("rb") as f:
        for sec in ELFFile(f).iter_sections():
            if sec["sh_type"] != "SHT_NOBITS" and sec["sh_offset"] + sec["sh_size"] > size:
                problems.append(f"{sec.name}: offset {sec['sh_offset']:#x} size {sec['sh_size']:#x} > file {size:#x}")
    return problems


def readelf_warnings(path: Path) -> list[str]:
    proc = subprocess.run(["readelf", "-a", "-W", str(path)], capture_output=True, text=True, check=False)
    return [ln for ln in (proc.stderr + proc.stdout).splitlines() if "warning" in ln.lower()]


def run_sequence(seed: int, n: int, edits: int, check_every: int, workdir: Path) -> dict[str, Any]:
    seq = EditSequence(seed, n)
    src, out, fresh = workdir / "seq.zir", workdir / "seq", workdir / "seq.fresh"
    out.unlink(missing_ok=True)
    src.write_bytes(seq.source())
    watch = WatchProcess(src, out)
    failures: list[str] = []
    total_written = 0
    counter_totals: dict[str, int] = {}
    checked = 0
    try:
        first = watch.update()
        if not first.line.get("ok"):
            raise RuntimeError(f"initial build failed: {first.line.get('errors')}")
        initial_text = text_size(out)
        max_text = initial_text
        for k in range(1, edits + 1):
            kind = seq.step()
            src.write_bytes(seq.source())
            upd = watch.update()
            total_written += int(upd.line.get("bytes_written", 0))
            for key, value in (upd.line.get("counters") or {}).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    counter_totals[key] = counter_totals.get(key, 0) + value
            if not upd.line.get("ok"):
                failures.append(f"edit {k} ({kind.value}): errors {upd.line.get('errors')}")
                continue
            max_text = max(max_text, text_size(out))
            rc = run_binary(out)
            if rc != seq.exit_code():
                failures.append(f"edit {k} ({kind.value}): exit code {rc}, expected {seq.exit_code()}")
            if k % check_every == 0 or k == edits:
                checked += 1
                fresh.unlink(missing_ok=True)
                proc = subprocess.run(
                    [*zir_command(), "build", str(src), "-o", str(fresh)],
                    cwd=REPO, capture_output=True, text=True, check=False, timeout=600,
                )  # fmt: skip
                if proc.returncode != 0:
                    failures.append(f"edit {k}: fresh build failed: {proc.stderr.strip()[-300:]}")
                    continue
                if run_binary(fresh) != rc:
                    failures.append(f"edit {k}: fresh build exits differently")
                if symbol_names(fresh) != symbol_names(out):
                    failures.append(f"edit {k}: symbol sets differ")
                if warnings := readelf_warnings(out):
                    failures.append(f"edit {k}: readelf: {warnings[:3]}")
                if out.stat().st_size > 2 * fresh.stat().st_size + (1 << 20):
                    failures.append(
                        f"edit {k} ({kind.value}): output is {out.stat().st_size} bytes, "
                        f"a fresh build {fresh.stat().st_size}"
                    )
                if bounds := section_bounds_problems(out):
                    failures.append(f"edit {k} ({kind.value}): section outside the file: {bounds[:3]}")
        final_text = text_size(out)
    finally:
        watch.close()
    kinds: dict[str, int] = {}
    for kind in seq.history:
        kinds[kind.value] = kinds.get(kind.value, 0) + 1
    code_bytes = counter_totals.get("code_bytes")
    moves = counter_totals.get("text_moves")
    move_bound = (
        math.ceil(math.log(max(final_text, 1) / max(initial_text, 1), 4 / 3)) + 1 if final_text > initial_text else 1
    )
    return {
        "counter_totals": counter_totals,
        "s2_bytes_met": None if not code_bytes else total_written <= 3 * code_bytes,
        "s2_text_moves_bound": move_bound,
        "s2_text_moves_met": None if moves is None else moves <= move_bound,
        "text_size_max_seen": max_text,
        "seed": seed,
        "n": n,
        "edits": edits,
        "checked_against_fresh_build": checked,
        "edit_kinds": kinds,
        "total_bytes_written": total_written,
        "text_size_initial": initial_text,
        "text_size_final": final_text,
        "failures": failures[:50],
        "failure_count": len(failures),
    }


def _leaf_terms(j: int, count: int) -> list[Term]:
    if count <= 1:
        return [Term(7 + j, None)]
    return [Term(None, "f0"), *(Term(7 + j + t, None) for t in range(count - 1))]


def free_list_reuse(n: int, k: int, workdir: Path, leaf_terms: int = 1) -> dict[str, Any]:
    """S3: delete k leaf functions, then add k others of the same size; `.text` must grow by less than one.

    The chain's root calls k extra leaves; one update deletes them (and the calls), the next adds k new
    leaves (new names, same shape). Both programs are run and their exit codes checked. With `leaf_terms`
    above 1 each leaf calls `f0` and adds `leaf_terms - 1` constants at run time, which sets its code size.
    """
    seq = EditSequence(0, n)
    root = seq.functions[seq.root]
    for j in range(k):
        seq.functions[f"leaf{j}"] = Function(f"leaf{j}", _leaf_terms(j, leaf_terms))
        root.terms.append(Term(None, f"leaf{j}"))
    workdir.mkdir(parents=True, exist_ok=True)
    src, out = workdir / "s3.zir", workdir / "s3"
    out.unlink(missing_ok=True)
    src.write_bytes(seq.source())
    watch = WatchProcess(src, out)
    wrong: list[str] = []
    try:
        if not watch.update().line.get("ok"):
            raise RuntimeError("initial build failed")
        text_before = text_size(out)
        for j in range(k):
            del seq.functions[f"leaf{j}"]
        root.terms = [t for t in root.terms if t.callee is None or not t.callee.startswith("leaf")]
        src.write_bytes(seq.source())
        deleted = watch.update()
        if not deleted.line.get("ok") or run_binary(out) != seq.exit_code():
            wrong.append("after deleting")
        for j in range(k):
            seq.functions[f"other{j}"] = Function(f"other{j}", _leaf_terms(j, leaf_terms))
            root.terms.append(Term(None, f"other{j}"))
        src.write_bytes(seq.source())
        added = watch.update()
        if not added.line.get("ok") or run_binary(out) != seq.exit_code():
            wrong.append("after adding")
        text_after = text_size(out)
        leaf_size = symbol_size(out, "other0")
    finally:
        watch.close()
    return {
        "n": n,
        "k": k,
        "leaf_terms": leaf_terms,
        "text_size_before": text_before,
        "text_size_after": text_after,
        "growth": text_after - text_before,
        "one_function_size": leaf_size,
        "met": leaf_size is not None and text_after - text_before < leaf_size,
        "bytes_written_delete": deleted.line.get("bytes_written"),
        "bytes_written_add": added.line.get("bytes_written"),
        "wrong": wrong,
    }
