"""``default_collate`` and ``default_convert``: samples into batches, PyTorch's rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .dataset import wrap

__all__ = ["array_tensor", "default_collate", "default_convert"]

_COLLATE_TYPES = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists"
)


def array_tensor(array: np.ndarray) -> Tensor:
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
        return array_tensor(_stack(batch))
    if isinstance(elem, np.generic):
        return array_tensor(np.array(batch))
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
        return array_tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "USO":
        return array_tensor(np.asarray(data))
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
