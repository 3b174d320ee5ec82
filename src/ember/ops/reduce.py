"""Reductions over ``dim`` (an int, a tuple of ints, or None for all) with ``keepdim``."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp

__all__ = ["sum", "sum_to_size"]


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes; None means every axis."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    rank = max(ndim, 1)
    out = []
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(f"{op}: dim {d} is out of range for a tensor with {ndim} dims")
        out.append(d % rank)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dim} repeats a dimension")
    return tuple(sorted(out)) if ndim else ()


def kept_shape(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a reduction over ``dims`` has with keepdim=True."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


class Sum(Op):
    """sum(a, dim);  da = g broadcast back over the reduced dims."""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        ctx.dims = normalize_dims(dim, a.ndim, "sum")
        ctx.keepdim = keepdim
        return a.sum(axis=ctx.dims, keepdims=keepdim, dtype=_sum_dtype(a))

    @staticmethod
    def backward(ctx, grad_out):
        shape = ctx.shapes[0]
        if not ctx.keepdim:
            grad_out = grad_out.reshape(kept_shape(shape, ctx.dims))
        return grad_out.expand(shape), None, None

    @staticmethod
    def jvp(ctx, ta, _dim, _keepdim):
        return ta.sum(ctx.dims, ctx.keepdim)


def _sum_dtype(a: Any) -> Any:
    """PyTorch sums bool and integer tensors as int64."""
    return xp.int64 if a.dtype.kind in "biu" else a.dtype


class SumToSize(Op):
    """Sum a broadcast array back down to ``shape``;  da = g expanded to a's shape."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = tuple(shape)
        return sum_to_shape(a, ctx.shape)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.expand(ctx.shapes[0]), None

    @staticmethod
    def jvp(ctx, ta, _shape):
        return ta.sum_to_size(ctx.shape)


def sum_to_shape(a: Any, shape: tuple[int, ...]) -> Any:
    """Reduce array ``a`` to ``shape`` by summing the dims that broadcasting added or stretched."""
    if a.shape == shape:
        return a
    lead = a.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != a.shape[lead + i] for i, s in enumerate(shape)):
        raise ValueError(f"sum_to_size: shape {a.shape} cannot be summed to {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1
    )
    return a.sum(axis=axes).reshape(shape)


def sum(a: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Sum over ``dim`` (all dims by default)."""
    return Sum.apply(a, dim, keepdim)


def sum_to_size(a: Any, *shape: Any) -> Any:
    """Sum ``a`` down to ``shape`` (the reverse of broadcasting)."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return SumToSize.apply(a, shape)
