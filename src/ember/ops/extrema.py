"""Extremes: amax/amin (ties share the gradient), max/min (with a dim: values and indices),
argmax/argmin, aminmax."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from ..autograd.function import Op
from ..backend import xp
from .args import dim_alias, keepdim_alias, write_out
from .reduce import Reduction, check_nonempty, kept, normalize_dims, reduce_dims

__all__ = ["amax", "amin", "aminmax", "argmax", "argmin", "max", "min"]

# What max/min with a dim return: tuples whose fields read like torch.return_types.max.
max_result = namedtuple("max", ("values", "indices"))
min_result = namedtuple("min", ("values", "indices"))
aminmax_result = namedtuple("aminmax", ("min", "max"))


class _Selection(Reduction):
    """A reduction that picks elements (``_pick``, e.g. ``xp.max``); the gradient is split evenly
    among the elements equal to the result, as in PyTorch."""

    _pick: Any

    @classmethod
    def forward(cls, ctx, a, dim, keepdim):
        name = cls.__name__.lower()
        ctx.dims = reduce_dims(dim, a.ndim, name)
        ctx.keepdim = keepdim
        check_nonempty(a, ctx.dims, name)
        out = cls._pick(a, axis=ctx.dims, keepdims=keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def partial(ctx):
        x, out = ctx.saved_tensors
        hit = x._data == kept(ctx, out._data)
        return (hit / hit.sum(ctx.dims, keepdims=True)).astype(x.dtype)


class Amax(_Selection):
    """amax(a, dim);  da = g split evenly among the maximal elements."""

    _pick = staticmethod(xp.max)


class Amin(_Selection):
    """amin(a, dim);  da = g split evenly among the minimal elements."""

    _pick = staticmethod(xp.min)


class Max(Reduction):
    """max(a, dim).values, the elements at ``indices``;  da = g at those indices."""

    @staticmethod
    def forward(ctx, a, indices, dim, keepdim):
        ctx.dims = reduce_dims(dim, a.ndim, "max")
        ctx.keepdim = keepdim
        if a.ndim == 0:
            return a.copy()
        (axis,) = ctx.dims
        index = indices if keepdim else xp.expand_dims(indices, axis)
        ctx.save_for_backward(index)
        out = xp.take_along_axis(a, index, axis=axis)
        return out if keepdim else out.squeeze(axis)

    @staticmethod
    def partial(ctx):
        if not ctx.dims:
            return xp.ones(ctx.shapes[0], ctx.dtypes[0])
        (index,) = ctx.saved_tensors  # the indices with the reduced dim kept
        onehot = xp.zeros(ctx.shapes[0], ctx.dtypes[0])
        xp.put_along_axis(onehot, xp.asarray(index), 1, axis=ctx.dims[0])
        return onehot


class Min(Max):
    """min(a, dim).values, the elements at ``indices``;  da = g at those indices."""


class _IndexOf(Op):
    """Index of the element ``_pick`` chooses along one dim, or in the flattened tensor (int64,
    not differentiable)."""

    _pick: Any

    @classmethod
    def forward(cls, ctx, a, dim, keepdim):
        name = cls.__name__.lower()
        check_nonempty(a, reduce_dims(dim, a.ndim, name), name)
        if dim is None:
            out = cls._pick(a)
            return xp.full((1,) * a.ndim if keepdim else (), out, xp.int64)
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"{name}: dim must be an int or None, got {dim!r}")
        if a.ndim == 0:  # dim was checked above (0 or -1)
            return xp.zeros((), xp.int64)
        (axis,) = normalize_dims(dim, a.ndim, name)
        return cls._pick(a, axis=axis, keepdims=keepdim).astype(xp.int64)


class Argmax(_IndexOf):
    """Index of the maximum (the first one among ties)."""

    _pick = staticmethod(xp.argmax)


class Argmin(_IndexOf):
    """Index of the minimum (the first one among ties)."""

    _pick = staticmethod(xp.argmin)


def amax(
    input: Any,
    dim: Any = (),
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Maximum over ``dim`` (all dims by default); ties share the gradient evenly."""
    dim, keepdim = dim_alias("amax", dim, axis, ()), keepdim_alias(keepdim, keepdims)
    return write_out("amax", Amax.apply(input, dim, keepdim), out)


def amin(
    input: Any,
    dim: Any = (),
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Minimum over ``dim`` (all dims by default); ties share the gradient evenly."""
    dim, keepdim = dim_alias("amin", dim, axis, ()), keepdim_alias(keepdim, keepdims)
    return write_out("amin", Amin.apply(input, dim, keepdim), out)


def max(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """``max(input)``: the largest element (0-d). ``max(input, dim)``: ``(values, indices)``
    along ``dim``. ``max(input, other)``: the elementwise maximum of two tensors."""
    dim, keepdim = dim_alias("max", dim, axis), keepdim_alias(keepdim, keepdims)
    return write_out("max", _extremum(input, dim, keepdim, Max, Argmax, max_result, "maximum"), out)


def min(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """``min(input)``: the smallest element (0-d). ``min(input, dim)``: ``(values, indices)``
    along ``dim``. ``min(input, other)``: the elementwise minimum of two tensors."""
    dim, keepdim = dim_alias("min", dim, axis), keepdim_alias(keepdim, keepdims)
    return write_out("min", _extremum(input, dim, keepdim, Min, Argmin, min_result, "minimum"), out)


def _extremum(
    a: Any, dim: Any, keepdim: bool, op: type, index_op: type, result: type, binary: str
) -> Any:
    name = op.__name__.lower()
    if dim is None:
        if a.numel() == 0:
            raise IndexError(
                f"{name}: the tensor is empty; give a dim (and a non-empty one) to reduce over"
            )
        return (Amax if op is Max else Amin).apply(a, None, False)
    if not isinstance(dim, int):
        if hasattr(dim, "shape"):
            from .. import ops  # the package, complete by the time max/min is called

            return getattr(ops, binary)(a, dim)
        raise TypeError(f"{name}: dim must be an int (or another tensor), got {dim!r}")
    indices = index_op.apply(a, dim, keepdim)
    return result(op.apply(a, indices, dim, keepdim), indices)


def argmax(
    input: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Index of the maximum along ``dim`` (of the flattened tensor when dim is None); int64."""
    dim, keepdim = dim_alias("argmax", dim, axis), keepdim_alias(keepdim, keepdims)
    return write_out("argmax", Argmax.apply(input, dim, keepdim), out)


def argmin(
    input: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Index of the minimum along ``dim`` (of the flattened tensor when dim is None); int64."""
    dim, keepdim = dim_alias("argmin", dim, axis), keepdim_alias(keepdim, keepdims)
    return write_out("argmin", Argmin.apply(input, dim, keepdim), out)


def aminmax(input: Any, *, dim: int | None = None, keepdim: bool = False, out: Any = None) -> Any:
    """``(min, max)`` over ``dim`` (all elements by default)."""
    if input.numel() == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty tensor")
    dims = () if dim is None else dim
    res = aminmax_result(Amin.apply(input, dims, keepdim), Amax.apply(input, dims, keepdim))
    return write_out("aminmax", res, out)
