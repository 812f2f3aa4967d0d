"""A tolerant lexical outline of ZIR text for editor features: tokens, decls, locals and bodies, with byte offsets.

It never fails: text with parse errors still yields every token it can recognise, so names, symbols and
folding keep working while the user types. (The compiler's parser decides what is valid; this only locates.)
"""

from __future__ import annotations

import enum
import sys
from dataclasses import dataclass, field

_WS = frozenset(b" \t\r\n")
_USE_END = frozenset(b" \t\r\n,)]")
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")
_DIGITS = frozenset(b"0123456789")

LABEL_TAGS = frozenset({"break", "breakvoid", "coerce_result_block_ptr"})
"""Instructions taking a block label string (zir-language.md §3.6)."""


class TokenKind(enum.Enum):
    """What a token is."""

    DECL_DEF = "decl_def"
    """``@name`` defining a top-level decl."""
    DECL_REF = "decl_ref"
    """``@name`` used as an operand."""
    LOCAL_DEF = "local_def"
    """``%name`` defining a body instruction."""
    LOCAL_REF = "local_ref"
    """``%name`` used as an operand."""
    TAG = "tag"
    """An instruction tag (the word before ``(``)."""
    KEYWORD = "keyword"
    """A keyword-argument name (the word before ``=`` inside an argument list)."""
    ENUM = "enum"
    """A bare word value (enum member)."""
    NUMBER = "number"
    """An integer literal (or a boolean ``0``/``1``)."""
    STRING = "string"
    """A string literal, quotes included."""
    COMMENT = "comment"
    """A ``;`` comment up to (not including) its line break."""


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind and byte span; ``tag`` is the innermost enclosing instruction's tag, if any."""

    kind: TokenKind
    start: int
    end: int
    tag: str | None = None
    arg_index: int = 0
    """Index of the argument (counted by top-level commas) inside the enclosing instruction."""


@dataclass(slots=True)
class OutlineLocal:
    """A ``%name = tag(...)`` inside a decl's bodies."""

    name: str
    def_start: int
    """Offset of the ``%``."""
    tag: str
    end: int = -1
    """Offset just after the instruction's closing ``)`` (or where scanning stopped)."""


@dataclass(slots=True)
class OutlineDecl:
    """A ``@name = tag(...)`` at top level."""

    name: str
    def_start: int
    """Offset of the ``@``."""
    tag: str
    end: int = -1
    """Offset just after the closing ``)`` (or where scanning stopped)."""
    locals: list[OutlineLocal] = field(default_factory=list)
    bodies: list[tuple[int, int]] = field(default_factory=list)
    """``(offset of '{', offset just after '}')`` of every body in the decl."""


@dataclass(slots=True)
class Outline:
    """The scan of one text."""

    data: bytes
    tokens: list[Token]
    decls: list[OutlineDecl]

    def name_of(self, tok: Token) -> str:
        """The name of a ``@``/``%`` token without its sigil, or the text of any other token."""
        raw = self.data[tok.start + 1 : tok.end] if tok.kind in _NAME_KINDS else self.data[tok.start : tok.end]
        return raw.decode("utf-8", "surrogateescape")

    def token_at(self, offset: int) -> Token | None:
        """The token containing ``offset`` (a cursor just after a token also selects it)."""
        best: Token | None = None
        for tok in self.tokens:
            if tok.start <= offset < tok.end:
                return tok
            if tok.end == offset and tok.kind is not TokenKind.COMMENT:
                best = tok
            if tok.start > offset:
                break
        return best

    def decl_containing(self, offset: int) -> OutlineDecl | None:
        """The decl whose text (from ``@`` to its closing ``)``) contains ``offset``."""
        for d in self.decls:
            if d.def_start <= offset <= (d.end if d.end >= 0 else len(self.data)):
                return d
        return None

    def decl_named(self, name: str) -> OutlineDecl | None:
        """The first decl defined with ``name``."""
        for d in self.decls:
            if d.name == name:
                return d
        return None


_NAME_KINDS = frozenset({TokenKind.DECL_DEF, TokenKind.DECL_REF, TokenKind.LOCAL_DEF, TokenKind.LOCAL_REF})


@dataclass(slots=True)
class _Frame:
    """An open bracket: its byte, the tag of the instruction it belongs to, and the argument index."""

    opener: int
    tag: str | None
    arg_index: int = 0
    owner: OutlineDecl | OutlineLocal | None = None
    body_start: int = -1


def _looks_like_decl(data: bytes, i: int, n: int) -> bool:
    """``@name ws* =`` starts at ``i``."""
    j = i + 1
    while j < n and data[j] not in _WS:
        j += 1
    while j < n and data[j] in _WS:
        j += 1
    return j < n and data[j] == 0x3D


def scan(data: bytes) -> Outline:
    """Scan ``data`` (stops at a NUL byte, like the parser)."""
    nul = data.find(b"\x00")
    n = len(data) if nul == -1 else nul
    tokens: list[Token] = []
    decls: list[OutlineDecl] = []
    stack: list[_Frame] = []
    pending_owner: OutlineDecl | OutlineLocal | None = None
    current: OutlineDecl | None = None
    i = 0

    def ctx() -> tuple[str | None, int]:
        return (stack[-1].tag, stack[-1].arg_index) if stack else (None, 0)

    def statement_position() -> bool:
        return not stack or stack[-1].opener == 0x7B  # top level or directly inside '{'

    while i < n:
        b = data[i]
        if b in _WS:
            i += 1
            continue
        tag, arg = ctx()
        if b == 0x3B:  # ';'
            j = i
            while j < n and data[j] not in (0x0A, 0x0D):
                j += 1
            tokens.append(Token(TokenKind.COMMENT, i, j))
            i = j
            continue
        if b == 0x22:  # '"'
            j = i + 1
            while j < n and data[j] not in (0x0A, 0x0D):
                if (
                    data[j] == 0x5C and j + 1 < n and data[j + 1] not in (0x0A, 0x0D)
                ):  # an escape never eats a line break
                    j += 2
                    continue
                if data[j] == 0x22:
                    j += 1
                    break
                j += 1
            j = min(j, n)
            tokens.append(Token(TokenKind.STRING, i, j, tag, arg))
            i = j
            continue
        if b == 0x40 and stack and (i == 0 or data[i - 1] == 0x0A) and _looks_like_decl(data, i, n):
            # Recovery like the parser's (zir-language.md §3.8): an unclosed decl ends where the next starts.
            for frame in reversed(stack):
                if frame.owner is not None and frame.owner.end < 0:
                    frame.owner.end = i
                if frame.opener == 0x7B and current is not None and frame.body_start >= 0:
                    current.bodies.append((frame.body_start, i))
            stack.clear()
            tag, arg = None, 0  # the new decl is at top level
        if b in (0x40, 0x25):  # '@' '%'
            is_def = statement_position()
            stop = _WS if is_def else _USE_END
            j = i + 1
            while j < n and data[j] not in stop:
                j += 1
            name = data[i + 1 : j].decode("utf-8", "surrogateescape")
            if is_def and b == 0x25:
                name = sys.intern(name)  # locals are named alike in every function (docs/design/performance.md §9.4)
            if is_def:
                kind = TokenKind.DECL_DEF if b == 0x40 else TokenKind.LOCAL_DEF
                # The tag: after ws* '=' ws*, the word up to '('.
                k = j
                while k < n and data[k] in _WS:
                    k += 1
                tag_name = ""
                if k < n and data[k] == 0x3D:
                    k += 1
                    while k < n and data[k] in _WS:
                        k += 1
                    t = k
                    while t < n and data[t] in _WORD:
                        t += 1
                    tag_name = sys.intern(data[k:t].decode("utf-8", "surrogateescape"))  # one str per tag
                if b == 0x40 and not stack:
                    current = OutlineDecl(name, i, tag_name)
                    decls.append(current)
                    pending_owner = current
                elif b == 0x25 and current is not None:
                    local = OutlineLocal(name, i, tag_name)
                    current.locals.append(local)
                    pending_owner = local
            else:
                kind = TokenKind.DECL_REF if b == 0x40 else TokenKind.LOCAL_REF
            tokens.append(Token(kind, i, j, tag, arg))
            i = j
            continue
        if b in _WORD or (b == 0x2D and i + 1 < n and data[i + 1] in _DIGITS):
            j = i + 1
            while j < n and data[j] in _WORD:
                j += 1
            word = data[i:j]
            if j < n and data[j] == 0x28:  # '(' : an instruction tag
                tokens.append(Token(TokenKind.TAG, i, j, tag, arg))
                frame = _Frame(0x28, sys.intern(word.decode("utf-8", "surrogateescape")), 0, pending_owner)
                pending_owner = None
                stack.append(frame)
                i = j + 1
                continue
            if stack and stack[-1].opener == 0x28 and j < n and data[j] == 0x3D:
                tokens.append(Token(TokenKind.KEYWORD, i, j, tag, arg))
                i = j + 1
                continue
            kind = TokenKind.NUMBER if all(c in _DIGITS for c in word.lstrip(b"-")) else TokenKind.ENUM
            tokens.append(Token(kind, i, j, tag, arg))
            i = j
            continue
        if b in (0x5B, 0x7B):  # '[' '{'
            stack.append(_Frame(b, tag, arg, None, i))
            i += 1
            continue
        if b == 0x2C and stack:  # ','
            if stack[-1].opener == 0x28:
                stack[-1].arg_index += 1
            i += 1
            continue
        if b in (0x29, 0x5D, 0x7D):  # ')' ']' '}'
            want = {0x29: 0x28, 0x5D: 0x5B, 0x7D: 0x7B}[b]
            while stack:
                frame = stack.pop()
                if frame.opener == 0x7B and current is not None and frame.body_start >= 0:
                    current.bodies.append((frame.body_start, i + 1))
                if frame.owner is not None:
                    frame.owner.end = i + 1
                if frame.opener == want:
                    break
            i += 1
            continue
        i += 1  # any other byte ('=', stray punctuation): skip
    # Close what is still open at EOF.
    for frame in reversed(stack):
        if frame.opener == 0x7B and current is not None and frame.body_start >= 0:
            current.bodies.append((frame.body_start, n))
        if frame.owner is not None and frame.owner.end < 0:
            frame.owner.end = n
    for d in decls:
        d.bodies.sort()
    return Outline(data, tokens, decls)
