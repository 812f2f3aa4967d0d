"""Measurement primitives for the benchmarks: percentiles, process memory, syscall traces, byte diffs.

Everything here is independent of ZIR Live itself, so peers (GNU as + ld, Zig) are measured the same way.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class Stats:
    """Summary of repeated timings, in milliseconds."""

    count: int
    p50: float
    p95: float
    min: float
    max: float
    first: float
    """The first sample (the first edit after a build is reported separately, performance.md §4.2)."""
    samples: list[float] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 ≤ q ≤ 100) by the nearest-rank method on the sorted values."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median (mean of the two middle values for an even count)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def stats(samples_ms: Sequence[float], *, skip_first: bool = False) -> Stats:
    """Stats over `samples_ms`; with `skip_first`, p50/p95 ignore the first sample (still reported as `first`)."""
    if not samples_ms:
        raise ValueError("no samples")
    body = list(samples_ms[1:]) if skip_first and len(samples_ms) > 1 else list(samples_ms)
    return Stats(
        count=len(body),
        p50=round(median(body), 4),
        p95=round(percentile(body, 95), 4),
        min=round(min(body), 4),
        max=round(max(body), 4),
        first=round(samples_ms[0], 4),
        samples=[round(s, 4) for s in samples_ms],
    )


def proc_status_kib(pid: int, key: str) -> int | None:
    """A `kB` field of /proc/PID/status (`VmRSS`, `VmHWM`), or None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(m.group(1)) if m else None


def self_peak_rss_kib() -> int:
    """Peak resident memory of this process (VmHWM), in KiB."""
    value = proc_status_kib(os.getpid(), "VmHWM")
    return value if value is not None else 0


@dataclass(slots=True)
class ByteDiff:
    """Ground truth of what changed between two copies of a file (`cmp -l`), performance.md §4.3."""

    bytes_changed: int
    pages_changed: int
    size_before: int
    size_after: int


def byte_diff(before: Path, after: Path) -> ByteDiff:
    """Bytes and 4 KiB pages that differ between two files, counted with `cmp -l` as the spec prescribes.

    Bytes past the end of the shorter file count as changed (cmp reports EOF instead of listing them).
    """
    size_before, size_after = before.stat().st_size, after.stat().st_size
    proc = subprocess.run(["cmp", "-l", str(before), str(after)], capture_output=True, text=True, check=False)
    offsets = [int(line.split()[0]) - 1 for line in proc.stdout.splitlines() if line.strip()]
    pages = {off // 4096 for off in offsets}
    shorter, longer = sorted((size_before, size_after))
    extra = longer - shorter
    if extra:
        pages |= set(range(shorter // 4096, (longer - 1) // 4096 + 1))
    return ByteDiff(len(offsets) + extra, len(pages), size_before, size_after)


@dataclass(slots=True)
class SyscallTrace:
    """Writes to one file seen in an `strace -f -y` log."""

    write_calls: int = 0
    bytes_written: int = 0
    copy_calls: int = 0
    bytes_copied: int = 0
    opens: int = 0
    renames: int = 0
    by_call: dict[str, int] = field(default_factory=dict)


_WRITE_RE = re.compile(
    r"\b(?P<call>pwrite64|write|pwritev|writev|copy_file_range)\((?P<fd>\d+)<(?P<path>[^>]*)>.*\)\s+=\s+(?P<ret>-?\d+)"
)
_OPEN_RE = re.compile(r'\bopenat\([^,]+,\s+"(?P<path>[^"]*)".*\)\s+=\s+(?P<ret>-?\d+)')
_RENAME_RE = re.compile(r'\brename(?:at2?)?\(.*"(?P<dst>[^"]*)"[^"]*\)\s+=\s+0')


def parse_strace(log: str, target: Path) -> SyscallTrace:
    """Sum the writes, copies, opens and renames that touched `target` (or a temporary beside it) in a log of
    `strace -f -y -e trace=openat,pwrite64,pwritev,write,copy_file_range,rename,renameat,renameat2,close`."""
    name = target.name
    real = os.path.realpath(target)
    result = SyscallTrace()

    def ours(path: str) -> bool:
        return path == real or path == str(target) or Path(path).name == name or f".{name}.zirlive-" in path

    for line in log.splitlines():
        if m := _WRITE_RE.search(line):
            if not ours(m.group("path")) or int(m.group("ret")) < 0:
                continue
            call, ret = m.group("call"), int(m.group("ret"))
            result.by_call[call] = result.by_call.get(call, 0) + 1
            if call == "copy_file_range":
                result.copy_calls += 1
                result.bytes_copied += ret
            else:
                result.write_calls += 1
                result.bytes_written += ret
        elif (m2 := _OPEN_RE.search(line)) and ours(m2.group("path")) and int(m2.group("ret")) >= 0:
            result.opens += 1
        elif (m3 := _RENAME_RE.search(line)) and ours(m3.group("dst")):
            result.renames += 1
    return result


def strace_available() -> bool:
    return shutil.which("strace") is not None


def strace_permitted() -> bool:
    """Whether this machine lets us attach strace (ptrace may be forbidden in containers)."""
    if not strace_available():
        return False
    proc = subprocess.run(["strace", "-f", "-o", "/dev/null", "true"], capture_output=True, check=False)
    return proc.returncode == 0


def writes_by_region(path: Path, writes: Sequence[tuple[int, int]]) -> dict[str, list[int]]:
    """Attribute `(file_offset, length)` writes to the ELF region holding their first byte.

    Regions: the ELF header, the program and section header tables, and each section (by name); anything
    else is `(unowned)`. Returns region → [calls, bytes] (performance.md §4.1, "keyed by the section").
    """
    from elftools.elf.elffile import ELFFile

    regions: list[tuple[int, int, str]] = []
    with path.open("rb") as f:
        elf = ELFFile(f)
        hdr = elf.header
        regions.append((0, int(hdr["e_ehsize"]), "ELF header"))
        regions.append((int(hdr["e_phoff"]), int(hdr["e_phnum"]) * int(hdr["e_phentsize"]), "program headers"))
        regions.append((int(hdr["e_shoff"]), int(hdr["e_shnum"]) * int(hdr["e_shentsize"]), "section headers"))
        for sec in elf.iter_sections():
            if sec["sh_type"] != "SHT_NULL" and sec["sh_type"] != "SHT_NOBITS":
                regions.append((int(sec["sh_offset"]), int(sec["sh_size"]), sec.name))
    out: dict[str, list[int]] = {}
    for offset, length in writes:
        name = next((r for start, size, r in regions if start <= offset < start + max(size, 1)), "(unowned)")
        entry = out.setdefault(name, [0, 0])
        entry[0] += 1
        entry[1] += length
    return out
