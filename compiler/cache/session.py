"""One Compilation's cache file: loading it into a restarted Module and linker, saving it after a commit
(docs/design/performance.md §7).

A cache is used only when everything it describes is still true: same format version, same compiler (its
version and the sizes and times of its source files), same paths and modes, and an output file whose SHA-256 is
the one recorded when the cache was written, right after a commit. Otherwise it is ignored with one log line
and the build proceeds as if there were none; a later save replaces it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from compiler.cache.document import CachedFn, Malformed, Row, RowText, Table, decode, encode, row_text
from compiler.cache.fingerprint import anonymous_value, decl_fingerprint, type_fingerprint
from compiler.cache.location import CacheLocation, locate, read_trusted, write_atomic
from compiler.cache.restore import Restorer
from compiler.codegen import PANIC_NAME
from compiler.link import DeclIndex
from compiler.link.elf.linker import ElfLinker
from compiler.link.elf.trusted import (
    RELOCATIONS,
    Placement,
    placement_of,
    reopened,
    restore_debug_pieces,
)
from compiler.logs import LazyLogger
from compiler.module.decl import DeclStatus, FnStatus
from compiler.module.syntax import decl_extent
from compiler.version import __version__
from compiler.zir.seed import table_of

if TYPE_CHECKING:
    from compiler.module.decl import Decl, Fn
    from compiler.module.module import Module
    from compiler.sema.types import Type
    from compiler.sema.values import DeclHandle

log = LazyLogger(__name__)


@lru_cache(maxsize=1)
def compiler_identity() -> str:
    """The version and a digest of the compiler package's files (path, size, modification time)."""
    listing: list[str] = []
    _list_package(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "", listing)
    return f"{__version__}:{hashlib.sha256(''.join(listing).encode()).hexdigest()}"


def _list_package(directory: str, prefix: str, out: list[str]) -> None:
    """``out`` += one line per ``.py``/``.so`` file under ``directory``, depth first in name order (one
    ``scandir`` a directory, ``__pycache__`` skipped: a cold start pays ~0.5 ms here, not ~2 with ``os.walk``)."""
    with os.scandir(directory) as it:
        entries = sorted(it, key=lambda entry: entry.name)
    for entry in entries:
        if entry.name.endswith((".py", ".so")):
            st = entry.stat()
            out.append(f"{prefix}{entry.name}:{st.st_size}:{st.st_mtime_ns}\n")
        elif entry.name != "__pycache__" and entry.is_dir(follow_symlinks=False):
            _list_package(entry.path, f"{prefix}{entry.name}/", out)


def _file_sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


class CompileCache:
    """The cache file of one output."""

    def __init__(self, location: CacheLocation, identity: dict[str, str], output_path: str) -> None:
        self.location = location
        self.identity = identity
        self.output_path = output_path
        self.save_failed = False
        """A save failed once (logged once; later failures are silent)."""
        self.table = Table([])
        """The fingerprint table the rows in ``rows`` refer to (only ever appended to)."""
        self.rows: dict[str, tuple[Fn, Row | RowText]] = {}
        """Each recorded function's row with the Fn it describes: reused while the decl keeps that Fn. A save
        keeps each as its JSON text (one string a function, not its lists; docs/design/performance.md §9.4)."""
        self.rows_as_text = True
        """Turn restored rows into text at a save, for the process's later saves. A one-shot build (its one save is
        its last) turns it off: the rows as read are written in batches, one C encoder call per 1 024."""

    @staticmethod
    def open(
        output_path: str, root_path: str, settings: dict[str, str], linker: ElfLinker, module: Module
    ) -> CompileCache | None:
        """The cache of ``output_path``; when a valid one exists, ``module`` and ``linker`` continue from it."""
        where = locate(output_path, root_path)
        if isinstance(where, str):
            log.warning("compile cache not used: %s", where)
            return None
        identity = {
            "compiler": compiler_identity(),
            "output": os.path.abspath(output_path),
            "root": os.path.abspath(root_path),
            **settings,
        }
        cache = CompileCache(where, identity, output_path)
        why = cache._load(linker, module)
        if why is not None:
            log.warning("compile cache %s ignored: %s", where.path, why)
        return cache

    def _load(self, linker: ElfLinker, module: Module) -> str | None:
        data = read_trusted(self.location.path)
        if data is None:
            return None
        if isinstance(data, str):
            return data
        if not reopened(linker):  # before decoding: a build into an empty output never pays for it
            return "stale (the output is missing or not one this linker continues)"
        try:
            doc = decode(data)
        except Malformed as exc:
            return f"corrupt ({exc})"
        if doc.identity != self.identity:
            changed = sorted(
                k for k in set(doc.identity) | set(self.identity) if doc.identity.get(k) != self.identity.get(k)
            )
            return f"stale (other {', '.join(changed)})"
        if _file_sha256(self.output_path) != doc.output_sha256:
            return "stale (the output changed since the cache was written)"
        why = restore_debug_pieces(linker, doc.placements)
        if why is not None:
            return f"stale ({why})"
        self.table = Table(doc.fingerprints)
        module.restored = Restorer(doc, linker, self.rows)
        return None

    def save(self, module: Module, linker: ElfLinker) -> bool:
        """Record the committed state (call right after a commit); False when nothing could be written."""
        sha = _file_sha256(self.output_path)
        if sha is None:
            return False
        placements = _Placements(module, linker)
        rows = _rows(module, linker, placements, self.table, self.rows, as_text=self.rows_as_text)
        try:
            parse = table_of(module.parser)  # a restart parses only what changed since (compiler/zir/seed.py)
            write_atomic(self.location, encode(self.identity, sha, placements.items(), self.table, rows, parse))
        except OSError as exc:
            if not self.save_failed:
                log.warning("compile cache %s not written: %s", self.location.path, exc.strerror)
            self.save_failed = True
            return False
        return True


class _Placements:
    """Every block of the output by name, read from the linker when asked (never all at once: a save at
    N = 100 000 would hold a list per block; docs/design/performance.md §9.4). The panic routine's decl is not
    in the decl table; its entry comes last, or replaces a table decl's of the same name in place."""

    def __init__(self, m: Module, linker: ElfLinker) -> None:
        self.m, self.linker = m, linker
        panic = m.panic_decl
        self.panic: Placement | None = None
        self.panic_name = ""
        if panic is not None and not panic.destroyed and panic.has_bits:
            self.panic = placement_of(linker, DeclIndex(panic.index))
            self.panic_name = panic.name

    def placed_without_relocations(self, d: Decl) -> bool:
        """``get(d)`` is a placement with no relocations (without making the placement: a save asks per decl)."""
        if self.panic is not None and d.name == self.panic_name:
            return not self.panic[RELOCATIONS]
        if not d.has_bits:
            return False
        state = self.linker.decls.get(DeclIndex(d.index))
        return state is not None and state.block.is_placed and not state.relocations

    def _own(self, d: Decl) -> Placement | None:
        return placement_of(self.linker, DeclIndex(d.index)) if d.has_bits else None

    def get(self, d: Decl) -> Placement | None:
        """The placement recorded under ``d.name`` (``d`` in the decl table)."""
        if self.panic is not None and d.name == self.panic_name:
            return self.panic
        return self._own(d)

    def items(self) -> Iterator[tuple[str, Placement]]:
        panic_done = self.panic is None
        for d in self.m.decl_table.values():
            own = self._own(d)
            if own is None:
                continue
            if not panic_done and d.name == self.panic_name:
                assert self.panic is not None
                own, panic_done = self.panic, True
            yield d.name, own
        if not panic_done:
            assert self.panic is not None
            yield self.panic_name, self.panic


def _rows(
    m: Module,
    linker: ElfLinker,
    placements: _Placements,
    table: Table,
    memo: dict[str, tuple[Fn, Row | RowText]],
    *,
    as_text: bool = True,
) -> dict[str, Row | RowText]:
    """The records of the functions a restart may keep (``memo``'s row while a decl keeps its Fn; a restored row
    becomes text there when ``as_text``)."""

    def got_of(h: DeclHandle) -> int | None:
        x = m.decl_table.get(h.name)
        return linker.got_address(DeclIndex(x.index)) if x is not None and x.has_bits else None

    fps: dict[Decl, str | None] = {}
    type_fps: dict[Type, str] = {}
    rows: dict[str, Row | RowText] = {}
    # a body that ran another function's body at compile time depends on that body, which no fingerprint
    # records (a function's is its type): never kept, or a restart after an edit of the callee kept a stale result
    computed = {caller for callers in m.comptime_callers.values() for caller in callers}
    for d in m.decl_table.values():
        fn = d.fn
        if (
            fn is None
            or d in computed
            or d.is_anonymous
            or d.contents_hash is None
            or d.analysis is not DeclStatus.COMPLETE
            or fn.analysis is not FnStatus.SUCCESS
            or fn.performed_exports
            or d.anon_created
            or not placements.placed_without_relocations(d)
        ):
            continue
        known = memo.get(d.name)
        if known is not None and known[0] is fn:
            text = known[1]
            if as_text and not isinstance(text, str):  # a restored row: kept as text from now on
                text = row_text(text)
                memo[d.name] = (fn, text)
            rows[d.name] = text
            continue
        deps: list[tuple[str, str, int]] = []
        for x in d.dependencies:
            if x.name == PANIC_NAME and x is m.panic_decl:
                fp: str | None = ""
            elif x.is_anonymous or x.destroyed:
                fp = None
            else:
                if x not in fps:
                    fps[x] = decl_fingerprint(x.typed_value, got_of, type_fps, lambda h: anonymous_value(m, h))
                fp = fps[x]
            if fp is None:
                break
            deps.append((x.name, fp, linker.got_address(DeclIndex(x.index)) if x.has_bits else -1))
        else:
            fn_type = type_fps.get(fn.fn_type)
            if fn_type is None:
                fn_type = type_fps[fn.fn_type] = type_fingerprint(fn.fn_type, got_of)
            if not 0 <= fn.header_deps <= len(deps):
                continue
            start, end = decl_extent(m, d)  # not its SourceDecl: a generated function's syntax is released
            length = end - start
            row = row_text(table.row(CachedFn(d.contents_hash, length, fn_type, tuple(deps), fn.header_deps)))
            memo[d.name] = (fn, row)
            rows[d.name] = row
    for name in [name for name in memo if name not in rows]:
        del memo[name]
    return rows
