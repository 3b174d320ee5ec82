"""Convolution over NCHW tensors, with PyTorch's semantics.

``conv2d`` copies a strided view of the padded input once into a (C*kh*kw, N*Ho*Wo) matrix (im2col)
and does one matmul. Its two derivatives are ops too: ``conv_transpose2d`` (the adjoint in the
input: a matmul per kernel row, then kh*kw adds, col2im: whole shifted planes where the size is
kept, strided views otherwise) and ``Conv2dWeight`` (the adjoint in the weight: one matmul).
They are the three bilinear maps of <conv2d(x, w), y>, so each rule is written with the other two
and derivatives of any order work. ``_Windows`` (the window geometry)
and the argument helpers here serve the pooling ops too. Winograd F(2x2, 3x3), other GEMM
orientations and other im2col copies were measured against these kernels and lost in the CNN
training step (benchmarks/README.md, "The CNN step").
"""

from __future__ import annotations

from typing import Any

from numpy.lib.stride_tricks import as_strided

from ..autograd.function import Op
from ..backend import is_floating, xp
from .shape import autocast_operands

__all__ = ["conv2d", "conv_transpose2d"]

Pair = int | tuple[int, int]


class _Windows:
    """Sliding windows of ``kernel`` (dilated) at ``stride`` over an input of spatial size ``in_hw``
    padded by ``pad`` = (top, bottom, left, right): the geometry of a conv or pool."""

    __slots__ = (
        "dilation",
        "groups",
        "in_hw",
        "kernel",
        "out_hw",
        "overlap",
        "pad",
        "padded_hw",
        "stride",
    )

    def __init__(self, op: str, in_hw, kernel, stride, pad, dilation, groups: int = 1) -> None:
        self.in_hw, self.kernel, self.stride, self.pad = tuple(in_hw), kernel, stride, pad
        self.dilation, self.groups = dilation, groups
        self.padded_hw = padded = (in_hw[0] + pad[0] + pad[1], in_hw[1] + pad[2] + pad[3])
        span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
        if span[0] > padded[0] or span[1] > padded[1]:
            raise ValueError(
                f"{op}: padded input size per channel {padded[0]}x{padded[1]} is smaller than "
                f"the kernel size {kernel[0]}x{kernel[1]} (dilated: {span[0]}x{span[1]})"
            )
        self.out_hw = tuple((p - e) // s + 1 for p, e, s in zip(padded, span, stride))
        self.overlap = (stride[0] < span[0], stride[1] < span[1])

    def _offsets(self, axis: int) -> list:
        k, s, d, o = (v[axis] for v in (self.kernel, self.stride, self.dilation, self.out_hw))
        return [slice(t * d, t * d + (o - 1) * s + 1, s) for t in range(k)]

    def views(self, a: Any) -> list:
        """The kh*kw strided views of padded array ``a`` (..., Hp, Wp), each (..., Ho, Wo)."""
        return [a[..., r, c] for r in self._offsets(0) for c in self._offsets(1)]

    def row_views(self, a: Any) -> list:
        """The kh views (..., Ho, W) of ``a`` (..., Hp, W), one per kernel row."""
        return [a[..., r, :] for r in self._offsets(0)]

    def col_views(self, a: Any) -> list:
        """The kw views (..., H, Wo) of ``a`` (..., H, Wp), one per kernel column."""
        return [a[..., c] for c in self._offsets(1)]

    def buffer(self, axis: int, shape: tuple, dtype: Any) -> Any:
        """An array to scatter into along ``axis``: zeros unless the windows tile it exactly."""
        tiles = self.dilation[axis] == 1 and self.stride[axis] == self.kernel[axis]
        exact = tiles and self.padded_hw[axis] == self.out_hw[axis] * self.stride[axis]
        return xp.empty(shape, dtype) if exact else xp.zeros(shape, dtype)

    def padded(self, a: Any, value: float = 0.0) -> Any:
        """``a`` (N, C, H, W) with the padding added (``a`` itself when there is none)."""
        top, bottom, left, right = self.pad
        if not (top or bottom or left or right):
            return a
        n, c, h, w = a.shape
        out = xp.full((n, c, h + top + bottom, w + left + right), value, a.dtype)
        out[:, :, top : top + h, left : left + w] = a
        return out

    def cropped(self, a: Any) -> Any:
        """The input region of a padded (N, C, Hp, Wp) array, contiguous."""
        top, _, left, _ = self.pad
        h, w = self.in_hw
        return xp.ascontiguousarray(a[:, :, top : top + h, left : left + w])


# ---------------------------------------------------------------------------- convolution kernels
def _im2col(x: Any, g: _Windows) -> Any:
    """(C*kh*kw, N*Ho*Wo): every window of the padded input as a column (one copy)."""
    a = g.padded(x)
    n, c = x.shape[:2]
    (kh, kw), (ho, wo), (sh, sw), (dh, dw) = g.kernel, g.out_hw, g.stride, g.dilation
    s_n, s_c, s_h, s_w = a.strides
    view = as_strided(
        a,
        (c, kh, kw, n, ho, wo),
        (s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
        writeable=False,
    )
    return view.reshape(c * kh * kw, n * ho * wo)


def _by_group(y: Any, groups: int) -> Any:
    """(N, O, Ho, Wo) -> (groups, O/groups, N*Ho*Wo), channels first (one copy)."""
    n, o, ho, wo = y.shape
    return xp.ascontiguousarray(y.transpose(1, 0, 2, 3)).reshape(groups, o // groups, n * ho * wo)


def _conv(cols: Any, w: Any, b: Any, g: _Windows) -> Any:
    """conv2d from the im2col matrix: one matmul, batched over samples (and groups) so that it
    writes the (N, O, Ho, Wo) result in place."""
    o, gr, (ho, wo) = w.shape[0], g.groups, g.out_hw
    n = cols.shape[1] // (ho * wo)
    per_sample = cols.reshape(gr, cols.shape[0] // gr, n, ho * wo).transpose(2, 0, 1, 3)
    out = xp.matmul(w.reshape(gr, o // gr, -1), per_sample).astype(w.dtype, copy=False)
    if b is not None:
        out += b.reshape(gr, o // gr, 1)
    return out.reshape(n, o, ho, wo)


def _conv_input(yt: Any, w: Any, g: _Windows) -> Any:
    """The adjoint of conv2d in its input (``yt`` from _by_group): col2im, kh*kw adds of the
    columns W^T yt, made one kernel row at a time into one reused buffer. Where the windows keep
    the input's size (stride 1, no dilation, 'same' padding) each add is one shifted add per
    channel over the whole batch (_add_shifted); otherwise strided adds into a padded buffer."""
    gr, (kh, kw), (ho, wo) = g.groups, g.kernel, g.out_hw
    og, cg, n = yt.shape[1], w.shape[1], yt.shape[2] // (ho * wo)
    w_rows = w.reshape(gr, og, cg, kh, kw).transpose(3, 0, 2, 4, 1).reshape(kh, gr, cg * kw, og)
    cols = xp.empty((gr, cg * kw, yt.shape[2]), yt.dtype)
    flat = g.stride == (1, 1) and g.dilation == (1, 1) and g.out_hw == tuple(g.in_hw)
    buf = xp.zeros((gr * cg, n * ho * wo) if flat else (gr * cg, n, *g.padded_hw), yt.dtype)
    views = None if flat else g.views(buf)  # (C, N, Hp, Wp): contiguous adds
    for i in range(kh):
        by_column = xp.matmul(w_rows[i], yt, out=cols).reshape(gr * cg, kw, n, ho, wo)
        for j in range(kw):
            if flat:
                _add_shifted(buf, by_column[:, j], i, j, g)
            else:
                views[i * kw + j] += by_column[:, j]
    if flat:
        return xp.ascontiguousarray(buf.reshape(gr * cg, n, ho, wo).transpose(1, 0, 2, 3))
    return g.cropped(buf.transpose(1, 0, 2, 3))


def _add_shifted(out: Any, src: Any, i: int, j: int, g: _Windows) -> None:
    """out (C, N*H*W) += src (C, N, H, W) moved by kernel tap (i, j) of a stride-1 convolution
    that keeps the size: one contiguous add per channel. The rows and columns of ``src`` that the
    move would carry past an edge (into the next row or image) are zeroed first."""
    (h, w), top, left = g.in_hw, g.pad[0], g.pad[2]
    shift = (i - top) * w + (j - left)
    size = out.shape[1]
    if abs(shift) >= size:
        return
    first_row, first_col = min(h, max(0, top - i)), min(w, max(0, left - j))
    src[:, :, :first_row] = 0
    src[:, :, max(first_row, h + top - i) :] = 0
    src[..., :first_col] = 0
    src[..., max(first_col, w + left - j) :] = 0
    moved = src.reshape(src.shape[0], size)
    if shift >= 0:
        out[:, shift:] += moved[:, : size - shift]
    else:
        out[:, :shift] += moved[:, -shift:]


def _conv_weight(cols: Any, y: Any, yt: Any, g: _Windows) -> Any:
    """The adjoint of conv2d in its weight from the im2col matrix of the input: one matmul
    dw^T = cols y^T (the orientation BLAS runs faster). With few columns per pixel it is batched
    over samples on y as it is; otherwise it uses ``yt`` (y from _by_group, made if None)."""
    gr, (n, o), hw = g.groups, y.shape[:2], g.out_hw[0] * g.out_hw[1]
    ck = cols.shape[0] // gr
    if yt is None and 8 * ck <= hw:  # the (N, C*kh*kw, O) partial sums stay small
        per_sample = cols.reshape(gr, ck, n, hw).transpose(2, 0, 1, 3)
        dw_t = xp.matmul(per_sample, y.reshape(n, gr, o // gr, hw).transpose(0, 1, 3, 2)).sum(0)
    else:
        yt = _by_group(y, gr) if yt is None else yt
        dw_t = xp.matmul(cols.reshape(gr, ck, cols.shape[1]), yt.transpose(0, 2, 1))
    return xp.ascontiguousarray(dw_t.transpose(0, 2, 1)).reshape(o, -1, *g.kernel)


class Conv2d(Op):
    """y = conv2d(x, w) + b;  dx = conv_transpose2d(g, w), dw = Conv2dWeight(x, g), db = sum(g)."""

    @staticmethod
    def forward(ctx, x, w, b, geo):
        cols = _im2col(x, geo)
        ctx.geo = geo
        ctx.save_for_backward(x, w, cols)
        return _conv(cols, w, b, geo)

    @staticmethod
    def backward(ctx, grad_out):
        x, w, cols = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        geo = ctx.geo
        yt = _by_group(grad_out._data, geo.groups) if need_x else None  # shared by dx and dw
        gx = ConvTranspose2d.apply(grad_out, w, None, geo, yt) if need_x else None
        gw = Conv2dWeight.apply(x, grad_out, geo, cols, yt) if need_w else None
        gb = grad_out.sum((0, 2, 3)) if need_b else None
        return gx, gw, gb, None

    @staticmethod
    def jvp(ctx, tx, tw, tb, _geo):
        x, w, _ = ctx.saved_tensors
        return Conv2d.apply(tx, w, tb, ctx.geo) + Conv2d.apply(x, tw, None, ctx.geo)


class ConvTranspose2d(Op):
    """x = conv_transpose2d(y, w) + b, the adjoint of conv2d in its input;
    dy = conv2d(g, w), dw = Conv2dWeight(g, y), db = sum(g)."""

    @staticmethod
    def forward(ctx, y, w, b, geo, yt):
        ctx.geo = geo
        ctx.save_for_backward(y, w)
        out = _conv_input(_by_group(y, geo.groups) if yt is None else yt, w, geo)
        if b is not None:
            out += b.reshape(-1, 1, 1)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        y, w = ctx.saved_tensors
        need_y, need_w, need_b = ctx.needs_input_grad[:3]
        gy = Conv2d.apply(grad_out, w, None, ctx.geo) if need_y else None
        gw = Conv2dWeight.apply(grad_out, y, ctx.geo, None, None) if need_w else None
        gb = grad_out.sum((0, 2, 3)) if need_b else None
        return gy, gw, gb, None, None

    @staticmethod
    def jvp(ctx, ty, tw, tb, *_):
        y, w = ctx.saved_tensors
        geo = ctx.geo
        return ConvTranspose2d.apply(ty, w, tb, geo, None) + ConvTranspose2d.apply(
            y, tw, None, geo, None
        )


class Conv2dWeight(Op):
    """dw = Conv2dWeight(x, y), the adjoint of conv2d in its weight;
    dx = conv_transpose2d(y, g), dy = conv2d(x, g)."""

    @staticmethod
    def forward(ctx, x, y, geo, cols, yt):
        ctx.geo = geo
        ctx.save_for_backward(x, y)
        return _conv_weight(_im2col(x, geo) if cols is None else cols, y, yt, geo)

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        gx = ConvTranspose2d.apply(y, grad_out, None, ctx.geo, None) if need_x else None
        gy = Conv2d.apply(x, grad_out, None, ctx.geo) if need_y else None
        return gx, gy, None, None, None

    @staticmethod
    def jvp(ctx, tx, ty, *_):
        x, y = ctx.saved_tensors
        geo = ctx.geo
        return Conv2dWeight.apply(tx, y, geo, None, None) + Conv2dWeight.apply(
            x, ty, geo, None, None
        )


# ---------------------------------------------------------------------------- public functions
def _pair(value: Any, name: str, op: str, minimum: int = 1) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) == 1:
        pair = pair * 2
    if len(pair) != 2 or not all(isinstance(v, int) and v >= minimum for v in pair):
        raise ValueError(
            f"{op}: {name} must be an int >= {minimum} or a pair of them, got {value!r}"
        )
    return pair  # type: ignore[return-value]


def _batched(op: str, x: Any) -> tuple[Any, bool]:
    """``x`` as a 4-D batch, and whether it came unbatched (C, H, W)."""
    if x.ndim == 3:
        return x.reshape((1, *x.shape)), True
    if x.ndim != 4:
        raise ValueError(
            f"{op}: expected a 3-D (unbatched) or 4-D (batched) input, got shape {tuple(x.shape)}"
        )
    return x, False


def _unbatched(out: Any, unbatched: bool) -> Any:
    return out.reshape(out.shape[1:]) if unbatched else out


def _check_floating(op: str, *tensors: Any) -> None:
    dtypes = {t.dtype for t in tensors if t is not None}
    if len(dtypes) != 1 or not is_floating(next(iter(dtypes))):
        names = ", ".join(str(t.dtype) for t in tensors if t is not None)
        raise TypeError(f"{op}: expected floating tensors of one dtype, got {names}")


def _check_weight(op: str, x: Any, weight: Any, bias: Any, groups: int, transposed: bool) -> None:
    """Rank, group, channel and bias checks (``transposed``: (C_in, C_out/groups, kh, kw))."""
    _check_floating(op, x, weight, bias)
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D weight, got shape {tuple(weight.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    w_in, w_out = (weight.shape[0], weight.shape[1] * groups) if transposed else weight.shape[1::-1]
    c = x.shape[1]
    expected = w_in if transposed else w_in * groups
    if c != expected:
        raise ValueError(
            f"{op}: input of shape {tuple(x.shape)} has {c} channels, but weight of shape "
            f"{tuple(weight.shape)} with groups={groups} expects {expected}"
        )
    if c % groups or w_out % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide the {c} input and {w_out} output channels"
        )
    if bias is not None and tuple(bias.shape) != (w_out,):
        raise ValueError(
            f"{op}: bias of shape {tuple(bias.shape)} does not match the {w_out} output channels"
        )


def _conv_padding(padding: Any, kernel, dilation, stride) -> tuple[int, int, int, int]:
    """(top, bottom, left, right); 'same' puts the odd extra row/column at the bottom/right."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("conv2d: padding='same' is not supported for strided convolutions")
        (th, tw) = (d * (k - 1) for d, k in zip(dilation, kernel))
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    if isinstance(padding, str):
        raise ValueError(
            f"conv2d: padding must be 'valid', 'same', an int or a pair, got {padding!r}"
        )
    ph, pw = _pair(padding, "padding", "conv2d", minimum=0)
    return (ph, ph, pw, pw)


def conv2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Pair = 1,
    padding: Pair | str = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> Any:
    """2-D cross-correlation: (N, C, H, W) with weight (O, C/groups, kh, kw) -> (N, O, Ho, Wo).

    ``input`` may be unbatched (C, H, W); ``padding`` is an int, a pair, 'valid' or 'same'.
    """
    input, weight, bias = autocast_operands(input, weight, bias)
    x, unbatched = _batched("conv2d", input)
    _check_weight("conv2d", x, weight, bias, groups, transposed=False)
    stride = _pair(stride, "stride", "conv2d")
    dilation = _pair(dilation, "dilation", "conv2d")
    pad = _conv_padding(padding, weight.shape[2:], dilation, stride)
    geo = _Windows("conv2d", x.shape[2:], weight.shape[2:], stride, pad, dilation, groups)
    return _unbatched(Conv2d.apply(x, weight, bias, geo), unbatched)


def conv_transpose2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Pair = 1,
    padding: Pair = 0,
    output_padding: Pair = 0,
    groups: int = 1,
    dilation: Pair = 1,
) -> Any:
    """The adjoint of conv2d in its input ("deconvolution"): (N, C_in, H, W) with weight
    (C_in, C_out/groups, kh, kw) -> (N, C_out, (H-1)*stride - 2*padding + dilation*(kh-1)
    + output_padding + 1, ...); ``input`` may be unbatched."""
    op = "conv_transpose2d"
    input, weight, bias = autocast_operands(input, weight, bias)
    x, unbatched = _batched(op, input)
    _check_weight(op, x, weight, bias, groups, transposed=True)
    stride, dilation = _pair(stride, "stride", op), _pair(dilation, "dilation", op)
    pad = _pair(padding, "padding", op, minimum=0)
    extra = _pair(output_padding, "output_padding", op, minimum=0)
    if any(e >= s and e >= d for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"{op}: output_padding {extra} must be smaller than stride or dilation")
    out_hw = tuple(
        (i - 1) * s - 2 * p + d * (k - 1) + e + 1
        for i, s, p, d, k, e in zip(x.shape[2:], stride, pad, dilation, weight.shape[2:], extra)
    )
    if min(out_hw) < 1:
        raise ValueError(f"{op}: input of shape {tuple(x.shape)} gives an empty output {out_hw}")
    geo = _Windows(op, out_hw, weight.shape[2:], stride, (pad[0],) * 2 + (pad[1],) * 2, dilation)
    geo.groups, geo.out_hw = groups, tuple(x.shape[2:])  # output_padding may leave windows out
    return _unbatched(ConvTranspose2d.apply(x, weight, bias, geo, None), unbatched)
