"""Pooling over NCHW tensors, with PyTorch's semantics, on strided views of the windows.

Max pooling is separable: the max over each window's columns in every padded row, then over its
rows; both steps keep the index of the first maximum, so gradients follow PyTorch's tie rule.
Average pooling is separable too: a window mean is A x B^T with A, B averaging matrices (their
rows hold 1/divisor), which covers padding, ceil_mode, count_include_pad and adaptive windows.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp
from .conv import Pair, _batched, _check_floating, _pair, _unbatched, _Windows

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "max_pool2d"]


def _max_index(views: list, nan: bool) -> tuple[Any, Any]:
    """Elementwise max of ``views`` and the index of the first view that holds it; with ``nan`` a
    NaN counts as the maximum (the last NaN, as in PyTorch)."""
    if len(views) == 1:
        return xp.array(views[0]), xp.zeros(views[0].shape, xp.uint8)
    best, index = None, None
    for t, v in enumerate(views[1:], 1):
        hit = v > (views[0] if best is None else best)
        if nan:
            hit |= xp.isnan(v)
        if best is None:
            best = xp.maximum(views[0], v)
            index = hit.view(xp.uint8) if len(views) <= 256 else hit.astype(xp.int32)
        else:
            xp.maximum(best, v, out=best)
            xp.copyto(index, t, where=hit)
    return best, index


def _max_pool(x: Any, geo: _Windows, nan: bool = False) -> tuple[Any, Any, Any]:
    """Max over each window, separably: over the columns of every padded row, then over rows.
    Row-major first maxima compose, so the indices (column per row, row per window) match
    PyTorch's tie rule."""
    rows, col_index = _max_index(geo.col_views(geo.padded(x, -xp.inf)), nan)
    out, row_index = _max_index(geo.row_views(rows), nan)
    if not nan and out.size and xp.isnan(out.max()):
        return _max_pool(x, geo, nan=True)
    return out, col_index, row_index


def _route(g: Any, index: Any, views: list, overlap: bool) -> None:
    """Write (or, where windows overlap, add) ``g`` into the view its ``index`` names."""
    if len(views) == 2 and not overlap:  # a 0/1 index read as a mask: no comparisons
        hit = index.view(xp.bool_)
        xp.multiply(g, hit, out=views[1])
        xp.multiply(g, ~hit, out=views[0])
        return
    for t, view in enumerate(views):
        if overlap:
            view += g * (index == t)
        else:
            xp.multiply(g, index == t, out=view)


def _pick(views: list, index: Any) -> Any:
    """The value of the view named by ``index``, elementwise."""
    out = xp.zeros(views[0].shape, views[0].dtype)
    for t, view in enumerate(views):
        xp.copyto(out, view, where=index == t)
    return out


class MaxPool2d(Op):
    """y = max over each window;  dx = g routed to the first maximum of each window."""

    @staticmethod
    def forward(ctx, x, geo):
        out, col_index, row_index = _max_pool(x, geo)
        ctx.geo = geo
        ctx.save_for_backward(col_index, row_index)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return MaxPool2dScatter.apply(grad_out, ctx.saved_tensors, ctx.geo), None

    @staticmethod
    def jvp(ctx, tx, _geo):
        return MaxPool2dGather.apply(tx, ctx.saved_tensors, ctx.geo)


class MaxPool2dScatter(Op):
    """x-shaped: g placed at each window's maximum (``index``), added where windows overlap;
    dg = MaxPool2dGather(g')."""

    @staticmethod
    def forward(ctx, g, index, geo):
        ctx.geo, ctx.index = geo, index
        (n, c), (hp, wp), wo = g.shape[:2], geo.padded_hw, geo.out_hw[1]
        rows = geo.buffer(0, (n, c, hp, wo), g.dtype)
        _route(g, index[1], geo.row_views(rows), geo.overlap[0])
        full = geo.buffer(1, (n, c, hp, wp), g.dtype)
        _route(rows, index[0], geo.col_views(full), geo.overlap[1])
        return geo.cropped(full) if any(geo.pad) else full

    @staticmethod
    def backward(ctx, grad_out):
        return MaxPool2dGather.apply(grad_out, ctx.index, ctx.geo), None, None

    @staticmethod
    def jvp(ctx, tg, _index, _geo):
        return MaxPool2dScatter.apply(tg, ctx.index, ctx.geo)


class MaxPool2dGather(Op):
    """y = x at each window's maximum (``index``);  dx = MaxPool2dScatter(g)."""

    @staticmethod
    def forward(ctx, x, index, geo):
        ctx.geo, ctx.index = geo, index
        rows = _pick(geo.col_views(geo.padded(x)), index[0])
        return _pick(geo.row_views(rows), index[1])

    @staticmethod
    def backward(ctx, grad_out):
        return MaxPool2dScatter.apply(grad_out, ctx.index, ctx.geo), None, None

    @staticmethod
    def jvp(ctx, tx, _index, _geo):
        return MaxPool2dGather.apply(tx, ctx.index, ctx.geo)


class MaxPool2dIndices(Op):
    """Flat index (into each H*W plane) of every window's first maximum; not differentiable."""

    @staticmethod
    def forward(ctx, x, geo):
        _, col_index, row_index = _max_pool(x, geo)
        (ho, wo), (sh, sw), (dh, dw) = geo.out_hw, geo.stride, geo.dilation
        row = xp.arange(ho)[:, None] * sh + row_index * xp.int64(dh)
        col = xp.arange(wo) * sw + xp.take_along_axis(col_index, row, axis=2) * xp.int64(dw)
        return (row - geo.pad[0]) * geo.in_hw[1] + col - geo.pad[2]


class AvgPool2d(Op):
    """y = A x B^T on each (H, W) plane (window averages, rows times columns);  dx = A^T g B."""

    @staticmethod
    def forward(ctx, x, rows, cols):
        ctx.rows, ctx.cols = rows, cols
        h, w = x.shape[-2:]
        y = (x.reshape(-1, w) @ cols.T).reshape(-1, h, cols.shape[0])
        return xp.matmul(rows, y).reshape(*x.shape[:-2], rows.shape[0], cols.shape[0])

    @staticmethod
    def backward(ctx, grad_out):
        return AvgPool2d.apply(grad_out, ctx.rows.T, ctx.cols.T), None, None

    @staticmethod
    def jvp(ctx, tx, _rows, _cols):
        return AvgPool2d.apply(tx, ctx.rows, ctx.cols)


def _pool_windows(op, x, kernel_size, stride, padding, dilation, ceil_mode) -> _Windows:
    """PyTorch's pooling geometry; ceil_mode adds bottom/right padding for the last windows."""
    kernel = _pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride", op)
    pad = _pair(padding, "padding", op, minimum=0)
    dilation = _pair(dilation, "dilation", op)
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ValueError(f"{op}: padding {pad} must be at most half of kernel_size {kernel}")
    extra = []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, pad, dilation):
        span = d * (k - 1) + 1
        out = (size + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1
        if out < 1:
            raise ValueError(
                f"{op}: input of shape {tuple(x.shape)} is too small for kernel_size {kernel} "
                f"with padding {pad} and dilation {dilation}"
            )
        extra.append(max(0, (out - 1) * s + span - size - 2 * p))
    pads = (pad[0], pad[0] + extra[0], pad[1], pad[1] + extra[1])
    return _Windows(op, x.shape[2:], kernel, stride, pads, dilation)


def max_pool2d(
    input: Any,
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Pair = 0,
    dilation: Pair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over each (dilated) window: (N, C, H, W) -> (N, C, Ho, Wo); with ``return_indices``
    also the flat index (into H*W) of each maximum. ``stride`` defaults to ``kernel_size``."""
    x, unbatched = _batched("max_pool2d", input)
    _check_floating("max_pool2d", x)
    geo = _pool_windows("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    out = MaxPool2d.apply(x, geo)
    if not return_indices:
        return _unbatched(out, unbatched)
    index = MaxPool2dIndices.apply(x.detach(), geo)
    return _unbatched(out, unbatched), _unbatched(index, unbatched)


def _average_matrix(starts, ends, size: int, counts, dtype) -> Any:
    """(out, size): row i averages positions starts[i]..ends[i]-1 with divisor counts[i]."""
    pos = xp.arange(size)
    inside = (pos >= starts[:, None]) & (pos < ends[:, None])
    return (inside / xp.asarray(counts, dtype=xp.float64)[:, None]).astype(dtype)


def avg_pool2d(
    input: Any,
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Pair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Any:
    """Mean over each window: (N, C, H, W) -> (N, C, Ho, Wo). Padding counts in the divisor when
    ``count_include_pad``; ``divisor_override`` replaces the divisor."""
    x, unbatched = _batched("avg_pool2d", input)
    _check_floating("avg_pool2d", x)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError("avg_pool2d: divisor_override must be non-zero")
    geo = _pool_windows("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    mats = []
    for axis, size in enumerate(x.shape[2:]):
        k, s, p = geo.kernel[axis], geo.stride[axis], geo.pad[2 * axis]
        starts = xp.arange(geo.out_hw[axis]) * s - p
        ends = xp.minimum(starts + k, size + p)
        lo, hi = xp.maximum(starts, 0), xp.minimum(ends, size)
        counts = ends - starts if count_include_pad else hi - lo
        if divisor_override is not None:
            counts = xp.full(counts.shape, divisor_override if axis else 1)
        mats.append(_average_matrix(lo, hi, size, counts, x.dtype))
    return _unbatched(AvgPool2d.apply(x, *mats), unbatched)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Any:
    """Mean over windows that split (H, W) into ``output_size`` parts: window i of a side of
    length n covers floor(i*n/out) .. ceil((i+1)*n/out) - 1. A None size keeps that side."""
    x, unbatched = _batched("adaptive_avg_pool2d", input)
    _check_floating("adaptive_avg_pool2d", x)
    sizes = (
        (output_size, output_size) if not isinstance(output_size, (tuple, list)) else output_size
    )
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {sizes}")
    mats = []
    for size, out in zip(x.shape[2:], sizes):
        out = size if out is None else out
        if not isinstance(out, int) or out < 1:
            raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {sizes}")
        i = xp.arange(out)
        starts, ends = (i * size) // out, -((-(i + 1) * size) // out)
        mats.append(_average_matrix(starts, ends, size, ends - starts, x.dtype))
    return _unbatched(AvgPool2d.apply(x, *mats), unbatched)
