"""ZIR Live's compiler: ZIR text → incremental Module → x86-64 code → an ELF file updated in place."""
