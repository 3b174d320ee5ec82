"""Statistics over ``dim``: var, std (and with the mean: var_mean, std_mean), nansum, nanmean,
quantile, nanquantile."""

from __future__ import annotations

import builtins
import math
from typing import Any

from ..backend import xp
from .args import constant, dim_alias, keepdim_alias, write_out
from .elementwise import where
from .reduce import Reduction, _reduced_size, check_floating, kept, mean, reduce_dims, sum

__all__ = [
    "nanmean",
    "nanquantile",
    "nansum",
    "quantile",
    "std",
    "std_mean",
    "var",
    "var_mean",
]


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


def _moment_args(op: str, dim: Any, unbiased: Any, correction: Any, axis: Any) -> tuple[Any, float]:
    """PyTorch's forms: ``var(x, dim)``, ``var(x, unbiased)`` (a bool in dim's place),
    ``correction=``; the divisor is n - correction (1 by default, 0 when ``unbiased`` is False)."""
    dim = dim_alias(op, dim, axis)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: pass either unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def var(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Variance over ``dim``, dividing by n - correction (correction 1 by default; ``unbiased``
    False means 0)."""
    dim, correction = _moment_args("var", dim, unbiased, correction, axis)
    res = Var.apply(input, dim, correction, keepdim_alias(keepdim, keepdims))
    return write_out("var", res, out)


def std(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Standard deviation over ``dim``: the square root of ``var`` (same arguments)."""
    dim, correction = _moment_args("std", dim, unbiased, correction, axis)
    res = Std.apply(input, dim, correction, keepdim_alias(keepdim, keepdims))
    return write_out("std", res, out)


def var_mean(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: bool | None = None,
) -> tuple[Any, Any]:
    """``(var, mean)`` over ``dim`` (``var``'s arguments)."""
    dim, correction = _moment_args("var_mean", dim, unbiased, correction, axis)
    keepdim = keepdim_alias(keepdim, keepdims)
    return Var.apply(input, dim, correction, keepdim), mean(input, dim, keepdim)


def std_mean(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: bool | None = None,
) -> tuple[Any, Any]:
    """``(std, mean)`` over ``dim`` (``std``'s arguments)."""
    dim, correction = _moment_args("std_mean", dim, unbiased, correction, axis)
    keepdim = keepdim_alias(keepdim, keepdims)
    return Std.apply(input, dim, correction, keepdim), mean(input, dim, keepdim)


def nansum(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Sum over ``dim`` counting NaN as zero (the gradient at NaN is zero)."""
    kept_nan = _without_nan(input)
    res = sum(
        kept_nan, dim_alias("nansum", dim, axis), keepdim_alias(keepdim, keepdims), dtype=dtype
    )
    return write_out("nansum", res, out)


def nanmean(
    input: Any,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    axis: Any = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """Mean over ``dim`` of the elements that are not NaN."""
    check_floating(input, "nanmean")
    dim, keepdim = dim_alias("nanmean", dim, axis), keepdim_alias(keepdim, keepdims)
    count = sum(constant(~xp.isnan(input._data)), dim, keepdim)
    res = sum(_without_nan(input), dim, keepdim, dtype=dtype) / count
    return write_out("nanmean", res, out)


def _without_nan(input: Any) -> Any:
    if input.dtype.kind != "f":
        return input
    return where(constant(xp.isnan(input._data)), 0.0, input)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(
    op: str, input: Any, q: Any, dim: Any, keepdim: bool, interpolation: str, ignore_nan: bool
) -> Any:
    """The ``q``-quantiles over ``dim`` (all elements when None), between the two nearest sorted
    values; composed of sort and gather, so differentiable in ``input``."""
    from .index import gather
    from .shape import movedim, wrap_dim
    from .sorting import sort

    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{op}() interpolation must be one of {', '.join(_INTERPOLATIONS)}. Got {interpolation}"
        )
    qs = xp.asarray(getattr(q, "_data", q), dtype=xp.float64)
    if qs.ndim > 1 or ((qs < 0) | (qs > 1)).any():
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor with values in [0, 1]")
    x = input.reshape(-1) if dim is None or input.ndim == 0 else input
    d = 0 if dim is None else wrap_dim(dim, max(input.ndim, 1), op)
    if x.shape[d] == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    values = sort(movedim(x, d, -1), -1).values  # NaN sorts last
    n = values.shape[-1]
    nan = xp.isnan(values._data).sum(axis=-1, keepdims=True)
    used = n - nan if ignore_nan else xp.full(nan.shape, n)
    rank = qs.reshape(qs.shape + (1,) * values.ndim) * xp.maximum(used - 1, 0)
    lo, hi = xp.floor(rank), xp.ceil(rank)
    if interpolation == "nearest":
        lo = hi = xp.round(rank)
    elif interpolation in ("lower", "higher"):
        lo = hi = lo if interpolation == "lower" else hi
    weight = rank - lo if interpolation == "linear" else xp.full(rank.shape, 0.5)
    stacked = values.expand(qs.shape + tuple(values.shape))

    def pick(positions: Any) -> Any:
        index = xp.broadcast_to(positions, (*stacked.shape[:-1], 1)).astype(xp.int64)
        return gather(stacked, -1, constant(index))

    low, high = pick(lo), pick(hi)
    out = low + (high - low) * constant(weight.astype(values.dtype))
    undefined = (used == 0) if ignore_nan else (nan > 0)
    out = where(constant(xp.broadcast_to(undefined, out.shape)), math.nan, out).squeeze(-1)
    if keepdim:
        kept_dims = range(input.ndim) if dim is None else (d,)
        for k in kept_dims:
            out = out.unsqueeze(k + qs.ndim)
    return out


def quantile(
    input: Any,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
    out: Any = None,
) -> Any:
    """The ``q``-quantiles (a number, or a 1-D tensor: then a leading dim) over ``dim``;
    NaN where a slice holds NaN. ``interpolation``: linear, lower, higher, midpoint, nearest."""
    res = _quantile("quantile", input, q, dim, keepdim, interpolation, False)
    return write_out("quantile", res, out)


def nanquantile(
    input: Any,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
    out: Any = None,
) -> Any:
    """As ``quantile``, ignoring NaN (NaN only where a slice is all NaN)."""
    res = _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)
    return write_out("nanquantile", res, out)
