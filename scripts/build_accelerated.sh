#!/usr/bin/env bash
# Builds ZIR Live's optional accelerated variant: the hot modules of `compiler/` compiled to C extensions by
# mypyc (docs/design/performance.md §8). Out of tree, on purpose: a compiled `*.so` next to its `.py` would
# win at import and silently run old code after the next edit, so the build works on a copy in
# build/accel/ (or $ZIR_ACCEL_DIR) and the source tree never holds an extension (tests/test_accel.py).
# `ZIR_ACCEL=1` selects the variant (compiler/accel.py); a copy that no longer matches the sources is
# refused with a warning and the pure-Python package runs. Needs a C compiler and Python's headers.
#   bash scripts/build_accelerated.sh [--force]  # build, unless up to date (about 3 min of gcc, one core)
#   ZIR_ACCEL=1 zir --version                    # -> "zir 0.2.0 (mypyc)"
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
py=${PYTHON:-$root/.venv/bin/python}
dest=${ZIR_ACCEL_DIR:-$root/build/accel}

if [ "${1:-}" != --force ] && PYTHONPATH=$root "$py" -c '
import sys
from pathlib import Path
from compiler.accel import check
sys.exit(check(Path(sys.argv[1]), Path("compiler")) is not None)' "$dest"; then
  echo "build_accelerated: $dest is up to date with the sources (--force rebuilds)"
  exit 0
fi

cc_bin=${CC:-cc}
if ! command -v "$cc_bin" >/dev/null 2>&1; then
  echo "build_accelerated: no C compiler ($cc_bin); install gcc (Debian: apt-get install gcc python3-dev)." >&2
  echo "build_accelerated: the pure-Python package stays in use." >&2
  exit 1
fi
include=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
if [ ! -f "$include/Python.h" ]; then
  echo "build_accelerated: Python's headers are missing ($include/Python.h); install python3-dev." >&2
  echo "build_accelerated: the pure-Python package stays in use." >&2
  exit 1
fi

# The modules compiled: every stage of a build (parse, analysis, AIR, liveness, code generation, the
# linker, the incremental Module, the compile cache a build writes after its commit, progress counting). The CLI, the hot-swap driver (ctypes), the inspectors and the server stay
# interpreted: they are not on the build's hot path.
# Left interpreted: link/fileio.py (I/O only; its OSError subclass is not a native class mypyc can build).
skip='^compiler/link/fileio\.py$'
modules=()
while IFS= read -r f; do modules+=("$f"); done < <(
  { find compiler/zir compiler/sema compiler/module compiler/codegen compiler/link compiler/cache -name '*.py'
    printf '%s\n' compiler/air.py compiler/liveness.py compiler/compilation.py compiler/source.py compiler/errors.py \
      compiler/progress.py
  } | grep -Ev "$skip" | sort
)

stage=$(mktemp -d "${TMPDIR:-/tmp}/zir-accel.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp -R compiler "$stage/compiler"
find "$stage/compiler" -name __pycache__ -prune -exec rm -rf {} +
start=$(date +%s)
(cd "$stage" && MYPYC_OPT_LEVEL=${MYPYC_OPT_LEVEL:-3} MYPYC_DEBUG_LEVEL=${MYPYC_DEBUG_LEVEL:-0} "$py" -m mypyc --strict --python-version 3.11 \
  --ignore-missing-imports "${modules[@]}" >"$stage/mypyc.log" 2>&1) || {
  grep -E 'error|Error' "$stage/mypyc.log" | head -60 >&2
  echo "build_accelerated: mypyc failed; the pure-Python package stays in use." >&2
  exit 1
}
[ "${ZIR_ACCEL_KEEP_C:-0}" = 1 ] || rm -rf "$stage/build"
rm -rf "$stage"/*.egg-info
# The modules left interpreted get their bytecode now, as an install compiles its package: otherwise a process
# run with PYTHONDONTWRITEBYTECODE (or without write access here) compiles them from source at every start.
"$py" -m compileall -q "$stage/compiler" >/dev/null
# The manifest: the sha256 of every source file the copy was built from (compiler/accel.py compares).
PYTHONPATH=$root "$py" - "$stage" <<'EOF'
import sys
from pathlib import Path
from compiler.accel import source_digest
stage = Path(sys.argv[1])
(stage / "MANIFEST").write_text(source_digest(stage / "compiler") + "\n")
EOF
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$stage" "$dest"
trap - EXIT
echo "build_accelerated: built $dest in $(($(date +%s) - start)) s ($(find "$dest" -name '*.so' | wc -l) extension files)"
