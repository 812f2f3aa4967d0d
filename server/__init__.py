"""ZIR Live's language server (pygls 2.x) wrapping the incremental compiler."""
