"""Benchmark program generator: the chain family in ZIR, GNU assembly and Zig, and the random edit sequence.

performance.md §3. The chain program of N functions (§3.1): `f0` returns 1000, `f{i}` returns
`f{i-1}() + 1000 + i`, and a Naked `_start` calls `f{N-1}` and exits with the result (mod 256). *The edit*
bumps the constant of `f{N/2}` (a body-only edit that keeps the code size). The same program is written as
GNU assembly for `as` + `ld` (§3.2) and as a Zig project for `zig build --watch -fincremental` (§3.3). The
random edit sequence (§3.4) grows, shrinks, adds, deletes and renames functions of a chain, and always knows
the exit code the program must produce.

Only constructs the x86-64 backend supports are used: calls through the GOT without arguments, runtime
`add` of a call result and an immediate, `asm` with `syscall`, `str` constants, `return`.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import assert_never

CHAIN_SIZES: tuple[int, ...] = (10, 100, 1_000, 10_000, 100_000)
"""The N of performance.md §3.1 (P2 is checked for each of them)."""

MIN_CHAIN = 5
"""Smallest N for which `f{N/2}` (the edited function) lies strictly above `f{N-2}` (the line-edit site)."""

BASE_CONSTANT = 1000
"""`f{i}` adds `BASE_CONSTANT + i`: well inside the 32-bit immediate form for every N up to 100 000."""

HEADER = "@noreturn = primitive(noreturn)\n@usize = primitive(usize)\n@fty = fntype([], @usize)\n"
"""The types every generated program uses (§3.1 uses `@noreturn` without defining it; ZIR needs the decl)."""


def start_decls(root: str, *, wait_for_stdin: bool = False) -> str:
    """The Naked `_start` calling `root` and exiting with its result, and its export (§3.1).

    With `wait_for_stdin`, `_start` first blocks in `read(0, &_start_name, 1)` until its standard input has
    data or is closed, so a benchmark can keep the program running during an update (S6).
    """
    strings = (
        '  %sys = str("syscall")\n'
        '  %out = str("={rax}")\n'
        '  %rax = str("{rax}")\n'
        '  %rdi = str("{rdi}")\n'
        '  %rcx = str("rcx")\n'
        '  %r11 = str("r11")\n'
        '  %mem = str("memory")\n'
    )
    call = f"  %v = call(@{root}, [])\n  %exit = int(231)\n"
    if wait_for_stdin:
        body = (
            strings + "  %zero = int(0)\n"
            "  %one = int(1)\n"
            "  %buf = ptrtoint(@name)\n"
            '  %rsi = str("{rsi}")\n'
            '  %rdx = str("{rdx}")\n'
            "  %rd = asm(%sys, @usize, volatile=1, output=%out, inputs=[%rax, %rdi, %rsi, %rdx],"
            " clobbers=[%rcx, %r11, %mem], args=[%zero, %zero, %buf, %one])\n" + call
        )
    else:
        body = call + strings
    return (
        "@start_fnty = fntype([], @noreturn, cc=Naked)\n"
        "@start = fn(@start_fnty, {\n"
        + body
        + "  %rc = asm(%sys, @usize, volatile=1, output=%out, inputs=[%rax, %rdi],"
        " clobbers=[%rcx, %r11, %mem], args=[%exit, %v])\n"
        "  %u = unreachable()\n"
        "})\n"
        '@name = str("_start")\n'
        '@e = export(@name, "start")\n'
    )


def chain_fn(i: int, constant: int) -> str:
    """The ZIR text of chain function `f{i}` with the given constant (§3.1)."""
    if i == 0:
        return f"@f0 = fn(@fty, {{\n  %c = int({constant})\n  %k = as(@usize, %c)\n  %r = return(%k)\n}})\n"
    return (
        f"@f{i} = fn(@fty, {{\n"
        f"  %p = call(@f{i - 1}, [])\n"
        f"  %c = int({constant})\n"
        "  %k = as(@usize, %c)\n"
        "  %s = add(%p, %k)\n"
        "  %r = return(%s)\n"
        "})\n"
    )


@lru_cache(maxsize=8)
def _chain_pieces(n: int) -> tuple[str, str, str, str]:
    """The fixed parts of chain N: before f{N/2}, between it and f{N-2}, from f{N-2} to the end, and f{N/2}'s head."""
    m = n // 2
    before = HEADER + "".join(chain_fn(i, BASE_CONSTANT + i) for i in range(m))
    middle = "".join(chain_fn(i, BASE_CONSTANT + i) for i in range(m + 1, n - 2))
    tail = "".join(chain_fn(i, BASE_CONSTANT + i) for i in range(n - 2, n))
    head = f"@f{m} = fn(@fty, {{\n  %p = call(@f{m - 1}, [])\n  %c = int("
    return before, middle, tail, head


@dataclass(slots=True)
class ChainProgram:
    """Chain program N, possibly with the benchmark's edits applied (performance.md §3.1, §4.7 S5)."""

    n: int
    """Number of functions `f0 … f{N-1}`."""
    bump: int = 0
    """Added to the constant of `f{N/2}`: edit number k sets it to `1000 + N/2 + k`."""
    blank_lines_above: int = 0
    """Blank lines inserted above `f{N-2}` (the line-only edit of S5)."""
    broken: bool = False
    """Replace `f{N/2}`'s integer literal by `x<digits>`: a parse error (`invalid digit in integer literal`)."""
    wait_for_stdin: bool = False
    """`_start` blocks reading its standard input before computing the result (S6)."""
    extra_adds: int = 0
    """Extra `add`s of small constants (1, 2, …) in `f{N/2}`, all on one existing line: its code grows so that
    it moves, while no line of the file moves."""

    def __post_init__(self) -> None:
        if self.n < MIN_CHAIN:
            raise ValueError(f"chain programs need N >= {MIN_CHAIN}, got {self.n}")

    @property
    def edited_index(self) -> int:
        """Index of the function the edit changes: N/2."""
        return self.n // 2

    @property
    def constant(self) -> int:
        """The current constant of `f{N/2}`."""
        return BASE_CONSTANT + self.edited_index + self.bump

    def _constant_text(self) -> str:
        return ("x" if self.broken else "") + str(self.constant)

    def source(self) -> bytes:
        """The whole `.zir` file."""
        before, middle, tail, head = _chain_pieces(self.n)
        # on the line of `%s = add(…)`, so the function grows without moving any later line
        extra = "".join(
            f" %e{j} = int({j}) %x{j} = as(@usize, %e{j}) %s{j} = add(%s{j - 1 if j > 1 else ''}, %x{j})"
            for j in range(1, self.extra_adds + 1)
        )
        result = f"%s{self.extra_adds}" if self.extra_adds else "%s"
        edited = (
            head
            + self._constant_text()
            + ")\n  %k = as(@usize, %c)\n  %s = add(%p, %k)"
            + extra
            + f"\n  %r = return({result})\n}})\n"
        )
        start = start_decls(f"f{self.n - 1}", wait_for_stdin=self.wait_for_stdin)
        return (before + edited + middle + "\n" * self.blank_lines_above + tail + start).encode()

    def constant_span(self) -> tuple[int, int]:
        """Byte offsets [start, end) of `f{N/2}`'s integer literal in `source()` (the keystroke site)."""
        before, _middle, _tail, head = _chain_pieces(self.n)
        start = len(before) + len(head)
        return start, start + len(self._constant_text())

    def constant_line(self) -> int:
        """0-based line of `f{N/2}`'s integer literal."""
        before, _middle, _tail, _head = _chain_pieces(self.n)
        return before.count("\n") + 2

    def exit_code(self) -> int:
        """What the program exits with: (Σ (1000 + i) + bump) mod 256."""
        total = sum(range(BASE_CONSTANT, BASE_CONSTANT + self.n)) + self.bump
        total += self.extra_adds * (self.extra_adds + 1) // 2
        return total % 256


def chain_asm(n: int, bump: int = 0) -> str:
    """The equivalent GNU assembly program (§3.2), Intel syntax, for `as` + `ld` into a static executable."""
    m = n // 2
    lines = [".intel_syntax noprefix", ".text", "f0:", f"  mov eax, {BASE_CONSTANT}", "  ret"]
    for i in range(1, n):
        constant = BASE_CONSTANT + i + (bump if i == m else 0)
        lines += [f"f{i}:", "  push rbx", f"  call f{i - 1}", f"  add rax, {constant}", "  pop rbx", "  ret"]
    lines += [
        ".globl _start",
        "_start:",
        f"  call f{n - 1}",
        "  mov rdi, rax",
        "  mov eax, 231",
        "  syscall",
        "",
    ]
    return "\n".join(lines)


def zig_build(name: str) -> str:
    """`build.zig` for a Zig peer whose executable is `name`: Debug, the self-hosted x86-64 backend and ELF linker
    (performance.md §1.1)."""
    return f"""\
const std = @import("std");

pub fn build(b: *std.Build) void {{
    const exe = b.addExecutable(.{{
        .name = "{name}",
        .root_module = b.createModule(.{{
            .root_source_file = b.path("main.zig"),
            .target = b.graph.host,
            .optimize = .Debug,
        }}),
        .use_llvm = false,
        .use_lld = false,
    }});
    b.installArtifact(exe);
}}
"""


ZIG_BUILD = zig_build("chain")
"""`build.zig` for the chain program's Zig peer."""


def chain_zig(n: int, bump: int = 0) -> str:
    """The equivalent Zig program (§3.3): `g0 … g{N-1}`, `main` returns the last result as the exit code."""
    m = n // 2
    parts = [f"fn g0() usize {{\n    return {BASE_CONSTANT};\n}}\n"]
    for i in range(1, n):
        constant = BASE_CONSTANT + i + (bump if i == m else 0)
        parts.append(f"fn g{i}() usize {{\n    return g{i - 1}() + {constant};\n}}\n")
    parts.append(f"pub fn main() u8 {{\n    return @truncate(g{n - 1}());\n}}\n")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------
# The random edit sequence (performance.md §3.4)

USIZE_MASK = (1 << 64) - 1
MAX_RANDOM_CONSTANT = 100_000
"""Constants of grown and added functions stay in the 32-bit immediate form."""


class EditKind(enum.Enum):
    """One random edit of §3.4."""

    GROW = "grow"
    """Append an `add` of a new constant to a function body."""
    SHRINK = "shrink"
    """Remove one term (a constant or a call) from a body with at least two terms."""
    ADD = "add"
    """Add a new function (constants only) and make an existing function call it."""
    DELETE = "delete"
    """Delete a function (never the one `_start` calls), removing the calls to it."""
    RENAME = "rename"
    """Rename a function and every reference to it."""
    WIDEN = "widen"
    """Give one constant of a function a value with a different number of digits: a body-only edit that
    changes the file's length, so every later decl moves (issue 13)."""


EDIT_WEIGHTS: dict[EditKind, int] = {
    EditKind.GROW: 30,
    EditKind.SHRINK: 20,
    EditKind.ADD: 20,
    EditKind.DELETE: 15,
    EditKind.RENAME: 15,
    EditKind.WIDEN: 20,
}


@dataclass(slots=True)
class Term:
    """One summand of a function's result: a constant, or the result of calling another function."""

    constant: int | None
    """The constant, or None for a call."""
    callee: str | None
    """The called function's name, or None for a constant."""


@dataclass(slots=True)
class Function:
    """A generated function: it returns the sum of its terms (mod 2**64)."""

    name: str
    terms: list[Term]

    def render(self) -> str:
        """The function's ZIR decl."""
        out = [f"@{self.name} = fn(@fty, {{\n"]
        acc = ""
        for j, term in enumerate(self.terms):
            if term.callee is not None:
                out.append(f"  %t{j} = call(@{term.callee}, [])\n")
            else:
                out.append(f"  %c{j} = int({term.constant})\n  %t{j} = as(@usize, %c{j})\n")
            if j == 0:
                acc = f"%t{j}"
            else:
                out.append(f"  %s{j} = add({acc}, %t{j})\n")
                acc = f"%s{j}"
        out.append(f"  %r = return({acc})\n}})\n")
        return "".join(out)


@dataclass(slots=True)
class EditSequence:
    """A chain program and a seeded stream of random edits to it; always knows the expected exit code."""

    seed: int
    n: int = 1_000
    rng: random.Random = field(init=False)
    functions: dict[str, Function] = field(init=False)
    """Functions in source order (dicts keep insertion order)."""
    root: str = field(init=False)
    """The function `_start` calls; never deleted."""
    counter: int = field(init=False, default=0)
    """Numbers new and renamed functions (`added{k}`, `renamed{k}`; never register names); never reused."""
    history: list[EditKind] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.functions = {}
        for i in range(self.n):
            terms = [Term(None, f"f{i - 1}")] if i > 0 else []
            terms.append(Term(BASE_CONSTANT + i, None))
            self.functions[f"f{i}"] = Function(f"f{i}", terms)
        self.root = f"f{self.n - 1}"

    def source(self) -> bytes:
        """The current program's `.zir` text."""
        body = "".join(f.render() for f in self.functions.values())
        return (HEADER + body + start_decls(self.root)).encode()

    def asm(self) -> str:
        """The current program as GNU assembly (same semantics; an independent check of `exit_code`)."""
        lines = [".intel_syntax noprefix", ".text"]
        for fn in self.functions.values():
            lines += [f"{fn.name}:", "  push rbx", "  xor ebx, ebx"]
            for t in fn.terms:
                if t.callee is not None:
                    lines += [f"  call {t.callee}", "  add rbx, rax"]
                else:
                    lines.append(f"  add rbx, {t.constant}")
            lines += ["  mov rax, rbx", "  pop rbx", "  ret"]
        lines += [
            ".globl _start",
            "_start:",
            f"  call {self.root}",
            "  mov rdi, rax",
            "  mov eax, 231",
            "  syscall",
            "",
        ]
        return "\n".join(lines)

    def value_of(self, name: str) -> int:
        """The result of calling `name` (mod 2**64), evaluated without recursion."""
        memo: dict[str, int] = {}
        stack = [name]
        while stack:
            cur = stack[-1]
            if cur in memo:
                stack.pop()
                continue
            pending = [t.callee for t in self.functions[cur].terms if t.callee is not None and t.callee not in memo]
            if pending:
                stack.extend(pending)
                continue
            total = 0
            for t in self.functions[cur].terms:
                total += memo[t.callee] if t.callee is not None else (t.constant or 0)
            memo[cur] = total & USIZE_MASK
            stack.pop()
        return memo[name]

    def exit_code(self) -> int:
        """What the current program exits with."""
        return self.value_of(self.root) % 256

    def _pick(self, *, exclude_root: bool = False) -> Function:
        names = [k for k in self.functions if not (exclude_root and k == self.root)]
        return self.functions[self.rng.choice(names)]

    def _new_constant(self) -> int:
        return self.rng.randrange(MAX_RANDOM_CONSTANT)

    def step(self) -> EditKind:
        """Apply one random edit and return its kind."""
        kinds = list(EDIT_WEIGHTS)
        kind = self.rng.choices(kinds, weights=[EDIT_WEIGHTS[k] for k in kinds])[0]
        if kind is EditKind.DELETE and len(self.functions) <= 2:
            kind = EditKind.ADD
        match kind:
            case EditKind.GROW:
                self._pick().terms.append(Term(self._new_constant(), None))
            case EditKind.SHRINK:
                candidates = [f for f in self.functions.values() if len(f.terms) >= 2]
                if not candidates:
                    kind = EditKind.GROW
                    self._pick().terms.append(Term(self._new_constant(), None))
                else:
                    fn = self.rng.choice(candidates)
                    del fn.terms[self.rng.randrange(len(fn.terms))]
            case EditKind.ADD:
                self.counter += 1
                name = f"added{self.counter}"
                caller = self._pick()
                self.functions[name] = Function(name, [Term(self._new_constant(), None)])
                caller.terms.append(Term(None, name))
            case EditKind.DELETE:
                victim = self._pick(exclude_root=True)
                del self.functions[victim.name]
                for fn in self.functions.values():
                    fn.terms = [t for t in fn.terms if t.callee != victim.name]
                    if not fn.terms:
                        fn.terms.append(Term(self._new_constant(), None))
            case EditKind.WIDEN:
                constants = [t for t in self._pick().terms if t.constant is not None]
                if constants:
                    term = self.rng.choice(constants)
                    digits = len(str(term.constant))
                    width = self.rng.choice([w for w in range(1, 6) if w != digits])
                    term.constant = self.rng.randrange(10 ** (width - 1) if width > 1 else 0, 10**width)
                else:
                    kind = EditKind.GROW
                    self._pick().terms.append(Term(self._new_constant(), None))
            case EditKind.RENAME:
                self.counter += 1
                fn = self._pick()
                old, new = fn.name, f"renamed{self.counter}"
                fn.name = new
                self.functions = {(new if k == old else k): v for k, v in self.functions.items()}
                for other in self.functions.values():
                    for t in other.terms:
                        if t.callee == old:
                            t.callee = new
                if self.root == old:
                    self.root = new
            case _:
                assert_never(kind)
        self.history.append(kind)
        return kind
