"""The Neovim snippet of docs/inspect.md, run as written in headless Neovim: save a chain program, wait for the
build, call ``:ZirDisassembly f3`` and read the scratch buffer it opens."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from bench.gen import ChainProgram
from tests.nvim.headless import run_lua

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "inspect.md"

pytestmark = [
    pytest.mark.nvim,
    pytest.mark.skipif(shutil.which("nvim") is None, reason="nvim is not installed"),
]

HARNESS = r"""
local PYTHON, RESULT_FILE, ROOT = %(python)s, %(result)s, %(root)s
local results = {}
local code = 1
local built = false
local ok, err = pcall(function()
  dofile(%(snippet)s)
  local id = vim.lsp.start_client{
    name = "zir-live",
    cmd = { PYTHON, "-m", "server" },
    cmd_env = { PYTHONPATH = ROOT },
    root_dir = vim.fn.getcwd(),
    handlers = { ["zir/buildFinished"] = function(_, result) built = result.ok end },
  }
  vim.lsp.buf_attach_client(0, id)
  assert(vim.wait(10000, function() local c = vim.lsp.get_client_by_id(id); return c and c.initialized end, 20),
    "not initialized")
  vim.cmd("silent write")
  assert(vim.wait(20000, function() return built end, 20), "no build")
  local source_buf = vim.api.nvim_get_current_buf()
  vim.cmd("ZirDisassembly f3")
  assert(vim.wait(10000, function() return vim.api.nvim_get_current_buf() ~= source_buf end, 20), "no view")
  local buf = vim.api.nvim_get_current_buf()
  results.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  results.modifiable = vim.bo[buf].modifiable
  results.buftype = vim.bo[buf].buftype
  vim.lsp.stop_client(id)
  code = 0
end)
if not ok then results.error = tostring(err) end
local f = io.open(RESULT_FILE, "w"); f:write(vim.fn.json_encode(results)); f:close()
vim.cmd("cquit " .. code)
"""


def documented_snippet() -> str:
    """The Lua block of docs/inspect.md that starts with ``-- zir-disassembly``."""
    found = re.search(r"```lua\n(-- zir-disassembly\n.*?)```", DOC.read_text(), re.S)
    assert found, "docs/inspect.md has no zir-disassembly Lua block"
    return found.group(1)


def test_documented_lua_shows_the_disassembly_in_a_scratch_buffer(tmp_path: Path) -> None:
    program = ChainProgram(5)
    sample = tmp_path / "chain.zir"
    sample.write_bytes(program.source())
    snippet = tmp_path / "snippet.lua"
    snippet.write_text(documented_snippet())
    result_file = tmp_path / "result.json"
    results = run_lua(
        tmp_path,
        HARNESS
        % {
            "python": json.dumps(sys.executable),
            "result": json.dumps(str(result_file)),
            "root": json.dumps(str(ROOT)),
            "snippet": json.dumps(str(snippet)),
        },
        sample,
        result_file,
        timeout=90,
    )
    lines: list[str] = results["lines"]
    assert lines[0].startswith("build 1 of ") and lines[0].endswith(str(tmp_path / "zig-out" / "bin" / "chain"))
    headers = [line for line in lines if "<" in line and ">:" in line]
    assert len(headers) == 1 and "<f3>: function" in headers[0] and "GOT[" in headers[0]
    body = [line for line in lines[3:] if line.strip()]
    rows = [re.search(r"([0-9a-f]+):  ([0-9a-f]+) +(\S+)", line) for line in body]
    assert all(rows), body
    mnemonics = [row.group(3) for row in rows if row]
    assert all(line.startswith("*") for line in body)  # the first build: every instruction is new
    assert mnemonics[:1] == ["push"] and "call" in mnemonics and mnemonics[-1] == "ret"
    assert f", {hex(1000 + 3)}" in " ".join(body)  # f3's constant, an immediate operand
    assert results["modifiable"] is False and results["buftype"] == "nofile"
