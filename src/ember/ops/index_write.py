"""Writes at indices, out of place: scatter, scatter_reduce, index_add, index_copy, index_fill,
masked_scatter, and the reads masked_select and take.

All but scatter_reduce are ``index_put`` with the right advanced index, so they share its
gradient rule: the input's gradient is zero where a value was written (kept where it was
accumulated), the written values get the gradient at their positions.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp
from .args import constant, write_out
from .elementwise import where
from .index import Getitem, IndexPut, _check_bounds, _check_gather, _grid, _int_array
from .shape import wrap_dim

__all__ = [
    "index_add",
    "index_copy",
    "index_fill",
    "masked_scatter",
    "masked_select",
    "put",
    "scatter",
    "scatter_reduce",
    "take",
]


def _scatter_index(input: Any, dim: int, index: Any, src: Any, op: str) -> tuple:
    """The advanced index of ``input[i][index[i][j]]`` (dim 1) and ``src`` cut to index's shape."""
    idx = _int_array(index, op)
    d = wrap_dim(dim, max(input.ndim, 1), op)
    _check_gather(input.shape if input.ndim else (1,), d, idx.reshape(idx.shape or (1,)), op)
    if hasattr(src, "shape") and src.ndim:
        if src.ndim != idx.ndim or any(m > n for m, n in zip(idx.shape, src.shape)):
            raise RuntimeError(
                f"{op}: index of shape {idx.shape} is larger than src of shape "
                f"{tuple(src.shape)} (expected index.size(d) <= src.size(d) for all d)"
            )
        if tuple(src.shape) != idx.shape:
            src = src[tuple(slice(0, m) for m in idx.shape)]
    return (_grid(idx, d) if input.ndim else (idx,)), src


def scatter(
    input: Any,
    dim: int,
    index: Any,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
    out: Any = None,
) -> Any:
    """A copy of ``input`` with ``src[i][j]`` (or ``value``) written at ``[i][index[i][j]]`` for
    dim=1 (likewise for any dim); ``reduce='add'``/``'multiply'`` combines instead of writing."""
    if src is None and value is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    written = value if src is None else src
    if reduce is not None:
        mode = {"add": "sum", "multiply": "prod"}.get(reduce)
        if mode is None:
            raise RuntimeError(
                f"scatter: reduce argument must be either add or multiply, got {reduce}"
            )
        if src is None:
            written = constant(xp.full(_int_array(index, "scatter").shape, value, input.dtype))
        return write_out("scatter", scatter_reduce(input, dim, index, written, mode), out)
    key, written = _scatter_index(input, dim, index, written, "scatter")
    x = input.reshape(1) if input.ndim == 0 else input
    res = IndexPut.apply(x, key, written, False)
    return write_out("scatter", res.reshape(()) if input.ndim == 0 else res, out)


class ScatterReduce(Op):
    """out = input with src combined into it at the scatter index by ``reduce`` ('sum', 'prod',
    'mean', 'amax', 'amin'), counting input itself when ``include_self``;
    d input / d src = where each took part: 1 (sum), 1/count (mean), out/x (prod, no zeros),
    an even share among the elements equal to the result (amax, amin)."""

    @staticmethod
    def forward(ctx, a, key, src, reduce, include_self):
        ctx.key, ctx.reduce, ctx.include_self = key, reduce, include_self
        hit = xp.zeros(a.shape, bool)
        hit[key] = True
        out = a.copy()
        if not include_self:
            out[hit] = {"sum": 0, "mean": 0, "prod": 1}.get(reduce, 0)
        count = xp.zeros(a.shape, xp.int64)
        xp.add.at(count, key, 1)
        if reduce in ("sum", "mean"):
            xp.add.at(out, key, src)
        elif reduce == "prod":
            xp.multiply.at(out, key, src)
        else:
            ufunc = xp.maximum if reduce == "amax" else xp.minimum
            if not include_self:
                out[key] = src  # one member of each group, then combined with all of them
            ufunc.at(out, key, src)
        if reduce == "mean":
            total = count + (1 if include_self else 0)
            with xp.errstate(invalid="ignore", divide="ignore"):
                mean = out / xp.maximum(total, 1)
            out = mean.astype(a.dtype) if a.dtype.kind == "f" else (out // xp.maximum(total, 1))
        ctx.count = count
        ctx.save_for_backward(a, src, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        w_a, w_src = _scatter_partials(ctx)
        need_a, _, need_src = ctx.needs_input_grad[:3]
        grad_a = grad_out * w_a if need_a else None
        grad_src = Getitem.apply(grad_out, ctx.key) * w_src if need_src else None
        return grad_a, None, grad_src, None, None

    @staticmethod
    def jvp(ctx, ta, _key, tsrc, _reduce, _include_self):
        w_a, w_src = _scatter_partials(ctx)
        out = None if ta is None else ta * w_a
        if tsrc is not None:
            zeros = constant(xp.zeros(ctx.shapes[0], ctx.dtypes[0]))
            spread = IndexPut.apply(zeros, ctx.key, tsrc * w_src, True)
            out = spread if out is None else out + spread
        return out


def _scatter_partials(ctx: Any) -> tuple[Any, Any]:
    """d out / d input (input's shape) and d out / d src (src's shape; each src element feeds
    only its own position) of scatter_reduce."""
    a, src, out = ctx.saved_tensors
    key, reduce, include_self = ctx.key, ctx.reduce, ctx.include_self
    hit = xp.zeros(a.shape, bool)
    hit[key] = True
    self_in = xp.where(hit, include_self, True)  # whether input took part at each position
    dtype = a.dtype
    if reduce == "sum":
        return constant(self_in.astype(dtype)), constant(xp.ones(src.shape, dtype))
    if reduce == "mean":
        total = xp.where(hit, xp.maximum(ctx.count + include_self, 1), 1).astype(dtype)
        return constant(self_in / total), constant(1 / total[key])
    if reduce == "prod":
        if (a._data[hit] == 0).any() or (src._data == 0).any():
            raise NotImplementedError(
                "scatter_reduce: the gradient of reduce='prod' where a combined value is zero "
                "is not implemented"
            )
        at = constant(hit)
        ratio = where(at, out / where(at, a, 1.0), 1.0)
        w_a = ratio if include_self else where(at, 0.0, ratio)
        return w_a, Getitem.apply(out, key) / src
    # amax, amin: an even share for every element equal to the result.
    winners_a = (a._data == out._data) & self_in
    winners_src = src._data == out._data[key]
    ties = winners_a.astype(xp.int64)
    xp.add.at(ties, key, winners_src)
    ties = xp.maximum(ties, 1).astype(dtype)
    return constant(winners_a / ties), constant(winners_src / ties[key])


def scatter_reduce(
    input: Any,
    dim: int,
    index: Any,
    src: Any,
    reduce: str,
    *,
    include_self: bool = True,
    out: Any = None,
) -> Any:
    """``input`` with ``src`` combined in at the scatter index (as ``scatter``) by ``reduce``:
    'sum', 'prod', 'mean', 'amax' or 'amin'; ``include_self=False`` leaves input's own values
    out wherever something is scattered."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"scatter_reduce: reduce argument must be either sum, prod, mean, amax or amin, "
            f"got {reduce}"
        )
    key, src = _scatter_index(input, dim, index, src, "scatter_reduce")
    x = input.reshape(1) if input.ndim == 0 else input
    res = ScatterReduce.apply(x, key, src, reduce, include_self)
    return write_out("scatter_reduce", res.reshape(()) if input.ndim == 0 else res, out)


def _dim_key(input: Any, dim: int, index: Any, op: str) -> tuple:
    """The advanced index ``[:, ..., index]`` that picks entries ``index`` along ``dim``."""
    idx = _int_array(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}: index must be 0-d or 1-d, got shape {idx.shape}")
    d = wrap_dim(dim, max(input.ndim, 1), op)
    size = input.shape[d] if input.ndim else 1
    _check_bounds(idx, size, op, f"dim {d} with size {size}", negative=True)
    return (slice(None),) * d + (idx.reshape(-1),)


def index_add(
    input: Any, dim: int, index: Any, source: Any, *, alpha: float = 1, out: Any = None
) -> Any:
    """A copy of ``input`` with ``alpha * source[i]`` added at entry ``index[i]`` along ``dim``
    (repeated indices accumulate)."""
    key = _dim_key(input, dim, index, "index_add")
    if alpha != 1:
        source = source * alpha
    x = input.reshape(1) if input.ndim == 0 else input
    res = IndexPut.apply(x, key, source.reshape(x[key].shape), True)
    return write_out("index_add", res.reshape(input.shape), out)


def index_copy(input: Any, dim: int, index: Any, source: Any, *, out: Any = None) -> Any:
    """A copy of ``input`` with ``source[i]`` written at entry ``index[i]`` along ``dim``."""
    key = _dim_key(input, dim, index, "index_copy")
    x = input.reshape(1) if input.ndim == 0 else input
    res = IndexPut.apply(x, key, source.reshape(x[key].shape), False)
    return write_out("index_copy", res.reshape(input.shape), out)


def index_fill(input: Any, dim: int, index: Any, value: Any) -> Any:
    """A copy of ``input`` with ``value`` (a number or 0-d tensor) at the entries ``index``
    along ``dim``."""
    key = _dim_key(input, dim, index, "index_fill")
    x = input.reshape(1) if input.ndim == 0 else input
    return IndexPut.apply(x, key, value, False).reshape(input.shape)


def _mask(input: Any, mask: Any, op: str) -> Any:
    m = _int_array_or_bool(mask)
    if m.dtype.kind != "b":
        raise RuntimeError(f"{op}: expected a bool mask, got dtype {m.dtype}")
    return m


def _int_array_or_bool(mask: Any) -> Any:
    return mask._data if hasattr(mask, "_data") else xp.asarray(mask)


def masked_scatter(input: Any, mask: Any, source: Any) -> Any:
    """A copy of ``input`` with the elements of ``source`` (in order) written where ``mask``
    (broadcast to input) is True."""
    m = xp.broadcast_to(_mask(input, mask, "masked_scatter"), input.shape)
    n = int(m.sum())
    if source.numel() < n:
        raise RuntimeError(
            f"masked_scatter: expected source to hold at least {n} elements, got {source.numel()}"
        )
    return IndexPut.apply(input, (m,), source.reshape(-1)[:n], False)


def masked_select(input: Any, mask: Any, *, out: Any = None) -> Any:
    """The elements of ``input`` where ``mask`` is True (both broadcast), as a 1-D tensor."""
    m = _mask(input, mask, "masked_select")
    shape = xp.broadcast_shapes(input.shape, m.shape)
    x = input if tuple(input.shape) == shape else input.expand(shape)
    return write_out("masked_select", Getitem.apply(x, (xp.broadcast_to(m, shape),)), out)


def take(input: Any, index: Any) -> Any:
    """The elements of the flattened ``input`` at ``index`` (negative counts from the end), in
    index's shape."""
    idx = _int_array(index, "take")
    flat = input.reshape(-1)
    _check_bounds(idx, flat.shape[0], "take", f"a tensor of {flat.shape[0]} elements", True)
    return Getitem.apply(flat, (idx,))


def put(input: Any, index: Any, source: Any, accumulate: bool = False) -> Any:
    """A copy of ``input`` with ``source`` written (added, with ``accumulate``) at ``index`` of
    the flattened tensor."""
    idx = _int_array(index, "put")
    flat = input.reshape(-1)
    _check_bounds(idx, flat.shape[0], "put", f"a tensor of {flat.shape[0]} elements", True)
    return IndexPut.apply(flat, (idx.reshape(-1),), source.reshape(-1), accumulate).reshape(
        input.shape
    )
