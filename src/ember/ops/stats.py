"""Statistics over ``dim``: var, std (and with the mean: var_mean, std_mean), nansum, nanmean."""

from __future__ import annotations

import builtins
import math
from typing import Any

from ..backend import xp
from .args import constant, dim_alias, keepdim_alias, write_out
from .elementwise import where
from .reduce import Reduction, _reduced_size, check_floating, kept, mean, reduce_dims, sum

__all__ = ["nanmean", "nansum", "std", "std_mean", "var", "var_mean"]


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
