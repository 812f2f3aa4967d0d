"""The work of an update is proportional to the edit, not to N (performance.md §6): deterministic counters."""

from __future__ import annotations

import pytest

from compiler.module.decl import Decl
from tests.compiler.module.util import Session

HEADER = "@usize = primitive(usize)\n@fty = fntype([], @usize)\n"


def chain_fn(i: int, constant: int) -> str:
    """``f{i}`` returns ``f{i-1}() + constant`` (every function is used, so every one is analysed)."""
    if i == 0:
        return f"@f0 = fn(@fty, {{\n  %c = int({constant})\n  %k = as(@usize, %c)\n  %r = return(%k)\n}})\n"
    return (
        f"@f{i} = fn(@fty, {{\n  %p = call(@f{i - 1}, [])\n  %c = int({constant})\n"
        "  %k = as(@usize, %c)\n  %s = add(%p, %k)\n  %r = return(%s)\n})\n"
    )


def chain(n: int, constants: dict[int, int] | None = None, extra: str = "") -> str:
    """The chain program of ``n`` functions; ``extra`` is inserted before the function ``n // 2``."""
    constants = constants or {}
    parts = [HEADER]
    for i in range(n):
        if i == n // 2:
            parts.append(extra)
        parts.append(chain_fn(i, constants.get(i, 1000 + i)))
    parts.append(f'@entry_name = str("entry")\n@entry = export(@entry_name, "f{n - 1}")\n')
    return "".join(parts)


def check_positions(s: Session) -> None:
    """Every source decl's (lazily shifted) position is the one of the current parse."""
    m = s.comp.module
    parsed = m.file.parsed
    assert parsed is not None
    for d in m.decl_table.values():
        if d.is_anonymous:
            continue
        sd = parsed.decls[d.src_index]
        assert (sd.name, sd.contents_start) == (d.name, d.contents_start)


def decl(s: Session, name: str) -> Decl:
    return s.comp.module.decl_table[name]


@pytest.mark.parametrize("n", [10, 10_000])
def test_a_body_edit_diffs_one_decl_at_any_n(n: int) -> None:
    s = Session(chain(n))
    first = s.update()
    assert s.errors() == []
    assert first.counters["decls_diffed"] == n + 4  # the first update looks at every decl
    edited = n // 2
    r = s.update(chain(n, {edited: 7}))  # same length: nothing moves
    assert r.counters["decls_diffed"] == 1
    assert r.counters["decls_analyzed"] == 1 and r.counters["fn_bodies_analyzed"] == 1
    r = s.update(chain(n, {edited: 123456}))  # longer: every later decl moves by 3 bytes
    assert r.counters["decls_diffed"] == 1
    assert r.counters["decls_analyzed"] == 1 and r.counters["fn_bodies_analyzed"] == 1
    check_positions(s)
    assert decl(s, f"f{n - 1}").contents_start == s.comp.module.file.parsed.decls[-3].contents_start  # type: ignore[union-attr]


def test_inserted_and_deleted_decls_shift_later_indices() -> None:
    n = 40
    s = Session(chain(n))
    s.update()
    r = s.update(chain(n, extra="@a = int(1)\n@b = int(2)\n"))
    assert r.counters["decls_diffed"] == 3  # @a, @b and the function that follows them (its region start)
    check_positions(s)
    assert decl(s, "f39").src_index == n + 3
    r = s.update(chain(n, extra="@b = int(2)\n"))
    check_positions(s)
    assert "a" not in s.names() and decl(s, "f39").src_index == n + 2
    for k in range(5):  # many shifts pile up in the log; decls read late catch up on all of them
        s.update(chain(n, {3: 10**k}, extra="@b = int(2)\n" * 1))
    check_positions(s)
    assert s.errors() == []


def test_an_unused_decl_deleted_outside_the_edit_comes_back_when_used_again() -> None:
    base = chain(20)
    user = '@u = fn(@fty, {\n  %p = call(@g, [])\n  %r = return(%p)\n})\n@un = str("uu")\n@x = export(@un, "u")\n'
    g = "@g = fn(@fty, {\n  %c = int(5)\n  %k = as(@usize, %c)\n  %r = return(%k)\n})\n"
    s = Session(g + base + user)
    s.update()
    assert "g" in s.names()
    s.update(g + base)  # @g lost its only user and is deleted; its text stays before the edit
    assert "g" not in s.names()
    s.update(g + base + "@pad = int(0)\n")  # an edit far from @g: @g gets a fresh (unreferenced) decl
    assert "g" in s.names()
    s.update(g + base + user)
    assert s.errors() == []
    check_positions(s)


def test_line_numbers_stay_exact_when_the_line_cache_is_kept_across_updates() -> None:
    """The line cache survives an update only while the text before it is unchanged (performance.md §6)."""
    n = 30
    s = Session(chain(n))
    s.update()
    m = s.comp.module
    texts = [
        chain(n, {15: 5}),
        chain(n, {15: 6}, extra="@a = int(1)\n\n\n"),  # lines inserted before the cached position
        chain(n, {15: 7}, extra="@a = int(1)\n\n\n"),
        chain(n, {15: 8}),
        chain(n, {2: 9, 15: 8}),
    ]
    for text in texts:
        s.update(text)
        data = text.encode()
        for name in ("f15", "f16", "f2", "f29"):  # lines as code generation and line updates saw them
            src = m.source_decl(decl(s, name)).src
            assert decl(s, name).line == data.count(b"\n", 0, src)
