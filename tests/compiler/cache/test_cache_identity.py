"""The compiler identity a cache is valid for changes with any source file of the package (docs/design/performance.md
§7): the listing it digests sees every ``.py``/``.so`` file at any depth, by path, size and modification time."""

from __future__ import annotations

import os
from pathlib import Path

from compiler.cache.session import _list_package, compiler_identity
from compiler.version import __version__


def _listing(root: Path) -> list[str]:
    out: list[str] = []
    _list_package(str(root), "", out)
    return out


def test_the_listing_names_every_source_file_at_any_depth_and_nothing_else(tmp_path: Path) -> None:
    for name in ("b.py", "a/z.so", "a/b/c.py", "a/notes.txt", "a/__pycache__/c.cpython-311.pyc", "a-b/d.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * len(name))
    os.utime(tmp_path / "a/b/c.py", ns=(1, 7))
    assert [line.split(":")[0] for line in _listing(tmp_path)] == ["a/b/c.py", "a/z.so", "a-b/d.py", "b.py"]
    assert _listing(tmp_path)[0] == "a/b/c.py:8:7\n"  # path:size:mtime_ns (the file holds len("a/b/c.py") bytes)


def test_an_in_place_edit_of_a_nested_file_changes_the_listing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    source = tmp_path / "sub" / "m.py"
    source.write_bytes(b"x = 1\n")
    os.utime(source, ns=(1, 1_000))
    before = _listing(tmp_path)
    source.write_bytes(b"x = 2\n")  # same size, same directory entry
    os.utime(source, ns=(1, 2_000))
    assert _listing(tmp_path) != before
    source.write_bytes(b"x = 22\n")
    os.utime(source, ns=(1, 2_000))  # same time, another size
    assert _listing(tmp_path) != before


def test_the_identity_is_the_version_and_a_digest_of_this_package() -> None:
    version, digest = compiler_identity().rsplit(":", 1)
    assert version == __version__ and len(digest) == 64
    assert compiler_identity.__wrapped__() == compiler_identity()
