"""zir/disassembly, zir/layout and buildFinished ``writes`` through the real server process (docs/inspect.md).

A body edit of one function of a chain program must mark exactly that decl (and its one changed instruction)
as changed, and the ranges ``writes`` reports must cover every byte that differs in the output file and sum
to the commit's ``bytesWritten``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_lsp import LanguageClient

from bench.gen import ChainProgram
from tests.server.e2e.conftest import Workspace, wait_build, wait_diagnostics


def plain(obj: Any) -> Any:
    """pygls's parsed JSON (named tuples for objects) as dicts and lists."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if hasattr(obj, "_asdict"):
        return {k: plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    return obj


async def request(client: LanguageClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = plain(await client.protocol.send_request_async(method, params))  # type: ignore[no-untyped-call]  # pygls
    return answer


async def build(client: LanguageClient, uri: str, count: int) -> dict[str, Any]:
    payload: dict[str, Any] = plain(await wait_build(client, uri, count))
    return payload


def changed_bytes(before: bytes, after: bytes) -> list[int]:
    """File offsets whose byte differs (a longer file's tail counts as changed)."""
    out = [i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b]
    return out + list(range(min(len(before), len(after)), max(len(before), len(after))))


async def test_body_edit_marks_exactly_that_decl(client: LanguageClient, ws: Workspace) -> None:
    program = ChainProgram(10)
    text = program.source().decode()
    uri = ws.open("chain.zir", text)
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    ws.save(uri)
    first = await build(client, uri, 1)
    assert first["ok"] is True
    binary = Path(first["binary"])
    assert first["writes"] == [{"offset": 0, "size": binary.stat().st_size, "region": "file"}]

    listing = await request(client, "zir/disassembly", {"textDocument": {"uri": uri}})
    assert listing["format"] == "zir-objdump" and listing["update"] == first["buildId"]
    names = {d["name"] for d in listing["decls"] if d["kind"] == "function"}
    assert names - {"__zirlive_panic"} == {f"f{i}" for i in range(10)} | {"start"}  # + the safety checks' routine
    assert all(d["changed"] for d in listing["decls"])  # the first build: everything is new
    before = binary.read_bytes()

    edited = ChainProgram(10, bump=1).source().decode()
    version = ws.replace(uri, edited)
    await wait_diagnostics(client, uri, lambda p: p.version == version)
    ws.save(uri, edited)
    second = await build(client, uri, 2)
    assert second["ok"] is True
    after = binary.read_bytes()

    listing = await request(client, "zir/disassembly", {"textDocument": {"uri": uri}})
    assert listing["update"] == second["buildId"]
    assert [d["name"] for d in listing["decls"] if d["changed"]] == ["f5"]
    (f5,) = [d for d in listing["decls"] if d["name"] == "f5"]
    marked = [i for i in f5["instructions"] if i["changed"]]
    # the one instruction holding the constant (its immediate), nothing else
    assert len(marked) == 1 and marked[0]["operands"].endswith(f", {hex(program.constant + 1)}"), marked
    only = await request(client, "zir/disassembly", {"textDocument": {"uri": uri}, "decl": "@f5"})
    assert [d["name"] for d in only["decls"]] == ["f5"] and only["decls"][0]["changed"] is True

    layout = await request(client, "zir/layout", {"textDocument": {"uri": uri}})
    assert layout["format"] == "zir-layout" and layout["update"] == second["buildId"]
    assert [b["name"] for b in layout["text"]["blocks"] if b["changed"]] == ["f5"]

    writes = second["writes"]
    assert sum(w["size"] for w in writes) == second["bytesWritten"]
    covered = {o for w in writes for o in range(w["offset"], w["offset"] + w["size"])}
    differing = changed_bytes(before, after)
    assert differing and set(differing) <= covered
    block = next(b for b in layout["text"]["blocks"] if b["name"] == "f5")
    in_text = [w for w in writes if w["region"] == ".text"]
    assert in_text and all(block["offset"] <= w["offset"] < block["offset"] + block["size"] for w in in_text)
    assert {w["region"] for w in writes} <= {"ehdr", ".text", ".debug_line", ".debug_info"}


async def test_requests_before_a_build_fail_clearly(client: LanguageClient, ws: Workspace) -> None:
    uri = ws.open("never_saved.zir", ChainProgram(5).source().decode())
    await wait_diagnostics(client, uri, lambda p: p.version == 1)
    for method in ("zir/disassembly", "zir/layout"):
        with pytest.raises(Exception, match="no binary has been built"):
            await request(client, method, {"textDocument": {"uri": uri}})
