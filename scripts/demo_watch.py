"""Demo driver: one `zir watch --manual --json` session over a copy of hello.zir, edited between updates."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

MESSAGES = [
    None,
    "Hello again, updated in place!\\n",
    "A much longer message: the data block outgrows its room and moves, and only its GOT slot changes.\\n",
]


def main() -> int:
    src = Path(sys.argv[1])
    proc = subprocess.Popen(
        ["zir", "watch", src.name, "--manual", "--json", "-o", src.stem],
        cwd=src.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    for message in MESSAGES:
        if message is not None:
            text = re.sub(r'@msg = str\("[^"]*"\)', f'@msg = str("{message}")'.replace("\\", "\\\\"), src.read_text())
            src.write_text(text)
        proc.stdin.write("update\nrun\n")
        proc.stdin.flush()
        update = json.loads(proc.stdout.readline())
        run = json.loads(proc.stdout.readline())
        print(
            f"update {update['update']}: ok={update['ok']}, wrote {update['bytes_written']} bytes "
            f"in {update['ms']:.1f} ms -> {update['binary']}; run: exit {run['exitCode']}, stdout {run.get('stdout')!r}"
        )
    proc.stdin.write("exit\n")
    proc.stdin.flush()
    return proc.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
