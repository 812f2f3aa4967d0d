#!/usr/bin/env bash
# Installs everything ZIR Live needs on a fresh Debian machine (Python 3.11+, Node 20, root):
# system packages (binutils for readelf/as/ld, neovim, strace), a virtualenv in .venv with the
# project and its test extra, and the VS Code extension's npm packages. Idempotent and quiet.
# `--accelerated` also builds the optional mypyc-compiled variant (scripts/build_accelerated.sh; select it
# with ZIR_ACCEL=1), installing a C compiler first if there is none; without it nothing of mypyc is built.
# `--accelerated-tools` installs only what that build needs (a C compiler, Python's headers): the test script
# uses it, then builds in the background.
set -euo pipefail
cd "$(dirname "$0")/.."
accelerated=0
accel_tools=0
for arg in "$@"; do
  case "$arg" in
    --accelerated) accelerated=1 accel_tools=1 ;;
    --accelerated-tools) accel_tools=1 ;;
    *) echo "setup: unknown option $arg (known: --accelerated, --accelerated-tools)" >&2; exit 2 ;;
  esac
done

need_apt=()
command -v readelf >/dev/null 2>&1 || need_apt+=(binutils)
command -v as >/dev/null 2>&1 || need_apt+=(binutils)
command -v nvim >/dev/null 2>&1 || need_apt+=(neovim)
command -v strace >/dev/null 2>&1 || need_apt+=(strace)
# the accelerated build only: a C compiler and Python's headers (they come with the interpreter, or python3-dev)
if [ "$accel_tools" = 1 ]; then
  command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
  include=$("${PYTHON:-python3}" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  [ -f "$include/Python.h" ] || need_apt+=(python3-dev)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: warning: missing ${need_apt[*]} and not root; some tests will fail" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.zir-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
# Bytecode for every module, as `pip install` of a wheel does: without it each `zir` start compiles ~85
# modules from source (about 120 ms), and a cold `zir build` is measured as a user meets it (bench/cold.py).
.venv/bin/python -m compileall -q compiler server >/dev/null

if [ -f vscode-client/package.json ] && [ "${ZIR_SKIP_NPM:-0}" != 1 ]; then
  if [ ! -d vscode-client/node_modules ] || [ vscode-client/package-lock.json -nt vscode-client/node_modules ]; then
    (cd vscode-client && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch vscode-client/node_modules
  fi
fi

if [ "$accelerated" = 1 ]; then
  bash scripts/build_accelerated.sh
fi
