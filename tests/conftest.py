"""Test-session settings shared by every test process."""

from __future__ import annotations

import os
import tempfile

# `zir build` and `zir watch` keep a persistent compile cache (docs/design/performance.md §7); tests must not
# write into the user's cache directory, and test processes started from here inherit this one.
if "ZIR_CACHE_DIR" not in os.environ:
    os.environ["ZIR_CACHE_DIR"] = tempfile.mkdtemp(prefix="zir-test-cache-")
