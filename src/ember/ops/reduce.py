"""Reductions over ``dim`` (an int, a tuple of ints, or None for all) with ``keepdim``.

Most rules share one shape: the derivative of the reduced value with respect to each input element
is an array of the input's shape (``partial``), so the gradient is ``grad_out`` (with the reduced
dims restored) times ``partial``, and the tangent is ``(tangent * partial).sum(dims)``.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple
from typing import Any

from ..autograd.function import Op
from ..backend import as_dtype, default_float, is_floating, sum_to_shape, xp

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "logsumexp",
    "max",
    "mean",
    "min",
    "prod",
    "std",
    "sum",
    "sum_to_size",
    "var",
]

# What max/min with a dim return: a tuple whose fields read like torch.return_types.max.
max_result = namedtuple("max", ("values", "indices"))
min_result = namedtuple("min", ("values", "indices"))


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
        return a.sum(
            axis=ctx.dims, keepdims=keepdim, dtype=_sum_dtype(a) if dtype is None else dtype
        )

    @staticmethod
    def backward(ctx, grad_out):
        return (kept(ctx, grad_out).expand(ctx.shapes[0]),) + (None,) * (len(ctx.shapes) - 1)

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


class Var(Reduction):
    """var = sum (a - mean)^2 / (n - correction);  da = 2 g (a - mean) / (n - correction)."""

    @staticmethod
    def forward(ctx, a, dim, correction, keepdim):
        check_floating(a, "var")
        return _moment(ctx, a, dim, correction, keepdim, "var")

    @staticmethod
    def partial(ctx):
        (x,) = ctx.saved_tensors
        return (x - x.mean(ctx.dims, keepdim=True)) * (2.0 / ctx.denom if ctx.denom else math.inf)


class Std(Reduction):
    """std(a, dim) = sqrt(var);  da = g (a - mean) / ((n - correction) std) (0 where std is 0)."""

    @staticmethod
    def forward(ctx, a, dim, correction, keepdim):
        check_floating(a, "std")
        out = xp.sqrt(_moment(ctx, a, dim, correction, keepdim, "std"))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def partial(ctx):
        x, out = ctx.saved_tensors
        out = kept(ctx, out)
        safe = out + (out._data == 0).astype(x.dtype)
        return (x - x.mean(ctx.dims, keepdim=True)) / (safe * ctx.denom)


def _moment(ctx: Any, a: Any, dim: Any, correction: float, keepdim: bool, op: str) -> Any:
    """The variance of ``a`` over ``dim``; notes dims and the divisor on ctx, saves ``a``."""
    ctx.dims = reduce_dims(dim, a.ndim, op)
    ctx.keepdim = keepdim
    ctx.denom = builtins.max(0, _reduced_size(a.shape, ctx.dims) - correction)
    ctx.save_for_backward(a)
    with xp.errstate(invalid="ignore", divide="ignore"):
        n = _reduced_size(a.shape, ctx.dims)
        dev = a - a.sum(axis=ctx.dims, keepdims=True) / n
        return (dev * dev).sum(axis=ctx.dims, keepdims=keepdim) / ctx.denom


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
        if a.ndim == 0:
            reduce_dims(dim, 0, name)
            return xp.zeros((), xp.int64)
        (axis,) = normalize_dims(dim, a.ndim, name)
        return cls._pick(a, axis=axis, keepdims=keepdim).astype(xp.int64)


class Argmax(_IndexOf):
    """Index of the maximum (the first one among ties)."""

    _pick = staticmethod(xp.argmax)


class Argmin(_IndexOf):
    """Index of the minimum (the first one among ties)."""

    _pick = staticmethod(xp.argmin)


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


def sum(a: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Sum over ``dim`` (all dims by default); integers and bools sum as int64."""
    return Sum.apply(a, dim, keepdim, None if dtype is None else as_dtype(dtype))


def sum_to_size(a: Any, *shape: Any) -> Any:
    """Sum ``a`` down to ``shape`` (the reverse of broadcasting)."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return SumToSize.apply(a, shape)


def mean(a: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Mean over ``dim`` (all dims by default); floating tensors only, unless ``dtype`` is given."""
    return Mean.apply(a, dim, keepdim, None if dtype is None else as_dtype(dtype))


def prod(a: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Product over ``dim`` (all dims by default)."""
    return Prod.apply(a, dim, keepdim)


def amax(a: Any, dim: Any = (), keepdim: bool = False) -> Any:
    """Maximum over ``dim`` (all dims by default); ties share the gradient evenly."""
    return Amax.apply(a, dim, keepdim)


def amin(a: Any, dim: Any = (), keepdim: bool = False) -> Any:
    """Minimum over ``dim`` (all dims by default); ties share the gradient evenly."""
    return Amin.apply(a, dim, keepdim)


def max(a: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """``max(a)``: the largest element (0-d). ``max(a, dim)``: ``(values, indices)`` along ``dim``.
    ``max(a, other)``: the elementwise maximum of two tensors."""
    return _extremum(a, dim, keepdim, Max, Argmax, max_result, "maximum")


def min(a: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """``min(a)``: the smallest element (0-d). ``min(a, dim)``: ``(values, indices)`` along ``dim``.
    ``min(a, other)``: the elementwise minimum of two tensors."""
    return _extremum(a, dim, keepdim, Min, Argmin, min_result, "minimum")


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

            if not hasattr(ops, binary):
                raise TypeError(f"{name}(a, other) needs ember.{binary}, which is not available")
            return getattr(ops, binary)(a, dim)
        raise TypeError(f"{name}: dim must be an int (or another tensor), got {dim!r}")
    indices = index_op.apply(a, dim, keepdim)
    return result(op.apply(a, indices, dim, keepdim), indices)


def argmax(a: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """Index of the maximum along ``dim`` (of the flattened tensor when dim is None); int64."""
    return Argmax.apply(a, dim, keepdim)


def argmin(a: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """Index of the minimum along ``dim`` (of the flattened tensor when dim is None); int64."""
    return Argmin.apply(a, dim, keepdim)


def var(
    a: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Any:
    """Variance over ``dim``, dividing by n - correction (correction 1 by default; ``unbiased``
    False means 0)."""
    dim, correction = _correction(dim, unbiased, correction, "var")
    return Var.apply(a, dim, correction, keepdim)


def std(
    a: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Any:
    """Standard deviation over ``dim``: the square root of ``var`` (same arguments)."""
    dim, correction = _correction(dim, unbiased, correction, "std")
    return Std.apply(a, dim, correction, keepdim)


def _correction(dim: Any, unbiased: Any, correction: Any, op: str) -> tuple[Any, float]:
    if isinstance(dim, bool):  # var(a, False): the old (input, unbiased) form
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: pass either unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def logsumexp(a: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """log(sum(exp(a))) over ``dim``, stable for large magnitudes."""
    return LogSumExp.apply(a, dim, keepdim)


def all(a: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """True if every element over ``dim`` is nonzero (bool)."""
    return All.apply(a, dim, keepdim)


def any(a: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """True if some element over ``dim`` is nonzero (bool)."""
    return Any_.apply(a, dim, keepdim)
