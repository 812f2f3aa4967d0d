"""Selects the optional mypyc-compiled variant of the compiler (``ZIR_ACCEL=1``), or says why not.

docs/design/performance.md §8. ``scripts/build_accelerated.sh`` compiles the hot modules out of tree, into a
copy of this package under ``build/accel/`` (or ``$ZIR_ACCEL_DIR``) with a ``MANIFEST``: the digest of the
sources it was built from. When ``ZIR_ACCEL=1``, ``compiler/__init__.py`` calls `select`, which points this
package's ``__path__`` at the copy, so every submodule (compiled or not) is imported from it, but only if
the digest still matches the sources next to this file. A missing, incomplete or stale build is never
used: one warning on stderr, and the pure-Python package runs, so an edit is never silently ignored.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

ENV = "ZIR_ACCEL"
"""The selecting environment variable: ``1`` selects the accelerated variant."""
ENV_DIR = "ZIR_ACCEL_DIR"
"""Where the accelerated build lives, when not ``build/accel`` at the repository root."""
PROBE = "compiler.zir.parser"
"""A module the build always compiles: its origin tells which variant really runs."""


def default_dir() -> Path:
    """``$ZIR_ACCEL_DIR``, else ``build/accel`` beside this package's source directory."""
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else Path(__file__).resolve().parent.parent / "build" / "accel"


def source_digest(package: Path) -> str:
    """sha256 over every ``.py`` file under `package`: relative path and contents, in path order."""
    h = hashlib.sha256()
    files = sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py") if "__pycache__" not in p.parts)
    for rel in files:
        data = (package / rel).read_bytes()
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def check(build: Path, sources: Path) -> str | None:
    """None when `build` is a complete accelerated build of `sources`, else the reason it cannot be used."""
    try:
        return _check(build, sources)
    except OSError as exc:  # e.g. a build another user made and this one cannot read
        return f"the accelerated build in {build} cannot be read ({exc.strerror})"


def _check(build: Path, sources: Path) -> str | None:
    manifest = build / "MANIFEST"
    if not manifest.is_file():
        return f"no accelerated build in {build} (run scripts/build_accelerated.sh)"
    if not any((build / "compiler" / "zir").glob("parser.*.so")):
        return f"{build} holds no compiled modules"
    if manifest.read_text().strip() != source_digest(sources):
        return f"the accelerated build in {build} is stale (the sources changed; rerun scripts/build_accelerated.sh)"
    return None


def select(package_path: list[str]) -> None:
    """Point `package_path` (``compiler.__path__``) at the accelerated copy if it is usable, else warn."""
    build = default_dir()
    sources = Path(__file__).resolve().parent
    reason = check(build, sources)
    if reason is not None:
        sys.stderr.write(f"zir: {ENV}=1 but {reason}; running the pure-Python compiler\n")
        return
    package_path[:] = [str(build / "compiler")]
    # mypyc puts the compiled group's shared library at the top of the build; the per-module shims import it.
    if str(build) not in sys.path:
        sys.path.append(str(build))


def variant() -> str:
    """``mypyc`` when the compiled modules are the ones imported, else ``python``."""
    spec = importlib.util.find_spec(PROBE)
    origin = spec.origin if spec is not None else None
    return "mypyc" if origin is not None and origin.endswith(".so") else "python"
