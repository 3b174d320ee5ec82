"""``ember.compile`` against eager execution, PyTorch eager and the NumPy reference:

- the per-op chain of ``perop`` (1,000 small elementwise ops), compiled, forward + backward, in
  microseconds per op, beside PyTorch's eager chain;
- the MLP training step of ``mlp`` (ReLU) with the model compiled, at batch 32, 128 and 512,
  beside the hand-written NumPy step ("numpy") and the same step eager ("ember-eager");
- peak traced NumPy memory of one batch-512 step, compiled against eager (tracemalloc);
- recording: the first call of a compiled MLP step (batch 128) against one eager step.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from ..harness import Measurement, interleave
from . import common
from .perop import _chain

CHAIN = "per-op forward+backward, compiled"


def _chain_timer(lib: Any, n: int, compiled: bool) -> Callable[[], dict[str, float]]:
    data = np.random.default_rng(0).random(16, dtype=np.float32)

    def step(x: Any) -> Any:
        return _chain(x, n, lambda t: t.tanh()).sum()

    fn = ember.compile(step) if compiled else step

    def once() -> dict[str, float]:
        x = lib.tensor(data, requires_grad=True)
        start = time.perf_counter()
        fn(x).backward()
        return {CHAIN: (time.perf_counter() - start) * 1e6 / n}

    return once


def _mlp_step(compiled: bool, layers: list, batch: int) -> tuple[Callable, Any, Any]:
    model = common.ember_model("relu", [(w.copy(), b.copy()) for w, b in layers])
    optimizer = ember.optim.SGD(model.parameters(), lr=common.LR, momentum=common.MOMENTUM)
    loss_fn = ember.nn.CrossEntropyLoss()
    forward = ember.compile(model) if compiled else model

    def step(x: Any, y: Any) -> None:
        optimizer.zero_grad()
        loss_fn(forward(x), y).backward()
        optimizer.step()

    x, y = common.batch(batch)
    return step, ember.tensor(x), ember.tensor(y)


def _timer(step: Callable, x: Any, y: Any, case: str, steps: int) -> Callable[[], dict]:
    step(x, y)  # records

    def once() -> dict[str, float]:
        start = time.perf_counter()
        for _ in range(steps):
            step(x, y)
        return {case: (time.perf_counter() - start) * 1e3 / steps}

    return once


def _peak(step: Callable, x: Any, y: Any) -> float:
    """tracemalloc's peak over the second and third steps: the first replay of a compiled step
    allocates the buffers its pool keeps, so they count."""
    step(x, y)
    tracemalloc.start()
    step(x, y)
    step(x, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run(quick: bool) -> list[Measurement]:
    n = 300 if quick else 1000
    repeats = 1 if quick else 9
    impls = {"ember": _chain_timer(ember, n, True)}
    torch = common.torch_or_none()
    if torch is not None:
        impls["torch"] = _chain_timer(torch, n, False)
    results = interleave("us/op", impls, repeats=repeats)
    layers = common.mlp_weights()
    for batch in (32, 128, 512):
        case = f"mlp relu b{batch} step, compiled"
        steps = 1 if quick else max(1, 1024 // batch)
        numpy_step = common.mlp_step("numpy", "relu", layers)
        x, y = common.batch(batch)
        impls = {
            "ember": _timer(*_mlp_step(True, layers, batch), case, steps),
            "ember-eager": _timer(*_mlp_step(False, layers, batch), case, steps),
            "numpy": _timer(numpy_step, x, y, case, steps),
        }
        results += interleave("ms/step", impls, repeats=repeats)
    memory = [
        Measurement("peak memory, mlp b512 step, compiled", impl, "MiB")
        for impl in ("ember", "ember-eager")
    ]
    recording = [
        Measurement("recording, mlp relu b128 (first call)", impl, "ms")
        for impl in ("ember", "ember-eager")
    ]
    for _ in range(1 if quick else 3):
        for m, compiled in zip(memory, (True, False)):
            m.samples.append(_peak(*_mlp_step(compiled, layers, 512)))
        for m, compiled in zip(recording, (True, False)):
            step, x, y = _mlp_step(compiled, layers, 128)
            if not compiled:
                step(x, y)  # eager: time a warm step
            start = time.perf_counter()
            step(x, y)
            m.samples.append((time.perf_counter() - start) * 1e3)
    return results + memory + recording
