"""The parsed ZIR data model: instructions, bodies, labels, source decls and the parse result.

Positions. Every offset stored inside a decl is **relative to that decl's ``contents_start``** (the first
byte of its tag, zir-language.md §4.3): ``Inst.src`` is the offset just after the ``(`` of ``tag(``, and a
hidden ``declval`` made for an ``@name`` operand has the offset of its ``@``. A decl that only moved in the
file therefore keeps identical ``Inst`` objects (performance.md §6). ``SourceDecl.src`` gives the absolute
offset. Parse errors (``ParsedFile.errors``) are absolute.

Operands. A ``%name`` operand is the defining ``Inst`` object (earlier in the same decl). An ``@name``
operand is ALWAYS a hidden ``Inst(tag=DECLVAL, args={"name": b"..."}, hidden=True)``; semantic analysis
decides whether it names an earlier decl, a later one, or nothing, so a decl's parse result never depends
on other decls.

Arguments. ``Inst.args`` holds every positional and keyword field of the tag's schema
(``tags.SCHEMAS``) by its spec name; missing keywords hold their defaults (``None`` for an unset optional
operand, a fresh empty list for list keywords).

Compatibility forms (zir-language.md §3.5) are normalised by the parser:

- ``cmp(a, op, b)`` → an Inst with tag ``CMP_<OP>`` and args ``lhs``/``rhs``;
- ``return()`` → ``RETURNVOID``;
- ``arg(N)`` → tag ``ARG`` with ``args == {"index": N}`` (an ``int``) **instead of** ``args["name"]``;
  the parameter's name is then the Inst's own ``%`` name (``Inst.name``).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from typing import Final, TypeAlias

from compiler.errors import ErrorMsg
from compiler.record import record_repr
from compiler.zir.tags import Tag


class Body:
    """A ``{ ... }`` list of ``%``-named instructions.

    [ZIR Live] A body may be *deferred*: the parser recorded how to parse it and does so when ``insts`` is first
    read, giving exactly the instructions an eager parse gives (docs/design/performance.md §7.4). Only bodies
    whose text is known to parse are deferred. Identity semantics, like ``Inst``.

    A function's body keeps how to parse it (its decl's bytes) after the parse, so its instructions can be
    *released* once analysed (``release``) and parsed again, as the same text parses, when next read: an
    analysed program holds no syntax tree of its function bodies (docs/design/performance.md §6).
    """

    __slots__ = ("_insts", "_open", "_parse", "_text", "parses")

    def __init__(
        self,
        insts: list[Inst] | None,
        parse: Callable[[bytes, int], list[Inst]] | None = None,
        text: bytes = b"",
        open_at: int = 0,
    ) -> None:
        """Eager (``insts``), or made when read by ``parse(text, open_at)``: the parser's one function and
        the decl's bytes, not a closure per body (docs/design/performance.md §9)."""
        assert insts is not None or parse is not None
        self._insts = insts
        self._parse = parse
        self._text = text
        self._open = open_at
        self.parses = 0 if insts is None else 1
        """How many times this body's instructions were made (0: never read yet)."""

    @classmethod
    def released(cls, parse: Callable[[bytes, int], list[Inst]], text: bytes, open_at: int) -> Body:
        """A body parsed once already (its text is known to parse), whose instructions ``parse`` makes."""
        body = cls(None, parse, text, open_at)
        body.parses = 1
        return body

    @property
    def insts(self) -> list[Inst]:
        insts = self._insts
        if insts is None:
            with _DEFERRED_PARSE:  # one parse, so every reader sees the same Inst objects
                insts = self._insts
                if insts is None:
                    parse = self._parse
                    assert parse is not None
                    insts = self._insts = parse(self._text, self._open)
                    self.parses += 1
        return insts

    @property
    def deferred(self) -> bool:
        """Never parsed yet (reading ``insts`` parses it)."""
        return self.parses == 0

    def text(self) -> tuple[bytes, int] | None:
        """What the body parses from when read: its decl's bytes up to the body's ``}`` and the offset of its ``{``
        there (None: an eager body that cannot parse again)."""
        return (self._text, self._open) if self._parse is not None else None

    @property
    def resident(self) -> bool:
        """The instructions are held now (not deferred, not released)."""
        return self._insts is not None

    def release(self) -> None:
        """Drops the instructions of a body that can parse them again (no-op otherwise); the next read of
        ``insts`` makes new, equal ``Inst`` objects."""
        if self._parse is not None:
            self._insts = None

    def __repr__(self) -> str:
        return f"Body({self._insts!r})" if self._insts is not None else "Body(<deferred>)"


_DEFERRED_PARSE: Final = threading.Lock()


class Label:
    """A block label as written (``text``, without quotes) and the ``block`` instruction it names."""

    text: bytes
    block: Inst

    __slots__ = ("block", "text")
    __match_args__ = ("text", "block")

    def __init__(self, text: bytes, block: Inst) -> None:
        self.text = text
        self.block = block

    def __repr__(self) -> str:
        return record_repr(self, ("text", "block"))


Arg: TypeAlias = "Inst | list[Inst] | Body | Label | bytes | int | bool | str | None"
"""The value of one field: operand, operand list, body, label, string bytes, integer, bool, enum word
(``str``), or ``None`` (an unset optional operand)."""


class Inst:
    """One ZIR instruction. Identity semantics: analysis maps ``Inst`` objects to results."""

    tag: Tag
    src: int
    """Offset just after the ``(`` of ``tag(``, relative to the decl's ``contents_start``
    (for a hidden declval: the offset of its ``@``)."""
    args: dict[str, Arg]
    name: str | None
    """The ``%name`` (no sigil) of a body instruction; ``None`` for a decl's top-level instruction."""
    hidden: bool
    """True for a parser-made declval (an ``@name`` operand)."""

    __slots__ = ("args", "hidden", "name", "src", "tag")
    __match_args__ = ("tag", "src", "args", "name", "hidden")

    def __init__(self, tag: Tag, src: int, args: dict[str, Arg], name: str | None = None, hidden: bool = False) -> None:
        self.tag = tag
        self.src = src
        self.args = args
        self.name = name
        self.hidden = hidden

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "src", "args", "name", "hidden"))

    def operand(self, field: str) -> Inst:
        value = self.args[field]
        assert isinstance(value, Inst), (self.tag, field)
        return value

    def opt_operand(self, field: str) -> Inst | None:
        value = self.args[field]
        assert value is None or isinstance(value, Inst), (self.tag, field)
        return value

    def operands(self, field: str) -> list[Inst]:
        value = self.args[field]
        assert isinstance(value, list), (self.tag, field)
        return value

    def body(self, field: str) -> Body:
        value = self.args[field]
        assert isinstance(value, Body), (self.tag, field)
        return value

    def string(self, field: str) -> bytes:
        value = self.args[field]
        assert isinstance(value, bytes), (self.tag, field)
        return value

    def integer(self, field: str) -> int:
        value = self.args[field]
        assert isinstance(value, int) and not isinstance(value, bool), (self.tag, field)
        return value

    def boolean(self, field: str) -> bool:
        value = self.args[field]
        assert isinstance(value, bool), (self.tag, field)
        return value

    def word(self, field: str) -> str:
        value = self.args[field]
        assert isinstance(value, str), (self.tag, field)
        return value

    def label(self, field: str) -> Label:
        value = self.args[field]
        assert isinstance(value, Label), (self.tag, field)
        return value

    @property
    def is_arg_index_form(self) -> bool:
        """True for the compatibility ``arg(N)`` (``args["index"]`` instead of ``args["name"]``)."""
        return self.tag is Tag.ARG and "index" in self.args


def hidden_declval(name: bytes, src: int) -> Inst:
    """The parser-made ``declval`` for an ``@name`` operand at (relative) offset ``src``."""
    return Inst(Tag.DECLVAL, src, {"name": name}, None, True)


_TOP_DECLVALS: Final[dict[tuple[bytes, int], Inst]] = {}
"""The hidden declvals of top-level instructions' ``@`` operands, shared by every decl that has the same one
at the same relative offset (``fn(@fty, ...)`` in every function): nothing changes an ``Inst`` after its
parse, and each analysis keys its results by ``Inst`` within one decl, where no two operands share an offset
(docs/design/performance.md §9)."""


def shared_declval(name: bytes, src: int) -> Inst:
    """The hidden declval of a top-level instruction's ``@name`` operand at (relative) offset ``src``."""
    key = (name, src)
    inst = _TOP_DECLVALS.get(key)
    if inst is None:
        if len(_TOP_DECLVALS) >= 4096:  # bounded: a program with more distinct ones shares less
            _TOP_DECLVALS.clear()
        inst = _TOP_DECLVALS[key] = hidden_declval(name, src)
    return inst


_DECODED: Final[dict[bytes, str]] = {}
"""Recently decoded names (``%0``, ``%1``, … recur in every function: one lookup instead of a decode and an
intern per instruction of a parse)."""


def decode_name(raw: bytes) -> str:
    """Names are bytes; they are stored decoded losslessly (``surrogateescape``), interned: the same local
    names recur in every function, and a program of N functions keeps one string per distinct name."""
    name = _DECODED.get(raw)
    if name is None:
        if len(_DECODED) >= 4096:  # bounded: a program with more distinct names decodes the rest each time
            _DECODED.clear()
        name = _DECODED[raw] = sys.intern(raw.decode("utf-8", "surrogateescape"))
    return name


def encode_name(name: str) -> bytes:
    """The inverse of :func:`decode_name`."""
    return name.encode("utf-8", "surrogateescape")


class SourceDecl:
    """A successfully parsed top-level decl ``@name = instruction(...)``."""

    name: str
    """Without ``@``; decoded with :func:`decode_name`."""
    inst: Inst
    name_offset: int
    """Absolute offset of the ``@``."""
    contents_start: int
    """Absolute offset of the first byte of the tag (zir-language.md §4.3)."""
    contents_end: int
    """Absolute offset just after the closing ``)``."""
    contents_hash: bytes
    """blake2b(digest_size=16) of ``source[contents_start:contents_end]``."""

    __slots__ = ("contents_end", "contents_hash", "contents_start", "inst", "name", "name_offset")
    __match_args__ = ("name", "inst", "name_offset", "contents_start", "contents_end", "contents_hash")

    def __init__(
        self, name: str, inst: Inst, name_offset: int, contents_start: int, contents_end: int, contents_hash: bytes
    ) -> None:
        self.name = name
        self.inst = inst
        self.name_offset = name_offset
        self.contents_start = contents_start
        self.contents_end = contents_end
        self.contents_hash = contents_hash

    def __repr__(self) -> str:
        return record_repr(self, ("name", "inst", "name_offset", "contents_start", "contents_end", "contents_hash"))

    @property
    def src(self) -> int:
        """Absolute offset of the decl's instruction (just after ``tag(``)."""
        return self.contents_start + self.inst.src


class ParsedFile:
    """The parse of one file: the decls that parsed and every parse error (absolute), both in file order."""

    decls: Sequence[SourceDecl]
    errors: list[ErrorMsg]

    __slots__ = ("decls", "errors")
    __match_args__ = ("decls", "errors")

    def __init__(self, decls: Sequence[SourceDecl], errors: list[ErrorMsg]) -> None:
        self.decls = decls
        self.errors = errors

    def __repr__(self) -> str:
        return record_repr(self, ("decls", "errors"))

    def __eq__(self, other: object) -> bool:
        if type(other) is ParsedFile:
            return (self.decls, self.errors) == (other.decls, other.errors)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def structurally_equal(a: SourceDecl, b: SourceDecl) -> bool:
    """Same name, tags, `%` names and arguments (operands compared by structure), ignoring every offset."""
    if a.name != b.name:
        return False
    return _InstComparer().same(a.inst, b.inst)


class _InstComparer:
    """Compares two instruction trees; `%` operands are compared through the pairing of definitions."""

    __slots__ = ("_pairs",)

    def __init__(self) -> None:
        self._pairs: dict[int, Inst] = {}

    def same(self, x: Inst, y: Inst) -> bool:
        if x.tag is not y.tag or x.name != y.name or x.hidden != y.hidden:
            return False
        if x.args.keys() != y.args.keys():
            return False
        self._pairs[id(x)] = y
        return all(self._same_arg(x.args[k], y.args[k]) for k in x.args)

    def _same_operand(self, x: Inst, y: Inst) -> bool:
        if x.hidden or y.hidden:
            return x.hidden and y.hidden and x.args == y.args
        paired = self._pairs.get(id(x))
        return paired is y

    def _same_arg(self, x: object, y: object) -> bool:
        if isinstance(x, Inst):
            return isinstance(y, Inst) and self._same_operand(x, y)
        if isinstance(x, list):
            return (
                isinstance(y, list)
                and len(x) == len(y)
                and all(
                    isinstance(i, Inst) and isinstance(j, Inst) and self._same_operand(i, j)
                    for i, j in zip(x, y, strict=True)
                )
            )
        if isinstance(x, Body):
            return (
                isinstance(y, Body)
                and len(x.insts) == len(y.insts)
                and all(self.same(i, j) for i, j in zip(x.insts, y.insts, strict=True))
            )
        if isinstance(x, Label):
            return isinstance(y, Label) and x.text == y.text and self._pairs.get(id(x.block)) is y.block
        return type(x) is type(y) and x == y
