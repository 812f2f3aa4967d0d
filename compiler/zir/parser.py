"""ZIR text → ParsedFile: the one-pass tokenizer/parser of zir-language.md §2–§3, with error recovery.

The parser works on bytes. A file is parsed as a sequence of *spans*: a span starts at offset 0 or at a
line-start ``@`` and ends where the top-level loop next stands, in a clean state, at a line-start ``@``
(or at EOF). Every offset inside a span result is relative to the span start, so the region cache
(``regions.py``) can reuse span results of unchanged text. ``assemble`` turns spans into a ``ParsedFile``
and applies the only cross-decl rule, top-level ``redefinition of identifier``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from compiler.errors import ErrorMsg, Note
from compiler.zir.ast import Arg, Body, Inst, Label, ParsedFile, SourceDecl, decode_name, hidden_declval, shared_declval
from compiler.zir.bigint import parse_decimal
from compiler.zir.literals import BadStringByte, byte_text, decode_string
from compiler.zir.tags import (
    CMP_TAGS,
    COMPARE_ENUM,
    COMPARE_MEMBERS,
    SCHEMAS,
    TAGS_BY_NAME,
    FieldKind,
    FieldSpec,
    Tag,
)

MAX_BODY_NESTING: Final = 100
"""[ZIR Live] Bodies nested deeper than this are rejected (keeps every recursive consumer bounded)."""

_WS: Final = frozenset(b" \n\t\r")
_WS_OR_SEMICOLON: Final = frozenset(b" \n\t\r;")
_SKIP_WS: Final = re.compile(rb"[ \n\t\r]*")
_TOP_SKIP: Final = re.compile(rb"(?:[ \n\t\r]+|;[^\n]*\n?)*")
_DEF_NAME: Final = re.compile(rb"[^ \n\t\r]*")
_DEF_HEAD: Final = re.compile(rb"([^ \n\t\r]*)[ \n\t\r]+=[ \n\t\r]*")
_USE_NAME: Final = re.compile(rb"[^ \n\t\r,)\]]*")
_ENUM_WORD: Final = re.compile(rb"[^ \n\t\r,)]*")
_DIGITS: Final = re.compile(rb"[0-9]*")
_STRING_BODY: Final = re.compile(rb'[^"\\]*(?:\\[\s\S][^"\\]*)*')
_LINE_START_AT: Final = re.compile(rb"^@", re.MULTILINE)
_USIZE_MAX: Final = (1 << 64) - 1

_CMP_POSITIONALS: Final = (
    FieldSpec("lhs", FieldKind.INST),
    FieldSpec("op", FieldKind.ENUM, COMPARE_ENUM, COMPARE_MEMBERS),
    FieldSpec("rhs", FieldKind.INST),
)
_ARG_INDEX_POSITIONALS: Final = (FieldSpec("index", FieldKind.USIZE),)


def _match_end(pattern: re.Pattern[bytes], buf: bytes, pos: int, end: int) -> int:
    """The end of ``pattern`` (which matches the empty string) matched at ``pos``."""
    m = pattern.match(buf, pos, end)
    assert m is not None
    return m.end()


def _keyword_default(field: FieldSpec) -> Arg:
    """A keyword's default; None for a list (each Inst gets a fresh one): see ``_KEYWORD_DEFAULTS`` (per tag)."""
    default = None if field.kind is FieldKind.INST_LIST else field.default
    assert default is None or isinstance(default, bool | str), field
    return default


_KEYWORD_DEFAULTS: Final[dict[Tag, tuple[tuple[str, bool, Arg], ...]]] = {
    tag: tuple((f.name, f.kind is FieldKind.INST_LIST, _keyword_default(f)) for f in schema.keywords)
    for tag, schema in SCHEMAS.items()
}


def next_line_start_at(data: bytes, pos: int, end: int) -> int:
    """The first offset ``q >= pos`` that starts a line and holds ``@`` (zir-language.md §3.8), else ``end``."""
    m = _LINE_START_AT.search(data, pos, end)
    return m.start() if m else end


class _Fail(Exception):
    """A parse error at an absolute offset; unwinds the decl being parsed (recorded by the span loop)."""

    def __init__(self, pos: int, msg: str) -> None:
        super().__init__(msg)
        self.pos = pos
        self.msg = msg


class SpanDecl:
    """A parsed decl with every offset relative to its span's start (see ``SourceDecl`` for the fields); ``inst``
    is None while *detached* (``regions.DeclView.detach``, docs/design/performance.md §9.1), ``inst_src`` its src."""

    __slots__ = ("contents_end", "contents_hash", "contents_start", "inst", "inst_src", "name", "name_offset")

    def __init__(self, name: str, inst: Inst, name_offset: int, start: int, end: int, contents_hash: bytes) -> None:
        self.inst: Inst | None = inst
        self.name, self.name_offset, self.inst_src = name, name_offset, inst.src
        self.contents_start, self.contents_end, self.contents_hash = start, end, contents_hash

    def at(self, base: int) -> SourceDecl:
        """The ``SourceDecl`` of this decl when its span starts at absolute offset ``base`` (attached only)."""
        inst = self.inst
        assert inst is not None, self.name
        s, e = base + self.contents_start, base + self.contents_end
        return SourceDecl(self.name, inst, base + self.name_offset, s, e, self.contents_hash)


class Span:
    """The parse of one span: decls and errors in file order (relative offsets), its length, what it read."""

    __slots__ = ("deferred", "far", "items", "length")

    def __init__(self, items: list[SpanDecl | ErrorMsg], length: int, far: int, deferred: int) -> None:
        self.items = items
        self.length = length
        """The span covers ``[start, start + length)``; the parser stands at a line-start ``@`` or EOF there."""
        self.far = far
        """One past the furthest byte the parse examined, relative (a string scan may look beyond the span)."""
        self.deferred = deferred
        """Function bodies deferred (``KnownGood``)."""


class Trivia:
    """What the formatter needs beyond the decls: comments and the extents of instructions and bodies."""

    __slots__ = ("body_extents", "comments", "inst_extents")

    def __init__(self) -> None:
        self.comments: list[tuple[int, int]] = []
        """(offset of ``;``, offset of the newline ending it or EOF), in file order."""
        self.inst_extents: dict[Inst, tuple[int, int]] = {}
        """A body instruction → (offset of its ``%``, offset just after its ``)``)."""
        self.body_extents: dict[Body, tuple[int, int]] = {}
        """A body → (offset of its ``{``, offset of its ``}``)."""


class _Parser:
    """Parses spans of one buffer; ``buf`` is the source up to its first NUL, followed by one NUL sentinel."""

    __slots__ = (
        "base",
        "blocks",
        "buf",
        "deferred",
        "depth",
        "drop_bodies",
        "far",
        "i",
        "known",
        "lazy_close",
        "n",
        "names",
        "top_open",
        "trivia",
    )

    def __init__(
        self, buf: bytes, n: int, trivia: Trivia | None = None, known: KnownGood | None = None, drop: bool = True
    ) -> None:
        self.trivia = trivia
        self.known = known
        self.drop_bodies = drop and trivia is None  # function bodies kept as their text only (not as parsed)
        self.lazy_close = -1
        """The offset of the ``}`` closing the body to defer (of the decl being parsed), else -1."""
        self.deferred = 0
        """Bodies deferred so far."""
        self.buf = buf
        self.n = n
        self.i = 0
        self.far = 0
        self.base = 0
        self.depth = 0
        self.names: dict[bytes, Inst] = {}
        self.blocks: dict[bytes, Inst] = {}
        self.top_open = -1  # the offset of the ``{`` of the decl's outermost body parsed last

    # ---------------------------------------------------------------- top level

    def span(self, start: int) -> Span:
        """The top-level loop from ``start`` until the next clean line-start ``@`` or EOF."""
        buf, n = self.buf, self.n
        items: list[SpanDecl | ErrorMsg] = []
        self.far = start
        i = start
        while True:
            i = self.skip_trivia(i)
            if i >= n:
                i = n
                break
            if buf[i] == 0x40:  # '@'
                if i != start and buf[i - 1] == 0x0A:
                    break
                self.i = i
                try:
                    items.append(self.decl(start))
                    i = self.i
                except _Fail as fail:
                    items.append(ErrorMsg(fail.pos - start, fail.msg))
                    self.far = max(self.far, fail.pos)
                    i = next_line_start_at(buf, fail.pos, n)
            else:
                items.append(ErrorMsg(i - start, f"unexpected byte: '{byte_text(buf[i])}'"))
                i = next_line_start_at(buf, i, n)
        return Span(items, i - start, max(self.far, i) - start, self.deferred)

    def decl(self, span_start: int) -> SpanDecl:
        """``'@' DEFNAME ws ws* '=' ws* instruction`` at ``self.i`` (which holds the ``@``)."""
        name_offset = self.i
        raw_name = self.def_head(self.i + 1)
        contents_start = self.i
        self.base = contents_start
        self.names = {}
        self.blocks = {}
        self.depth = 0
        self.lazy_close = -1
        name = decode_name(raw_name)
        digest: bytes | None = None
        if self.known is not None:
            digest = self.known_good(name, contents_start)
        inst = self.instruction(raw_name, in_body=False)
        contents_end = self.i
        contents = self.buf[contents_start:contents_end]
        if digest is None:
            digest = hashlib.blake2b(contents, digest_size=16).digest()
        body = inst.args.get("body") if inst.tag is Tag.FN and self.trivia is None else None
        if isinstance(body, Body) and body.resident:  # parsed (so known to parse): kept as its text
            text = (_deferred_body, contents, self.top_open - contents_start)
            inst.args["body"] = Body.released(*text) if self.drop_bodies else Body(body.insts, *text)
        return SpanDecl(
            name, inst, name_offset - span_start, contents_start - span_start, contents_end - span_start, digest
        )

    def known_good(self, name: str, contents_start: int) -> bytes | None:
        """When the function ``name``'s contents at ``contents_start`` are ones ``known`` says parse: their
        hash, with its body marked to be deferred (``lazy_close``). Else None (parsed as usual)."""
        assert self.known is not None
        record = self.known.get(name)
        buf = self.buf
        if record is None or not buf.startswith(b"fn(", contents_start):
            return None
        length, hex_digest = record
        end = contents_start + length
        if end > self.n:
            return None
        digest = hashlib.blake2b(buf[contents_start:end], digest_size=16).digest()
        if digest.hex() != hex_digest:
            return None
        # The same bytes parse the same way: ``fn(@T, {...})``, the body its last field, closed by its last '}'.
        self.lazy_close = buf.rfind(b"}", contents_start, end)
        return digest

    # ---------------------------------------------------------------- lexical helpers

    def fail_byte(self, pos: int) -> _Fail:
        if pos >= self.n:
            return _Fail(self.n, "unexpected EOF")
        return _Fail(pos, f"unexpected byte: '{byte_text(self.buf[pos])}'")

    def skip_trivia(self, i: int) -> int:
        """Skips whitespace and comments from ``i`` (recording the comments in trivia mode)."""
        buf, n = self.buf, self.n
        if buf[i] not in _WS_OR_SEMICOLON:
            return i
        if self.trivia is None:
            return _match_end(_TOP_SKIP, buf, i, n)
        while True:
            i = _match_end(_SKIP_WS, buf, i, n)
            if i >= n or buf[i] != 0x3B:  # ';'
                return i
            newline = buf.find(b"\n", i, n)
            end = n if newline < 0 else newline
            self.trivia.comments.append((i, end))
            i = n if newline < 0 else newline + 1

    def skip_ws(self) -> None:
        buf = self.buf
        i = self.i
        while buf[i] in _WS:  # the NUL sentinel stops it
            i += 1
        self.i = i

    def expect(self, text: bytes) -> None:
        """Consumes the one byte ``text`` or fails with ``expected '{text}'`` where it should be."""
        if self.buf[self.i] == text[0]:  # the NUL sentinel never matches
            self.i += 1
            return
        raise _Fail(self.i, f"expected '{text.decode()}'")

    def def_head(self, i: int) -> bytes:
        """``DEFNAME ws ws* '=' ws*`` from ``i``: the name; ``_DEF_HEAD`` in one match, else step by step."""
        m = _DEF_HEAD.match(self.buf, i, self.n)
        if m is not None:
            self.i = m.end()
            return m[1]
        self.i = i  # the steps report what is wrong, where
        raw_name = self.def_name()
        self.skip_ws()
        self.expect(b"=")
        self.skip_ws()
        return raw_name

    def def_name(self) -> bytes:
        """A definition-site name: every byte up to the first whitespace byte, which is consumed."""
        end = _match_end(_DEF_NAME, self.buf, self.i, self.n)
        if end >= self.n:
            raise _Fail(self.n, "unexpected EOF")
        name = self.buf[self.i : end]
        self.i = end + 1
        return name

    def skip_to_and_over(self, byte: bytes) -> bytes:
        """Every byte up to the next ``byte`` (consumed); EOF first is ``unexpected EOF``."""
        end = self.buf.find(byte, self.i, self.n)
        if end < 0:
            raise _Fail(self.n, "unexpected EOF")
        text = self.buf[self.i : end]
        self.i = end + 1
        return text

    # ---------------------------------------------------------------- instructions

    def instruction(self, raw_name: bytes, in_body: bool) -> Inst:
        """``TAG '(' arguments ')'``; ``raw_name`` is the ``%``/``@`` name being defined."""
        buf = self.buf
        tag_text = self.skip_to_and_over(b"(")
        src = self.i - self.base
        tag = TAGS_BY_NAME.get(tag_text)
        positionals: tuple[FieldSpec, ...]
        keywords: tuple[FieldSpec, ...] = ()
        compat_cmp = False
        if tag is None:
            if tag_text != b"cmp":
                raise _Fail(self.i, f"unknown instruction '{decode_name(tag_text)}'")
            tag = Tag.CMP_EQ  # replaced by the operator below
            positionals = _CMP_POSITIONALS
            compat_cmp = True
        elif tag is Tag.ARG and buf[self.i] in b"0123456789-":
            positionals = _ARG_INDEX_POSITIONALS
        elif tag is Tag.RETURN and buf[self.i] == 0x29:  # return() is returnvoid()
            tag = Tag.RETURNVOID
            positionals = ()
        else:
            schema = SCHEMAS[tag]
            positionals = schema.positionals
            keywords = schema.keywords
        inst = Inst(tag, src, {}, decode_name(raw_name) if in_body else None)
        if tag is Tag.BLOCK:
            self.blocks[raw_name] = inst
        args = inst.args
        for field in positionals:
            c = buf[self.i]
            if c == 0x2C:  # ','
                self.i += 1
                if buf[self.i] in _WS:  # tested first: most arguments have none (a call costs)
                    self.skip_ws()
            elif c == 0x29:  # ')'
                raise _Fail(self.i, f"expected positional parameter '{field.name}'")
            args[field.name] = self.operand(in_body) if field.kind is FieldKind.INST else self.value(field, in_body)
            if buf[self.i] in _WS:
                self.skip_ws()
        if keywords:
            for name, is_list, default in _KEYWORD_DEFAULTS[tag]:
                args[name] = [] if is_list else default  # lists are never shared
        if buf[self.i] in _WS:
            self.skip_ws()
        while buf[self.i] == 0x2C and self.i < self.n:
            self.i += 1
            self.skip_ws()
            kw_name = self.skip_to_and_over(b"=")
            for field in keywords:
                if field.name.encode() == kw_name:
                    args[field.name] = self.value(field, in_body)
                    break
            else:
                raise _Fail(self.i, f"unrecognized keyword parameter: '{decode_name(kw_name)}'")
            self.skip_ws()
        self.expect(b")")
        if compat_cmp:
            op = args.pop("op")
            assert isinstance(op, str)
            inst.tag = CMP_TAGS[op]
        return inst

    def value(self, field: FieldSpec, in_body: bool) -> Inst | list[Inst] | Body | Label | bytes | int | str:
        """A value of ``field``'s kind at ``self.i`` (zir-language.md §3.4)."""
        kind = field.kind
        if kind is FieldKind.INST:
            return self.operand(in_body)
        if kind is FieldKind.INST_LIST:
            return self.operand_list(in_body)
        if kind is FieldKind.BODY:
            return self.body()
        if kind is FieldKind.STR:
            return self.string()
        if kind is FieldKind.LABEL:
            return self.label()
        if kind is FieldKind.ENUM:
            return self.enum_word(field)
        if kind is FieldKind.BOOL:
            return self.boolean()
        if kind is FieldKind.BIGINT:
            return self.integer()
        if kind is FieldKind.USIZE:
            value = self.integer()
            if value < 0:
                raise _Fail(self.i, "integer literal: NegativeIntoUnsigned")
            if value > _USIZE_MAX:
                raise _Fail(self.i, "integer literal: TargetTooSmall")
            return value
        if kind is FieldKind.TYPED_VALUE:
            raise _Fail(self.i, "'const' is a special instruction; not legal in ZIR text")
        assert kind is FieldKind.DECL
        raise _Fail(self.i, "'declval_in_module' is a special instruction; not legal in ZIR text")

    def operand(self, in_body: bool) -> Inst:
        """``@name`` (always a hidden declval) or ``%name`` (an earlier instruction of this decl)."""
        at = self.i
        sigil = self.buf[at]
        if at >= self.n or sigil not in b"@%":
            raise self.fail_byte(at)
        if sigil == 0x25 and not in_body:  # '%'
            raise _Fail(at, "referencing a % instruction in global scope")
        end = _match_end(_USE_NAME, self.buf, at + 1, self.n)
        name = self.buf[at + 1 : end]
        self.i = end
        if sigil == 0x40:  # '@'
            return hidden_declval(name, at - self.base) if in_body else shared_declval(name, at - self.base)
        found = self.names.get(name)
        if found is None:
            raise _Fail(at, f"unrecognized identifier: %{decode_name(name)}")
        return found

    def operand_list(self, in_body: bool) -> list[Inst]:
        """``[`` ws* ( ``]`` | operand ( ws* ``,`` ws* operand )* ws* ``]`` )."""
        self.expect(b"[")
        self.skip_ws()
        if self.buf[self.i] == 0x5D and self.i < self.n:
            self.i += 1
            return []
        result: list[Inst] = []
        while True:
            self.skip_ws()
            result.append(self.operand(in_body))
            self.skip_ws()
            if self.buf[self.i] == 0x2C and self.i < self.n:
                self.i += 1
                continue
            break
        self.expect(b"]")
        return result

    def body(self) -> Body:
        """``{`` ws* ( ws | comment | ``%`` DEFNAME ws ws* ``=`` ws* instruction )* ``}``."""
        open_at = self.i
        close = self.lazy_close
        if close >= 0:  # a known-good function's body: parsed when first read
            self.lazy_close = -1
            self.expect(b"{")
            self.i = close + 1
            self.deferred += 1
            return Body(None, _deferred_body, self.buf[self.base : close + 1], open_at - self.base)
        self.expect(b"{")
        self.top_open = open_at if self.depth == 0 else self.top_open
        if self.depth >= MAX_BODY_NESTING:
            raise _Fail(open_at, f"bodies nested deeper than {MAX_BODY_NESTING} levels")
        self.depth += 1
        buf, n = self.buf, self.n
        insts: list[Inst] = []
        while True:
            i = self.i = self.skip_trivia(self.i)
            if i >= n:
                raise _Fail(n, "unexpected EOF")
            c = buf[i]
            if c == 0x7D:  # '}'
                self.i = i + 1
                break
            if c != 0x25:  # '%'
                raise self.fail_byte(i)
            raw_name = self.def_head(i + 1)
            inst = self.instruction(raw_name, in_body=True)
            if raw_name in self.names:
                raise _Fail(self.i, f"redefinition of identifier '{decode_name(raw_name)}'")
            self.names[raw_name] = inst
            insts.append(inst)
            if self.trivia is not None:
                self.trivia.inst_extents[inst] = (i, self.i)
        self.depth -= 1
        body = Body(insts)
        if self.trivia is not None:
            self.trivia.body_extents[body] = (open_at, self.i - 1)
        return body

    def label(self) -> Label:
        """A string naming a ``block`` of this decl (by ``%`` name, or ``label_N`` for the block ``%N``)."""
        quote = self.i
        text = self.string()
        block = self.blocks.get(text)
        if block is None and text.startswith(b"label_"):
            block = self.blocks.get(text[6:])
        if block is None:
            raise _Fail(quote, f"unrecognized block label: '{decode_name(text)}'")
        return Label(text, block)

    def enum_word(self, field: FieldSpec) -> str:
        end = _match_end(_ENUM_WORD, self.buf, self.i, self.n)
        if end >= self.n:
            raise _Fail(self.n, "unexpected EOF")
        word = decode_name(self.buf[self.i : end])
        self.i = end
        assert field.members is not None
        if word not in field.members:
            raise _Fail(end, f"tag '{word}' not a member of enum '{field.enum_name}'")
        return word

    def boolean(self) -> bool:
        c = self.buf[self.i]
        if c == 0x30 or c == 0x31:
            self.i += 1
            return c == 0x31
        raise _Fail(self.i, f"expected '0' or '1' for boolean value, found {byte_text(c)}")

    def integer(self) -> int:
        """``-?[0-9]+``, arbitrary precision (zir-language.md §2.6)."""
        start = self.i
        i = start + 1 if self.buf[start] == 0x2D and start < self.n else start
        end = _match_end(_DIGITS, self.buf, i, self.n)
        if end == i:
            raise _Fail(start, "invalid digit in integer literal")
        self.i = end
        return parse_decimal(self.buf[start:end])

    def string(self) -> bytes:
        """A string literal (zir-language.md §2.5): scan to the closing quote, then decode."""
        buf, n = self.buf, self.n
        start = self.i
        if buf[start] != 0x22 or start >= n:
            raise _Fail(start, "expected '\"'")
        end = _match_end(_STRING_BODY, buf, start + 1, n)
        if end >= n or buf[end] != 0x22:
            self.far = max(self.far, n)
            raise _Fail(n, "unexpected EOF")
        self.far = max(self.far, end + 1)
        raw = buf[start + 1 : end]
        self.i = end + 1
        if b"\\" not in raw and b"\n" not in raw:
            return raw
        try:
            return decode_string(buf, start + 1, end)
        except BadStringByte as bad:
            raise _Fail(bad.pos, bad.msg) from None


KnownGood = Mapping[str, tuple[int, str]]
"""Function decls whose contents are known to parse (a restart's compile cache): name -> (length of the
contents, hex blake2b-128 of them). Such a function's body is deferred (``Body.insts`` parses it)."""


def _deferred_body(contents: bytes, open_at: int) -> list[Inst]:
    """The body at ``open_at`` of a decl's ``contents`` (ending with the body's ``}``), as the eager parse made it."""
    p = _Parser(contents + b"\0", len(contents))
    p.i = open_at
    try:
        return p.body().insts
    except _Fail as fail:  # only a forged cache can claim text that does not parse
        raise RuntimeError(f"a deferred function body does not parse: {fail.msg}") from None


# -------------------------------------------------------------------- whole files

SpanSource = Callable[[bytes, int], tuple[list[SourceDecl | ErrorMsg], int]]
"""``(buf, start) -> (items with absolute offsets, end)``: the span starting at ``start`` of ``buf``
(the source up to its first NUL, plus one NUL sentinel)."""


def content_of(source: bytes) -> bytes:
    """The parsed part of ``source``: a NUL byte ends the input (zir-language.md §2.1)."""
    nul = source.find(b"\0")
    return source if nul < 0 else source[:nul]


def parse_span(buf: bytes, start: int, known: KnownGood | None = None, drop: bool = True) -> Span:
    """Parses the span of ``buf`` (content plus one NUL sentinel) that starts at ``start``; the bodies of the
    functions ``known`` names with their exact contents are deferred; ``drop``: ``_Parser.drop_bodies``."""
    return _Parser(buf, len(buf) - 1, None, known, drop).span(start)


def direct_span(buf: bytes, start: int) -> tuple[list[SourceDecl | ErrorMsg], int]:
    """The uncached ``SpanSource``."""
    span = parse_span(buf, start)
    return absolute_items(span.items, start), start + span.length


def absolute_items(items: Sequence[SpanDecl | ErrorMsg], base: int) -> list[SourceDecl | ErrorMsg]:
    return [
        item.at(base) if isinstance(item, SpanDecl) else ErrorMsg(item.byte_offset + base, item.msg) for item in items
    ]


def assemble(source: bytes, spans: SpanSource) -> ParsedFile:
    """Runs the span loop over ``source`` and applies top-level ``redefinition of identifier``.

    A duplicate top-level name is an error just after the duplicate's ``)``; the duplicate is dropped
    and parsing resumes at the next line-start ``@`` at or after that offset (zir-language.md §3.6, §3.8).
    """
    data = content_of(source)
    buf = data + b"\0"
    n = len(data)
    decls: list[SourceDecl] = []
    errors: list[ErrorMsg] = []
    seen: dict[str, SourceDecl] = {}
    pos = 0
    while pos < n:
        items, end = spans(buf, pos)
        pos = end
        for item in items:
            if isinstance(item, ErrorMsg):
                errors.append(item)
            elif item.name in seen:
                previous = Note(seen[item.name].name_offset, "previous definition here")
                errors.append(ErrorMsg(item.contents_end, f"redefinition of identifier '{item.name}'", (previous,)))
                pos = next_line_start_at(buf, item.contents_end, n)
                break
            else:
                seen[item.name] = item
                decls.append(item)
    return ParsedFile(decls, errors)


def parse(source: bytes) -> ParsedFile:
    """Parses a whole ZIR file: every decl that parses, and every parse error in file order."""
    return assemble(source, direct_span)


def parse_with_trivia(source: bytes) -> tuple[ParsedFile, Trivia]:
    """``parse`` that also records comments and instruction/body extents (absolute), for the formatter."""
    trivia = Trivia()

    def spans(buf: bytes, start: int) -> tuple[list[SourceDecl | ErrorMsg], int]:
        span = _Parser(buf, len(buf) - 1, trivia).span(start)
        return absolute_items(span.items, start), start + span.length

    return assemble(source, spans), trivia


def parse_span_with_trivia(buf: bytes, start: int) -> tuple[Span, Trivia]:
    """``parse_span`` that also records the span's comments and instruction/body extents (offsets in ``buf``)."""
    trivia = Trivia()
    return _Parser(buf, len(buf) - 1, trivia).span(start), trivia
