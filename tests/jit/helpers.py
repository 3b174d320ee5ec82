"""Comparing a compiled callable with eager execution, bit for bit."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np

import ember


def same(a: Any, b: Any) -> bool:
    """Bit-identical arrays (NaN where the other has NaN; same dtype and shape)."""
    a, b = np.asarray(a), np.asarray(b)
    return (
        a.dtype == b.dtype
        and a.shape == b.shape
        and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    )


def tensors_of(out: Any) -> list:
    if isinstance(out, ember.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in tensors_of(o)]
    return []


def replays(compiled: Any) -> bool:
    """Whether ``compiled`` holds a recording (it did not fall back to eager)."""
    fn = getattr(compiled, "forward", compiled)
    return bool(fn._cache) and not fn._eager


def no_warnings() -> Any:
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error")
    return ctx


def replayed_in_two_threads(compiled: Any, inputs: list, rounds: int) -> dict:
    """``compiled(x)._data`` for every input, ``rounds`` times over, from two threads at once:
    keyed by (thread, input index), the last value of each."""
    got: dict = {}

    def work(k: int) -> None:
        for _ in range(rounds):
            for i, x in enumerate(inputs):
                got[(k, i)] = compiled(x)._data

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got
