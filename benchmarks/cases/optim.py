"""Optimizer step alone (gradients already in place), microseconds per step, for models of many
small parameters: the character MLP (C 27x10, W1 30x200, b1 200, W2 200x27, b2 27: 5 tensors,
12,097 numbers), a 20-layer MLP of width 64 (40 tensors, 83,200 numbers) and the MLP 784-1024-
1024-10 (6 tensors, 1.86 M numbers). SGD with momentum 0.9 and Adam, float32.

Two rows per model and optimizer, all five runs interleaved: "flat", ember's ``fused=True`` (on
flat buffers) beside PyTorch's ``fused=True`` (its fastest CPU update) and, as "torch foreach",
``foreach=True``; "per-parameter", ``foreach=False`` in both (the CPU default of both).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np

import ember

from ..harness import Measurement, interleave
from . import common

OPTIMIZERS = {"sgd": ("SGD", {"lr": 0.01, "momentum": 0.9}), "adam": ("Adam", {"lr": 1e-3})}


def models() -> dict[str, list[tuple[int, ...]]]:
    """Parameter shapes per model."""
    sizes = common.SIZES
    return {
        "char MLP": [(27, 10), (30, 200), (200,), (200, 27), (27,)],
        "20-layer MLP": [s for _ in range(20) for s in ((64, 64), (64,))],
        "MLP " + "-".join(map(str, sizes)): [s for a, b in pairwise(sizes) for s in ((b, a), (b,))],
    }


# implementation as run: (library, switch, row, implementation as reported)
RUNS = {
    "ember": ("ember", {"fused": True}, "flat", "ember"),
    "ember loop": ("ember", {"foreach": False}, "per-parameter", "ember"),
    "torch": ("torch", {"fused": True}, "flat", "torch"),
    "torch foreach": ("torch", {"foreach": True}, "flat", "torch foreach"),
    "torch loop": ("torch", {"foreach": False}, "per-parameter", "torch"),
}


def arrays(shapes: list[tuple[int, ...]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(value, gradient) per parameter, float32, fixed seed."""
    rng = np.random.default_rng(0)
    return [
        (rng.standard_normal(s).astype(np.float32), rng.standard_normal(s).astype(np.float32))
        for s in shapes
    ]


def optimizer_step(lib: Any, values: list, name: str, kwargs: dict[str, Any]) -> Callable[[], None]:
    """The ``step`` of ``lib.optim.<name>`` over parameters with these values and gradients."""
    params = []
    for value, grad in values:
        p = lib.tensor(value.copy(), requires_grad=True)
        p.grad = lib.tensor(grad)
        params.append(p)
    return getattr(lib.optim, name)(params, **kwargs).step


def _timer(step: Callable[[], None], steps: int) -> Callable[[], dict[str, float]]:
    def once() -> dict[str, float]:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return {"us": (time.perf_counter() - start) * 1e6 / steps}

    return once


def run(quick: bool) -> list[Measurement]:
    results = []
    libs = {"ember": ember, "torch": common.torch_or_none()}
    for model, shapes in models().items():
        values = arrays(shapes)
        numbers = sum(v.size for v, _ in values)
        steps = max(1, (2 if quick else 20) * 100_000 // (numbers + 5_000))
        for opt, (name, kwargs) in OPTIMIZERS.items():
            impls = {
                impl: _timer(optimizer_step(libs[lib], values, name, {**kwargs, **switch}), steps)
                for impl, (lib, switch, _, _) in RUNS.items()
                if libs[lib] is not None
            }
            for m in interleave("us/step", impls, repeats=1 if quick else 9):
                _, _, row, m.impl = RUNS[m.impl]
                m.case = f"optim {opt} step, {model} ({len(shapes)} tensors), {row}"
                results.append(m)
    return results
