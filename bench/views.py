"""`zir/disassembly` for one decl through the language server (issue 16's bench row, docs/inspect.md).

After each save of a body-only edit of f{N/2} the harness waits for `zir/buildFinished`, then times the first
`zir/disassembly` of f{N/2} (which parses the new binary) and a second one (answered from the parsed binary).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.gen import ChainProgram
from bench.lspclient import LspClient, server_command
from bench.measure import stats
from bench.watch import REPO


def lsp_disassembly(n: int, workdir: Path, edits: int) -> dict[str, Any]:
    """p50/p95 of `zir/disassembly` for f{N/2}, right after a build and again (ms, request → response)."""
    src = workdir / f"views{n}.zir"
    out = workdir / f"views{n}"
    prog = ChainProgram(n)
    text = prog.source().decode()
    src.write_text(text)
    uri = src.resolve().as_uri()
    settings: dict[str, Any] = {
        "diagnostics": {"debounceMs": 0, "onType": False},
        "build": {"onSave": True, "outputPath": str(out)},
    }
    client = LspClient(server_command(), REPO, settings)
    decl = f"f{prog.edited_index}"

    def finished(m: dict[str, Any]) -> bool:
        return m.get("method") == "zir/buildFinished" and m.get("params", {}).get("uri") == uri

    def ask() -> tuple[float, dict[str, Any]]:
        t0 = time.perf_counter()
        answer = client.request("zir/disassembly", {"textDocument": {"uri": uri}, "decl": decl})
        return (time.perf_counter() - t0) * 1000, answer

    after_build: list[float] = []
    again: list[float] = []
    changed_ok = 0
    try:
        client.open_session(workdir, uri, text)
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        client.wait(finished, timeout=1800)
        ask()
        for k in range(1, edits + 1):
            prog.bump = k
            text = prog.source().decode()
            src.write_text(text)
            client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": k + 1}, "contentChanges": [{"text": text}]},
            )
            client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            client.wait(finished, timeout=600)
            ms, answer = ask()
            after_build.append(ms)
            (entry,) = answer["decls"]
            changed_ok += int(entry["name"] == decl and entry["changed"] is True)
            again.append(ask()[0])
    finally:
        client.close()
    return {
        "decl": decl,
        "after_build": stats(after_build).as_json(),
        "again": stats(again).as_json(),
        "marked_changed": f"{changed_ok}/{edits}",
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.views [--n 10000] [--edits 30]``: print the JSON of one run."""
    import argparse
    import json
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m bench.views", description="zir/disassembly latency")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zir-bench-views-") as work:
        print(json.dumps(lsp_disassembly(args.n, Path(work), args.edits), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
