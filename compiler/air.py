"""The analysed IR (AIR): typed per-function instructions that sema produces and codegen consumes (x86_64.md §1)."""

from __future__ import annotations

import enum
from typing import ClassVar, Final

from compiler.record import record_repr
from compiler.sema.types import Type
from compiler.sema.values import Value


class AirTag(enum.Enum):
    """Every AIR instruction tag; the value is the spelling used by the emitter and in debugging output."""

    # no operand
    ALLOC = "alloc"
    RETVOID = "retvoid"
    UNREACH = "unreach"
    BREAKPOINT = "breakpoint"
    DBG_STMT = "dbg_stmt"
    # unary
    REF = "ref"
    RET = "ret"
    BITCAST = "bitcast"
    NOT = "not"
    ISNONNULL = "isnonnull"
    ISNULL = "isnull"
    PTRTOINT = "ptrtoint"
    FLOATCAST = "floatcast"
    INTCAST = "intcast"
    LOAD = "load"
    UNWRAP_OPTIONAL = "unwrap_optional"
    WRAP_OPTIONAL = "wrap_optional"
    # binary
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"
    MOD_REM = "mod_rem"
    ADDWRAP = "addwrap"
    SUBWRAP = "subwrap"
    MULWRAP = "mulwrap"
    BITAND = "bitand"
    BITOR = "bitor"
    XOR = "xor"
    SHL = "shl"
    SHR = "shr"
    ELEMPTR = "elemptr"
    CMP_LT = "cmp_lt"
    CMP_LTE = "cmp_lte"
    CMP_EQ = "cmp_eq"
    CMP_GTE = "cmp_gte"
    CMP_GT = "cmp_gt"
    CMP_NEQ = "cmp_neq"
    STORE = "store"
    # special shapes
    ARG = "arg"
    ASSEMBLY = "assembly"
    BLOCK = "block"
    BR = "br"
    BRVOID = "brvoid"
    CALL = "call"
    CONDBR = "condbr"
    LOOP = "loop"


NO_OP_TAGS: Final = frozenset({AirTag.ALLOC, AirTag.RETVOID, AirTag.UNREACH, AirTag.BREAKPOINT, AirTag.DBG_STMT})
UN_OP_TAGS: Final = frozenset(
    {
        AirTag.REF,
        AirTag.RET,
        AirTag.BITCAST,
        AirTag.NOT,
        AirTag.ISNONNULL,
        AirTag.ISNULL,
        AirTag.PTRTOINT,
        AirTag.FLOATCAST,
        AirTag.INTCAST,
        AirTag.LOAD,
        AirTag.UNWRAP_OPTIONAL,
        AirTag.WRAP_OPTIONAL,
    }
)
CMP_TAGS: Final = frozenset(
    {AirTag.CMP_LT, AirTag.CMP_LTE, AirTag.CMP_EQ, AirTag.CMP_GTE, AirTag.CMP_GT, AirTag.CMP_NEQ}
)
# Integer arithmetic on two values of the result type (shifts: ``rhs`` is the Log2Int amount).
ARITH_TAGS: Final = frozenset(
    {
        AirTag.ADD,
        AirTag.SUB,
        AirTag.MUL,
        AirTag.DIV,
        AirTag.MOD_REM,
        AirTag.ADDWRAP,
        AirTag.SUBWRAP,
        AirTag.MULWRAP,
        AirTag.BITAND,
        AirTag.BITOR,
        AirTag.XOR,
        AirTag.SHL,
        AirTag.SHR,
    }
)
BIN_OP_TAGS: Final = ARITH_TAGS | frozenset({AirTag.STORE, AirTag.ELEMPTR}) | CMP_TAGS
# Tags whose ``safety`` flag asks for a runtime check when the build mode has safety on
# (docs/design/language-complete.md §10).
SAFETY_TAGS: Final = frozenset(
    {
        AirTag.ADD,
        AirTag.SUB,
        AirTag.MUL,
        AirTag.DIV,
        AirTag.MOD_REM,
        AirTag.SHL,
        AirTag.SHR,
        AirTag.INTCAST,
        AirTag.UNWRAP_OPTIONAL,
        AirTag.ELEMPTR,
        AirTag.BREAKPOINT,
    }
)

# Bit 15 of a death mask: the instruction's result is never used (x86_64.md §2).
UNUSED_BIT: Final = 1 << 15
# Operands 0..13 have a death bit each; later operands are tracked but not shown in the mask.
MAX_TRACKED_OPERAND_BITS: Final = 14


class Constant:
    """A compile-time known operand (never an instruction of a body); ``src`` is an absolute byte offset."""

    ty: Type
    val: Value
    src: int

    __slots__ = ("src", "ty", "val")
    __match_args__: ClassVar[tuple[str, ...]] = ("ty", "val", "src")

    def __init__(self, ty: Type, val: Value, src: int) -> None:
        self.ty = ty
        self.val = val
        self.src = src

    def __repr__(self) -> str:
        return record_repr(self, ("ty", "val", "src"))


class AirInst:
    """Base of every AIR instruction: tag, result type, absolute ``src`` byte offset and 16-bit death mask."""

    tag: AirTag
    ty: Type
    src: int
    deaths: int
    # The instruction carries its runtime check (docs/design/language-complete.md §10); code generation
    # emits it only when the build mode has safety on. Meaningful for ``SAFETY_TAGS`` only.
    safety: bool

    __slots__ = ("deaths", "safety", "src", "tag", "ty")
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src")

    def __init__(self, tag: AirTag, ty: Type, src: int, *, deaths: int = 0, safety: bool = False) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety"))

    # (``__match_args__`` is typed ``tuple[str, ...]`` so that each subclass may extend it; mypyc rejects a
    # subclass's longer literal tuple. When these were dataclasses a base's class variable made the compiled
    # subclasses lose ``kw_only`` above, docs/design/performance.md §8; plain classes have no such issue.)

    def operands(self) -> list[Operand]:
        """The operands in death-bit order (x86_64.md §1)."""
        return []

    @property
    def is_unused(self) -> bool:
        """True when liveness found the result is never used."""
        return bool(self.deaths & UNUSED_BIT)

    def operand_dies(self, i: int) -> bool:
        """True when operand ``i`` (< 14) is used for the last time by this instruction."""
        return i < MAX_TRACKED_OPERAND_BITS and bool(self.deaths & (1 << i))


Operand = AirInst | Constant


class NoOp(AirInst):
    """``alloc``, ``retvoid``, ``unreach``, ``breakpoint``, ``dbg_stmt``."""

    __slots__ = ()
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src")

    def __init__(self, tag: AirTag, ty: Type, src: int, *, deaths: int = 0, safety: bool = False) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety"))


class UnOp(AirInst):
    """One operand: ``ref``, ``ret``, ``bitcast``, ``not``, ``isnull`` … ``wrap_optional``."""

    operand: Operand

    __slots__ = ("operand",)
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src", "operand")

    def __init__(
        self, tag: AirTag, ty: Type, src: int, operand: Operand, *, deaths: int = 0, safety: bool = False
    ) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.operand = operand

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety", "operand"))

    def operands(self) -> list[Operand]:
        return [self.operand]


class BinOp(AirInst):
    """Two operands: arithmetic (``ARITH_TAGS``), ``cmp_*``, ``store`` (``lhs`` = pointer, ``rhs`` = value),
    ``elemptr`` (``lhs`` = the indexable operand, ``rhs`` = the ``usize`` index)."""

    lhs: Operand
    rhs: Operand

    __slots__ = ("lhs", "rhs")
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src", "lhs", "rhs")

    def __init__(
        self, tag: AirTag, ty: Type, src: int, lhs: Operand, rhs: Operand, *, deaths: int = 0, safety: bool = False
    ) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.lhs = lhs
        self.rhs = rhs

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety", "lhs", "rhs"))

    def operands(self) -> list[Operand]:
        return [self.lhs, self.rhs]


class Arg(AirInst):
    """A function parameter; ``index`` is fixed by analysis, ``name`` is for debug info and emitted ZIR."""

    name: str
    index: int

    __slots__ = ("index", "name")
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src", "name", "index")

    def __init__(
        self, tag: AirTag, ty: Type, src: int, name: str, index: int, *, deaths: int = 0, safety: bool = False
    ) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.name = name
        self.index = index

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety", "name", "index"))


class Assembly(AirInst):
    """Inline assembly: constraint strings as bytes; ``args`` are the operands (coerced to usize)."""

    asm_source: bytes
    is_volatile: bool
    output: bytes | None
    inputs: tuple[bytes, ...]
    clobbers: tuple[bytes, ...]
    args: list[Operand]

    __slots__ = ("args", "asm_source", "clobbers", "inputs", "is_volatile", "output")
    __match_args__: ClassVar[tuple[str, ...]] = (
        "tag",
        "ty",
        "src",
        "asm_source",
        "is_volatile",
        "output",
        "inputs",
        "clobbers",
        "args",
    )

    def __init__(
        self,
        tag: AirTag,
        ty: Type,
        src: int,
        asm_source: bytes,
        is_volatile: bool,
        output: bytes | None,
        inputs: tuple[bytes, ...],
        clobbers: tuple[bytes, ...],
        args: list[Operand],
        *,
        deaths: int = 0,
        safety: bool = False,
    ) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.asm_source = asm_source
        self.is_volatile = is_volatile
        self.output = output
        self.inputs = inputs
        self.clobbers = clobbers
        self.args = args

    def __repr__(self) -> str:
        return record_repr(
            self,
            (
                "tag",
                "ty",
                "src",
                "deaths",
                "safety",
                "asm_source",
                "is_volatile",
                "output",
                "inputs",
                "clobbers",
                "args",
            ),
        )

    def operands(self) -> list[Operand]:
        return list(self.args)


class Block(AirInst):
    """A block that ``br``/``brvoid`` leave; its type is the peer type of the breaks' operands."""

    body: list[AirInst]

    __slots__ = ("body",)
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src", "body")

    def __init__(
        self, tag: AirTag, ty: Type, src: int, body: list[AirInst], *, deaths: int = 0, safety: bool = False
    ) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.body = body

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety", "body"))


class Br(AirInst):
    """Leave ``block`` with ``operand`` as the block's result."""

    block: Block
    operand: Operand

    __slots__ = ("block", "operand")
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src", "block", "operand")

    def __init__(
        self, tag: AirTag, ty: Type, src: int, block: Block, operand: Operand, *, deaths: int = 0, safety: bool = False
    ) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.block = block
        self.operand = operand

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety", "block", "operand"))

    def operands(self) -> list[Operand]:
        return [self.operand]


class BrVoid(AirInst):
    """Leave ``block`` without a value."""

    block: Block

    __slots__ = ("block",)
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src", "block")

    def __init__(self, tag: AirTag, ty: Type, src: int, block: Block, *, deaths: int = 0, safety: bool = False) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.block = block

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety", "block"))


class Call(AirInst):
    """Call ``func`` with ``args``: a function constant (through its GOT slot) or a runtime function value
    (an instruction of function type: an indirect call through a register)."""

    func: Operand
    args: list[Operand]

    __slots__ = ("args", "func")
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src", "func", "args")

    def __init__(
        self,
        tag: AirTag,
        ty: Type,
        src: int,
        func: Operand,
        args: list[Operand],
        *,
        deaths: int = 0,
        safety: bool = False,
    ) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.func = func
        self.args = args

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety", "func", "args"))

    def operands(self) -> list[Operand]:
        return [self.func, *self.args]


class CondBr(AirInst):
    """Runtime two-way branch; entry deaths are the values freed on entry to each branch (x86_64.md §2)."""

    condition: Operand
    then_body: list[AirInst]
    else_body: list[AirInst]
    then_entry_deaths: list[Operand]
    else_entry_deaths: list[Operand]

    __slots__ = ("condition", "else_body", "else_entry_deaths", "then_body", "then_entry_deaths")
    __match_args__: ClassVar[tuple[str, ...]] = (
        "tag",
        "ty",
        "src",
        "condition",
        "then_body",
        "else_body",
        "then_entry_deaths",
        "else_entry_deaths",
    )

    def __init__(
        self,
        tag: AirTag,
        ty: Type,
        src: int,
        condition: Operand,
        then_body: list[AirInst],
        else_body: list[AirInst],
        then_entry_deaths: list[Operand] | None = None,
        else_entry_deaths: list[Operand] | None = None,
        *,
        deaths: int = 0,
        safety: bool = False,
    ) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.condition = condition
        self.then_body = then_body
        self.else_body = else_body
        self.then_entry_deaths = [] if then_entry_deaths is None else then_entry_deaths
        self.else_entry_deaths = [] if else_entry_deaths is None else else_entry_deaths

    def __repr__(self) -> str:
        return record_repr(
            self,
            (
                "tag",
                "ty",
                "src",
                "deaths",
                "safety",
                "condition",
                "then_body",
                "else_body",
                "then_entry_deaths",
                "else_entry_deaths",
            ),
        )

    def operands(self) -> list[Operand]:
        return [self.condition]


class Loop(AirInst):
    """An endless loop left only by breaking an enclosing block; ``exit_deaths`` die when it is left."""

    body: list[AirInst]
    exit_deaths: list[Operand]

    __slots__ = ("body", "exit_deaths")
    __match_args__: ClassVar[tuple[str, ...]] = ("tag", "ty", "src", "body", "exit_deaths")

    def __init__(
        self,
        tag: AirTag,
        ty: Type,
        src: int,
        body: list[AirInst],
        exit_deaths: list[Operand] | None = None,
        *,
        deaths: int = 0,
        safety: bool = False,
    ) -> None:
        self.tag = tag
        self.ty = ty
        self.src = src
        self.deaths = deaths
        self.safety = safety
        self.body = body
        self.exit_deaths = [] if exit_deaths is None else exit_deaths

    def __repr__(self) -> str:
        return record_repr(self, ("tag", "ty", "src", "deaths", "safety", "body", "exit_deaths"))


def nested_bodies(inst: AirInst) -> list[list[AirInst]]:
    """The bodies nested directly inside ``inst`` (block, loop, both condbr branches), in order."""
    if isinstance(inst, Block | Loop):
        return [inst.body]
    if isinstance(inst, CondBr):
        return [inst.then_body, inst.else_body]
    return []
