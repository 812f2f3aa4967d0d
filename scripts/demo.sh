#!/usr/bin/env bash
# Sets everything up, then shows the main job on the built-in example examples/hello.zir:
# check its formatting, build it into an ELF executable and run it, then keep one compilation
# alive (`zir watch`) while the message is edited twice, so the executable is updated in place
# and each update reports how few bytes it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== zir fmt --check examples/hello.zir"
zir fmt --check examples/hello.zir && echo "formatted"
echo "== zir run examples/hello.zir"
zir run examples/hello.zir -o "$work/hello-once"

echo "== zir watch: one long-lived compilation, three updates of $work/hello"
cp examples/hello.zir "$work/hello.zir"
python scripts/demo_watch.py "$work/hello.zir"
