"""The one version number of ZIR Live: ``zir --version``, ``serverInfo``, ``DW_AT_producer``, package metadata."""

from __future__ import annotations

__version__ = "0.2.0"
"""Re-exported as ``compiler.__version__`` (``pyproject.toml`` reads it from there)."""
