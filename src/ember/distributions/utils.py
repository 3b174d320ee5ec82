"""Helpers shared by the distributions: parameter broadcasting, probs/logits conversion, lazily
computed attributes."""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

from .. import ops
from ..backend import get_default_dtype
from ..creation import tensor
from ..tensor import Tensor

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_or_logits",
    "probs_to_logits",
    "sum_rightmost",
    "xlogy",
]


def broadcast_all(*values: Tensor | Number) -> tuple[Tensor, ...]:
    """Broadcast tensors and numbers together: numbers become tensors of the first tensor's dtype
    (the default dtype when all are numbers)."""
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, ember.Tensor.")
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), get_default_dtype())
    tensors = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in values]
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else t.expand(shape) for t in tensors)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamp probabilities into [eps, 1 - eps] for their dtype's eps."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits of probabilities: log p (categorical) or log p - log(1 - p) (binary)."""
    p = clamp_probs(probs)
    if is_binary:
        return p.log() - (-p).log1p()
    return p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities of logits: sigmoid (binary) or softmax over the last dim."""
    if is_binary:
        return logits.sigmoid()
    return ops.softmax(logits, -1)


class lazy_property:  # noqa: N801 (PyTorch's name)
    """A property computed on first access and then stored on the instance."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def probs_or_logits(probs: Any, logits: Any) -> None:
    """Raise unless exactly one of ``probs`` and ``logits`` is given."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def xlogy(x: Tensor, y: Tensor) -> Tensor:
    """x * log(y), and 0 where x == 0 (so 0 log 0 = 0)."""
    return ops.where(x == 0, 0.0, x * y.log())


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum the ``dim`` rightmost dims of ``value`` (none when ``dim`` is 0)."""
    if dim == 0:
        return value
    return value.reshape(*value.shape[: value.ndim - dim], -1).sum(-1)
