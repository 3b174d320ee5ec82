"""Reductions over ``dim`` (an int, a tuple of ints, or None for all) with ``keepdim``.

Most rules share one shape: the derivative of the reduced value with respect to each input element
is an array of the input's shape (``partial``), so the gradient is ``grad_out`` (with the reduced
dims restored) times ``partial``, and the tangent is ``(tangent * partial).sum(dims)``.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from ..autograd.function import Op
from ..backend import as_dtype, default_float, is_floating, sum_to_shape, xp
from .args import dim_alias, keepdim_alias, write_out

__all__ = [
    "all",
    "any",
    "logsumexp",
    "mean",
    "prod",
    "sum",
    "sum_to_size",
]


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes; None means every axis."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    rank = ndim if ndim > 1 else 1
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


def reduce_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """The axes a reduction covers: as ``normalize_dims``, and an empty tuple also means all."""
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None
    return normalize_dims(dim, ndim, op)


def kept(ctx: Any, value: Any) -> Any:
    """A reduced tensor or array with the reduced dims restored as size 1."""
    return value if ctx.keepdim else value.reshape(kept_shape(ctx.shapes[0], ctx.dims))


def _reduced_size(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    return math.prod(shape[d] for d in dims)


def check_nonempty(a: Any, dims: tuple[int, ...], op: str) -> None:
    """Reductions without an identity (max, argmax, ...) refuse empty reduced dims."""
    if builtins.any(a.shape[d] == 0 for d in dims):
        raise IndexError(
            f"{op}: cannot reduce over an empty dim of a tensor of shape {a.shape} "
            "(the operation has no identity)"
        )


def check_floating(a: Any, op: str) -> None:
    if not is_floating(a.dtype):
        raise TypeError(f"{op}: expected a floating point tensor, got dtype {a.dtype}")


def _sum_dtype(a: Any) -> Any:
    """PyTorch sums bool and integer tensors as int64."""
    return xp.int64 if a.dtype.kind in "biu" else a.dtype


class Sum(Op):
    """sum(a, dim);  da = g broadcast back over the reduced dims."""

    @staticmethod
    def forward(ctx, a, dim, keepdim, dtype=None):
        ctx.dims = reduce_dims(dim, a.ndim, "sum")
        ctx.keepdim = keepdim
        ctx.dtype = dtype
        dtype = _sum_dtype(a) if dtype is None else dtype
        return xp.add.reduce(a, axis=ctx.dims, dtype=dtype, keepdims=keepdim)  # a.sum, unwrapped

    @staticmethod
    def backward(ctx, grad_out):
        return (kept(ctx, grad_out).expand(ctx.shapes[0]),) + (None,) * (len(ctx.shapes) - 1)

    @staticmethod
    def backward_arrays(ctx, grad_out):
        grad = xp.broadcast_to(kept(ctx, grad_out), ctx.shapes[0])  # what expand makes
        return (grad,) + (None,) * (len(ctx.shapes) - 1)

    @staticmethod
    def jvp(ctx, ta, *_):
        out = ta.sum(ctx.dims, ctx.keepdim)
        return out if ctx.dtype is None else out.to(ctx.dtype)


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


class Mean(Op):
    """mean(a, dim) = sum / n;  da = g / n broadcast back over the reduced dims."""

    @staticmethod
    def forward(ctx, a, dim, keepdim, dtype=None):
        if dtype is None:
            check_floating(a, "mean")
        ctx.dims = reduce_dims(dim, a.ndim, "mean")
        ctx.keepdim = keepdim
        ctx.dtype = dtype
        ctx.n = _reduced_size(a.shape, ctx.dims)
        with xp.errstate(invalid="ignore", divide="ignore"):
            return a.sum(axis=ctx.dims, keepdims=keepdim, dtype=dtype) / ctx.n

    @staticmethod
    def backward(ctx, grad_out):
        scale = 1.0 / ctx.n if ctx.n else 0.0
        grad = (kept(ctx, grad_out) * scale).expand(ctx.shapes[0])
        return (grad,) + (None,) * (len(ctx.shapes) - 1)

    @staticmethod
    def jvp(ctx, ta, *_):
        out = ta.mean(ctx.dims, ctx.keepdim)
        return out if ctx.dtype is None else out.to(ctx.dtype)


class Reduction(Op):
    """Base of reductions whose derivative is elementwise: d out / d a = ``partial(ctx)``, a tensor
    or array of a's shape. Subclasses set ``ctx.dims``/``ctx.keepdim`` in forward."""

    @staticmethod
    def partial(ctx: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def backward(cls, ctx, grad_out):
        grad = kept(ctx, grad_out) * cls.partial(ctx)
        return (grad,) + (None,) * (len(ctx.shapes) - 1)

    @classmethod
    def jvp(cls, ctx, ta, *_):
        return (ta * cls.partial(ctx)).sum(ctx.dims, ctx.keepdim)


class Prod(Reduction):
    """prod(a, dim);  da_i = g * prod_{j != i} a_j (exact where a holds zeros)."""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        ctx.dims = reduce_dims(dim, a.ndim, "prod")
        ctx.keepdim = keepdim
        out = a.prod(axis=ctx.dims, keepdims=keepdim, dtype=_sum_dtype(a))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def partial(ctx):
        x, out = ctx.saved_tensors
        zero = x._data == 0
        if not zero.any():
            return kept(ctx, out) / x
        # prod_{j != i} a_j = (product of the nonzero a_j, j != i) * (product of the zero a_j,
        # j != i). The second factor is written exactly up to first order in the zero elements
        # (it is 1, a single zero a_k, or 0), so gradients and second derivatives are exact.
        dtype = x.dtype
        z = zero.astype(dtype)
        count = zero.sum(ctx.dims, keepdims=True)
        c0, c1, c2 = ((count == k).astype(dtype) for k in (0, 1, 2))
        safe = x * (1 - z) + z
        nonzero = safe.prod(ctx.dims, keepdim=True) / safe
        zeros_sum = (x * z).sum(ctx.dims, keepdim=True)
        others = (zeros_sum * c1 + c0) * (1 - z) + ((zeros_sum - x) * c2 + c1) * z
        return nonzero * others


class LogSumExp(Reduction):
    """log(sum(exp(a))) computed as m + log(sum(exp(a - m))), m = max;  da = g softmax(a)."""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        ctx.dims = reduce_dims(dim, a.ndim, "logsumexp")
        ctx.keepdim = keepdim
        if not is_floating(a.dtype):
            a = a.astype(default_float())
        shift = xp.zeros(kept_shape(a.shape, ctx.dims), a.dtype)
        if a.size:
            shift = a.max(axis=ctx.dims, keepdims=True)
            shift = xp.where(xp.isfinite(shift), shift, 0)
        with xp.errstate(divide="ignore"):
            out = xp.log(xp.exp(a - shift).sum(axis=ctx.dims, keepdims=True)) + shift
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(out.shape) if i not in ctx.dims])
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def partial(ctx):
        x, out = ctx.saved_tensors
        return (x - kept(ctx, out)).exp()


class _Truth(Op):
    """Whether ``_pick`` (all or any) holds over dims (bool, not differentiable)."""

    _pick: Any

    @classmethod
    def forward(cls, ctx, a, dim, keepdim):
        dims = reduce_dims(dim, a.ndim, cls.__name__.lower().rstrip("_"))
        return cls._pick(a, axis=dims, keepdims=keepdim)


class All(_Truth):
    """True where every element over dims is nonzero."""

    _pick = staticmethod(xp.all)


class Any_(_Truth):  # noqa: N801 - the underscore keeps typing.Any usable here
    """True where some element over dims is nonzero."""

    _pick = staticmethod(xp.any)


def sum(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Sum over ``dim`` (all dims by default); integers and bools sum as int64."""
    dim, keepdim = dim_alias("sum", dim, axis), keepdim_alias(keepdim, keepdims)
    res = Sum.apply(input, dim, keepdim, None if dtype is None else as_dtype(dtype))
    return write_out("sum", res, out)


def sum_to_size(input: Any, *size: Any) -> Any:
    """Sum ``input`` down to ``size`` (the reverse of broadcasting)."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    return SumToSize.apply(input, size)


def mean(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Mean over ``dim`` (all dims by default); floating tensors only, unless ``dtype`` is given."""
    dim, keepdim = dim_alias("mean", dim, axis), keepdim_alias(keepdim, keepdims)
    res = Mean.apply(input, dim, keepdim, None if dtype is None else as_dtype(dtype))
    return write_out("mean", res, out)


def prod(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Product over ``dim`` (all dims by default)."""
    dim, keepdim = dim_alias("prod", dim, axis), keepdim_alias(keepdim, keepdims)
    if dtype is not None:
        input = input.to(dtype)
    return write_out("prod", Prod.apply(input, dim, keepdim), out)


def logsumexp(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """log(sum(exp(input))) over ``dim``, stable for large magnitudes."""
    dim, keepdim = dim_alias("logsumexp", dim, axis), keepdim_alias(keepdim, keepdims)
    return write_out("logsumexp", LogSumExp.apply(input, dim, keepdim), out)


def all(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """True if every element over ``dim`` is nonzero (bool)."""
    dim, keepdim = dim_alias("all", dim, axis), keepdim_alias(keepdim, keepdims)
    return write_out("all", All.apply(input, dim, keepdim), out)


def any(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """True if some element over ``dim`` is nonzero (bool)."""
    dim, keepdim = dim_alias("any", dim, axis), keepdim_alias(keepdim, keepdims)
    return write_out("any", Any_.apply(input, dim, keepdim), out)
