"""Counting and finding: unique, unique_consecutive, bincount, histc, searchsorted, bucketize,
nonzero, argwhere, count_nonzero. Their results are indices or counts, without a gradient."""

from __future__ import annotations

from typing import Any

from ..backend import xp
from .args import constant, dim_alias, write_out
from .reduce import reduce_dims
from .shape import wrap_dim

__all__ = [
    "argwhere",
    "bincount",
    "bucketize",
    "count_nonzero",
    "histc",
    "nonzero",
    "searchsorted",
    "unique",
    "unique_consecutive",
]


def _results(
    values: Any, inverse: Any, counts: Any, return_inverse: bool, return_counts: bool
) -> Any:
    """PyTorch's return shape: the values alone, or a tuple with the asked-for extras."""
    out = (constant(values),)
    if return_inverse:
        out += (constant(inverse.astype(xp.int64)),)
    if return_counts:
        out += (constant(counts.astype(xp.int64)),)
    return out[0] if len(out) == 1 else out


def unique(
    input: Any,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements of ``input`` (flattened), or its distinct slices along ``dim``,
    sorted; with ``return_inverse`` each element's (slice's) position among them, with
    ``return_counts`` how often each occurs."""
    a = input._data
    if dim is None:
        values, inverse, counts = xp.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        return _results(values, inverse.reshape(a.shape), counts, return_inverse, return_counts)
    d = wrap_dim(dim, a.ndim, "unique")
    if a.ndim == 0 or a.shape[d] == 0:
        empty = xp.zeros(0, xp.int64)
        return _results(a, empty, empty, return_inverse, return_counts)
    values, inverse, counts = xp.unique(a, return_inverse=True, return_counts=True, axis=d)
    return _results(values, inverse.reshape(-1), counts, return_inverse, return_counts)


def unique_consecutive(
    input: Any, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Any:
    """``input`` with each run of equal consecutive elements (slices along ``dim``) collapsed to
    one; ``return_inverse``/``return_counts`` as in ``unique``."""
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        starts = xp.ones(flat.shape, bool)
        starts[1:] = flat[1:] != flat[:-1]
        values, shape = flat[starts], a.shape
    else:
        d = wrap_dim(dim, a.ndim, "unique_consecutive")
        moved = xp.moveaxis(a, d, 0).reshape(a.shape[d] if a.ndim else 1, -1)
        starts = xp.ones(moved.shape[0], bool)
        starts[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        values, shape = xp.compress(starts, a, axis=d) if a.ndim else a, (moved.shape[0],)
    inverse = (xp.cumsum(starts) - 1).reshape(shape)
    counts = xp.diff(xp.append(xp.flatnonzero(starts), starts.size))
    return _results(values, inverse, counts, return_inverse, return_counts)


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Any:
    """How often each value 0, 1, ..., max occurs in a 1-D tensor of non-negative integers (the
    sum of ``weights`` at those positions when given); at least ``minlength`` bins."""
    a = input._data
    if a.dtype.kind not in "iub":
        raise NotImplementedError(f'bincount: "bincount_cpu" not implemented for {a.dtype}')
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if weights is None:
        return constant(xp.bincount(a, minlength=minlength).astype(xp.int64))
    w = weights._data
    if w.shape != a.shape:
        raise RuntimeError(
            f"bincount: weights should be 1-d and have the same length as input "
            f"(input {a.shape}, weights {w.shape})"
        )
    dtype = w.dtype if w.dtype.kind == "f" else xp.float64
    return constant(xp.bincount(a, weights=w.astype(xp.float64), minlength=minlength).astype(dtype))


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0, *, out: Any = None) -> Any:
    """Counts of ``input`` in ``bins`` equal-width bins over [min, max] (the data's range when
    both are 0); elements outside are ignored. Input's floating dtype."""
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f'histc: "histogram_cpu" not implemented for {a.dtype}')
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min (min={min}, max={max})")
    counts, _ = xp.histogram(a, bins=bins, range=(lo, hi))
    return write_out("histc", constant(counts.astype(a.dtype)), out)


def searchsorted(
    sorted_sequence: Any,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Any = None,
    out: Any = None,
) -> Any:
    """Where each value of ``input`` would go in ``sorted_sequence`` (along its last dim) to keep
    it sorted: the first such place, the last with ``right=True`` or ``side='right'``."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted: side can only be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted: side and right can't be set to opposites")
        right = side == "right"
    seq = sorted_sequence._data
    values = getattr(input, "_data", xp.asarray(input))
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    how = "right" if right else "left"
    if seq.ndim <= 1:
        result = xp.searchsorted(seq, values, side=how)
    else:
        if seq.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(
                f"searchsorted: boundaries {seq.shape} and input {values.shape} must have the "
                "same leading dims"
            )
        rows_s, rows_v = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        result = xp.stack([xp.searchsorted(s, v, side=how) for s, v in zip(rows_s, rows_v)])
        result = result.reshape(values.shape)
    dtype = xp.int32 if out_int32 else xp.int64
    return write_out("searchsorted", constant(xp.asarray(result, dtype=dtype)), out)


def bucketize(
    input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False, out: Any = None
) -> Any:
    """The bucket of each element of ``input`` among the 1-D sorted ``boundaries``:
    ``boundaries[i-1] < x <= boundaries[i]`` (``<= x <`` with ``right=True``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D, got shape {boundaries.shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def nonzero(input: Any, *, out: Any = None, as_tuple: bool = False) -> Any:
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one 1-D
    tensor per dim."""
    a = input._data
    if as_tuple:
        return tuple(
            constant(i.astype(xp.int64)) for i in xp.nonzero(a if a.ndim else a.reshape(1))
        )
    return write_out("nonzero", constant(xp.argwhere(a).astype(xp.int64)), out)


def argwhere(input: Any) -> Any:
    """Indices of the nonzero elements, an (n, ndim) int64 tensor."""
    return nonzero(input)


def count_nonzero(input: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """How many elements over ``dim`` (all by default) are nonzero (int64)."""
    a = input._data
    dims = reduce_dims(dim_alias("count_nonzero", dim, axis), a.ndim, "count_nonzero")
    return constant(
        xp.count_nonzero(a, axis=dims).astype(xp.int64) if dims else (a != 0).astype(xp.int64)
    )
