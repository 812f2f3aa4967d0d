"""What a cold `zir` process imports: `--version` nothing of the compiler, `build` nothing of watch/run/hot.

Start-up time is measured in `bench/cold.py`; this test holds the machine-independent part of it, the set of
modules each command loads (every module costs its import at every start). It runs a fresh interpreter with
`-S` so that only this checkout's imports are seen (site's editable-install finder loads `pathlib` itself).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.gen import ChainProgram
from compiler.module.module import SHALLOW_DECL_COUNT

REPO = Path(__file__).resolve().parent.parent

_PROBE = """
import sys
from compiler.cli import main
status = main(sys.argv[1:])
modules = sorted(sys.modules)
dataclasses = sorted(
    f"{name}.{cls.__qualname__}"
    for name, module in list(sys.modules.items())
    if name == "compiler" or name.startswith("compiler.")
    for cls in vars(module).values()
    if isinstance(cls, type) and cls.__module__ == name and "__dataclass_fields__" in cls.__dict__
)
sys.stdout.flush()
print()
print(" ".join(dataclasses) or "-")
print(status, " ".join(modules))
"""


def _modules_after(args: list[str], cache_dir: Path) -> set[str]:
    return _probe(args, cache_dir)[0]


def _probe(args: list[str], cache_dir: Path) -> tuple[set[str], set[str]]:
    """The modules a fresh ``zir ARGS`` process has loaded when the command returns, and the dataclasses the
    compiler's modules among them defined."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", _PROBE, *args],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "ZIR_CACHE_DIR": str(cache_dir)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    *_, classes, last = proc.stdout.strip().splitlines()
    status, *modules = last.split()
    assert status == "0", proc.stderr
    return set(modules), set(classes.split()) - {"-"}


def test_version_imports_nothing_of_the_compiler(tmp_path: Path) -> None:
    modules = _modules_after(["--version"], tmp_path)
    ours = {m for m in modules if m == "compiler" or m.startswith("compiler.")}
    assert ours == {"compiler", "compiler.cli", "compiler.version"}
    assert not {"dataclasses", "typing", "inspect", "argparse", "re"} & modules


def test_build_imports_neither_watch_run_nor_hot_machinery(tmp_path: Path) -> None:
    # (``json`` is on the build's path: the compile cache's documents are JSON.)
    out = tmp_path / "hello"
    modules = _modules_after(["build", "examples/hello.zir", "-o", str(out)], tmp_path / "cache")
    assert out.stat().st_size > 0
    assert "compiler.link.elf.linker" in modules  # the probe did build
    unwanted = {
        "compiler.hot",
        "compiler.inspect",
        "compiler.link.elf.hot",
        "compiler.cli_fmt",
        "compiler.module.emit_zir",
        "server",
        "subprocess",
        "ctypes",
        "queue",
        "shutil",
        "secrets",
        "fractions",
        "unicodedata",
        "pathlib",
    }
    assert not unwanted & modules


# What a one-file build must not load (docs/design/performance.md §10; each costs its import at every start):
# ``logging`` (with ``traceback``, ``string``) loads only when a message is logged (compiler/logs.py);
# ``dataclasses`` (with ``inspect``, ``ast``, ``dis``, ``tokenize``) not at all: the pipeline's value classes are
# plain slotted classes or NamedTuples (compiler/record.py), and a dataclass also costs about 0.4 ms to create.
HEAVY_ON_THE_HELLO_PATH = {"logging", "traceback", "dataclasses", "inspect", "ast", "dis", "tokenize"}


def test_hello_build_loads_no_heavy_module_and_creates_no_dataclass(tmp_path: Path) -> None:
    out = tmp_path / "hello"
    modules, dataclasses = _probe(["build", "examples/hello.zir", "-o", str(out)], tmp_path / "cache")
    assert out.stat().st_size > 0
    assert "compiler.link.elf.linker" in modules  # the probe did build
    assert sorted(HEAVY_ON_THE_HELLO_PATH & modules) == []
    assert sorted(dataclasses) == []
    # The value classes of every stage (parse, AIR, values, types, codegen, link records, decls) are loaded.
    assert {
        "compiler.zir.parser",
        "compiler.zir.regions",
        "compiler.air",
        "compiler.sema.values",
        "compiler.sema.types",
        "compiler.codegen.x86_64.function",
        "compiler.link",
        "compiler.module.decl",
    } <= modules


_ONE_SHOT_PROBE = """
import gc, sys
from compiler.cli import main
gc.callbacks.append(lambda phase, info: phase == "start" and sys.stderr.write("cycle collection\\n"))
main()
print("not reached: a one-shot build exits inside main()")
"""


@pytest.mark.parametrize("program", ["hello", "chain"])
def test_one_shot_build_collects_no_cycles_and_exits_inside_main_with_its_output_flushed(
    tmp_path: Path, program: str
) -> None:
    # ``zir build`` as the process's entry point (``main()`` reads sys.argv): the cycle collector stays off from
    # before the pipeline is imported, and the process ends without the interpreter's teardown, after flushing
    # what the command printed (here the --json report). The chain has enough decls to be analysed on the
    # parked deep-stack worker (a daemon thread, still alive when the command returns).
    source = REPO / "examples" / "hello.zir"
    if program == "chain":
        source = tmp_path / "chain.zir"
        source.write_bytes(ChainProgram(SHALLOW_DECL_COUNT + 10).source())
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", _ONE_SHOT_PROBE, "build", str(source), "-o", str(out), "--json"],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "ZIR_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "cycle collection" not in proc.stderr
    assert "not reached" not in proc.stdout
    assert '"ok": true' in proc.stdout
    assert out.stat().st_size > 0
