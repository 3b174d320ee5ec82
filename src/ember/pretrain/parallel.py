"""Greedy pre-training on several ranks: each takes its rows of every global batch.

What one process would compute, N processes compute up to float rounding: the ranks visit the
same shuffled order and each takes a contiguous part of every batch; the gradients are averaged
weighted by the parts' sizes before each optimizer step; and every random draw of a batch step
(masking noise, Gibbs samples) is drawn for the whole batch from the generator that all ranks
share, each rank keeping its rows. A draw of another shape (the persistent chains of PCD after a
smaller last batch) comes from a generator of the rank's own, so the shared one stays in step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend, distributed
from ..backend import Generator
from ..distributed.collectives import sum_over_ranks
from ..tensor import Tensor


class BatchShard:
    """This rank's rows ``[lo, hi)`` of the current global batch of ``rows`` samples."""

    def __init__(self, group: distributed.ProcessGroup) -> None:
        self.group = group
        self.rank, self.size = group.rank(), group.size()
        self.lo = self.hi = self.rows = 0
        self.active = False

    @contextlib.contextmanager
    def batch(self, indices: np.ndarray) -> Iterator[np.ndarray]:
        """This rank's part of the global batch ``indices``, current while the context lasts."""
        base, extra = divmod(len(indices), self.size)
        self.lo = self.rank * base + min(self.rank, extra)
        self.hi = self.lo + base + (self.rank < extra)
        self.rows, self.active = len(indices), True
        try:
            yield indices[self.lo : self.hi]
        finally:
            self.active = False

    def sum(self, *values: float) -> list[float]:
        """Each value summed over the ranks."""
        return sum_over_ranks(self.group, *values)

    def average_gradients(self, params: list[Any]) -> None:
        """Replace each local mean-loss gradient by the mean over the whole global batch."""
        grads = [p for p in params if p.grad is not None]
        if not grads:
            return
        weight = (self.hi - self.lo) / self.rows
        flat = np.concatenate([p.grad._data.reshape(-1) for p in grads]) * weight
        distributed.all_reduce(Tensor._make(flat, None, False), group=self.group)
        offset = 0
        for p in grads:
            g = p.grad._data
            p.grad = Tensor._make(
                flat[offset : offset + g.size].reshape(g.shape).astype(g.dtype), None, False
            )
            offset += g.size


class SyncedOptimizer:
    """An optimizer whose ``step`` first averages the gradients over the ranks."""

    def __init__(self, optimizer: Any, shard: BatchShard) -> None:
        self.optimizer = optimizer
        self.shard = shard

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none)

    def step(self) -> None:
        self.shard.average_gradients([p for g in self.optimizer.param_groups for p in g["params"]])
        self.optimizer.step()


class _ShardedRNG:
    """A NumPy generator whose draws for the current batch are made for the whole batch."""

    def __init__(self, shared: np.random.Generator, own: np.random.Generator, shard: BatchShard):
        self._shared = shared
        self._own = own
        self._shard = shard

    def _draw(self, method: str, size: Any, **kwargs: Any) -> np.ndarray:
        shard = self._shard
        if not shard.active:
            return getattr(self._shared, method)(size=size, **kwargs)
        if size is not None and len(size) and size[0] == shard.hi - shard.lo:
            whole = getattr(self._shared, method)(size=(shard.rows, *size[1:]), **kwargs)
            return whole[shard.lo : shard.hi]
        return getattr(self._own, method)(size=size, **kwargs)

    def random(self, size: Any = None, dtype: Any = np.float64) -> np.ndarray:
        return self._draw("random", size, dtype=dtype)

    def standard_normal(self, size: Any = None, dtype: Any = np.float64) -> np.ndarray:
        return self._draw("standard_normal", size, dtype=dtype)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._shared, name)


class ShardedGenerator(Generator):
    """``generator`` (shared by the ranks) as seen from one rank's rows of each batch."""

    __slots__ = ("_view",)

    def __init__(self, generator: Generator | None, shard: BatchShard) -> None:
        generator = generator or backend.default_generator
        own = np.random.default_rng([shard.rank, generator.initial_seed()])
        self._view = _ShardedRNG(generator.rng, own, shard)

    @property
    def rng(self) -> Any:
        return self._view
