"""Tensor constructors: ``tensor``, ``zeros``, ``ones``, ``rand``, ... (PyTorch's signatures)."""

from __future__ import annotations

from typing import Any

from . import backend
from .tensor import Tensor

__all__ = ["tensor"]


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (floats become float32 unless ``dtype`` says)."""
    backend.check_device(device)
    if isinstance(data, Tensor):
        data = data._data
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)
