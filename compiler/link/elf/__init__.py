"""The ELF implementation of the linker: format, file space, text blocks, GOT, symbols, DWARF, reopen."""
