"""Scans along one dim: cumsum, cumprod, logcumsumexp, cummax, cummin, and diff."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from ..autograd.function import Op
from ..backend import as_dtype, get_default_dtype, xp
from .args import constant, dim_alias, write_out
from .elementwise import _quiet
from .index import gather, narrow
from .shape import cat, flip, wrap_dim

__all__ = ["cummax", "cummin", "cumprod", "cumsum", "diff", "logcumsumexp"]

cummax_result = namedtuple("cummax", ("values", "indices"))
cummin_result = namedtuple("cummin", ("values", "indices"))


def _scan_dtype(a: Any, dtype: Any) -> Any:
    """PyTorch scans bool and integer tensors as int64 unless ``dtype`` says otherwise."""
    if dtype is not None:
        return dtype
    return xp.int64 if a.dtype.kind in "biu" else a.dtype


def _axis(ctx: Any, a: Any, dim: int, op: str) -> int:
    ctx.dim = wrap_dim(dim, a.ndim, op)
    return ctx.dim if a.ndim else None


def _reverse_cumsum(t: Any, dim: int) -> Any:
    """sum_{j >= i} t_j along ``dim``: the adjoint of cumsum."""
    return flip(cumsum(flip(t, (dim,)), dim), (dim,))


class Cumsum(Op):
    """out_i = sum_{j <= i} a_j;  da_i = sum_{j >= i} g_j."""

    @staticmethod
    def forward(ctx, a, dim, dtype):
        axis = _axis(ctx, a, dim, "cumsum")
        out = a.astype(_scan_dtype(a, dtype), copy=True)
        return out if axis is None else xp.cumsum(out, axis=axis, out=out)

    @staticmethod
    def backward(ctx, grad_out):
        return _reverse_cumsum(grad_out, ctx.dim), None, None

    @staticmethod
    def jvp(ctx, ta, _dim, _dtype):
        return cumsum(ta, ctx.dim)


class Cumprod(Op):
    """out_i = prod_{j <= i} a_j;  da_i = sum_{j >= i} g_j prod_{k <= j, k != i} a_k, exact where
    a holds zeros."""

    @staticmethod
    def forward(ctx, a, dim, dtype):
        axis = _axis(ctx, a, dim, "cumprod")
        out = a.astype(_scan_dtype(a, dtype), copy=True)
        if axis is not None:
            xp.cumprod(out, axis=axis, out=out)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        return _cumprod_partial(a, out, grad_out, ctx.dim), None, None

    @staticmethod
    def jvp(ctx, ta, _dim, _dtype):
        a, out = ctx.saved_tensors
        # d out_j = sum_{i <= j} ta_i prod_{k <= j, k != i} a_k: the transposed rule.
        return _cumprod_tangent(a, out, ta, ctx.dim)


def _cumprod_partial(a: Any, out: Any, g: Any, dim: int) -> Any:
    if a.ndim == 0:
        return g
    if not (a._data == 0).any():
        return _reverse_cumsum(g * out, dim) / a
    excluded = _excluded_products(a, dim)  # [..., i, j] = prod_{k <= j, k != i} a_k, j >= i
    return (excluded * g.movedim(dim, -1).unsqueeze(-2)).sum(-1).movedim(-1, dim)


def _cumprod_tangent(a: Any, out: Any, t: Any, dim: int) -> Any:
    if a.ndim == 0:
        return t
    if not (a._data == 0).any():
        return cumsum(t / a, dim) * out
    excluded = _excluded_products(a, dim)
    return (excluded * t.movedim(dim, -1).unsqueeze(-1)).sum(-2).movedim(-1, dim)


def _excluded_products(a: Any, dim: int) -> Any:
    """[..., i, j] = prod_{k <= j, k != i} a_k for j >= i, else 0 (``dim`` moved last): row i is
    the cumprod of a with a_i replaced by 1, so it stays exact (and differentiable) at zeros."""
    moved = a.movedim(dim, -1)
    n = moved.shape[-1]
    eye = constant(xp.eye(n, dtype=a.dtype))
    rows = cumprod(moved.unsqueeze(-2) * (1 - eye) + eye, -1)
    return rows * constant(xp.triu(xp.ones((n, n), a.dtype)))


class Logcumsumexp(Op):
    """out_i = log sum_{j <= i} exp(a_j);  da_i = sum_{j >= i} g_j exp(a_i - out_j)."""

    @staticmethod
    @_quiet
    def forward(ctx, a, dim):
        axis = _axis(ctx, a, dim, "logcumsumexp")
        a = a if a.dtype.kind == "f" else a.astype(get_default_dtype())
        out = a.copy() if axis is None else xp.logaddexp.accumulate(a, axis=axis)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        if a.ndim == 0:
            return grad_out, None
        weights = _logcumsumexp_weights(a, out, ctx.dim)
        grad = (weights * grad_out.movedim(ctx.dim, -1).unsqueeze(-2)).sum(-1)
        return grad.movedim(-1, ctx.dim), None

    @staticmethod
    def jvp(ctx, ta, _dim):
        a, out = ctx.saved_tensors
        if a.ndim == 0:
            return ta
        weights = _logcumsumexp_weights(a, out, ctx.dim)
        return (weights * ta.movedim(ctx.dim, -1).unsqueeze(-1)).sum(-2).movedim(-1, ctx.dim)


def _logcumsumexp_weights(a: Any, out: Any, dim: int) -> Any:
    """[..., i, j] = exp(a_i - out_j) = d out_j / d a_i for j >= i, else 0 (``dim`` moved last);
    each lies in [0, 1], so nothing overflows."""
    ai = a.movedim(dim, -1).unsqueeze(-1)
    oj = out.movedim(dim, -1).unsqueeze(-2)
    n = ai.shape[-2]
    lower = constant(xp.tril(xp.ones((n, n), bool), -1))
    return (ai - oj).masked_fill(lower, -xp.inf).exp()


class CumExtremeIndices(Op):
    """Index of the running maximum (``largest``) or minimum along ``dim``, the last among ties
    (int64; no gradient). NaN, once seen, stays the extreme, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, dim, largest):
        if a.ndim == 0:
            return xp.zeros((), xp.int64)
        moved = xp.moveaxis(a, dim, -1)
        out = xp.zeros(moved.shape, xp.int64)
        best = moved[..., 0].copy()
        for i in range(1, moved.shape[-1]):
            v = moved[..., i]
            better = (v >= best) if largest else (v <= best)
            if a.dtype.kind == "f":
                better = (better | xp.isnan(v)) & ~xp.isnan(best)
            best = xp.where(better, v, best)
            out[..., i] = xp.where(better, i, out[..., i - 1])
        return xp.moveaxis(out, -1, dim)


def _scan_dim(op: str, dim: Any, axis: Any) -> int:
    """``dim`` (or its alias ``axis``), which scans require."""
    dim = dim_alias(op, dim, axis)
    if dim is None:
        raise TypeError(f"{op}() missing 1 required positional argument: 'dim'")
    return dim


def _running(op: str, input: Any, dim: Any, axis: Any, largest: bool, result: type) -> Any:
    dim = wrap_dim(_scan_dim(op, dim, axis), input.ndim, op)
    indices = CumExtremeIndices.apply(input, dim, largest)
    return result(gather(input, dim, indices), indices)


def cumsum(
    input: Any,
    dim: int | None = None,
    *,
    dtype: Any = None,
    axis: int | None = None,
    out: Any = None,
) -> Any:
    """Running sum along ``dim``; integers and bools sum as int64 unless ``dtype`` says."""
    dim = _scan_dim("cumsum", dim, axis)
    res = Cumsum.apply(input, dim, None if dtype is None else as_dtype(dtype))
    return write_out("cumsum", res, out)


def cumprod(
    input: Any,
    dim: int | None = None,
    *,
    dtype: Any = None,
    axis: int | None = None,
    out: Any = None,
) -> Any:
    """Running product along ``dim``; its gradient is exact where ``input`` holds zeros."""
    dim = _scan_dim("cumprod", dim, axis)
    res = Cumprod.apply(input, dim, None if dtype is None else as_dtype(dtype))
    return write_out("cumprod", res, out)


def logcumsumexp(
    input: Any, dim: int | None = None, *, axis: int | None = None, out: Any = None
) -> Any:
    """log(cumsum(exp(input))) along ``dim``, computed without overflow."""
    res = Logcumsumexp.apply(input, _scan_dim("logcumsumexp", dim, axis))
    return write_out("logcumsumexp", res, out)


def cummax(input: Any, dim: int | None = None, *, axis: int | None = None, out: Any = None) -> Any:
    """``(values, indices)`` of the running maximum along ``dim``."""
    return write_out("cummax", _running("cummax", input, dim, axis, True, cummax_result), out)


def cummin(input: Any, dim: int | None = None, *, axis: int | None = None, out: Any = None) -> Any:
    """``(values, indices)`` of the running minimum along ``dim``."""
    return write_out("cummin", _running("cummin", input, dim, axis, False, cummin_result), out)


def diff(
    input: Any,
    n: int = 1,
    dim: int = -1,
    prepend: Any = None,
    append: Any = None,
    *,
    axis: int | None = None,
    out: Any = None,
) -> Any:
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` are joined first)."""
    dim = dim_alias("diff", dim, axis, -1)
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    x = input
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, input, append) if p is not None]
        x = cat(parts, dim)
    for _ in range(n):
        size = x.shape[wrap_dim(dim, x.ndim, "diff")]
        if size == 0:
            break
        later, earlier = narrow(x, dim, 1, size - 1), narrow(x, dim, 0, size - 1)
        x = (later != earlier) if x.dtype.kind == "b" else later - earlier
    return write_out("diff", x, out)
