"""The ``ember`` command on several processes (``mpiexec -n N ember train ...``).

Every rank runs the same command. The global batch (``--batch-size``) is split over the ranks,
each taking a contiguous part of every batch of one shared shuffled order, and the gradients are
averaged with ``DistributedDataParallel``: N processes compute what one process computes, up to
float rounding. Only rank 0 prints progress and writes files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from .. import distributed
from ..data import DataLoader, Sampler
from ..distributed.group import launched_by_mpi
from .errors import CommandError


def join() -> tuple[int, int]:
    """(rank, world size): joins the MPI world when started by ``mpiexec``, else (0, 1)."""
    if not launched_by_mpi():
        return 0, 1
    if not distributed.is_available():
        raise CommandError(
            "started by an MPI launcher, but mpi4py is not installed: pip install 'ember[mpi]'"
        )
    if not distributed.is_initialized():
        distributed.init_process_group("mpi")
    return distributed.get_rank(), distributed.get_world_size()


def world_size() -> int:
    """The size of the job this process belongs to (1 outside ``mpiexec``)."""
    return distributed.get_world_size() if distributed.is_initialized() else 1


def end(status: int) -> int:
    """Return ``status``; a failing rank of a job of several ends them all (none may wait)."""
    if status != 0 and world_size() > 1:
        distributed.abort(status)
    return status


class ShardedBatches(Sampler[list[int]]):
    """Rank ``rank``'s contiguous part of every batch of ``batches`` (sizes differ by at most
    one; a rank gets an empty part when a batch has fewer samples than there are ranks)."""

    def __init__(self, batches: Iterable[list[int]], rank: int, size: int) -> None:
        self.batches = batches
        self.rank = rank
        self.size = size

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self.batches:
            yield np.array_split(np.asarray(batch, dtype=np.int64), self.size)[self.rank].tolist()

    def __len__(self) -> int:
        return len(self.batches)  # type: ignore[arg-type]


def shard(loader: DataLoader, rank: int, size: int) -> DataLoader:
    """``loader`` with each batch cut down to this rank's part (``loader`` itself for one rank)."""
    if size == 1:
        return loader
    return DataLoader(
        loader.dataset, batch_sampler=ShardedBatches(loader.batch_sampler, rank, size)
    )
