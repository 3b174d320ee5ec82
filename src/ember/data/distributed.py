"""``DistributedSampler``: each rank of a data-parallel job visits its own share of a dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np

from ..backend import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler[int]):
    """Rank ``rank`` of ``num_replicas`` gets every ``num_replicas``-th index of one (shuffled)
    order, so the shares are disjoint and together cover the dataset.

    Without ``drop_last`` the order is padded with its own first indices to a multiple of
    ``num_replicas`` (every rank gets ``ceil(N / num_replicas)``); with it, the tail is dropped.
    With ``shuffle`` the order is a permutation drawn from a generator seeded with
    ``seed + epoch``: call ``set_epoch(epoch)`` before each epoch for a new order, the same on
    every rank. ``num_replicas`` and ``rank`` default to the default process group's.
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from .. import distributed

            if num_replicas is None:
                num_replicas = distributed.get_world_size()
            if rank is None:
                rank = distributed.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            order = Generator().manual_seed(self.seed + self.epoch).rng.permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[: self.total_size]
        elif self.total_size > n:
            order = np.resize(order, self.total_size)  # repeats the order from its start
        return iter(order[self.rank : self.total_size : self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch that seeds the next shuffle (the same on every rank)."""
        self.epoch = epoch
