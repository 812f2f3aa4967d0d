"""A restart's parse table: the parse of the text a compile cache recorded, rebuilt without parsing it
(docs/design/performance.md §7.4).

The cache records the text of the last parse without errors and, per span, its extent and — for a span that
is one function decl with a body that parses when read — the decl's offsets, contents hash and body offset
(``table_of``). A restart rebuilds that version of the parser from the table (``seed_version``) and the
parser then diffs the new text against it as an in-process update diffs against its previous text: only the
changed middle is parsed. A rebuilt function is exactly what the parser's deferred path makes for the same
bytes (``KnownGood``, docs/design/performance.md §7.4): the ``fn`` instruction of its header and a body parsed
when first read. The instruction is copied from a *template*: the first function of each header (the bytes up
to the body's ``{``) and tail (the bytes after its ``}``) is parsed, and checked against the table; a later one
with the same header and tail bytes parses to the same instruction but for its body (the header's operands are
shared ``declval`` objects, ``ast.shared_declval``). Any other span (types, constants, exports, a function the
cache has no record of) is parsed from the recorded text.

What the table claims is checked as far as it is cheap: the text's hash, the spans tiling it, each template
against its parse, each deferred function's length and hash against the cache's record of it. Like the rest
of the cache file (the user's own), its offsets are otherwise trusted (docs/design/performance.md §7.3).
"""

from __future__ import annotations

import base64
import hashlib
import sys
from array import array
from typing import Any, Final, TypeAlias

from compiler.zir.ast import Arg, Body, Inst, shared_declval
from compiler.zir.parser import KnownGood, SpanDecl, _deferred_body, parse_span
from compiler.zir.regions import IncrementalParser, _Version
from compiler.zir.shifted import ShiftedList
from compiler.zir.tags import Tag

FIELDS: Final = 7
"""Integers per span in the table: start, end, examined end, then for a function's span its name offset,
contents start and end (relative to the span's start) and its body's ``{`` (relative to the contents)."""


_HASH: Final = 16
"""Bytes of a contents hash (blake2b-128, ``SourceDecl.contents_hash``)."""
_NO_HASH: Final = bytes(_HASH)


class BadTable(ValueError):
    """The table does not describe a parse of its text (the parser then parses the whole new text)."""


def table_of(parser: IncrementalParser) -> dict[str, Any] | None:
    """The JSON-able table of ``parser``'s latest version without errors (None: there is none, or it has a
    top-level redefinition)."""
    v = parser.good_version()
    if v is None or v.duplicates or v.errors:
        return None
    count = len(v.span_start)
    firsts = [*v.span_first_decl.values(), len(v.rel_decls)]
    spans: list[int] = []
    names: list[str | None] = []
    hashes: list[bytes] = []
    for k, (start, end, examined) in enumerate(
        zip(v.span_start.values(), v.span_end.values(), v.span_examined.values(), strict=True)
    ):
        first = firsts[k]
        rel = v.rel_decls[first] if firsts[k + 1] - first == 1 else None
        inst = rel.inst if rel is not None else None
        body = inst.args.get("body") if inst is not None and inst.tag is Tag.FN else None
        text = body.text() if isinstance(body, Body) else None
        # a detached decl (a generated function's syntax released, performance.md §9.1): its ``{`` is looked for
        # when the table is read, and checked there like any other
        open_at = text[1] if text is not None else -1 if rel is not None and inst is None else None
        if rel is None or open_at is None:
            spans += (start, end, examined, 0, 0, 0, 0)
            names.append(None)
            hashes.append(_NO_HASH)
            continue
        spans += (start, end, examined, rel.name_offset, rel.contents_start, rel.contents_end, open_at)
        names.append(rel.name)
        hashes.append(rel.contents_hash)
    assert len(names) == count
    try:
        packed = array("i", spans)
    except OverflowError:  # a text of 2 GiB or more: no table
        return None
    if sys.byteorder != "little":
        packed.byteswap()
    return {
        "text": v.data.decode("latin-1"),
        "digest": hashlib.blake2b(v.data, digest_size=16).hexdigest(),
        "spans": base64.b64encode(packed.tobytes()).decode(),
        "names": names,
        "hashes": base64.b64encode(b"".join(hashes)).decode(),
    }


def _shareable(args: dict[str, Arg]) -> bool:
    """Every field but the body is a shared ``declval`` or a plain value: the same object in every decl with
    the same header bytes, as the parser makes it."""
    for key, value in args.items():
        if key == "body":
            continue
        if isinstance(value, Inst):
            name = value.args.get("name")
            if not (value.hidden and isinstance(name, bytes) and shared_declval(name, value.src) is value):
                return False
        elif not (value is None or isinstance(value, (int, str, bytes))):
            return False
    return True


_Template: TypeAlias = tuple[Tag, int, dict[str, Arg]]
"""A function's instruction but its body: tag, src and the other fields (shared objects or plain values)."""


def _parsed(
    buf: bytes, start: int, end: int, where: tuple[str, int, int, int], rec: tuple[int, str], text: bytes, open_at: int
) -> SpanDecl | None:
    """The parse of the span at ``start``, a function the table describes by ``where`` (name, name offset,
    contents start and end) and the cache by ``rec``, when it is that with a deferred body parsed from ``text``
    at ``open_at``, and its other fields can be shared (else None)."""
    span = parse_span(buf, start, {where[0]: rec}, False)
    item = span.items[0] if len(span.items) == 1 else None
    if not isinstance(item, SpanDecl) or item.inst is None or span.length != end - start:
        return None
    inst = item.inst
    body = inst.args.get("body")
    if not (
        inst.tag is Tag.FN
        and (item.name, item.name_offset, item.contents_start, item.contents_end) == where
        and item.contents_hash.hex() == rec[1]
        and isinstance(body, Body)
        and body.deferred
        and body.text() == (text, open_at)
        and _shareable(inst.args)
    ):
        return None
    return item


def _template(item: SpanDecl) -> _Template:
    inst = item.inst
    assert inst is not None
    return inst.tag, inst.src, {f: v for f, v in inst.args.items() if f != "body"}


def seed_version(table: Any, known: KnownGood, parser: IncrementalParser) -> tuple[_Version, set[str], int]:
    """The version of the table's text for ``parser``, the names of its decls whose bodies are deferred and the
    number of spans parsed to make it (``IncrementalParser.seed``'s arguments); raises ``BadTable``. Spans parsed
    here keep their bodies as the parser's own parse would (``drop_bodies``, ``keep_parsed``: performance.md §9.1)."""
    if not isinstance(table, dict):
        raise BadTable("not a table")
    text_str, digest, spans_text, names, hashes_text = (
        table.get(k) for k in ("text", "digest", "spans", "names", "hashes")
    )
    if not (
        isinstance(text_str, str)
        and isinstance(digest, str)
        and isinstance(spans_text, str)
        and isinstance(names, list)
        and isinstance(hashes_text, str)
    ):
        raise BadTable("fields")
    try:
        data = text_str.encode("latin-1")
        packed = array("i", base64.b64decode(spans_text, validate=True))
        hashes = base64.b64decode(hashes_text, validate=True)
    except (UnicodeEncodeError, ValueError) as exc:  # binascii.Error is a ValueError; so is a partial array item
        raise BadTable(type(exc).__name__) from None
    if sys.byteorder != "little":
        packed.byteswap()
    spans = packed.tolist()
    count = len(names)
    if len(spans) != FIELDS * count or len(hashes) != _HASH * count:
        raise BadTable("spans")
    if hashlib.blake2b(data, digest_size=16).hexdigest() != digest:
        raise BadTable("text digest")
    buf = data + b"\0"
    n = len(data)
    templates: dict[tuple[bytes, bytes], _Template | None] = {}
    rel_decls: list[SpanDecl] = []
    bases: list[int] = []
    decl_names: list[str] = []
    firsts: list[int] = []
    deferred: set[str] = set()
    parsed_spans = 0
    pos = previous_examined = 0
    for k in range(count):
        i = FIELDS * k
        start, end, examined, name_offset, cs, ce, open_at = spans[i : i + FIELDS]
        if start != pos or not start < end <= n or examined <= end or examined < previous_examined:
            raise BadTable("span extents")
        pos, previous_examined = end, examined
        firsts.append(len(rel_decls))
        name = names[k]
        if name is not None:
            rec = known.get(name) if isinstance(name, str) else None
            digest_bytes = hashes[_HASH * k : _HASH * k + _HASH]
            digest_hex = digest_bytes.hex()
            a, b = start + cs, start + ce
            if (
                rec is not None
                and rec == (ce - cs, digest_hex)
                and start <= start + name_offset < a < b <= end
                and data[start + name_offset] == 0x40  # '@'
            ):
                contents = data[a:b]
                close = contents.rfind(b"}")
                if open_at < 0:  # a decl detached when the table was written: the first ``{`` (checked below)
                    open_at = contents.find(b"{")
                key = (contents[:open_at], contents[close + 1 :]) if 0 <= open_at < close else None
                if key is not None and key not in templates:  # the first of its header and tail: parsed, then checked
                    first = _parsed(buf, start, end, (name, name_offset, cs, ce), rec, contents[: close + 1], open_at)
                    parsed_spans += 1
                    templates[key] = None if first is None else _template(first)
                    if first is not None:
                        rel_decls.append(first)
                        bases.append(start)
                        decl_names.append(name)
                        deferred.add(name)
                        continue
                template = templates[key] if key is not None else None
                if template is not None:
                    tag, src, shared = template
                    args = dict(shared)
                    args["body"] = Body(None, _deferred_body, contents[: close + 1], open_at)
                    inst = Inst(tag, src, args)
                    rel_decls.append(SpanDecl(name, inst, name_offset, cs, ce, digest_bytes))
                    bases.append(start)
                    decl_names.append(name)
                    deferred.add(name)
                    continue
        # any other span: parsed from the recorded text, as the parser would
        span = parse_span(buf, start, known, parser.drop_bodies and parsed_spans >= parser.keep_parsed)
        parsed_spans += 1
        if span.length != end - start:
            raise BadTable("a span's extent")
        for item in span.items:
            if not isinstance(item, SpanDecl):
                raise BadTable("a span with a parse error")
            body = item.inst.args.get("body") if item.inst is not None else None
            if isinstance(body, Body) and body.deferred:
                deferred.add(item.name)
            rel_decls.append(item)
            bases.append(start)
            decl_names.append(item.name)
    if pos != n:
        raise BadTable("spans do not cover the text")
    v = _Version()
    v.data = data
    v.span_start = ShiftedList([spans[FIELDS * k] for k in range(count)])
    v.span_end = ShiftedList([spans[FIELDS * k + 1] for k in range(count)])
    v.span_examined = ShiftedList([spans[FIELDS * k + 2] for k in range(count)])
    v.span_entry = [None] * count
    v.span_first_decl = ShiftedList(firsts)
    v.span_first_error = [0] * count
    v.rel_decls = rel_decls
    v.decl_base = ShiftedList(bases)
    v.names = decl_names
    v.name_counts = dict.fromkeys(decl_names, 1)
    if len(v.name_counts) != len(decl_names):
        raise BadTable("a name twice")
    return v, deferred, parsed_spans
