#!/bin/sh
# An edit session to watch: run `zir watch app.zir` in one terminal, in this directory, and this script in
# another. Each Enter copies the next step over app.zir; `zir watch` updates ./app in place and prints one
# line saying what changed. Type `run` at the `zir>` prompt to run the new program.
set -e
cd "$(dirname "$0")"
for step in step1.zir step2.zir step3.zir; do
    printf 'Enter: copy %s over app.zir ' "$step"
    read -r _
    cp "$step" app.zir
    head -n 2 "$step"
done
