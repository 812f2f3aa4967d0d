"""The ELF implementation of the linker: format, file space, text blocks, GOT, symbols, DWARF, reopen, commit.

Import order (no cycles, checked by tests/test_import_graph.py): ``format``/``space``/``text_blocks``/``got``/
``symbols``/``pieces`` are leaves; ``layout`` (section table, names, per-decl state) builds on them; ``dwarf``
and ``reopen`` use ``layout``; ``commit`` uses only the file layer; ``linker`` uses them all.
"""
