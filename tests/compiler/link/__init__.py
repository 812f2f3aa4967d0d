"""Tests of the linker: driven directly with hand-written machine code, outputs run and checked."""
