"""Hot code swap: applying committed updates to the running program (docs/design/elf-linker.md §17).

``ptrace`` (system calls), ``process`` (the child), ``frames`` (live return addresses), ``reasons`` (why a swap
is impossible), ``swap`` (one application), ``session`` (a Compilation and its program), ``cli``
(``zir run --hot``).
"""
