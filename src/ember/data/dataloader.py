"""``DataLoader``: batches of a dataset in sampler order, collated into tensors.

With ``num_workers=0`` batches are read in the calling process; with ``num_workers=N`` in N
worker processes (``multiprocess.py``). With the default collate a batch is fetched in one go
whenever the dataset allows it: through ``__getitems__`` (``TensorDataset``, ``Subset`` of one,
ember's MNIST), or by fancy-indexing ``data``/``targets`` arrays of a dataset whose ``transform``
is None. Otherwise each sample is read with ``dataset[i]`` and ``collate_fn`` combines them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from .. import backend
from ..backend import Generator
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .fetch import make_fetcher
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

if TYPE_CHECKING:  # multiprocessing loads with the first worker (about 3 MiB it costs at import)
    from .multiprocess import MultiProcessIterator

__all__ = ["DataLoader", "default_collate", "default_convert"]

T_co = TypeVar("T_co", covariant=True)


class _InfiniteConstantSampler(Sampler[None]):
    """The sampler of an ``IterableDataset``: each request is for 'the next samples'."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches, PyTorch's ``DataLoader``.

    ``shuffle`` draws a fresh permutation each epoch from ``generator`` (default: ember's global
    generator, so ``ember.manual_seed`` makes runs repeat); ``batch_size=None`` yields single
    samples. ``num_workers=N`` loads in N processes (``multiprocessing_context``, default the
    platform's); each worker is seeded with ``base_seed + worker_id``, where ``base_seed`` comes
    from ``generator``'s state once per iterator without drawing from it (so a seeded shuffle
    visits the same order with any number of workers), then runs ``worker_init_fn(worker_id)``.
    ``prefetch_factor`` (default 2) requests per worker are in flight; batches come in sampler
    order (``in_order=False``: as they are ready); ``timeout`` bounds each wait; a worker's
    exception is raised here with its traceback; ``persistent_workers`` keeps the workers across
    epochs. Batches travel between processes in ember's checkpoint format, so ``collate_fn``
    must return tensors, arrays, numbers, strings, None and containers of them. ``pin_memory``
    is accepted and, with no accelerator, does nothing (PyTorch warns likewise).

    >>> import ember
    >>> from ember.data import TensorDataset
    >>> ds = TensorDataset(ember.arange(5))
    >>> [b[0].tolist() for b in DataLoader(ds, batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset: Dataset[T_co],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler[list[int]] | Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: str | Any | None = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_worker_options(
            num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context
        )
        if isinstance(dataset, IterableDataset):
            if shuffle not in (None, False):
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value is not None:
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value}"
                    )
            sampler = _InfiniteConstantSampler()
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
                if shuffle
                else SequentialSampler(dataset)  # type: ignore[arg-type]
            )
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if pin_memory:
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                UserWarning,
                stacklevel=2,
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self._iterator: MultiProcessIterator | None = None
        self._iterators = 0  # iterators with workers started, for their seeds

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Iterable[Any]:
        """What each request is made from: the batch sampler, or the sampler without batching."""
        return self.batch_sampler if self._auto_collation else self.sampler  # type: ignore[return-value]

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self._index_sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            return self._single_process()
        if self.persistent_workers and self._iterator is not None:
            self._iterator.reset()
            return self._iterator
        _check_worker_number(self.num_workers)
        from .multiprocess import MultiProcessIterator

        iterator = MultiProcessIterator(self, self._base_seed())
        if self.persistent_workers:
            self._iterator = iterator
        return iterator

    def _base_seed(self) -> int:
        """The seed of this iterator's workers: a hash of the generator's state and of how many
        iterators this loader started. Nothing is drawn from the generator, so the shuffle and
        every other random stream are those of ``num_workers=0``."""
        state = backend.rng(self.generator).bit_generator.state
        text = json.dumps([state, self._iterators], sort_keys=True, default=_plain_list)
        self._iterators += 1
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") >> 1

    def _single_process(self) -> Iterator[Any]:
        fetch = make_fetcher(self.dataset, self._auto_collation, self.collate_fn, self.drop_last)
        for request in self._index_sampler:
            try:
                batch = fetch(request)
            except StopIteration:
                return
            yield batch

    def __del__(self) -> None:
        if getattr(self, "_iterator", None) is not None:
            self._iterator.shutdown()  # type: ignore[union-attr]


def _check_worker_number(num_workers: int) -> None:
    """PyTorch's warning when there are more workers than CPUs this process may use."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cpus and num_workers > cpus:
        warnings.warn(
            f"This DataLoader will create {num_workers} worker processes in total. Our "
            f"suggested max number of worker in current system is {cpus}, which is smaller "
            "than what this DataLoader is going to create. Please be aware that excessive "
            "worker creation might get DataLoader running slow or even freeze, lower the worker "
            "number to avoid potential slowness/freeze if necessary.",
            UserWarning,
            stacklevel=3,
        )


def _plain_list(value: Any) -> Any:
    return np.asarray(value).tolist()


def _check_worker_options(
    num_workers: int,
    timeout: float,
    prefetch_factor: int | None,
    persistent_workers: bool,
    multiprocessing_context: Any,
) -> None:
    """PyTorch's errors for worker options that contradict each other."""
    if num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            "multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing.let num_workers "
            "> 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None:
        if num_workers == 0:
            raise ValueError(
                "multiprocessing_context can only be used with multi-process loading "
                f"(num_workers > 0), but got num_workers={num_workers}"
            )
        if isinstance(multiprocessing_context, str):
            import multiprocessing

            methods = multiprocessing.get_all_start_methods()
            if multiprocessing_context not in methods:
                raise ValueError(
                    "multiprocessing_context option should specify a valid start method in "
                    f"{methods!r}, but got multiprocessing_context={multiprocessing_context!r}"
                )
