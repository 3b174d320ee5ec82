"""An epoch of data loading with a CPU-heavy per-sample transform (about a millisecond of NumPy
work per 28x28 sample: repeated FFT filtering), at ``num_workers`` 0, 1 and 2: ember's
``DataLoader`` and PyTorch's over the same map-style dataset, batch 32, default collate, worker
start-up included (no persistent workers). Nothing is trained: the figure is the loader's. 1,000
samples (``--quick``: 100, one round). On a machine with fewer free cores than workers the extra
workers cannot help; the benchmark README says how loaded the machine was."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..harness import Measurement, interleave
from . import common

BATCH = 32
SAMPLES = 1_000
QUICK_SAMPLES = 100
WORKERS = (0, 1, 2)
ROUNDS = 3  # FFT filter passes per sample


def transform(image: np.ndarray) -> np.ndarray:
    """The per-sample work: ``ROUNDS`` passes of a low-pass FFT filter and a tanh."""
    rows = np.fft.fftfreq(image.shape[0])[:, None]
    cols = np.fft.rfftfreq(image.shape[1])[None, :]
    kernel = np.exp(-(rows**2 + cols**2) * 20.0)
    out = image.astype(np.float64)
    for _ in range(ROUNDS):
        out = np.tanh(np.fft.irfft2(np.fft.rfft2(out) * kernel, s=image.shape) * 1.5)
    return out.astype(np.float32)


class Images:
    """``n`` random 28x28 images with labels, transformed on every access. Subclassed by each
    library's Dataset class below (the loaders check the type)."""

    def __init__(self, n: int) -> None:
        rng = np.random.default_rng(0)
        self.images = rng.random((n, 28, 28), dtype=np.float32)
        self.labels = rng.integers(0, 10, n)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return transform(self.images[i]), int(self.labels[i])


def _ember_loader(n: int, workers: int) -> Any:
    from ember.data import DataLoader, Dataset

    dataset = type("EmberImages", (Images, Dataset), {})(n)
    return DataLoader(dataset, batch_size=BATCH, shuffle=False, num_workers=workers)


def _torch_loader(n: int, workers: int) -> Any:
    common.torch_or_none()
    from torch.utils.data import DataLoader, Dataset

    dataset = type("TorchImages", (Images, Dataset), {})(n)
    return DataLoader(dataset, batch_size=BATCH, shuffle=False, num_workers=workers)


def _epoch(make: Callable[[int, int], Any], n: int, workers: int, name: str) -> Callable[[], dict]:
    def once() -> dict[str, float]:
        start = time.perf_counter()
        count = sum(len(labels) for _, labels in make(n, workers))
        assert count == n
        return {name: time.perf_counter() - start}

    return once


def run(quick: bool) -> list[Measurement]:
    n = QUICK_SAMPLES if quick else SAMPLES
    makers = {"ember": _ember_loader, "torch": _torch_loader}
    results = []
    for workers in WORKERS:
        name = f"loader epoch {n} samples w{workers}"
        libs = [lib for lib in common.libraries() if lib in makers]
        impls = {lib: _epoch(makers[lib], n, workers, name) for lib in libs}
        results += interleave("s/epoch", impls, repeats=1 if quick else 3, warmup=0 if quick else 1)
    return results
