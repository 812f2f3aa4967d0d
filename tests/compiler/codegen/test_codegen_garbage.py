"""Code generation's per-function helpers leave no reference cycles behind for the cyclic collector."""

import gc

from compiler.codegen.x86_64.calls import asm_callee_saved


def test_asm_callee_saved_leaves_no_cyclic_garbage() -> None:
    # Called once per generated function: a self-referencing closure here was one garbage cycle per function,
    # which a long-lived process (the server, `zir watch`) kept until its next full collection.
    gc.collect()
    gc.disable()
    try:
        for _ in range(100):
            assert asm_callee_saved([]) == []
        assert gc.collect() == 0
    finally:
        gc.enable()
