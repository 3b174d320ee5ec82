"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, mode.

One op computes positions (``SortIndices``, not differentiable); every value is then picked with
``gather``, whose gradient puts each incoming gradient back where its value came from. So no rule
here needs a derivative of its own.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from ..autograd.function import Op
from ..backend import xp
from .args import constant, dim_alias, keepdim_alias, write_out
from .index import gather
from .reduce import kept_shape
from .shape import squeeze, wrap_dim

__all__ = ["argsort", "kthvalue", "median", "mode", "msort", "nanmedian", "sort", "topk"]

# Named tuples that read like torch.return_types.*.
sort_result = namedtuple("sort", ("values", "indices"))
topk_result = namedtuple("topk", ("values", "indices"))
kthvalue_result = namedtuple("kthvalue", ("values", "indices"))
median_result = namedtuple("median", ("values", "indices"))
nanmedian_result = namedtuple("nanmedian", ("values", "indices"))
mode_result = namedtuple("mode", ("values", "indices"))


def _descending_key(a: Any) -> Any:
    """A key whose ascending order is a's descending order (no overflow for integers)."""
    if a.dtype.kind == "b":
        return ~a
    if a.dtype.kind == "u":
        return xp.iinfo(a.dtype).max - a
    if a.dtype.kind == "i":
        return ~a  # -a - 1: order-reversing and never overflows
    return -a


def order(a: Any, axis: int, descending: bool) -> Any:
    """Stable argsort of an array along ``axis``; NaN counts as the largest value, as in PyTorch
    (last ascending, first descending)."""
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    key = _descending_key(a)
    if a.dtype.kind == "f" and xp.isnan(a).any():
        return xp.moveaxis(
            xp.lexsort((xp.moveaxis(key, axis, -1), ~xp.isnan(xp.moveaxis(a, axis, -1)))),
            -1,
            axis,
        )
    return xp.argsort(key, axis=axis, kind="stable")


class SortIndices(Op):
    """The positions that sort ``a`` along ``dim`` (int64; no gradient)."""

    @staticmethod
    def forward(ctx, a, dim, descending):
        if a.ndim == 0:
            wrap_dim(dim, 0, "sort")
            return xp.zeros((), xp.int64)
        return order(a, wrap_dim(dim, a.ndim, "sort"), descending).astype(xp.int64)


def _sorted(input: Any, dim: int, descending: bool) -> tuple[Any, Any]:
    indices = SortIndices.apply(input, dim, descending)
    return gather(input, dim, indices), indices


def sort(
    input: Any,
    dim: int = -1,
    descending: bool = False,
    stable: bool = False,
    *,
    axis: int | None = None,
    out: Any = None,
) -> Any:
    """``(values, indices)`` sorted along ``dim``; ties keep their order (the sort is always
    stable), NaN sorts as the largest value. Differentiable in ``values``."""
    dim = dim_alias("sort", dim, axis, -1)
    return write_out("sort", sort_result(*_sorted(input, dim, descending)), out)


def argsort(
    input: Any, dim: int = -1, descending: bool = False, stable: bool = False, *, axis: Any = None
) -> Any:
    """The indices that sort ``input`` along ``dim`` (int64)."""
    return SortIndices.apply(input, dim_alias("argsort", dim, axis, -1), descending)


def msort(input: Any, *, out: Any = None) -> Any:
    """``input`` sorted along its first dim."""
    return write_out("msort", _sorted(input, 0, False)[0], out)


def _take_positions(input: Any, dim: int, descending: bool, start: int, stop: int) -> Any:
    """Indices of the sorted elements ``start:stop`` along ``dim``."""
    indices = SortIndices.apply(input, dim, descending)
    if input.ndim == 0:
        return indices
    d = wrap_dim(dim, input.ndim, "sort")
    key = (slice(None),) * d + (slice(start, stop),)
    return constant(indices._data[key])


def topk(
    input: Any,
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,
    *,
    axis: int | None = None,
    out: Any = None,
) -> Any:
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, largest first. Differentiable in ``values``."""
    dim = dim_alias("topk", dim, axis, -1)
    size = input.shape[wrap_dim(dim, input.ndim, "topk")] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k out of range (k={k}, dim size {size})")
    indices = _take_positions(input, dim, largest, 0, k)
    return write_out("topk", topk_result(gather(input, dim, indices), indices), out)


def _pick_rank(op: str, input: Any, dim: int, keepdim: bool, rank: Any, result: type) -> Any:
    """The element at sorted position ``rank`` along ``dim`` (``rank(data, axis)`` gives one per
    slice, dim kept) and its index, as ``result``."""
    x = input if input.ndim else input.reshape(1)
    d = wrap_dim(dim, input.ndim, op)
    if x.shape[d] == 0:
        raise IndexError(f"{op}(): cannot be applied to an empty dim {dim}")
    positions = rank(x._data, d).astype(xp.int64)
    indices = gather(SortIndices.apply(x, d, False), d, constant(positions))
    values = gather(x, d, indices)
    if not keepdim or not input.ndim:
        values, indices = squeeze(values, d), squeeze(indices, d)
    return result(values, indices)


def kthvalue(
    input: Any,
    k: int,
    dim: int = -1,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """``(values, indices)`` of the ``k``-th smallest element (1-based) along ``dim``."""
    dim = dim_alias("kthvalue", dim, axis, -1)
    size = input.shape[wrap_dim(dim, input.ndim, "kthvalue")] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(
            f"kthvalue(): selected number k out of range for dimension {dim} (k={k}, size {size})"
        )

    def rank(data: Any, d: int) -> Any:
        return xp.full(kept_shape(data.shape, (d,)), k - 1)

    res = _pick_rank(
        "kthvalue", input, dim, keepdim_alias(keepdim, keepdims), rank, kthvalue_result
    )
    return write_out("kthvalue", res, out)


def _median_rank(data: Any, d: int) -> Any:
    """The lower middle of each slice; the last position (a NaN) where the slice holds NaN."""
    n = data.shape[d]
    nan = xp.isnan(data).any(axis=d, keepdims=True) if data.dtype.kind == "f" else False
    return xp.where(nan, n - 1, xp.full(kept_shape(data.shape, (d,)), (n - 1) // 2))


def _nanmedian_rank(data: Any, d: int) -> Any:
    """The lower middle of each slice's non-NaN values (which sort first)."""
    valid = data.shape[d]
    if data.dtype.kind == "f":
        valid = valid - xp.isnan(data).sum(axis=d, keepdims=True)
    return xp.broadcast_to(xp.maximum((valid - 1) // 2, 0), kept_shape(data.shape, (d,)))


def _median(
    op: str, input: Any, dim: Any, keepdim: bool, axis: Any, keepdims: Any, result: type
) -> Any:
    dim = dim_alias(op, dim, axis)
    rank = _nanmedian_rank if op == "nanmedian" else _median_rank
    if dim is not None:
        return _pick_rank(op, input, dim, keepdim_alias(keepdim, keepdims), rank, result)
    if not input.numel():
        return constant(xp.full((), xp.nan, input.dtype))
    return _pick_rank(op, input.reshape(-1), 0, False, rank, result).values


def median(
    input: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """The lower median of all elements (0-d), or ``(values, indices)`` along ``dim``; NaN where
    a slice holds NaN."""
    res = _median("median", input, dim, keepdim, axis, keepdims, median_result)
    return write_out("median", res, out)


def nanmedian(
    input: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """As ``median``, ignoring NaN (NaN only where a slice is all NaN)."""
    res = _median("nanmedian", input, dim, keepdim, axis, keepdims, nanmedian_result)
    return write_out("nanmedian", res, out)


class ModeIndices(Op):
    """Index (the last occurrence) of the most frequent value along ``dim``, the smallest such
    value among ties; kept dim (int64; no gradient)."""

    @staticmethod
    def forward(ctx, a, dim):
        if a.ndim == 0:
            return xp.zeros((), xp.int64)
        moved = xp.moveaxis(a, dim, -1)
        flat = moved.reshape(-1, moved.shape[-1])
        out = xp.empty(flat.shape[0], xp.int64)
        for row, values in enumerate(flat):
            uniq, counts = xp.unique(values, return_counts=True)
            best = uniq[xp.argmax(counts)]
            out[row] = xp.flatnonzero(values == best)[-1]
        return xp.expand_dims(out.reshape(moved.shape[:-1]), dim)


def mode(
    input: Any,
    dim: int = -1,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
    out: Any = None,
) -> Any:
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest among ties)
    and the index of its last occurrence."""
    dim = wrap_dim(dim_alias("mode", dim, axis, -1), input.ndim, "mode")
    if input.ndim and input.shape[dim] == 0:
        raise IndexError(f"mode(): expected a non-empty dim {dim}")
    indices = ModeIndices.apply(input, dim)
    values = gather(input, dim, indices)
    if not keepdim_alias(keepdim, keepdims) and input.ndim:
        values, indices = squeeze(values, dim), squeeze(indices, dim)
    return write_out("mode", mode_result(values, indices), out)
