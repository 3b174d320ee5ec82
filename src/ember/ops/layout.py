"""Shape operations composed of the primitives in shape.py and index.py: view (also as another
dtype), ravel, t, swapaxes, fliplr/flipud, rot90, repeat_interleave, atleast_1d/2d/3d, meshgrid,
broadcast_tensors, hstack/vstack/dstack/column_stack."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backend import as_dtype, xp
from .args import constant, write_out
from .index import index_select
from .shape import (
    as_view,
    broadcast_to,
    cat,
    expand,
    flip,
    reshape,
    transpose,
    unsqueeze,
    wrap_dim,
)

__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_shapes",
    "broadcast_tensors",
    "column_stack",
    "dstack",
    "fliplr",
    "flipud",
    "hstack",
    "meshgrid",
    "ravel",
    "repeat_interleave",
    "rot90",
    "swapaxes",
    "swapdims",
    "t",
    "view",
    "vstack",
]


def view(input: Any, *shape: Any) -> Any:
    """The same memory in a new shape (``view(2, 3)``, ``view((2, 3))``, ``view(-1)``), or
    reinterpreted as another dtype of the same size (``view(ember.int32)``)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, Sequence)):
        dtype = as_dtype(shape[0])
        if dtype.itemsize != input.dtype.itemsize:
            raise RuntimeError(
                f"view: cannot view a tensor of {input.dtype} as {dtype} (element sizes differ)"
            )
        return as_view(constant(input._data.view(dtype)), input)
    return reshape(input, *shape)


def ravel(input: Any) -> Any:
    """``input`` as one dim (a view when possible)."""
    return reshape(input, -1)


def t(input: Any) -> Any:
    """The transpose of a matrix; vectors and 0-d tensors come back unchanged."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def swapaxes(input: Any, axis0: int, axis1: int) -> Any:
    """``transpose`` under NumPy's name."""
    return transpose(input, axis0, axis1)


def swapdims(input: Any, dim0: int, dim1: int) -> Any:
    """``transpose`` under another name."""
    return transpose(input, dim0, dim1)


def fliplr(input: Any) -> Any:
    """``input`` reversed along dim 1 (at least 2-D)."""
    if input.ndim < 2:
        raise RuntimeError("fliplr: input must be >= 2-d")
    return flip(input, (1,))


def flipud(input: Any) -> Any:
    """``input`` reversed along dim 0 (at least 1-D)."""
    if input.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d")
    return flip(input, (0,))


def rot90(input: Any, k: int = 1, dims: Sequence[int] = (0, 1)) -> Any:
    """``input`` rotated by 90 degrees ``k`` times in the plane of ``dims`` (from the first dim
    towards the second)."""
    if len(dims) != 2 or input.ndim < 2:
        raise RuntimeError(
            f"rot90: expected total rotation dims == 2 and input dims >= 2, got {dims}"
        )
    d0, d1 = (wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"rot90: rotation dims must differ, got {dims}")
    k %= 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(transpose(input, d0, d1), (d1,))
    return input.clone()


def repeat_interleave(
    input: Any, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Any:
    """Each element (slice along ``dim``; of the flattened tensor when None) repeated
    ``repeats`` times (an int, or one count per element). ``repeat_interleave(counts)`` alone
    repeats 0, 1, 2, ... by ``counts``."""
    if repeats is None:  # the index form
        counts = input._data
        return constant(xp.repeat(xp.arange(counts.size, dtype=xp.int64), counts))
    x = reshape(input, -1) if dim is None else input
    d = 0 if dim is None else wrap_dim(dim, x.ndim, "repeat_interleave")
    if x.ndim == 0:
        x = reshape(x, 1)
    counts = xp.asarray(getattr(repeats, "_data", repeats))
    if (counts < 0).any():
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    if counts.ndim and counts.size not in (1, x.shape[d]):
        raise RuntimeError(
            f"repeat_interleave: repeats must have the same size as input along dim {d}, got "
            f"{counts.size} and {x.shape[d]}"
        )
    index = xp.repeat(
        xp.arange(x.shape[d], dtype=xp.int64), counts.reshape(-1) if counts.ndim else counts
    )
    return index_select(x, d, constant(index))


def _at_least(tensors: tuple, ndim: int) -> Any:
    def lift(x: Any) -> Any:
        if x.ndim >= ndim:
            return x
        if ndim == 3 and x.ndim == 2:
            return unsqueeze(x, -1)
        shape = {0: (1,) * ndim, 1: (1,) * (ndim - 1) + tuple(x.shape)}[x.ndim]
        return reshape(x, (1, x.shape[0], 1) if ndim == 3 and x.ndim == 1 else shape)

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = tuple(lift(x) for x in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least one dim (0-d becomes shape (1,))."""
    return _at_least(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least two dims (leading size-1 dims added)."""
    return _at_least(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least three dims ((n,) becomes (1, n, 1); (m, n) becomes (m, n, 1))."""
    return _at_least(tensors, 3)


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that tensors of ``shapes`` broadcast to."""
    try:
        return tuple(
            xp.broadcast_shapes(*((s,) if isinstance(s, int) else tuple(s) for s in shapes))
        )
    except ValueError:
        raise RuntimeError(
            f"broadcast_shapes: shapes {shapes} cannot be broadcast together"
        ) from None


def broadcast_tensors(*tensors: Any) -> tuple:
    """The tensors expanded to their common broadcast shape (views)."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(broadcast_to(t, shape) for t in tensors)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors: ``indexing='ij'`` (the default) gives shape
    (len(t0), len(t1), ...), ``'xy'`` swaps the first two dims."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for x in tensors:
        if x.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0-D or 1-D tensors, got shape {x.shape}")
    flat = [reshape(x, -1) for x in tensors]
    if indexing == "xy" and len(flat) >= 2:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(x.shape[0] for x in flat)
    n = len(flat)
    grids = [
        expand(reshape(x, (1,) * i + (-1,) + (1,) * (n - i - 1)), shape) for i, x in enumerate(flat)
    ]
    if indexing == "xy" and n >= 2:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def hstack(tensors: Sequence[Any], *, out: Any = None) -> Any:
    """Tensors joined along dim 1 (along dim 0 for 1-D tensors)."""
    ts = atleast_1d(*tensors)
    ts = ts if isinstance(ts, tuple) else (ts,)
    return cat(ts, 0 if ts[0].ndim == 1 else 1, out=out)


def vstack(tensors: Sequence[Any], *, out: Any = None) -> Any:
    """Tensors joined along dim 0 (1-D tensors become rows)."""
    ts = atleast_2d(*tensors)
    return cat(ts if isinstance(ts, tuple) else (ts,), 0, out=out)


def dstack(tensors: Sequence[Any], *, out: Any = None) -> Any:
    """Tensors joined along dim 2 (after ``atleast_3d``)."""
    ts = atleast_3d(*tensors)
    return cat(ts if isinstance(ts, tuple) else (ts,), 2, out=out)


def column_stack(tensors: Sequence[Any], *, out: Any = None) -> Any:
    """1-D tensors as columns (others as they are) joined along dim 1."""
    cols = [reshape(x, (-1, 1)) if x.ndim <= 1 else x for x in tensors]
    return write_out("column_stack", cat(cols, 1), out)
