"""Pure readers of an ELF file ZIR Live wrote: its decls, GOT, text blocks and line table, as JSON-ready data.

``binary`` parses and checks the file (``InspectError`` for anything that is not a well-formed ZIR Live
output), ``lines`` decodes its ``.debug_line``, ``disasm`` disassembles decls with capstone, ``layout`` maps
every byte of the file, ``svg`` draws that map and ``cli`` implements ``zir objdump`` and ``zir layout``.
The JSON shapes are a public interface, documented in ``docs/inspect.md``. Nothing here writes the binary.
"""
