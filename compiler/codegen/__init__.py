"""Code generation: one decl's analysed value → a ``GeneratedSymbol`` for the linker (x86_64.md).

Public API (the Module calls these; the linker satisfies ``AddressView``)::

    class AddressView(Protocol):
        def got_address(self, decl: DeclIndex) -> int: ...        # 0x4000000 + 8 * got_index
        def decl_address(self, decl: DeclIndex) -> int | None: ...

    compiler.liveness.analyze(body)                                # first: fills deaths (x86_64.md §2)
    generate_function(decl, fn_type, body, addresses, *, line_of, fn_src=0, safety=True) -> GeneratedSymbol
    generate_data(decl, tv, addresses, *, src=0) -> GeneratedSymbol

- ``generate_function`` needs ``body`` analysed by ``liveness.analyze`` (call it every time, also after
  replaying a body). ``line_of(byte_offset)`` gives the 0-based source line; ``fn_src`` is the byte offset of
  the function's ``fn(`` instruction: errors about the function itself (Naked with parameters, a seventh
  parameter, frame too large) are positioned there and ``DebugInfo.line`` is its line. ``safety`` is true
  in Debug/ReleaseSafe (undefined values are filled with ``0xaa``).
- Both raise ``CodegenFailure(ErrorMsg(byte_offset, msg))`` with the exact texts of x86_64.md §13.
- The result depends only on the arguments (and the addresses the view returns), so incremental and fresh
  builds give identical bytes. Calls reach their callee through its GOT slot, so a caller never needs
  regenerating when a callee moves; data pointers carry ``Relocation`` records for the linker.
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.air import AirInst
from compiler.codegen.x86_64.abi import AddressView
from compiler.codegen.x86_64.data import generate_data as _generate_data
from compiler.codegen.x86_64.function import FunctionGen
from compiler.codegen.x86_64.safety import PANIC_NAME, generate_panic_routine
from compiler.link import GeneratedSymbol, SymbolType
from compiler.sema.types import Type
from compiler.sema.values import DeclHandle, TypedValue


def generate_function(
    decl: DeclHandle,
    fn_type: Type,
    body: list[AirInst],
    addresses: AddressView,
    *,
    line_of: Callable[[int], int],
    fn_src: int = 0,
    safety: bool = True,
    panic: Callable[[], int] | None = None,
) -> GeneratedSymbol:
    """Machine code of a function decl (x86_64.md §5–§11) with its debug info; alignment 1, ``STT_FUNC``.

    ``panic()`` returns the GOT address of the synthetic ``__zirlive_panic`` decl; code generation calls it
    once per safety check it emits, so the caller knows the function references the routine
    (docs/design/language-complete.md §10)."""
    del decl  # the code does not depend on the decl's identity
    gen = FunctionGen(fn_type, body, addresses, line_of, fn_src=fn_src, safety=safety, panic=panic)
    code, info = gen.generate()
    # (code, alignment, symbol_type, relocations, debug_info), built as the tuple it is: a NamedTuple's own
    # __new__ is interpreted Python even under mypyc, and this runs once per function
    return tuple.__new__(GeneratedSymbol, (code, 1, SymbolType.FUNC, (), info))


def generate_data(decl: DeclHandle, tv: TypedValue, addresses: AddressView, *, src: int = 0) -> GeneratedSymbol:
    """The bytes of a data decl (x86_64.md §12), with absolute relocations for decl pointers."""
    return _generate_data(decl.index, tv, addresses, src=src)


__all__ = ["PANIC_NAME", "AddressView", "generate_data", "generate_function", "generate_panic_routine"]
