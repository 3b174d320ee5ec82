"""``DataLoader``: batches of a dataset in sampler order, collated into tensors.

Batches are read in the calling process. With the default collate a batch is fetched in one go
whenever the dataset allows it: through ``__getitems__`` (``TensorDataset``, ``Subset`` of one,
ember's MNIST), or by fancy-indexing ``data``/``targets`` arrays of a dataset whose ``transform``
is None. Otherwise each sample is read with ``dataset[i]`` and ``collate_fn`` combines them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from .. import backend
from ..backend import Generator
from ..tensor import Tensor
from .dataset import Dataset, index_array, wrap
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert"]

T_co = TypeVar("T_co", covariant=True)

_COLLATE_TYPES = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists"
)


def _array_tensor(array: np.ndarray) -> Tensor:
    """A tensor on a NumPy array; dtypes ember lacks (uint8, float16, ...) are converted by
    ``ember.tensor``'s rules."""
    if array.dtype.kind in "USO":
        raise TypeError(f"{_COLLATE_TYPES}; found {array.dtype}")
    return wrap(array) if array.dtype in backend.DTYPES else Tensor(array)


def default_collate(batch: Sequence[Any]) -> Any:
    """Combine a list of samples into a batch, as PyTorch does: tensors and NumPy arrays are
    stacked along a new first dimension, Python floats become a float64 tensor, ints an int64
    tensor (bools a bool tensor), strings stay a list; dicts, tuples and lists are collated field
    by field (a tuple sample gives a list of batches, a namedtuple keeps its type).

    >>> import ember
    >>> default_collate([(ember.tensor([1.0]), 0), (ember.tensor([2.0]), 1)])
    [tensor([[1.],
            [2.]]), tensor([0, 1])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return wrap(_stack([t._data for t in batch]))
    if isinstance(elem, np.ndarray):
        return _array_tensor(_stack(batch))
    if isinstance(elem, np.generic):
        return _array_tensor(np.array(batch))
    if isinstance(elem, float):
        return Tensor(batch, dtype=backend.float64)
    if isinstance(elem, int):
        return Tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return _same_type(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _same_type(elem, fields)
    raise TypeError(f"{_COLLATE_TYPES}; found {type(elem).__name__}")


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars inside ``data`` into tensors, leaving everything else (the
    collate of a loader with ``batch_size=None``)."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "USO":
        return _array_tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "USO":
        return _array_tensor(np.asarray(data))
    if isinstance(data, Mapping):
        return _same_type(data, {key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return _same_type(data, [default_convert(d) for d in data])
    return data


def _stack(arrays: Sequence[np.ndarray]) -> np.ndarray:
    try:
        return np.stack(arrays)
    except ValueError:
        shapes = sorted({tuple(a.shape) for a in arrays})
        raise RuntimeError(
            f"default_collate: stack expects each tensor to be equal size, but got shapes {shapes}"
        ) from None


def _same_type(like: Any, value: Any) -> Any:
    """``value`` as the container type of ``like`` where that type can be built from it."""
    try:
        return type(like)(value)
    except TypeError:
        return value


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches.

    ``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, generator=None)``:
    ``shuffle`` draws a fresh permutation each epoch from ``generator`` (default: ember's global
    generator, so ``ember.manual_seed`` makes runs repeat); ``batch_size=None`` yields single
    samples. ``num_workers`` and ``pin_memory`` are accepted so PyTorch code runs unchanged; loading
    always happens in the calling process.

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
        shuffle: bool = False,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler[list[int]] | Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        *,
        generator: Generator | None = None,
    ) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative")
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
        if batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        fetch = self._batch_fetcher()
        for indices in self.batch_sampler:
            yield fetch(indices)

    def _batch_fetcher(self) -> Callable[[Sequence[int]], Any]:
        """How one batch of indices becomes a batch: one fetch where the dataset allows it."""
        dataset, collate = self.dataset, self.collate_fn
        if collate is default_collate:
            getitems = getattr(dataset, "__getitems__", None)
            if getitems is not None:
                return lambda indices: _collated(getitems(indices))
            arrays = _data_targets(dataset)
            if arrays is not None:
                return lambda indices: [_array_tensor(a[index_array(indices)]) for a in arrays]
        return lambda indices: collate([dataset[i] for i in indices])


def _collated(result: Any) -> Any:
    """A ``__getitems__`` result as a batch: a list holds samples to collate, else it is one."""
    return default_collate(result) if isinstance(result, list) else result


def _data_targets(dataset: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``data`` and ``targets`` arrays of a dataset whose samples are ``(data[i], targets[i])``
    (it declares ``transform = None``, and no target transform), else None."""
    if getattr(dataset, "transform", True) is not None:
        return None
    if getattr(dataset, "target_transform", None) is not None:
        return None
    arrays = []
    for name in ("data", "targets"):
        value = getattr(dataset, name, None)
        value = value._data if isinstance(value, Tensor) else value
        if not isinstance(value, np.ndarray) or len(value) != len(dataset):
            return None
        arrays.append(value)
    return arrays[0], arrays[1]
