"""Indexing, slicing and padding: ``a[index]``, ``a[index] = value`` (out of place),
gather/scatter, masks, narrow/split/unbind, pad.

Basic indices (ints, slices, None, Ellipsis) give views that share the input's version counter;
integer-array and boolean-mask indices give copies. Every gradient that scatters back adds once per
occurrence (``numpy.add.at``), so an element picked twice receives the sum of both gradients.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from ..autograd import function
from ..autograd.function import Op
from ..autograd.grad_mode import state
from ..backend import xp
from .shape import as_view, sized_dim, wrap_dim

__all__ = [
    "chunk",
    "gather",
    "getitem",
    "index_put",
    "index_select",
    "masked_fill",
    "narrow",
    "one_hot",
    "pad",
    "scatter_add",
    "select",
    "split",
    "take_along_dim",
    "unbind",
]

_BASIC = (slice, type(None), type(Ellipsis))


def _index_item(item: Any, op: str) -> Any:
    """One entry of an index: tensors, lists and arrays become integer or boolean arrays."""
    if type(item) is int or isinstance(item, _BASIC):
        return item
    if isinstance(item, xp.integer):
        return int(item)
    tensor = type(item) is function._Tensor
    arr = item._data if tensor else xp.asarray(item)
    if arr.dtype.kind in "iu":
        if arr.ndim == 0 and tensor and state.tracer is not None:
            state.tracer.escape("a 0-d tensor used as an index")
        return int(arr) if arr.ndim == 0 else arr
    if arr.dtype.kind == "b":
        return arr
    if arr.size == 0 and isinstance(item, (list, tuple)):
        return arr.astype(xp.int64)
    what = f"a tensor of dtype {arr.dtype}" if tensor else f"{type(item).__name__} {item!r}"
    raise TypeError(
        f"{op}: indices must be ints, slices, None, Ellipsis or integer/bool tensors, got {what}"
    )


def _normalize_index(index: Any, op: str) -> tuple[tuple, bool]:
    """The index as a tuple NumPy understands, and whether it is basic (the result is a view)."""
    if type(index) is int or type(index) is slice:
        return (index, Ellipsis), True
    items = tuple(_index_item(i, op) for i in (index if type(index) is tuple else (index,)))
    basic = not any(type(i) is xp.ndarray for i in items)
    if basic and Ellipsis not in items:
        items += (Ellipsis,)  # a full integer index then gives a 0-d view, not a scalar copy
    return items, basic


def _add_at(out: Any, index: tuple, values: Any) -> None:
    """``out[index] += values``, adding once per occurrence of a repeated index."""
    values = xp.asarray(values, dtype=out.dtype)
    if not any(type(i) is xp.ndarray for i in index):
        out[index] += values
        return
    rows = index[0]
    if (
        len(index) == 1
        and rows.dtype.kind in "iu"
        and values.shape == rows.shape + out.shape[1:]
        and out.flags.c_contiguous
        and (not rows.size or (-out.shape[0] <= rows.min() and rows.max() < out.shape[0]))
    ):
        _add_rows(out, rows, values)
    else:  # add.at raises its error for an index out of bounds
        xp.add.at(out, index, values)


_ROWS_MIN = 256  # below this many rows the rounds cost more than add.at on single entries


def _add_rows(out: Any, rows: Any, values: Any) -> None:
    """``out[rows] += values`` for integer ``rows`` in bounds (a negative one counts from the
    end) of a C-contiguous ``out``, ``values`` of shape ``rows.shape + out.shape[1:]``, with the
    sums add.at makes: each row's values added in the index's order. add.at over rows takes
    1.1 us a row; this adds one round of repeats at a time for many rows, else runs add.at on
    single entries (a few times faster than on rows)."""
    rows = rows.reshape(-1)
    n = rows.shape[0]
    if n >= _ROWS_MIN:
        rows = xp.where(rows < 0, rows + xp.intp(out.shape[0]), rows)  # one name per row
        order = xp.argsort(rows, kind="stable")
        ordered = rows[order]
        first = xp.ones(n, dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        starts = xp.flatnonzero(first)
        repeat = xp.arange(n) - xp.repeat(starts, xp.diff(starts, append=n))  # occurrence
        rounds = xp.bincount(repeat)
        if len(rounds) <= n // 8:  # else one row repeated most of the time: many rounds
            values = values.reshape((n, *out.shape[1:]))
            by_round = xp.argsort(repeat, kind="stable")  # in a round, each row at most once
            done = 0
            for count in rounds.tolist():
                pick = by_round[done : done + count]
                out[ordered[pick]] += values[order[pick]]
                done += count
            return
    # An intp width: a narrow index's products widen instead of overflowing its own dtype;
    # a negative row's entries count from the end of the flat array, as the row does.
    width = xp.intp(math.prod(out.shape[1:]))
    entries = (rows[:, None] * width + xp.arange(width)).reshape(-1)
    xp.add.at(out.reshape(-1), entries, values.reshape(-1))


class Getitem(Op):
    """a[index];  da = zeros shaped like a with g added at index."""

    shape_from_masks = True  # a boolean index picks a number of entries set by data

    @staticmethod
    def forward(ctx, a, index):
        ctx.index = index
        try:
            return a[index]
        except IndexError as e:
            raise IndexError(f"getitem: {e}") from None

    @staticmethod
    def backward(ctx, grad_out):
        return IndexAccumulate.apply(grad_out, ctx.index, ctx.shapes[0]), None

    @staticmethod
    def backward_arrays(ctx, grad_out):
        return _accumulated(grad_out, ctx.index, ctx.shapes[0]), None

    @staticmethod
    def jvp(ctx, ta, _index):
        return Getitem.apply(ta, ctx.index)


class IndexAccumulate(Op):
    """zeros(shape) with g added at index (the adjoint of getitem);  dg = g'[index]."""

    @staticmethod
    def forward(ctx, g, index, shape):
        ctx.index, ctx.shape = index, shape
        return _accumulated(g, index, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return Getitem.apply(grad_out, ctx.index), None, None

    @staticmethod
    def jvp(ctx, tg, _index, _shape):
        return IndexAccumulate.apply(tg, ctx.index, ctx.shape)


def _accumulated(g: Any, index: tuple, shape: tuple) -> Any:
    """zeros(shape) with ``g`` added at ``index`` (once per occurrence of a repeated index)."""
    out = xp.zeros(shape, g.dtype)
    _add_at(out, index, g)
    return out


class IndexPut(Op):
    """a with a[index] = value (+= value with accumulate);
    da = g zeroed at index (g itself with accumulate), dvalue = g[index]."""

    @staticmethod
    def forward(ctx, a, index, value, accumulate):
        ctx.index, ctx.accumulate = index, accumulate
        out = a.copy()
        try:
            if accumulate:
                _add_at(out, index, value)
            else:
                out[index] = value
        except (IndexError, ValueError) as e:
            raise type(e)(f"index_put: {e}") from None
        return out

    @staticmethod
    def backward(ctx, grad_out):
        need_a, _, need_value, _ = ctx.needs_input_grad
        grad_a = grad_value = None
        if need_a:
            grad_a = grad_out if ctx.accumulate else IndexPut.apply(grad_out, ctx.index, 0, False)
        if need_value:
            grad_value = Getitem.apply(grad_out, ctx.index)
        return grad_a, None, grad_value, None

    @staticmethod
    def jvp(ctx, ta, _index, tv, _accumulate):
        return IndexPut.apply(ta, ctx.index, 0 if tv is None else tv, ctx.accumulate)


class ConstantPad(Op):
    """a framed by ``value`` (``widths`` per dim);  da = g with the frame cut off."""

    @staticmethod
    def forward(ctx, a, widths, value):
        ctx.widths = widths
        return xp.pad(a, widths, constant_values=value)

    @staticmethod
    def backward(ctx, grad_out):
        inner = tuple(slice(w[0], w[0] + n) for w, n in zip(ctx.widths, ctx.shapes[0]))
        return grad_out[inner], None, None

    @staticmethod
    def jvp(ctx, ta, _widths, _value):
        return ConstantPad.apply(ta, ctx.widths, 0)


class OneHot(Op):
    """out[..., c] = (index == c) as int64; not differentiable (an integer result)."""

    @staticmethod
    def forward(ctx, index, num_classes):
        return (index[..., None] == xp.arange(num_classes)).astype(xp.int64)


def _int_array(index: Any, op: str) -> Any:
    """An index tensor (or list, or array) as an integer array; TypeError for other dtypes."""
    arr = index._data if type(index) is function._Tensor else xp.asarray(index)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {arr.dtype}")
    return arr


def _check_bounds(index: Any, size: int, op: str, where: str, negative: bool = False) -> None:
    """IndexError naming ``op`` when an entry of ``index`` is outside ``[0, size)`` (or
    ``[-size, size)`` when ``negative``)."""
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        bad = hi if hi >= size else lo if lo < (-size if negative else 0) else None
        if bad is not None:
            raise IndexError(f"{op}: index {bad} is out of bounds for {where}")


def _check_gather(shape: tuple, dim: int, index: Any, op: str) -> None:
    """PyTorch's rule: index has input's rank, fits inside input outside ``dim``, and its entries
    are valid positions along ``dim``."""
    if index.ndim != len(shape) or any(
        m > n for i, (m, n) in enumerate(zip(index.shape, shape)) if i != dim
    ):
        raise ValueError(
            f"{op}: index of shape {index.shape} does not fit input of shape {tuple(shape)} "
            f"(same number of dims, no larger outside dim {dim})"
        )
    _check_bounds(index, shape[dim], op, f"dim {dim} with size {shape[dim]}")


def _grid(index: Any, dim: int) -> tuple:
    """The advanced index that picks ``a[i, index[i, j], ...]``: ``index`` at ``dim``, open
    ranges elsewhere, so the result has index's shape."""
    grid = list(xp.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def getitem(input: Any, index: Any) -> Any:
    """``a[index]``: ints, slices, None and Ellipsis give a view; integer tensors/lists/arrays and
    bool masks (also mixed with slices) give a copy."""
    index, basic = _normalize_index(index, "getitem")
    out = Getitem.apply(input, index)
    return as_view(out, input) if basic else out


def index_put(input: Any, index: Any, value: Any, accumulate: bool = False) -> Any:
    """A copy of ``a`` with ``a[index] = value`` (``+=`` with ``accumulate``, counting repeated
    indices); ``value`` broadcasts to ``a[index]`` and is cast to a's dtype."""
    return IndexPut.apply(input, _normalize_index(index, "index_put")[0], value, accumulate)


def gather(input: Any, dim: int, index: Any) -> Any:
    """``out[i][j] = input[i][index[i][j]]`` for dim=1 (likewise for any dim); index's shape."""
    idx = _int_array(index, "gather")
    if input.ndim == 0:
        return gather(input.reshape(1), 0, idx.reshape(-1)).reshape(idx.shape)
    d = wrap_dim(dim, input.ndim, "gather")
    _check_gather(input.shape, d, idx, "gather")
    return Getitem.apply(input, _grid(idx, d))


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Any:
    """A copy of ``input`` with ``src[i][j]`` added at ``[i][index[i][j]]`` for dim=1 (likewise
    for any dim); repeated positions accumulate."""
    idx = _int_array(index, "scatter_add")
    if input.ndim == 0:
        return scatter_add(input.reshape(1), 0, idx.reshape(-1), src.reshape(-1)).reshape(())
    d = wrap_dim(dim, input.ndim, "scatter_add")
    _check_gather(input.shape, d, idx, "scatter_add")
    if src.ndim != idx.ndim or any(m > n for m, n in zip(idx.shape, src.shape)):
        raise ValueError(
            f"scatter_add: index of shape {idx.shape} is larger than src of shape {src.shape}"
        )
    if src.shape != idx.shape:
        src = src[tuple(slice(0, m) for m in idx.shape)]
    return IndexPut.apply(input, _grid(idx, d), src, True)


def index_select(input: Any, dim: int, index: Any) -> Any:
    """The entries ``index`` (0-d or 1-d) of ``input`` along ``dim``."""
    idx = _int_array(index, "index_select")
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 0-d or 1-d, got shape {idx.shape}")
    if input.ndim == 0:
        return index_select(input.reshape(1), 0, idx).reshape(())
    d = wrap_dim(dim, input.ndim, "index_select")
    _check_bounds(idx, input.shape[d], "index_select", f"dim {d} with size {input.shape[d]}")
    return Getitem.apply(input, (slice(None),) * d + (idx.reshape(-1),))


def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Any:
    """``gather`` with input and indices broadcast outside ``dim`` and negative indices counted
    from the end; with ``dim=None`` both are flattened first."""
    idx = _int_array(indices, "take_along_dim")
    if dim is None or input.ndim == 0:
        input, idx, d = input.reshape(-1), idx.reshape(-1), 0
    else:
        d = wrap_dim(dim, input.ndim, "take_along_dim")
    n = input.shape[d]
    _check_bounds(idx, n, "take_along_dim", f"dim {d} with size {n}", negative=True)
    if idx.ndim != input.ndim:
        raise ValueError(
            f"take_along_dim: indices of shape {idx.shape} and input of shape "
            f"{tuple(input.shape)} must have the same number of dims"
        )
    try:
        outer = xp.broadcast_shapes(_drop(input.shape, d), _drop(idx.shape, d))
    except ValueError:
        raise ValueError(
            f"take_along_dim: input of shape {tuple(input.shape)} and indices of shape "
            f"{idx.shape} do not broadcast outside dim {d}"
        ) from None
    shape = (*outer[:d], n, *outer[d:])
    if input.shape != shape:
        input = input.expand(shape)
    idx = xp.broadcast_to(idx % max(n, 1), (*outer[:d], idx.shape[d], *outer[d:]))
    return Getitem.apply(input, _grid(idx, d))


def _drop(shape: tuple, dim: int) -> tuple:
    return tuple(shape[:dim]) + tuple(shape[dim + 1 :])


def masked_fill(input: Any, mask: Any, value: Any) -> Any:
    """``input`` with ``value`` (a number or 0-d tensor) where the bool ``mask`` is True; mask
    broadcasts."""
    m = mask._data if type(mask) is function._Tensor else xp.asarray(mask)
    if m.dtype.kind != "b":
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    if type(value) is function._Tensor and value.ndim:
        raise ValueError(
            f"masked_fill: value must be a number or a 0-d tensor, got shape {tuple(value.shape)}"
        )
    try:
        shape = xp.broadcast_shapes(input.shape, m.shape)
    except ValueError:
        raise ValueError(
            f"masked_fill: mask of shape {m.shape} does not broadcast with input of shape "
            f"{tuple(input.shape)}"
        ) from None
    if shape != input.shape:
        input = input.expand(shape)
    return IndexPut.apply(input, (xp.broadcast_to(m, shape),), value, False)


def one_hot(tensor: Any, num_classes: int = -1) -> Any:
    """int64 tensor of shape ``(*tensor.shape, num_classes)`` with a 1 at each class index
    (``num_classes=-1`` means ``max + 1``)."""
    idx = _int_array(tensor, "one_hot")
    if num_classes == -1:
        if not idx.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(idx.max()) + 1
    _check_bounds(idx, num_classes, "one_hot", f"num_classes {num_classes}")
    return OneHot.apply(idx, num_classes)


def _along(a: Any, dim: int, key: Any) -> Any:
    """``a[..., key, ...]`` with ``key`` at ``dim`` (a basic index: a view)."""
    return as_view(Getitem.apply(a, (slice(None),) * dim + (key, Ellipsis)), a)


def narrow(input: Any, dim: int, start: int, length: int) -> Any:
    """Elements ``start .. start + length - 1`` along ``dim``; a view."""
    d = sized_dim(input, dim, "narrow")
    n = input.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dim {d} of size {n}")
    start %= max(n, 1)
    if length < 0 or start + length > n:
        raise IndexError(f"narrow: start {start} + length {length} exceeds dim {d} of size {n}")
    return _along(input, d, slice(start, start + length))


def select(input: Any, dim: int, index: int) -> Any:
    """The slice at ``index`` along ``dim`` (that dim removed); a view."""
    d = sized_dim(input, dim, "select")
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select: index {index} is out of range for dim {d} of size {n}")
    return _along(input, d, index)


def split(input: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
    """Pieces of ``a`` along ``dim``: of size ``split_size`` (the last may be smaller) or of the
    listed sizes; views."""
    d = sized_dim(input, dim, "split")
    n = input.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0 and n:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + [n % size] * bool(n % size) if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sections {tuple(sizes)} don't add up to dim {d} of size {n}")
    starts = accumulate(sizes, initial=0)
    return tuple(_along(input, d, slice(s, s + m)) for s, m in zip(starts, sizes))


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple:
    """``a`` split into ``chunks`` near-equal pieces along ``dim`` (maybe fewer); views."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = input.shape[sized_dim(input, dim, "chunk")]
    return split(input, [0] * chunks if n == 0 else -(-n // chunks), dim)


def unbind(input: Any, dim: int = 0) -> tuple:
    """The slices of ``a`` along ``dim``, that dim removed; views."""
    d = sized_dim(input, dim, "unbind")
    return tuple(_along(input, d, i) for i in range(input.shape[d]))


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input: Any, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Any:
    """``input`` padded by ``pad = (last_left, last_right, prev_left, prev_right, ...)``.

    Modes: 'constant' (with ``value``; negative widths crop), 'reflect', 'replicate', 'circular'.
    """
    pad = tuple(pad)
    k = len(pad) // 2
    if len(pad) % 2 or k > input.ndim:
        raise ValueError(
            f"pad: pad {pad} must have an even length of at most 2 * {input.ndim} (the dims)"
        )
    widths = [(0, 0)] * (input.ndim - k) + [
        (pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k))
    ]
    if mode == "constant":
        if any(w < 0 for w in pad):
            crop = tuple(
                slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, input.shape)
            )
            input = input[crop]
            widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        return ConstantPad.apply(input, tuple(widths), 0 if value is None else value)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unknown mode {mode!r}; use 'constant', {', '.join(_PAD_MODES)}")
    index = []
    for i, ((lo, hi), n) in enumerate(zip(widths, input.shape)):
        take = xp.arange(n)
        if lo or hi:
            limit = {"reflect": n - 1, "circular": n}.get(mode, math.inf if n else -1)
            if min(lo, hi) < 0 or max(lo, hi) > limit:
                raise ValueError(
                    f"pad: {mode} padding {(lo, hi)} is out of range for dim {i} of size {n}"
                )
            take = xp.pad(take, (lo, hi), mode=_PAD_MODES[mode])
        index.append(take.reshape((-1,) + (1,) * (input.ndim - i - 1)))
    return input[tuple(index)]
