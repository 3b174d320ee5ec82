"""How one request of a loader becomes a batch, the same in the calling process and in worker
processes: a list of indices (or one index without auto-batching) for a map-style dataset, a
number of samples to draw for an ``IterableDataset``."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .collate import array_tensor, default_collate
from .dataset import IterableDataset, index_array


def make_fetcher(
    dataset: Any,
    auto_collation: bool,
    collate_fn: Callable[[Any], Any],
    drop_last: bool,
) -> Callable[[Any], Any]:
    """A function from a request to its batch; an ``IterableDataset``'s raises ``StopIteration``
    when its iterator runs out (or, with ``drop_last``, cannot fill a batch)."""
    if isinstance(dataset, IterableDataset):
        return _iterable_fetcher(iter(dataset), auto_collation, collate_fn, drop_last)
    if not auto_collation:
        return lambda index: collate_fn(dataset[index])
    if collate_fn is default_collate:
        getitems = getattr(dataset, "__getitems__", None)
        if getitems is not None:
            return lambda indices: _collated(getitems(indices))
        arrays = _data_targets(dataset)
        if arrays is not None:
            return lambda indices: [array_tensor(a[index_array(indices)]) for a in arrays]
    return lambda indices: collate_fn([dataset[i] for i in indices])


def _iterable_fetcher(
    iterator: Any, auto_collation: bool, collate_fn: Callable[[Any], Any], drop_last: bool
) -> Callable[[Any], Any]:
    def fetch(request: Sequence[Any] | Any) -> Any:
        if not auto_collation:
            return collate_fn(next(iterator))
        samples = list(itertools.islice(iterator, len(request)))
        if not samples or (drop_last and len(samples) < len(request)):
            raise StopIteration
        return collate_fn(samples)

    return fetch


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
