"""Developer scripts (run as `python scripts/NAME.py`; importable for their tests)."""
