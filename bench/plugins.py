"""Runs one bench module's ``measure(...)`` in a fresh interpreter, guarded: a missing module is a reason, not a crash.

Measurements owned by other parts of the project live in their own ``bench/<name>.py`` with a ``measure(...) -> dict`` function
(the convention every bench module follows). ``bench.run`` calls them through :func:`call_isolated`, which starts
``python -m bench.plugins MODULE FUNCTION KWARGS_JSON`` so every scenario gets a clean heap and its own peak RSS.
The child passes only the keyword arguments the function declares (``n``, ``sizes``, ``workdir``, ``edits``,
``repeats``, ``quick``, …), so modules need not agree on one signature; a required parameter the run cannot
supply is reported as the reason the scenario was not measured.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.watch import REPO


def availability(module: str, function: str = "measure") -> str | None:
    """None when ``bench.<module>`` exists in this checkout and defines ``function``, else why not (one line)."""
    name = f"bench.{module}"
    if importlib.util.find_spec(name) is None:
        return f"not measured: bench/{module}.py is not in this checkout"
    proc = subprocess.run(
        [sys.executable, "-c", f"import {name} as m; raise SystemExit(0 if callable(getattr(m, {function!r}, None)) else 3)"],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if proc.returncode == 3:
        return f"not measured: bench/{module}.py has no {function}()"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return f"not measured: importing bench/{module}.py failed: {last[:200]}"
    return None


def bind(fn: Any, offered: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``offered`` that ``fn`` accepts, paths converted where annotated as such.

    Raises TypeError naming a required parameter that is not offered.
    """
    sig = inspect.signature(fn)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    kwargs: dict[str, Any] = {}
    for name, param in sig.parameters.items():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if name in offered:
            value = offered[name]
            if isinstance(value, str) and "Path" in str(param.annotation):
                value = Path(value)
            kwargs[name] = value
        elif param.default is inspect.Parameter.empty:
            raise TypeError(f"{fn.__qualname__}() needs {name!r}, which the benchmark run does not supply")
    if takes_any:
        kwargs.update({k: v for k, v in offered.items() if k not in kwargs})
    return kwargs


def call_isolated(module: str, function: str, offered: dict[str, Any], timeout: float = 3600) -> Any:
    """``bench.<module>.<function>(**bind(offered))`` in a fresh interpreter; its JSON result."""
    cmd = [sys.executable, "-m", "bench.plugins", module, function, json.dumps(offered)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(("{", "[", "null"))]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"bench.{module}.{function} failed (rc={proc.returncode}): {proc.stderr.strip()[-600:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.plugins MODULE FUNCTION KWARGS_JSON``: one JSON line (the result) as the last stdout line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print("usage: python -m bench.plugins MODULE FUNCTION KWARGS_JSON", file=sys.stderr)
        return 2
    module, function, offered = args[0], args[1], json.loads(args[2])
    fn = getattr(importlib.import_module(f"bench.{module}"), function)
    if "workdir" in offered:
        Path(offered["workdir"]).mkdir(parents=True, exist_ok=True)
    result = fn(**bind(fn, offered))
    sys.stdout.flush()
    print("\n" + json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
