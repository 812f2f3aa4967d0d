"""Neovim 0.7.2, headless, as a real client (lsp.md §12): open a file with an error, see the diagnostic, fix
and save, see it cleared and the build finish, then run the rebuilt binary."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nvim.headless import run_lua

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "tests" / "cases" / "examples" / "101-print-and-exit-code" / "update1.zir"

pytestmark = [
    pytest.mark.nvim,
    pytest.mark.skipif(shutil.which("nvim") is None, reason="nvim is not installed"),
]

LUA = r"""
local PYTHON, RESULT_FILE = %(python)s, %(result)s
local FIXED_LINES = vim.fn.json_decode(%(fixed)s)
local results = { diagnostics = {}, after_save = -1, build = vim.NIL }
local build = nil
local code = 1
local ok, err = pcall(function()
  local id = vim.lsp.start_client{
    name = "zir-live",
    cmd = { PYTHON, "-m", "server" },
    cmd_env = { PYTHONPATH = %(root)s },
    root_dir = vim.fn.getcwd(),
    settings = { zir = { diagnostics = { debounceMs = 0 } } },
    init_options = { diagnostics = { debounceMs = 0 } },
    handlers = { ["zir/buildFinished"] = function(_, result) build = result end },
  }
  assert(id, "start_client failed")
  vim.lsp.buf_attach_client(0, id)
  assert(vim.wait(10000, function() local c = vim.lsp.get_client_by_id(id); return c and c.initialized end, 20),
    "not initialized")
  assert(vim.wait(10000, function() return #vim.diagnostic.get(0) > 0 end, 20), "no diagnostics")
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(results.diagnostics, { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      message = d.message, severity = d.severity, source = d.source })
  end
  vim.api.nvim_buf_set_lines(0, 0, -1, false, FIXED_LINES)
  vim.cmd("silent write")
  assert(vim.wait(10000, function() return #vim.diagnostic.get(0) == 0 and build ~= nil end, 20),
    "diagnostics not cleared or no build")
  results.after_save = #vim.diagnostic.get(0)
  results.build = build
  vim.lsp.stop_client(id)
  vim.wait(3000, function() return vim.lsp.get_client_by_id(id) == nil end, 20)
  code = 0
end)
if not ok then results.error = tostring(err) end
local f = io.open(RESULT_FILE, "w"); f:write(vim.fn.json_encode(results)); f:close()
vim.cmd("cquit " .. code)
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for these contents


def test_neovim_sees_the_error_fix_save_and_runs_the_binary(tmp_path: Path) -> None:
    fixed = EXAMPLE.read_text()  # prints "bye for now\n" and exits with 3
    source = fixed.replace("@exit_group, @code]", "@exit_group, @cod]")  # a misspelled decl
    assert source != fixed
    lines = source.split("\n")
    row = next(i for i, line in enumerate(lines) if "@cod]" in line)
    col = lines[row].index("@cod]")
    sample = tmp_path / "sample.zir"
    sample.write_text(source)
    result_file = tmp_path / "result.json"
    results = run_lua(
        tmp_path,
        LUA
        % {
            "python": _lua_string(sys.executable),
            "result": _lua_string(str(result_file)),
            "fixed": _lua_string(json.dumps(fixed.split("\n")[:-1])),
            "root": _lua_string(str(ROOT)),
        },
        sample,
        result_file,
        timeout=60,
    )
    assert results["diagnostics"] == [
        {
            "lnum": row,
            "col": col,
            "end_lnum": row,
            "end_col": col + len("@cod"),
            "message": "decl 'cod' not found",
            "severity": 1,
            "source": "zir",
        }
    ]
    assert results["after_save"] == 0
    build = results["build"]
    assert build["ok"] is True
    binary = tmp_path / "zig-out" / "bin" / "sample"
    assert build["binary"] == str(binary)
    assert sample.read_text() == fixed
    run = subprocess.run([str(binary)], capture_output=True, timeout=10, check=False)
    assert (run.returncode, run.stdout) == (3, b"bye for now\n")
