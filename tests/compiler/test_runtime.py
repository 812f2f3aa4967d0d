"""The deep-stack runner: one reused worker, exceptions re-raised, nested calls on a fresh stack, nothing kept."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from compiler import runtime


class _Work:
    def __init__(self) -> None:
        self.threads: list[str] = []

    def run(self) -> None:
        self.threads.append(threading.current_thread().name)


def test_deep_calls_reuse_one_worker_and_keep_nothing_alive() -> None:
    runtime.run_with_deep_stack(lambda: None, deep=True)  # the worker exists
    started = runtime.threads_started
    work = _Work()
    for _ in range(5):
        runtime.run_with_deep_stack(work.run, deep=True)
    assert runtime.threads_started == started
    assert work.threads == ["zir-analysis"] * 5
    alive = weakref.ref(work)
    del work
    gc.collect()
    assert alive() is None  # the parked worker holds no reference to its last call


def test_an_exception_reaches_the_caller_and_the_worker_stays_usable() -> None:
    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        runtime.run_with_deep_stack(fail, deep=True)
    work = _Work()
    runtime.run_with_deep_stack(work.run, deep=True)
    assert work.threads == ["zir-analysis"]


def test_a_nested_deep_call_gets_a_thread_of_its_own() -> None:
    work = _Work()
    started = runtime.threads_started
    runtime.run_with_deep_stack(lambda: runtime.run_with_deep_stack(work.run, deep=True), deep=True)
    assert work.threads == ["zir-analysis-nested"]  # a fresh whole stack, as a compile-time call needs
    assert runtime.threads_started == started + 1
