"""Tensor constructors with PyTorch's signatures: ``tensor``, ``zeros``, ``ones``, ``rand``, ...

Floating results use the default dtype (float32) unless ``dtype`` says otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend
from .autograd.grad_mode import state
from .backend import Generator
from .tensor import Tensor

__all__ = [
    "arange",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "tensor",
    "zeros",
    "zeros_like",
]


def _new(data: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    backend.check_device(device)
    t = Tensor._make(data, None, False)
    if state.tracer is not None:
        state.tracer.created(t)
    return t.requires_grad_(True) if requires_grad else t


def _size(size: tuple) -> tuple[int, ...]:
    """Accept ``zeros(2, 3)`` and ``zeros((2, 3))`` alike."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"invalid size {tuple(size)}: sizes must be non-negative integers")
    return tuple(int(s) for s in size)


def _float(dtype: Any) -> np.dtype:
    return backend.default_float() if dtype is None else backend.as_dtype(dtype)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (floats become float32 unless ``dtype`` says).

    >>> ember.tensor([1.0, 2.0])
    tensor([1., 2.])
    """
    backend.check_device(device)
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [d._data if isinstance(d, Tensor) else d for d in data]
    return Tensor(np.array(data, copy=True), dtype=dtype, requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given size."""
    return _new(np.zeros(_size(size), _float(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size."""
    return _new(np.ones(_size(size), _float(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of the given size."""
    return _new(np.empty(_size(size), _float(dtype)), requires_grad, device)


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype follows the value, as in PyTorch)."""
    if dtype is None:
        dtype = backend.array_from(fill_value).dtype
    return _new(np.full(_size((size,)), fill_value, backend.as_dtype(dtype)), requires_grad, device)


def _like(t: Tensor, dtype: Any) -> np.dtype:
    return t._data.dtype if dtype is None else backend.as_dtype(dtype)


def zeros_like(
    t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros with the shape (and dtype) of ``t``."""
    return _new(np.zeros(t.shape, _like(t, dtype)), requires_grad, device)


def ones_like(
    t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Ones with the shape (and dtype) of ``t``."""
    return _new(np.ones(t.shape, _like(t, dtype)), requires_grad, device)


def empty_like(
    t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """An uninitialised tensor with the shape (and dtype) of ``t``."""
    return _new(np.empty(t.shape, _like(t, dtype)), requires_grad, device)


def full_like(
    t: Tensor, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` everywhere, with the shape (and dtype) of ``t``."""
    return _new(np.full(t.shape, fill_value, _like(t, dtype)), requires_grad, device)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = backend.int64 if ints else backend.default_float()
    data = np.arange(start, end, step, dtype=np.float64).astype(backend.as_dtype(dtype))
    return _new(data, requires_grad, device)


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise ValueError("linspace: number of steps must be non-negative")
    return _new(np.linspace(start, end, steps).astype(_float(dtype)), requires_grad, device)


def eye(
    n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """The identity matrix of shape (n, m)."""
    return _new(np.eye(n, m, dtype=_float(dtype)), requires_grad, device)


def rand(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples from [0, 1)."""
    data = backend.rng(generator).random(_size(size)).astype(_float(dtype))
    return _new(data, requires_grad, device)


def randn(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples."""
    data = backend.rng(generator).standard_normal(_size(size)).astype(_float(dtype))
    return _new(data, requires_grad, device)


def rand_like(
    t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples from [0, 1) with the shape of ``t``."""
    return rand(t.shape, dtype=_like(t, dtype), device=device, requires_grad=requires_grad)


def randn_like(
    t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal samples with the shape of ``t``."""
    return randn(t.shape, dtype=_like(t, dtype), device=device, requires_grad=requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """Integers uniform in [low, high); ``randint(high, size)`` as in PyTorch."""
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: need low < high, got low={low}, high={high}")
    dt = backend.int64 if dtype is None else backend.as_dtype(dtype)
    data = backend.rng(generator).integers(low, high, _size((size,))).astype(dt)
    return _new(data, False, device)


def randperm(
    n: int, generator: Generator | None = None, dtype: Any = None, device: Any = None
) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    dt = backend.int64 if dtype is None else backend.as_dtype(dtype)
    return _new(backend.rng(generator).permutation(n).astype(dt), False, device)
