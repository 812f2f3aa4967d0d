"""Test-session settings shared by every test process."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# `zir build` and `zir watch` keep a persistent compile cache (docs/design/performance.md §7); tests must not
# write into the user's cache directory, and test processes started from here inherit this one.
_CREATED: str | None = None
if "ZIR_CACHE_DIR" not in os.environ:
    _CREATED = os.environ["ZIR_CACHE_DIR"] = tempfile.mkdtemp(prefix="zir-test-cache-")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the cache directory this process made (workers inherit it and leave it alone)."""
    if _CREATED is not None:
        shutil.rmtree(_CREATED, ignore_errors=True)
