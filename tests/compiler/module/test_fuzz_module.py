"""Fuzzing the Module: random valid-looking programs and random edit sequences never raise anything but
reported compile errors, and an incrementally updated Module reports what a fresh build reports.

An ``internal compiler error`` diagnostic is a failure like an exception: it is how a crash of code
generation is reported, so accepting it would accept crashes (and two builds crashing alike compare equal).
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.module.decl import FileStatus
from tests.compiler.module.util import Session

TYPES = ["void", "usize", "u8", "bool", "noreturn", "comptime_int"]


class Gen:
    """Generates decls of a small random program; names collide on purpose (forward/missing references)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = 0

    def name(self, prefix: str) -> str:
        return f"{prefix}{self.rng.randrange(6)}"

    def ref(self) -> str:
        return "@" + self.name(self.rng.choice("tisfgx"))

    def decl(self) -> tuple[str, str]:
        r = self.rng
        kind = r.choice("tisfffgx")
        name = self.name(kind)
        if kind == "t":
            body = f"primitive({r.choice(TYPES)})"
        elif kind == "i":
            body = f"int({r.randrange(-3, 300)})"
        elif kind == "s":
            body = f'str("{r.choice(["a", "bc", "def", "f0", "f1"])}")'
        elif kind == "g":
            params = ", ".join("@" + self.name("t") for _ in range(r.randrange(2)))
            cc = r.choice(["", "", ", cc=C", ", cc=Naked"])
            ret = "@" + self.name("t") if r.randrange(4) else self.ref()
            body = f"fntype([{params}], {ret}{cc})"
        elif kind == "x":
            body = f'export({self.ref()}, "{self.name("f")}")'
        else:
            ty = "@" + self.name("g") if r.randrange(4) else self.ref()
            body = f"fn({ty}, {{\n{self.body(2)}}})"
        return name, body

    def body(self, indent: int, depth: int = 0) -> str:
        r = self.rng
        lines: list[str] = []
        defined: list[str] = []
        pad = " " * indent
        for _ in range(r.randrange(1, 6)):
            self.counter += 1
            name = f"%v{self.counter}"
            ops = [*defined, self.ref(), self.ref()]
            a, b = r.choice(ops), r.choice(ops)
            choice = r.randrange(14)
            if choice == 0:
                inst = f"as({self.ref()}, {a})"
            elif choice == 1:
                inst = f"add({a}, {b})"
            elif choice == 2:
                inst = f"call({a}, [{', '.join(r.choice(ops) for _ in range(r.randrange(2)))}])"
            elif choice == 3:
                inst = "returnvoid()"
            elif choice == 4:
                inst = "breakpoint()"
            elif choice == 5:
                inst = 'arg("p")'
            elif choice == 6:
                inst = f'str("{r.choice(["x", "yz"])}")'
            elif choice == 7:
                inst = f"ptrtoint({a})"
            elif choice == 8:
                inst = f"cmp_eq({a}, {b})"
            elif choice == 9 and depth < 2:
                inner1 = self.body(indent + 2, depth + 1)
                inner2 = self.body(indent + 2, depth + 2)
                inst = f"condbr({a}, {{\n{inner1}{pad}}}, {{\n{inner2}{pad}}})"
            elif choice == 10:
                inst = r.choice(
                    [
                        f"deref({a})",
                        f"elemptr({a}, {b})",
                        f"fieldptr({a}, {b})",
                        f'declref("{self.name("s")}__anon_{r.randrange(4)}")',
                        f'export({a}, "{self.name("f")}")',
                        f"ref({a})",
                        f"boolnot({a})",
                        "unreachable()",
                        f"return({a})",
                    ]
                )
            elif choice == 11 and depth < 2:
                label = name[1:]
                inner = self.body(indent + 2, depth + 1)
                brk = r.choice([f'breakvoid("{label}")', f'break("{label}", {a})'])
                inst = f"block({{\n{inner}{pad}  %b{self.counter} = {brk}\n{pad}}})"
            elif choice == 12 and depth < 2:
                inst = f"loop({{\n{self.body(indent + 2, depth + 1)}{pad}}})"
            else:
                inst = 'compileerror("e")' if r.randrange(4) == 0 else "dbg_stmt()"
            lines.append(f"{pad}{name} = {inst}\n")
            defined.append(name)
        return "".join(lines)


def render(decls: list[tuple[str, str]]) -> str:
    seen: set[str] = set()
    out = []
    for name, body in decls:
        if name in seen:
            continue
        seen.add(name)
        out.append(f"@{name} = {body}\n")
    return "".join(out)


def edit(rng: random.Random, gen: Gen, decls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    decls = list(decls)
    op = rng.randrange(5)
    if op == 0 or not decls:
        decls.insert(rng.randrange(len(decls) + 1), gen.decl())
    elif op == 1:
        del decls[rng.randrange(len(decls))]
    elif op == 2:
        i = rng.randrange(len(decls))
        name, _ = decls[i]
        decls[i] = (name, gen.decl()[1])
    elif op == 3:
        i, j = rng.randrange(len(decls)), rng.randrange(len(decls))
        decls[i], decls[j] = decls[j], decls[i]
    else:
        decls.insert(0, ("pad", "int(0)"))  # lines move
    return decls


def without_collisions(errors: list[str]) -> list[str]:
    return [e for e in errors if "exported symbol collision" not in e]


ICE = "internal compiler error"


def no_ice(errors: list[str], text: str) -> list[str]:
    """``errors``, after checking that none is an internal compiler error."""
    crashes = [e for e in errors if ICE in e]
    assert not crashes, f"{crashes}\n--- text ---\n{text}"
    return errors


def fresh_errors(text: str) -> list[str]:
    s = Session(text)
    s.update()
    return no_ice(sorted(s.errors()), text)


def check_decl_positions(session: Session) -> None:
    """The diff looked only at the changed region: still, every source decl has a decl (or was deleted
    for lack of users in this update) whose lazily shifted position is that of the current parse."""
    m = session.comp.module
    parsed = m.file.parsed
    if (
        parsed is None
        or m.file.status is FileStatus.PARSE_FAILURE
        or len({sd.name for sd in parsed.decls}) < len(parsed.decls)
    ):
        return
    named = {d.name for d in m.decl_table.values() if not d.is_anonymous}
    assert named | {v.name for v in m.vacated} == {sd.name for sd in parsed.decls}
    for d in m.decl_table.values():
        if not d.is_anonymous:
            sd = parsed.decls[d.src_index]
            assert (sd.name, sd.contents_start) == (d.name, d.contents_start)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32))
def test_random_edit_sequences(seed: int) -> None:
    rng = random.Random(seed)
    gen = Gen(rng)
    decls = [(f"t{i}", f"primitive({TYPES[i]})") for i in range(6)]
    decls += [("g0", "fntype([], @t0)"), ("g1", "fntype([@t1], @t0, cc=C)")]
    decls += [gen.decl() for _ in range(rng.randrange(3, 12))]
    decls.append(("entry_name", 'str("f0")'))
    decls.append(("entry_export", 'export(@entry_name, "f0")'))
    session = Session()
    no_replay = Session()
    no_replay.comp.module.replay_enabled = False
    for _ in range(6):
        text = render(decls)
        session.update(text)  # must not raise; counts are checked inside
        no_replay.update(text)
        # replaying string decls (module.md §9.4) must be invisible: same errors, same names
        assert session.errors() == no_replay.errors()
        assert session.emit() == no_replay.emit()
        incremental, fresh = no_ice(sorted(session.errors()), text), fresh_errors(text)
        check_decl_positions(session)
        if session.comp.module.file.status is FileStatus.PARSE_FAILURE:
            # parse errors, plus retained semantic errors of decls that still parse (module.md §12.2)
            assert set(fresh) <= set(incremental), text
        elif any("dependency loop detected" in e for e in incremental + fresh):
            # A decl-level cycle through a changed decl is resolved in work-queue order (module.md §6.1),
            # which may meet the cycle at another decl than a fresh build does; both must report it.
            assert incremental and fresh, text
        else:
            # Which of two colliding exports holds a symbol depends on update history (module.md §10.3);
            # the number of collisions does not.
            assert without_collisions(incremental) == without_collisions(fresh), text
            assert len(incremental) == len(fresh), text
        decls = edit(rng, gen, decls)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(data: bytes) -> None:
    s = Session()
    s.source.text = b"@void = primitive(void)\n" + data
    s.comp.update()
    no_ice(s.errors(), repr(data))
