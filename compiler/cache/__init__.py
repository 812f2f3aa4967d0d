"""The persistent compile cache: a restart continues from the last committed state (docs/design/performance.md §7)."""
