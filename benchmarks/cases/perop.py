"""Per-op overhead: a chain of 1,000 small elementwise ops (mul, add, tanh in turn) on a
16-element float32 tensor; forward, backward, forward + backward, and forward under no_grad,
in microseconds per op."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from ..harness import Measurement, interleave


def _chain(x: Any, n: int, tanh: Callable[[Any], Any]) -> Any:
    for i in range(n):
        k = i % 3
        if k == 0:
            x = x * 1.0001
        elif k == 1:
            x = x + 0.001
        else:
            x = tanh(x)
    return x


def _library(make: Callable[[], Any], no_grad: Callable[[], Any], n: int) -> Callable[[], dict]:
    """One round for an autograd library: a recorded chain with backward, then a no-grad chain."""

    def once() -> dict[str, float]:
        x = make()
        t0 = time.perf_counter()
        y = _chain(x, n, lambda t: t.tanh()).sum()
        t1 = time.perf_counter()
        y.backward()
        t2 = time.perf_counter()
        with no_grad():
            _chain(x, n, lambda t: t.tanh())
        t3 = time.perf_counter()
        per_op = 1e6 / n
        return {
            "per-op forward": (t1 - t0) * per_op,
            "per-op backward": (t2 - t1) * per_op,
            "per-op forward+backward": (t2 - t0) * per_op,
            "per-op forward, no_grad": (t3 - t2) * per_op,
        }

    return once


def run(quick: bool) -> list[Measurement]:
    n = 300 if quick else 1000
    data = np.random.default_rng(0).random(16, dtype=np.float32)
    impls = {"ember": _library(lambda: ember.tensor(data, requires_grad=True), ember.no_grad, n)}
    try:
        import torch

        impls["torch"] = _library(lambda: torch.tensor(data, requires_grad=True), torch.no_grad, n)
    except ImportError:
        pass

    def numpy_reference() -> dict[str, float]:
        """Bare NumPy, forward only: the floor under any NumPy-based engine."""
        t0 = time.perf_counter()
        _chain(data, n, np.tanh)
        return {"per-op forward, no_grad": (time.perf_counter() - t0) * 1e6 / n}

    impls["numpy"] = numpy_reference
    return interleave("us/op", impls, repeats=3 if quick else 15)
