"""The x86-64 backend: registers, encoder, frame, allocation, instruction selection, inline asm, data."""
