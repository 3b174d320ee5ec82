"""One training epoch of the ReLU MLP over 60,000 Fashion-MNIST-shaped samples (random float32
images (60000, 1, 28, 28), int64 labels) at batch 128, in seconds, including the shuffle and the
batching: ember's ``DataLoader`` over a ``TensorDataset`` (shuffle with a generator), PyTorch's
``DataLoader`` likewise, and the NumPy reference slicing a fresh permutation. ``--quick`` uses
6,000 samples. Each library first runs a short warm-up epoch of 1,280 samples."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..harness import Measurement, interleave
from . import common

BATCH = 128
SAMPLES = 60_000
QUICK_SAMPLES = 6_000
WARMUP_SAMPLES = 1_280


def _ember_batches(x: np.ndarray, y: np.ndarray) -> Iterable[Any]:
    import ember
    from ember.data import DataLoader, TensorDataset

    gen = ember.Generator().manual_seed(0)
    dataset = TensorDataset(ember.tensor(x), ember.tensor(y))
    return DataLoader(dataset, batch_size=BATCH, shuffle=True, generator=gen)


def _torch_batches(x: np.ndarray, y: np.ndarray) -> Iterable[Any]:
    torch = common.torch_or_none()
    from torch.utils.data import DataLoader, TensorDataset

    gen = torch.Generator().manual_seed(0)
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    return DataLoader(dataset, batch_size=BATCH, shuffle=True, generator=gen)


class _NumpyBatches:
    """A fresh permutation per epoch, sliced into batches and gathered by fancy indexing."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y
        self.rng = np.random.default_rng(0)

    def __iter__(self) -> Any:
        order = self.rng.permutation(len(self.x))
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            yield self.x[idx], self.y[idx]


LOADERS: dict[str, Callable[[np.ndarray, np.ndarray], Iterable[Any]]] = {
    "ember": _ember_batches,
    "torch": _torch_batches,
    "numpy": _NumpyBatches,
}


def _epoch(step: common.Step, loader: Iterable[Any], name: str) -> Callable[[], dict]:
    def once() -> dict[str, float]:
        start = time.perf_counter()
        for xb, yb in loader:
            step(xb, yb)
        return {name: time.perf_counter() - start}

    return once


def run(quick: bool) -> list[Measurement]:
    n = QUICK_SAMPLES if quick else SAMPLES
    rng = np.random.default_rng(0)
    x = rng.random((n, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, n)
    layers = common.mlp_weights()
    name = f"epoch {n} samples b{BATCH}"
    impls = {}
    for lib in common.libraries():
        step = common.mlp_step(lib, "relu", layers)
        make = LOADERS[lib]
        _epoch(step, make(x[:WARMUP_SAMPLES], y[:WARMUP_SAMPLES]), name)()
        impls[lib] = _epoch(step, make(x, y), name)
    return interleave("s/epoch", impls, repeats=1 if quick else 3, warmup=0)
