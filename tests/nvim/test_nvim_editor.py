"""Neovim 0.7.2, headless, as a real client (issue 15): hover (of a decl, and of a `%` local's analysed type),
definition, a "did you mean" code action applied to the buffer, and the server-side ``zir.run`` behind the Run
code lens."""

from __future__ import annotations

import json
import shutil
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
local PYTHON, RESULT_FILE, ROW, COL = %(python)s, %(result)s, %(row)d, %(col)d
local results = {}
local code = 1
local ok, err = pcall(function()
  local id = vim.lsp.start_client{
    name = "zir-live",
    cmd = { PYTHON, "-m", "server" },
    cmd_env = { PYTHONPATH = %(root)s },
    root_dir = vim.fn.getcwd(),
    init_options = { diagnostics = { debounceMs = 0 } },
    handlers = { ["zir/runFinished"] = function(_, result) results.run_finished = result end },
  }
  assert(id, "start_client failed")
  vim.lsp.buf_attach_client(0, id)
  assert(vim.wait(10000, function() local c = vim.lsp.get_client_by_id(id); return c and c.initialized end, 20),
    "not initialized")
  assert(vim.wait(10000, function() return #vim.diagnostic.get(0) > 0 end, 20), "no diagnostics")
  local client = vim.lsp.get_client_by_id(id)
  local doc = { uri = vim.uri_from_bufnr(0) }
  local at = { textDocument = doc, position = { line = ROW, character = COL + 1 } }
  local hover = client.request_sync("textDocument/hover", at, 10000, 0)
  results.hover = hover.result.contents.value
  local def = client.request_sync("textDocument/definition", at, 10000, 0)
  results.definition = def.result[1].range.start
  -- the diagnostic as Neovim stored it, sent back with the code action request
  local d = vim.diagnostic.get(0)[1]
  local lsp_diag = { range = { start = { line = d.lnum, character = d.col },
    ["end"] = { line = d.end_lnum, character = d.end_col } }, message = d.message, severity = d.severity }
  local actions = client.request_sync("textDocument/codeAction",
    { textDocument = doc, range = lsp_diag.range, context = { diagnostics = { lsp_diag } } }, 10000, 0)
  results.action = actions.result[1].title
  vim.lsp.util.apply_workspace_edit(actions.result[1].edit, client.offset_encoding)
  assert(vim.wait(10000, function() return #vim.diagnostic.get(0) == 0 end, 20), "the fix left diagnostics")
  -- a %% local's hover: its analysed type (the fixed function was analysed: its diagnostics cleared)
  local local_at = { textDocument = doc, position = { line = ROW, character = 3 } }
  results.local_hover = client.request_sync("textDocument/hover", local_at, 10000, 0).result.contents.value
  vim.cmd("silent write")
  local lenses = client.request_sync("textDocument/codeLens", { textDocument = doc }, 10000, 0)
  local run = nil
  for _, lens in ipairs(lenses.result) do
    if lens.command.command == "zir.run" then run = lens.command end
  end
  assert(run, "no Run lens")
  local reply = client.request_sync("workspace/executeCommand",
    { command = run.command, arguments = run.arguments }, 30000, 0)
  results.run = reply.result
  assert(vim.wait(10000, function() return results.run_finished ~= nil end, 20), "no zir/runFinished")
  vim.lsp.stop_client(id)
  vim.wait(3000, function() return vim.lsp.get_client_by_id(id) == nil end, 20)
  code = 0
end)
if not ok then results.error = tostring(err) end
local f = io.open(RESULT_FILE, "w"); f:write(vim.fn.json_encode(results)); f:close()
vim.cmd("cquit " .. code)
"""


def test_neovim_hover_definition_quick_fix_and_run(tmp_path: Path) -> None:
    fixed = EXAMPLE.read_text()
    source = fixed.replace("@exit_group, @code]", "@exit_group, @cod]")  # a misspelled decl
    assert source != fixed
    lines = source.split("\n")
    row = next(i for i, line in enumerate(lines) if "%addr = ptrtoint(@greeting)" in line)
    col = lines[row].index("@greeting")
    sample = tmp_path / "sample.zir"
    sample.write_text(source)
    result_file = tmp_path / "result.json"
    results = run_lua(
        tmp_path,
        LUA
        % {
            "python": json.dumps(sys.executable),
            "result": json.dumps(str(result_file)),
            "root": json.dumps(str(ROOT)),
            "row": row,
            "col": col,
        },
        sample,
        result_file,
        timeout=90,
    )
    assert 'string: `"bye for now\\n"`' in results["hover"]
    greeting_line = next(i for i, line in enumerate(lines) if line.startswith("@greeting ="))
    assert results["definition"] == {"line": greeting_line, "character": 0}
    assert results["action"] == "Did you mean `@code`?"
    assert "`%addr = ptrtoint(@greeting)`" in results["local_hover"]
    assert "type: `usize`" in results["local_hover"]
    assert sample.read_text() == fixed  # the quick fix, written by :write
    assert results["run"]["exitCode"] == 3 and results["run"]["stdout"] == "bye for now\n"
    assert results["run_finished"]["exitCode"] == 3
