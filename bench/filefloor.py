"""What reading and comparing the saved file costs an update, against what any whole-file check must pay.

An update re-reads the saved file and finds the changed bytes by comparing it with the last version
(``compiler/source.py`` ``FileSource.read``, ``compiler/zir/bytediff.py`` ``common_prefix``/``common_suffix``):
O(file) by design, since a change anywhere must be seen (docs/design/performance.md §6.11). For the star
shape's file at each N, after a save of a length-changing edit as in bench/shapes.py, this times (thread CPU,
p50):

- ``read``: the provider's read (a new ``bytes`` of the whole file);
- ``read_compare``: that read and the comparison, as an update does them;
- ``no_copy_compare``: the file read in 64 KiB pieces into one reused buffer, each piece compared with the last
  version in place: no new object of the file's size. A source held in pieces would still pay this.

``python -m bench.filefloor 1000,10000 WORKDIR [SAMPLES]``: one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

from bench.shapes import ShapeProgram, edited_constant
from compiler.source import FileSource
from compiler.zir.bytediff import common_prefix, common_suffix

PIECE = 1 << 16


def _no_copy_compare(path: Path, previous: bytes, buf: memoryview) -> int:
    """How many leading bytes of the file equal ``previous``'s, reading it piece by piece into ``buf``."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        same = pos = 0
        differs = False
        while (got := os.preadv(fd, [buf], pos)) > 0:
            if not differs and previous.startswith(buf[:got], pos):
                same += got
            else:
                differs = True
            pos += got
        return same
    finally:
        os.close(fd)


def measure(n: int, workdir: Path, samples: int) -> dict[str, float]:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"star{n}.zir"
    prog = ShapeProgram("star", n)
    texts = []
    for k in range(samples + 1):
        prog.edited_constant = edited_constant(k)
        texts.append(prog.source())
    source = FileSource(str(path))
    buf = memoryview(bytearray(PIECE))

    def read(previous: bytes) -> bytes:
        return source.read()

    def read_compare(previous: bytes) -> bytes:
        data = source.read()
        p = common_prefix(previous, data)
        common_suffix(previous, data, min(len(previous), len(data)) - p)
        return data

    def no_copy(previous: bytes) -> bytes:
        _no_copy_compare(path, previous, buf)
        return previous

    result: dict[str, float] = {"file_bytes": float(len(texts[0]))}
    ways: dict[str, Callable[[bytes], bytes]] = {
        "read": read,
        "read_compare": read_compare,
        "no_copy_compare": no_copy,
    }
    for name, way in ways.items():
        times: list[float] = []
        for k in range(1, samples + 1):
            path.write_bytes(texts[k])  # the save, not timed
            t0 = time.thread_time_ns()
            way(texts[k - 1])
            times.append((time.thread_time_ns() - t0) / 1e6)
        result[name] = round(median(times), 4)
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    sizes = [int(x) for x in args[0].split(",")]
    workdir, samples = Path(args[1]), int(args[2]) if len(args) > 2 else 41
    print(json.dumps({str(n): measure(n, workdir, samples) for n in sizes}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
