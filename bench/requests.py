"""Editor requests right after an edit (issue 15): each request type's latency just after a didChange at N functions.

For every request type: ``edits`` times, change f{N/2}'s constant (one keystroke-sized didChange, no debounce)
and send the request at once; the time from sending it to its response is one sample. Reports p50/p95 per type.

    .venv/bin/python -m bench.requests --sizes 1000,10000 --edits 20
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.gen import ChainProgram
from bench.lspclient import LspClient, is_diagnostics_for, server_command
from bench.measure import stats
from bench.watch import REPO


def _requests(uri: str, first: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each measured request at a fixed spot of f{N/2} (``first`` is the line of its ``@f… = fn``)."""
    doc = {"uri": uri}

    def at(line: int, character: int) -> dict[str, Any]:
        return {"textDocument": doc, "position": {"line": first + line, "character": character}}

    return {
        "hover": ("textDocument/hover", at(1, 13)),  # @f{N/2-1} in "%p = call(@f…"
        "definition": ("textDocument/definition", at(1, 13)),
        "documentHighlight": ("textDocument/documentHighlight", at(4, 12)),  # %p in "add(%p, %k)"
        "completion_local": ("textDocument/completion", at(4, 13)),  # after "%p"
        "completion_decl": ("textDocument/completion", at(3, 12)),  # after "@u"
        "signatureHelp": ("textDocument/signatureHelp", at(4, 15)),  # after "add(%p, "
        "documentSymbol": ("textDocument/documentSymbol", {"textDocument": doc}),
        "semanticTokens_full": ("textDocument/semanticTokens/full", {"textDocument": doc}),
        "semanticTokens_range": (
            "textDocument/semanticTokens/range",
            {
                "textDocument": doc,
                "range": {"start": {"line": first, "character": 0}, "end": {"line": first + 60, "character": 0}},
            },
        ),
        "foldingRange": ("textDocument/foldingRange", {"textDocument": doc}),
        "codeLens": ("textDocument/codeLens", {"textDocument": doc}),
        "semanticTokens_delta": ("textDocument/semanticTokens/full/delta", {"textDocument": doc}),
        "formatting": (
            "textDocument/formatting",
            {"textDocument": doc, "options": {"tabSize": 2, "insertSpaces": True}},
        ),
        **_analysis_requests(uri, first),
    }


def _analysis_requests(uri: str, first: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """Requests answered from the editor Compilation's analysis (issue 15, editor2): inlay hints of the ~60
    visible lines around f{N/2} (the edited function and its neighbours), hover of a `%` local, and the code
    actions at the edited constant."""
    doc = {"uri": uri}
    visible = {"start": {"line": max(0, first - 30), "character": 0}, "end": {"line": first + 30, "character": 0}}
    here = {"start": {"line": first + 2, "character": 16}, "end": {"line": first + 2, "character": 16}}
    return {
        "inlayHint": ("textDocument/inlayHint", {"textDocument": doc, "range": visible}),
        "hover_local": ("textDocument/hover", {"textDocument": doc, "position": {"line": first + 4, "character": 12}}),
        "codeAction": (
            "textDocument/codeAction",
            {"textDocument": doc, "range": here, "context": {"diagnostics": []}},
        ),
    }


def requests_after_edit(n: int, workdir: Path, edits: int, only: frozenset[str] | None = None) -> dict[str, Any]:
    """p50/p95 (ms) of each request type sent right after an edit of the N-function chain program (``only``:
    just the rows so named)."""
    src = workdir / f"req{n}.zir"
    prog = ChainProgram(n)
    text = prog.source().decode()
    src.write_text(text)
    uri = src.resolve().as_uri()
    client = LspClient(server_command(), REPO)
    first = prog.constant_line() - 2
    result: dict[str, Any] = {"n": n, "bytes": len(text)}
    version = 1
    try:
        t0 = client.open_session(workdir, uri, text)
        got = client.wait(is_diagnostics_for(uri, 1), timeout=1800)
        result["open_to_diagnostics_ms"] = round((got.at - t0) * 1000, 3)
        # the first publish may precede the analysis (a large file's parse is announced first): wait for it,
        # so the rows below measure requests right after an edit, not behind the first analysis
        client.request("workspace/executeCommand", {"command": "zir.memoryUsage", "arguments": []}, timeout=1800)
        result["open_to_analysed_ms"] = round((time.perf_counter() - t0) * 1000, 3)
        client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, timeout=600)  # warm outline
        for name, (method, params) in _requests(uri, first).items():
            if only is not None and name not in only:
                continue
            samples: list[float] = []
            for _ in range(edits):
                if method.endswith("/delta"):  # against the tokens the client holds: fetched first, not timed
                    held = client.request("textDocument/semanticTokens/full", {"textDocument": {"uri": uri}}, 600)
                    params = {**params, "previousResultId": (held or {}).get("resultId") or ""}
                old_start, old_end = prog.constant_span()
                line_start = text.rfind("\n", 0, old_start) + 1
                prog.bump += 1
                text = prog.source().decode()
                new_start, new_end = prog.constant_span()
                version += 1
                change = {
                    "range": {
                        "start": {"line": prog.constant_line(), "character": old_start - line_start},
                        "end": {"line": prog.constant_line(), "character": old_end - line_start},
                    },
                    "text": text[new_start:new_end],
                }
                client.notify(
                    "textDocument/didChange",
                    {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
                )
                t0 = time.perf_counter()
                client.request(method, params, timeout=600)
                samples.append((time.perf_counter() - t0) * 1000)
            s = stats(samples, skip_first=False).as_json()
            result[name] = {"p50": s.get("p50"), "p95": s.get("p95")}
    finally:
        client.close()
    return result


def first_build_on_save(n: int, workdir: Path) -> dict[str, Any]:
    """Server first build on save at N functions (issue 13): open, wait for the editor tier's diagnostics, then
    didSave → ``zir/buildFinished``; then one body edit saved → its build. The output does not exist before."""
    src = workdir / f"save{n}.zir"
    out = workdir / f"save{n}.out"
    prog = ChainProgram(n)
    text = prog.source().decode()
    src.write_text(text)
    uri = src.resolve().as_uri()
    settings: dict[str, Any] = {
        "diagnostics": {"debounceMs": 0, "onType": True},
        "build": {"onSave": True, "outputPath": str(out)},
    }
    client = LspClient(server_command(), REPO, settings)

    def finished(m: dict[str, Any]) -> bool:
        return m.get("method") == "zir/buildFinished" and m.get("params", {}).get("uri") == uri

    result: dict[str, Any] = {"n": n}
    try:
        t0 = client.open_session(workdir, uri, text)
        got = client.wait(is_diagnostics_for(uri, 1), timeout=1800)
        result["open_to_first_diagnostics_ms"] = round((got.at - t0) * 1000, 3)
        # zir.memoryUsage queries the editor thread: it answers once the editor tier's analysis is done
        client.request("workspace/executeCommand", {"command": "zir.memoryUsage", "arguments": []}, timeout=1800)
        result["open_to_analysed_ms"] = round((time.perf_counter() - t0) * 1000, 3)
        t0 = client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        got = client.wait(finished, timeout=1800)
        result["first_build_on_save_ms"] = round((got.at - t0) * 1000, 3)
        result["first_build_ok"] = bool(got.message["params"].get("ok"))
        prog.bump += 1
        text = prog.source().decode()
        src.write_text(text)
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]},
        )
        t0 = client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        got = client.wait(finished, timeout=600)
        result["second_build_on_save_ms"] = round((got.at - t0) * 1000, 3)
        result["second_build_ok"] = bool(got.message["params"].get("ok"))
    finally:
        client.close()
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--edits", type=int, default=20)
    p.add_argument("--only", choices=("requests", "saves"), help="one part only (default: both)")
    p.add_argument("--rows", help="comma-separated request rows to measure (default: all), e.g. formatting")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.sizes.split(",")):
            if args.only != "saves":
                rows = frozenset(args.rows.split(",")) if args.rows else None
                print(json.dumps(requests_after_edit(n, Path(tmp), args.edits, rows)), flush=True)
            if args.only != "requests":
                print(json.dumps(first_build_on_save(n, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
