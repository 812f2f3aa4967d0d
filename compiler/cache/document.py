"""The cache file's format: JSON data only, every field checked when read (docs/design/performance.md §7).

Reading never executes anything from the file (no pickle, no marshal): ``json.loads`` of bytes whose shape is
then validated field by field; any mismatch is ``Malformed`` (a function's record is checked when it is used:
a damaged record is not used, the others still are). Fingerprint strings are stored once in a table and
referred to by index (a program's decls share a few types); a rewrite keeps the table's old entries in place,
so the unchanged records of kept functions are written back as they were read.
"""

from __future__ import annotations

import json
from _json import encode_basestring_ascii, make_encoder
from collections.abc import Iterable, Iterator
from itertools import chain
from types import ModuleType
from typing import Any, Final

from compiler.link.elf.trusted import PLACEMENT_FIELDS, Placement
from compiler.record import frozen_delattr, frozen_setattr, record_eq, record_hash, record_repr

FORMAT = "zir-live-cache"
VERSION = 3


class Malformed(ValueError):
    """The file is not a cache document of this format and version."""


_CACHED_FN_FIELDS = ("contents_hash", "contents_length", "fn_type", "deps", "header_deps")


class CachedFn:
    """A function whose body analysis and code the output holds."""

    contents_hash: bytes
    contents_length: int
    """Length of the decl's contents (with the hash: the restart's parser defers the body of such text)."""
    fn_type: str
    """Fingerprint of its function type."""
    deps: tuple[tuple[str, str, int], ...]
    """Every decl it depended on, in order: ``(name, fingerprint, GOT address or -1)``."""
    header_deps: int
    """How many of ``deps`` (the first ones) its decl-level analysis used: with them, the function's type."""

    __slots__ = ("contents_hash", "contents_length", "deps", "fn_type", "header_deps")
    __match_args__ = ("contents_hash", "contents_length", "fn_type", "deps", "header_deps")

    def __init__(self, contents_hash: bytes, contents_length: int, fn_type: str,
                 deps: tuple[tuple[str, str, int], ...], header_deps: int) -> None:  # fmt: skip
        # plain assignments: one record per function on a restart (never changed after)
        self.contents_hash = contents_hash
        self.contents_length = contents_length
        self.fn_type = fn_type
        self.deps = deps
        self.header_deps = header_deps

    def __repr__(self) -> str:
        return record_repr(self, _CACHED_FN_FIELDS)

    def __eq__(self, other: object) -> bool:
        return record_eq(self, other, _CACHED_FN_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _CACHED_FN_FIELDS)


Row = list[Any]
"""A function's record as stored: ``[contents hash hex, type fingerprint index, [[name, index, got], ...],
contents length, how many of the dependencies are the decl-level analysis's]``."""


_DOCUMENT_FIELDS = ("identity", "output_sha256", "placements", "fingerprints", "rows", "parse")


class Document:
    identity: dict[str, str]
    """What must equal the current build's (compiler, paths, modes)."""
    output_sha256: str
    """The output file's bytes as the recorded commit left them."""
    placements: dict[str, Placement]
    """Every block in the output by symbol name."""
    fingerprints: list[str]
    rows: dict[str, Row]
    """Function records by name, checked by ``fn_record`` when used (a damaged one is not used)."""
    parse: Any
    """The parse table of the recorded text as read (``compiler/zir/seed.py`` checks it when used), or None."""

    __slots__ = ("fingerprints", "identity", "output_sha256", "parse", "placements", "rows")
    __match_args__ = ("identity", "output_sha256", "placements", "fingerprints", "rows", "parse")
    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, identity: dict[str, str], output_sha256: str, placements: dict[str, Placement],
                 fingerprints: list[str], rows: dict[str, Row], parse: Any = None) -> None:  # fmt: skip
        object.__setattr__(self, "identity", identity)
        object.__setattr__(self, "output_sha256", output_sha256)
        object.__setattr__(self, "placements", placements)
        object.__setattr__(self, "fingerprints", fingerprints)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "parse", parse)

    def __repr__(self) -> str:
        return record_repr(self, _DOCUMENT_FIELDS)

    def __eq__(self, other: object) -> bool:
        return record_eq(self, other, _DOCUMENT_FIELDS)

    def __hash__(self) -> int:
        return record_hash(self, _DOCUMENT_FIELDS)


class Table:
    """The fingerprint table of a document being written; starts as the table the reused rows refer to."""

    def __init__(self, base: list[str]) -> None:
        self.index = {text: i for i, text in enumerate(base)}
        self.texts = list(base)

    def of(self, text: str) -> int:
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.texts)
            self.texts.append(text)
        return i

    def row(self, f: CachedFn) -> Row:
        deps = [[d, self.of(p), got] for d, p, got in f.deps]
        return [f.contents_hash.hex(), self.of(f.fn_type), deps, f.contents_length, f.header_deps]


RowText = str
"""A function's record already encoded as JSON (what the cache session keeps between saves: one string, not a
list of lists and strings per function; docs/design/performance.md §9.4)."""


def _no_default(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not a cache value")


_ENCODER = make_encoder(None, _no_default, encode_basestring_ascii, None, ":", ",", False, False, True)
"""``json.dumps(value, separators=(",", ":"))``'s C encoder, made once: a save encodes ten thousands of small
values (names, placements, records), and ``json.dumps`` builds an encoder and enters three Python frames per call
(docs/design/performance.md §7.5). The cache holds only lists, dicts, strings and ints (no cycles to check)."""


def dumps(value: object) -> str:
    """``value`` as compact JSON: exactly ``json.dumps(value, separators=(",", ":"))``."""
    return "".join(_ENCODER(value, 0))


LARGE: Final = 1 << 20
"""A document of at least this many bytes is decoded with orjson, a maintained C JSON library that builds these
lists about twice as fast as ``json.loads`` (9 against 17 ms for the 4 MB cache of N = 10 000)."""
LARGE_RECORDS: Final = 2048
"""A document of at least this many function records (about 1 MB) is rendered by orjson, about six times as fast
as the standard library's encoder (27 against 9 ms at N = 10 000, placements and records included). Below these
sizes the standard library's: importing orjson costs about 7 ms (it loads ``dataclasses`` and ``inspect``), more
than it saves on a smaller cache, and a cold ``zir build hello.zir`` must not load those modules
(docs/design/performance.md §10)."""


def _orjson() -> ModuleType:
    import orjson  # only for a large document (``LARGE``, ``LARGE_RECORDS``)

    return orjson


def _dumps_bytes(value: object, fast: ModuleType | None) -> bytes:
    """``value`` as compact JSON bytes: orjson's (non-ASCII characters as UTF-8) when ``fast``, the standard
    library's (``dumps``) when not or when orjson refuses it (a name holding a lone surrogate: names are decoded
    with ``surrogateescape``). Both are the same JSON value."""
    if fast is not None:
        try:
            result: bytes = fast.dumps(value)
            return result
        except TypeError:  # orjson.JSONEncodeError
            pass
    return dumps(value).encode()


def row_text(row: Row | RowText) -> RowText:
    """``row`` as JSON, the way ``encode`` writes it."""
    return row if isinstance(row, str) else "".join(_ENCODER(row, 0))


def encode(
    identity: dict[str, str],
    sha: str,
    placements: Iterable[tuple[str, Placement]],
    table: Table,
    rows: dict[str, Row | RowText],
    parse: dict[str, Any] | None = None,
) -> Iterator[bytes]:
    """The document, piece by piece (its bytes are ``json.dumps`` of the whole with compact separators; the
    whole is never one string in memory: placements go out 1 024 at a time, each batch one C encoder call)."""
    fast = _orjson() if len(rows) >= LARGE_RECORDS else None
    head = {
        "format": FORMAT,
        "version": VERSION,
        "identity": identity,
        "output_sha256": sha,
        "fingerprints": table.texts,
    }
    yield dumps(head)[:-1].encode()
    yield b',"placements":{'
    first = True
    chunk: dict[str, Placement] = {}
    for name, placement in placements:
        chunk[name] = placement
        if len(chunk) >= 1024:
            yield (b"" if first else b",") + _dumps_bytes(chunk, fast)[1:-1]
            first = False
            chunk.clear()
    if chunk:
        yield (b"" if first else b",") + _dumps_bytes(chunk, fast)[1:-1]
    yield from _rows_json(rows, fast)
    if parse is not None:  # the parse table (docs/design/performance.md §7.4): optional, read by this version on
        yield b',"parse":' + _dumps_bytes(parse, fast)
    yield b"}"


def _rows_json(rows: dict[str, Row | RowText], fast: ModuleType | None) -> Iterator[bytes]:
    """The ``"fns"`` member, with orjson when ``fast`` (``_dumps_bytes``): consecutive rows not yet text encoded
    together, 1 024 per call; a row kept as text as it is."""
    batch: list[bytes] = [b'},"fns":{']
    lists: dict[str, Row] = {}
    comma = b""
    for name, row in rows.items():
        if isinstance(row, str):
            if lists:
                batch.append(comma + _dumps_bytes(lists, fast)[1:-1])
                comma = b","
                lists.clear()
            key = _dumps_bytes(name, fast) if fast is not None else encode_basestring_ascii(name).encode()
            batch.append(comma + key + b":" + row.encode())
            comma = b","
        else:
            lists[name] = row
            if len(lists) < 1024:
                continue
            batch.append(comma + _dumps_bytes(lists, fast)[1:-1])
            comma = b","
            lists.clear()
            yield b"".join(batch)
            batch.clear()
        if len(batch) >= 1024:
            yield b"".join(batch)
            batch.clear()
    if lists:
        batch.append(comma + _dumps_bytes(lists, fast)[1:-1])
    batch.append(b"}")
    yield b"".join(batch)


def decode(data: bytes) -> Document:
    """The document in ``data`` (function records unchecked); raises Malformed."""
    try:
        body = None
        if len(data) >= LARGE:
            fast = _orjson()
            try:
                body = fast.loads(data)
            except ValueError:  # orjson.JSONDecodeError: also a lone surrogate's escape, which json reads
                body = None
        if body is None:
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


_INT = frozenset((int,))
"""``bool`` is a subclass of ``int``: the exact type is checked."""


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
    placements: dict[str, Placement] = _str_dict(body["placements"], "placements")
    rows = placements.values()
    # one pass over the rows and one over their values (``map`` keeps the type checks at C speed)
    _require(all(type(row) is list and len(row) == PLACEMENT_FIELDS for row in rows), "placement")
    _require(_INT.issuperset(map(type, chain.from_iterable(rows))), "placement")
    return Document(identity, sha, placements, table, _str_dict(body["fns"], "fns"), body.get("parse"))


def fn_record(doc: Document, name: str) -> CachedFn | None:
    """The checked record of function ``name``, None when there is none; raises Malformed."""
    row = doc.rows.get(name)
    if row is None:
        return None
    try:
        return _fn_record(row, doc.fingerprints)
    except Malformed:
        raise
    except (ValueError, TypeError) as exc:
        raise Malformed(f"{type(exc).__name__}: {exc}") from exc


def _fn_record(row: Any, table: list[str]) -> CachedFn:
    # one record per kept function on a restart: type checks inline, no helper call per dependency
    if type(row) is not list or len(row) != 5:
        raise Malformed("fn record")
    contents_hash, type_index, deps, length, header_deps = row
    if not (
        type(contents_hash) is str
        and type(type_index) is int
        and type(deps) is list
        and type(length) is int
        and length > 0
        and 0 <= type_index < len(table)
        and type(header_deps) is int
        and 0 <= header_deps <= len(deps)
    ):
        raise Malformed("fn record")
    size = len(table)
    parsed_deps: list[tuple[str, str, int]] = []
    for dep in deps:
        if type(dep) is not list or len(dep) != 3:
            raise Malformed("dependency")
        dep_name, fp_index, got = dep
        if type(dep_name) is not str or type(fp_index) is not int or type(got) is not int or not 0 <= fp_index < size:
            raise Malformed("dependency")
        parsed_deps.append((dep_name, table[fp_index], got))
    return CachedFn(bytes.fromhex(contents_hash), length, table[type_index], tuple(parsed_deps), header_deps)


def known_good(doc: Document) -> dict[str, tuple[int, str]]:
    """``name -> (contents length, contents hash hex)`` of the well-formed-looking records: contents that parsed
    (``parser.KnownGood``). A record that does not check here, or later, only loses the deferral."""
    known: dict[str, tuple[int, str]] = {}
    for name, row in doc.rows.items():
        if isinstance(row, list) and len(row) == 5:
            digest, length = row[0], row[3]
            if isinstance(digest, str) and len(digest) == 32 and type(length) is int and length > 0:
                known[name] = (length, digest)
    return known
