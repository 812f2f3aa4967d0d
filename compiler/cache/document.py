"""The cache file's format: JSON data only, every field checked when read (docs/design/performance.md §7).

Reading never executes anything from the file (no pickle, no marshal): ``json.loads`` of bytes whose shape is
then validated field by field; any mismatch is ``Malformed``. Fingerprint strings are stored once in a table and
referred to by index (a program's decls share a few types).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from compiler.link.elf.trusted import Placement

FORMAT = "zir-live-cache"
VERSION = 1


class Malformed(ValueError):
    """The file is not a cache document of this format and version."""


@dataclass(frozen=True, slots=True)
class CachedFn:
    """A function whose body analysis and code the output holds."""

    contents_hash: bytes
    fn_type: str
    """Fingerprint of its function type."""
    deps: tuple[tuple[str, str, int], ...]
    """Every decl it depended on, in order: ``(name, fingerprint, GOT address or -1)``."""


@dataclass(frozen=True, slots=True)
class Document:
    identity: dict[str, str]
    """What must equal the current build's (compiler, paths, modes)."""
    output_sha256: str
    """The output file's bytes as the recorded commit left them."""
    placements: dict[str, Placement]
    """Every block in the output by symbol name."""
    fns: dict[str, CachedFn]


def encode(doc: Document) -> bytes:
    table: dict[str, int] = {}

    def fp(text: str) -> int:
        return table.setdefault(text, len(table))

    fns = {
        name: [f.contents_hash.hex(), fp(f.fn_type), [[d, fp(p), got] for d, p, got in f.deps]]
        for name, f in doc.fns.items()
    }
    body = {
        "format": FORMAT,
        "version": VERSION,
        "identity": doc.identity,
        "output_sha256": doc.output_sha256,
        "fingerprints": list(table),
        "placements": {name: p.to_list() for name, p in doc.placements.items()},
        "fns": fns,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def decode(data: bytes) -> Document:
    """The document in ``data``; raises Malformed."""
    try:
        body = json.loads(data)
        return _decode(body)
    except Malformed:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        raise Malformed(f"{type(exc).__name__}: {exc}") from exc


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise Malformed(what)


def _str_dict(value: Any, what: str) -> dict[str, Any]:
    _require(isinstance(value, dict) and all(isinstance(k, str) for k in value), what)
    result: dict[str, Any] = value
    return result


def _ints(value: Any, count: int, what: str) -> list[int]:
    _require(isinstance(value, list) and len(value) == count, what)
    _require(all(type(x) is int for x in value), what)
    result: list[int] = value
    return result


def _decode(body: Any) -> Document:
    body = _str_dict(body, "not an object")
    _require(body.get("format") == FORMAT, "not a zir-live cache")
    _require(body.get("version") == VERSION, f"format version {body.get('version')!r}, expected {VERSION}")
    identity = _str_dict(body["identity"], "identity")
    _require(all(isinstance(v, str) for v in identity.values()), "identity values")
    sha = body["output_sha256"]
    _require(isinstance(sha, str) and len(sha) == 64, "output_sha256")
    table = body["fingerprints"]
    _require(isinstance(table, list) and all(isinstance(t, str) for t in table), "fingerprints")
    placements = {
        name: Placement.from_list(_ints(row, 9, "placement"))
        for name, row in _str_dict(body["placements"], "placements").items()
    }
    fns: dict[str, CachedFn] = {}
    for name, row in _str_dict(body["fns"], "fns").items():
        _require(isinstance(row, list) and len(row) == 3, "fn record")
        contents_hash, type_index, deps = row
        _require(isinstance(contents_hash, str) and type(type_index) is int and isinstance(deps, list), "fn record")
        parsed_deps: list[tuple[str, str, int]] = []
        for dep in deps:
            _require(isinstance(dep, list) and len(dep) == 3, "dependency")
            dep_name, fp_index, got = dep
            _require(isinstance(dep_name, str) and type(fp_index) is int and type(got) is int, "dependency")
            _require(0 <= fp_index < len(table), "fingerprint index")
            parsed_deps.append((dep_name, table[fp_index], got))
        _require(0 <= type_index < len(table), "fingerprint index")
        fns[name] = CachedFn(bytes.fromhex(contents_hash), table[type_index], tuple(parsed_deps))
    return Document(identity, sha, placements, fns)
