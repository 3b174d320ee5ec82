"""Functions of PyTorch's namespace that ask about tensors or wrap arrays rather than compute:
``is_tensor``, ``numel``, ``from_numpy``, ``as_tensor``, ``promote_types``, ``result_type``, ..."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend, devices, dtypes
from .tensor import Tensor

__all__ = [
    "as_tensor",
    "can_cast",
    "from_numpy",
    "get_default_device",
    "is_complex",
    "is_floating_point",
    "is_nonzero",
    "is_tensor",
    "numel",
    "promote_types",
    "result_type",
    "set_default_device",
]

set_default_device = devices.set_default_device


def get_default_device() -> devices.device:
    """The device new tensors go to: always the CPU."""
    return devices.CPU


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def is_nonzero(input: Tensor) -> bool:
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input)


def numel(input: Tensor) -> int:
    return input.numel()


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` and keeping its dtype (float64 stays float64).

    >>> a = np.zeros(2); t = ember.from_numpy(a); a[0] = 1; t
    tensor([1., 0.], dtype=ember.float64)
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy(ndarray.dtype)  # a TypeError names the supported dtypes
    backend.as_dtype(ndarray.dtype)  # complex arrays raise here
    return Tensor._make(ndarray, None, False)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can: a tensor or NumPy array of the requested
    dtype is wrapped without a copy (a NumPy array keeps its dtype, as ``from_numpy``)."""
    backend.check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and data.dtype in backend.DTYPES:
        if dtype is None or backend.as_dtype(dtype) == data.dtype:
            return from_numpy(data)
        return Tensor._make(data.astype(backend.as_dtype(dtype)), None, False)
    return Tensor(data, dtype=dtype)


def promote_types(type1: Any, type2: Any) -> dtypes.dtype:
    """The dtype PyTorch's promotion gives two dtypes (``promote_types(int64, float16)`` is
    float16)."""
    d = backend.promote_types(_np_dtype(type1), _np_dtype(type2))
    return dtypes.from_numpy(d)


def result_type(tensor: Any, other: Any) -> dtypes.dtype:
    """The dtype of an arithmetic op on ``tensor`` and ``other`` (tensors or Python numbers)."""
    return dtypes.from_numpy(backend.result_type(_operand(tensor), _operand(other)))


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's in-place ops allow writing a ``from_`` result into a ``to`` tensor: never
    to a lower category (floating to integer, integer to bool)."""
    a, b = _np_dtype(from_), _np_dtype(to)
    return backend._category(a) <= backend._category(b)


def _np_dtype(d: Any) -> np.dtype:
    """Like ``backend.as_dtype`` but complex dtypes are allowed (promotion may name them)."""
    return d.dtype if isinstance(d, dtypes.dtype) else np.dtype(d)


def _operand(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x
