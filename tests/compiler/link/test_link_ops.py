"""The queued-operation image: dirty ranges of updates that are never committed stay bounded (compiler/link/ops.py)."""

from __future__ import annotations

from compiler.link.ops import DIRTY_MERGE_MIN, FileImage, WriteOp


def test_repeated_writes_between_commits_keep_a_bounded_dirty_list_and_the_same_operations() -> None:
    image = FileImage(bytearray(64 + 4 * 1000))
    spots = [64 + 8 * i for i in range(400)]  # 400 separate 4-byte fields, rewritten by every "keystroke"
    for round_ in range(60):
        for offset in spots:
            image.write(offset, round_.to_bytes(4, "little"), exact=True)
        assert len(image.dirty) <= DIRTY_MERGE_MIN + 1
    ops = image.take_ops()
    assert all(isinstance(op, WriteOp) for op in ops)
    written = bytearray(len(image.data))
    for op in ops:
        assert isinstance(op, WriteOp)
        written[op.offset : op.offset + len(op.data)] = op.data
    for offset in spots:  # every field's final value is written
        assert written[offset : offset + 4] == (59).to_bytes(4, "little")
