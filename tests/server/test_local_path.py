"""Which document URIs name a file on this machine (the server builds only those, lsp.md §8.10)."""

from __future__ import annotations

import pytest

from server.server import local_path


@pytest.mark.parametrize(
    "uri,path",
    [
        ("file:///tmp/a.zir", "/tmp/a.zir"),
        ("file:///tmp/a%20b.zir", "/tmp/a b.zir"),
        ("file://localhost/tmp/a.zir", "/tmp/a.zir"),
        ("file:///C:/a.zir", "/C:/a.zir"),
        ("file://server/share/a.zir", None),
        ("file:a.zir", None),
        ("file://", None),
        ("file:///tmp/a%00b.zir", None),
        ("untitled:Untitled-1", None),
        ("vscode-notebook-cell:/a.zir#1", None),
    ],
)
def test_local_path(uri: str, path: str | None) -> None:
    assert local_path(uri) == path
