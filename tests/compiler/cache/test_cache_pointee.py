"""A restart from the compile cache sees an edit of the bytes a string decl points at (docs/design/performance.md
§7): ``@rax = str("{rax}")`` edited to ``str("{rdx}")`` keeps the decl's name, GOT slot and type, and only the
bytes behind the pointer changed — but ``_start``'s ``asm`` reads them at compile time. The restart kept the
old machine code (``mov $231, %eax`` where a fresh build has ``%edx``): a runnable, wrong binary. Found by
running the differential fuzzer's sequences through restarts."""

from __future__ import annotations

from pathlib import Path

from tests.compiler.cache.test_cache_restart import Workspace, run, sections

PROGRAM = """@noreturn = primitive(noreturn)
@usize = primitive(usize)
@syscall = str("syscall")
@rax = str("{rax}")
@rdi = str("{rdi}")
@exit_group = int(231)
@seed = int(7)
@start_fnty = fntype([], @noreturn, cc=Naked)
@start = fn(@start_fnty, {
  %v0 = as(@usize, @seed)
  %x = asm(@syscall, @usize, volatile=1, inputs=[@rdi, @rax], args=[%v0, @exit_group])
  %u = unreachable()
})
@start_sym = str("_start")
@start_export = export(@start_sym, "start")
"""


def test_a_restart_sees_new_bytes_behind_a_string_decl(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "src", tmp_path / "cache")
    ws.root.mkdir()
    ws.src.write_text(PROGRAM)
    first, _ = ws.build()
    assert first["ok"] and run(ws.out) == 7
    ws.src.write_text(PROGRAM.replace('str("{rax}")', 'str("{rdx}")'))
    restarted, _ = ws.build()
    fresh_out = tmp_path / "fresh"
    fresh, _ = ws.build("--no-cache", out=fresh_out)
    assert restarted["ok"] and fresh["ok"]
    assert restarted["counters"]["fn_bodies_analyzed"] == 1  # _start analysed again, not kept
    assert sections(ws.out) == sections(fresh_out)
    # and a restart with nothing changed still keeps the body (the fix does not turn the cache off)
    again, _ = ws.build()
    assert again["counters"]["fn_bodies_analyzed"] == 0
