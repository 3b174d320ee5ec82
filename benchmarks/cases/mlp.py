"""MLP 784-1024-1024-10 training step (cross-entropy from logits, SGD lr 0.01, momentum 0.9)
at batch 32, 128 and 512 with ReLU and sigmoid: ms per step for ember, PyTorch and the NumPy
reference, the same steps as GFLOP/s (matmul flops of forward and backward, 3 matmuls of
2 * batch * in * out flops per Linear), and that rate as a fraction of this machine's NumPy
float32 matmul rate measured in the same run (one 2048^3 ``np.matmul``).

The NumPy reference is checked once against ember (one step from the same weights) before
anything is timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise

import numpy as np

from ..harness import Measurement, interleave, timed
from . import common

BATCHES = (32, 128, 512)
ACTIVATIONS = ("relu", "sigmoid")
PEAK_SIZE = 2048


def step_flops(batch: int) -> float:
    """Nominal flops of one training step: forward, input gradient and weight gradient matmuls
    of every Linear. (Nothing computes the first layer's input gradient, which is 784 * 1024 of
    the 1,863,680 weights' share: the executed work is about 14% less.)"""
    weights = sum(n_in * n_out for n_in, n_out in pairwise(common.SIZES))
    return 3 * 2 * batch * weights


class MatmulPeak:
    """GFLOP/s of a square float32 ``np.matmul`` of size PEAK_SIZE (threads as pinned by run),
    sampled between the MLP measurements so that its median sees the same machine load."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.a = rng.random((PEAK_SIZE, PEAK_SIZE), dtype=np.float32)
        self.b = rng.random((PEAK_SIZE, PEAK_SIZE), dtype=np.float32)
        self.out = np.empty_like(self.a)
        self.measurement = Measurement(
            f"numpy float32 matmul {PEAK_SIZE}^3 (peak)", "numpy", "GFLOP/s"
        )
        np.matmul(self.a, self.b, out=self.out)  # warm-up

    def sample(self, n: int) -> None:
        for _ in range(n):
            seconds = timed(lambda: np.matmul(self.a, self.b, out=self.out))
            self.measurement.samples.append(2 * PEAK_SIZE**3 / seconds / 1e9)


def _timer(step: common.Step, x: object, y: object, steps: int) -> Callable[[], dict[str, float]]:
    def once() -> dict[str, float]:
        start = time.perf_counter()
        for _ in range(steps):
            step(x, y)
        return {"ms": (time.perf_counter() - start) * 1e3 / steps}

    return once


def derived(m: Measurement, case: str, unit: str, scale: float, invert: bool) -> Measurement:
    """A measurement computed sample by sample from ``m``: ``scale / x`` or ``scale * x``."""
    samples = [scale / s if invert else scale * s for s in m.samples]
    return Measurement(case, m.impl, unit, samples)


def run(quick: bool) -> list[Measurement]:
    for activation in ACTIVATIONS:
        common.check_numpy_reference(activation)
    peak = MatmulPeak()
    results = [peak.measurement]
    configs = []
    layers = common.mlp_weights()
    for batch in BATCHES:
        x, y = common.batch(batch)
        # about 0.1 s of work per call on a 1-thread core at full size, 1 step when quick
        steps = 1 if quick else max(1, 1024 // batch)
        for activation in ACTIVATIONS:
            peak.sample(1 if quick else 2)
            impls = {}
            for lib in common.libraries():
                step = common.mlp_step(lib, activation, layers)
                impls[lib] = _timer(step, *common.inputs(lib, x, y), steps)
            name = f"mlp {activation} b{batch}"
            times = interleave("ms/step", impls, repeats=1 if quick else 9)
            for m in times:
                m.case = f"{name} step"
            configs.append((name, batch, times))
    peak_median = peak.measurement.median
    for name, batch, times in configs:
        gflops = [
            derived(m, f"{name} GFLOP/s", "GFLOP/s", step_flops(batch) / 1e6, True) for m in times
        ]
        fractions = [
            derived(g, f"{name} of peak", "fraction of peak", 1 / peak_median, False)
            for g in gflops
        ]
        results += times + gflops + fractions
    return results
