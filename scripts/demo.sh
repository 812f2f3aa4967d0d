#!/usr/bin/env bash
# Sets everything up, then shows the main job on the built-in example: check and format
# examples/hello.zir, build it into an ELF executable and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
set -x
zir fmt --check examples/hello.zir
zir run examples/hello.zir
