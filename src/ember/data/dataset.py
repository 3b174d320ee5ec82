"""Datasets: indexable collections of samples (PyTorch's ``torch.utils.data`` classes).

A dataset may also define ``__getitems__(indices)``. Returning a list means a list of samples
(PyTorch's contract: the loader collates them); returning anything else (a tuple of tensors, a
dict, a tensor) means a batch that is already collated, which is how array-backed datasets serve a
whole batch with one fancy index.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from .. import backend
from ..backend import Generator
from ..tensor import Tensor

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """Base of map-style datasets: define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """Base of stream-style datasets: define ``__iter__``. With ``num_workers > 0`` every worker
    iterates its own copy; shard the stream with ``get_worker_info()`` (its ``id`` and
    ``num_workers``) so that the workers do not repeat each other's samples.

    >>> class Count(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(range(3))
    >>> list(Count() + Count())
    [0, 1, 2, 0, 1, 2]
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")

    def __add__(self, other: Dataset[T_co]) -> ChainDataset[T_co]:  # type: ignore[override]
        return ChainDataset([self, other])


class ChainDataset(IterableDataset[T_co]):
    """The samples of several ``IterableDataset`` one after the other."""

    def __init__(self, datasets: Iterable[Dataset[T_co]]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator[T_co]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)  # type: ignore[arg-type]
        return total


def wrap(array: np.ndarray) -> Tensor:
    """A tensor on ``array`` without a copy (the loader's batches are new arrays already)."""
    return Tensor._make(array, None, False)


def index_array(indices: Sequence[int] | np.ndarray) -> np.ndarray:
    return np.asarray(indices, dtype=np.intp).reshape(-1)


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Sample ``i`` is ``tuple(t[i] for t in tensors)``; all tensors share their first dimension.

    >>> import ember
    >>> ds = TensorDataset(ember.arange(3), ember.tensor([1.0, 2.0, 3.0]))
    >>> ds[1]
    (tensor(1), tensor(2.))
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"TensorDataset: size mismatch between tensors, shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: Sequence[int]) -> tuple[Tensor, ...]:
        """The batch ``indices`` with one fancy index per tensor."""
        idx = index_array(indices)
        return tuple(wrap(t._data[idx]) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        self._array: tuple[Any, np.ndarray] | None = None

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: Sequence[int]) -> Any:
        """The underlying dataset's ``__getitems__`` at the mapped indices, else a sample list."""
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is None:
            return [self.dataset[self.indices[i]] for i in indices]
        return getitems(self._index_array()[index_array(indices)])

    def _index_array(self) -> np.ndarray:
        """``indices`` as an array, converted once (again only if ``indices`` is replaced)."""
        if self._array is None or self._array[0] is not self.indices:
            self._array = (self.indices, index_array(self.indices))
        return self._array[1]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T_co]):
    """The samples of several datasets one after another (``cumulative_sizes`` marks the ends)."""

    def __init__(self, datasets: Iterable[Dataset[T_co]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        total = 0
        self.cumulative_sizes: list[int] = []
        for d in self.datasets:
            total += len(d)  # type: ignore[arg-type]
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> T_co:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which == len(self.datasets):
            raise IndexError(f"index {idx} is out of range for a dataset of length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


def random_split(
    dataset: Dataset[T_co],
    lengths: Sequence[int | float],
    generator: Generator | None = None,
) -> list[Subset[T_co]]:
    """Split ``dataset`` at random into non-overlapping ``Subset``s of the given lengths, or of the
    given fractions (summing to 1; leftover samples go one each to the first splits)."""
    n = len(dataset)  # type: ignore[arg-type]
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        sizes = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
    else:
        sizes = [int(s) for s in lengths]
    if sum(sizes) != n:
        raise ValueError(
            f"Sum of input lengths ({sum(sizes)}) does not equal the length of the input dataset "
            f"({n})!"
        )
    order = backend.rng(generator).permutation(n).tolist()
    ends = np.cumsum(sizes).tolist()
    return [Subset(dataset, order[end - size : end]) for size, end in zip(sizes, ends)]
