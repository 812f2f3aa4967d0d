"""The runtime-type rule's shortcut (compiler/sema/memory.py): a type whose tag is not in ``_MAY_BE_REJECTED`` is
one the full rule of docs/design/language-complete.md §12 passes, so skipping it changes no message."""

from __future__ import annotations

import contextlib

from compiler.sema import memory
from compiler.sema import types as t
from compiler.sema.types import Type, TypeTag

F64 = Type.named(TypeTag.F64)
U128 = Type.int_type(False, 128)


def _types_of_every_tag() -> list[Type]:
    """Every payload-free type, and each payload tag's types built around rejected children."""
    named = []
    for tag in TypeTag:
        with contextlib.suppress(KeyError):  # a tag with a payload: built below
            named.append(Type.named(tag))
    built = []
    for bad in (F64, U128, t.USIZE):
        built += [
            Type.array(bad, 2),
            Type.single_const_pointer(bad),
            Type.single_mut_pointer(bad),
            Type.optional(bad),
            Type.optional(Type.single_const_pointer(bad)),
            Type.optional(Type.single_mut_pointer(bad)),
            Type.pointer(bad, "Many", const=True),
            Type.pointer(bad, "Many", const=False),
            Type.pointer(bad, "Slice", const=True),
            Type.pointer(bad, "Slice", const=False),
            Type.function((bad,), bad),
        ]
    built += [Type.array_u8_sentinel_0(3), Type.int_type(True, 65), Type.int_type(False, 7)]
    return named + built


def test_every_tag_outside_the_shortcut_set_passes_the_full_rule() -> None:
    types = _types_of_every_tag()
    assert {ty.tag for ty in types} == set(TypeTag)
    for ty in types:
        if ty.tag not in memory._MAY_BE_REJECTED:
            assert memory._rejection(ty) is None, ty


def test_the_shortcut_keeps_every_message() -> None:
    for ty in _types_of_every_tag():
        assert memory.runtime_type_error(ty) == memory._rejection(ty), ty
    assert memory.runtime_type_error(U128) == "integer type 'u128' wider than 64 bits is not supported at runtime"
    assert memory.runtime_type_error(Type.optional(F64)) == "floating-point type '?f64' is not supported at runtime"
    assert memory.runtime_type_error(Type.single_const_pointer(F64)) is None
