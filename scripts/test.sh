#!/usr/bin/env bash
# Sets everything up, then runs every check CI runs: ruff, mypy --strict, the pytest suite
# (with a bounded fuzz run), and the VS Code extension's type check, lint and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff" && ruff check compiler server tests
echo "== mypy --strict" && mypy
if [ -f vscode-client/package.json ]; then
  echo "== vscode-client" && (cd vscode-client && npm run --silent check)
fi
echo "== pytest" && python -m pytest -q "$@"
