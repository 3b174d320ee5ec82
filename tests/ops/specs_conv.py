"""Op specs: convolution, pooling and normalisation (see harness.py).

The references below are deliberately direct: loops over output pixels with NumPy only in the
innermost sums, so that they share no code or trick with the strided/matmul implementations.
"""

from __future__ import annotations

import math

import numpy as np

import ember

from .harness import OpSpec


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pads(padding, kernel, dilation):
    """(top, bottom, left, right) from an int, a pair, 'valid' or 'same'."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        th, tw = (d * (k - 1) for d, k in zip(dilation, kernel))
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    ph, pw = _pair(padding)
    return (ph, ph, pw, pw)


def ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    o, cg, kh, kw = w.shape
    top, bottom, left, right = _pads(padding, (kh, kw), (dh, dw))
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], o, ho, wo))
    per_group = o // groups
    for n in range(x.shape[0]):
        for oc in range(o):
            c0 = (oc // per_group) * cg
            for i in range(ho):
                for j in range(wo):
                    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                    out[n, oc, i, j] = np.sum(xp[n, c0 : c0 + cg, rows, cols] * w[oc])
            if b is not None:
                out[n, oc] += b[oc]
    return out[0] if unbatched else out


def ref_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    eh, ew = _pair(output_padding)
    n, cin, h, wd = x.shape
    _, cg_out, kh, kw = w.shape
    hfull = (h - 1) * sh + dh * (kh - 1) + 1 + eh
    wfull = (wd - 1) * sw + dw * (kw - 1) + 1 + ew
    full = np.zeros((n, cg_out * groups, hfull, wfull))
    in_per_group = cin // groups
    for s in range(n):
        for c in range(cin):
            o0 = (c // in_per_group) * cg_out
            for i in range(h):
                for j in range(wd):
                    for ki in range(kh):
                        for kj in range(kw):
                            r, q = i * sh + ki * dh, j * sw + kj * dw
                            full[s, o0 : o0 + cg_out, r, q] += x[s, c, i, j] * w[c, :, ki, kj]
    out = full[:, :, ph : hfull - ph, pw : wfull - pw]
    return out if b is None else out + b[:, None, None]


def _pool_out(size, k, s, p, d, ceil_mode):
    """PyTorch's documented pooling output size."""
    span = d * (k - 1) + 1
    div = (size + 2 * p - span) / s
    out = (math.ceil(div) if ceil_mode else math.floor(div)) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def ref_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    (kh, kw) = _pair(kernel_size)
    (sh, sw) = _pair(stride if stride is not None else kernel_size)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    n, c, h, wd = x.shape
    ho = _pool_out(h, kh, sh, ph, dh, ceil_mode)
    wo = _pool_out(wd, kw, sw, pw, dw, ceil_mode)
    out = np.full((n, c, ho, wo), -np.inf)
    for i in range(ho):
        for j in range(wo):
            for ki in range(kh):
                for kj in range(kw):
                    r, q = i * sh - ph + ki * dh, j * sw - pw + kj * dw
                    if 0 <= r < h and 0 <= q < wd:
                        out[:, :, i, j] = np.maximum(out[:, :, i, j], x[:, :, r, q])
    return out


def ref_avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    (kh, kw) = _pair(kernel_size)
    (sh, sw) = _pair(stride if stride is not None else kernel_size)
    (ph, pw) = _pair(padding)
    n, c, h, wd = x.shape
    ho = _pool_out(h, kh, sh, ph, 1, ceil_mode)
    wo = _pool_out(wd, kw, sw, pw, 1, ceil_mode)
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            r0, q0 = i * sh - ph, j * sw - pw
            r1, q1 = min(r0 + kh, h + ph), min(q0 + kw, wd + pw)
            area = (r1 - r0) * (q1 - q0)
            r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, wd)
            window = x[:, :, r0:r1, q0:q1]
            divisor = divisor_override or (area if count_include_pad else window[0, 0].size)
            out[:, :, i, j] = window.sum(axis=(2, 3)) / divisor
    return out


def ref_adaptive_avg_pool2d(x, output_size):
    ho, wo = _pair(output_size)
    h, wd = x.shape[-2:]
    ho, wo = ho or h, wo or wd
    out = np.zeros((*x.shape[:-2], ho, wo))
    for i in range(ho):
        for j in range(wo):
            r0, r1 = (i * h) // ho, math.ceil((i + 1) * h / ho)
            q0, q1 = (j * wd) // wo, math.ceil((j + 1) * wd / wo)
            out[..., i, j] = x[..., r0:r1, q0:q1].mean(axis=(-2, -1))
    return out


def ref_normalize(x, dims, w, b, eps, mean=None, var=None):
    mean = x.mean(axis=dims, keepdims=True) if mean is None else mean
    var = x.var(axis=dims, keepdims=True) if var is None else var
    out = (x - mean) / np.sqrt(var + eps)
    if w is not None:
        out = out * w
    return out if b is None else out + b


def ref_batch_norm(x, w=None, b=None, running=None, eps=1e-5):
    """Training mode (batch statistics) or, with ``running`` = (mean, var), eval mode."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    dims = (0, *range(2, x.ndim))
    mean, var = (None, None) if running is None else (r.reshape(shape) for r in running)
    w = None if w is None else w.reshape(shape)
    b = None if b is None else b.reshape(shape)
    return ref_normalize(x, dims, w, b, eps, mean, var)


def ref_layer_norm(x, k, w=None, b=None, eps=1e-5):
    return ref_normalize(x, tuple(range(x.ndim - k, x.ndim)), w, b, eps)


# ------------------------------------------------------------------------------- spec builders
def _conv(name, cases, **kw):
    return OpSpec(
        f"conv2d_{name}",
        lambda *t: ember.conv2d(*t, **kw),
        lambda *a: ref_conv2d(*a, **kw),
        cases,
    )


def _conv_t(name, cases, **kw):
    return OpSpec(
        f"conv_transpose2d_{name}",
        lambda *t: ember.conv_transpose2d(*t, **kw),
        lambda *a: ref_conv_transpose2d(*a, **kw),
        cases,
    )


def _pool(op, ref, name, cases, **kw):
    return OpSpec(f"{op.__name__}_{name}", lambda x: op(x, **kw), lambda x: ref(x, **kw), cases)


_RM = np.array([0.3, -0.2, 0.1])
_RV = np.array([0.5, 1.5, 2.0])


def _bn_train(x, *wb):
    c = x.shape[1]
    rm, rv = ember.zeros(c, dtype=x.dtype), ember.ones(c, dtype=x.dtype)
    return ember.batch_norm(x, rm, rv, *wb, training=True)


def _bn_eval(x, *wb):
    rm, rv = ember.tensor(_RM, dtype=x.dtype), ember.tensor(_RV, dtype=x.dtype)
    return ember.batch_norm(x, rm, rv, *wb, training=False)


X = (1, 2, 5, 5)
SPECS: list[OpSpec] = [
    _conv("basic", [(X, (3, 2, 3, 3), (3,)), (X, (3, 2, 2, 3))]),
    _conv("stride_pad", [(X, (2, 2, 3, 3), (2,))], stride=2, padding=1),
    _conv("stride_pair", [((1, 2, 6, 5), (2, 2, 2, 3))], stride=(2, 1), padding=(0, 1)),
    _conv("same_even", [(X, (2, 2, 2, 4), (2,))], padding="same"),
    _conv("same_dilated", [(X, (2, 2, 3, 2))], padding="same", dilation=2),
    _conv("valid", [(X, (2, 2, 2, 2))], padding="valid"),
    _conv("dilation", [((1, 2, 6, 6), (2, 2, 2, 2), (2,))], dilation=(2, 3), padding=1),
    _conv("groups", [((1, 4, 4, 4), (6, 2, 2, 2), (6,))], groups=2, padding=1),
    _conv("depthwise", [((1, 3, 4, 4), (3, 1, 3, 3))], groups=3, padding=1),
    _conv("unbatched", [((2, 4, 4), (2, 2, 3, 3), (2,))], padding=1),
    _conv_t("basic", [((1, 2, 3, 3), (2, 3, 2, 2), (3,)), ((1, 2, 3, 3), (2, 1, 3, 3))]),
    _conv_t("stride_pad", [((1, 2, 3, 3), (2, 2, 3, 3), (2,))], stride=2, padding=1),
    # stride 1 keeping the size: the input gradient's col2im as shifted adds over the batch
    _conv_t("same_size", [((2, 2, 4, 3), (2, 3, 3, 3), (3,))], padding=1),
    _conv("same_batch", [((3, 2, 4, 3), (2, 2, 3, 3), (2,))], padding=1),
    _conv_t("output_padding", [((1, 2, 3, 2), (2, 2, 3, 2))], stride=2, output_padding=1),
    _conv_t("groups_dilation", [((1, 4, 3, 3), (4, 1, 2, 2))], groups=2, dilation=2),
    _conv_t("dilated_out_pad", [((1, 1, 3, 3), (1, 2, 2, 2))], dilation=2, output_padding=1),
    _pool(ember.max_pool2d, ref_max_pool2d, "2", [((1, 2, 4, 4),), ((2, 1, 5, 5),)], kernel_size=2),
    _pool(
        ember.max_pool2d,
        ref_max_pool2d,
        "overlap_pad",
        [((1, 2, 5, 5),)],
        kernel_size=3,
        stride=2,
        padding=1,
    ),
    _pool(
        ember.max_pool2d,
        ref_max_pool2d,
        "ceil",
        [((1, 2, 5, 6),)],
        kernel_size=2,
        stride=2,
        ceil_mode=True,
    ),
    _pool(
        ember.max_pool2d,
        ref_max_pool2d,
        "dilation",
        [((1, 1, 6, 6),)],
        kernel_size=(2, 3),
        stride=1,
        dilation=2,
    ),
    _pool(ember.avg_pool2d, ref_avg_pool2d, "2", [((1, 2, 4, 5),)], kernel_size=2),
    _pool(
        ember.avg_pool2d,
        ref_avg_pool2d,
        "pad_ceil",
        [((1, 2, 5, 5),)],
        kernel_size=3,
        stride=2,
        padding=1,
        ceil_mode=True,
    ),
    _pool(
        ember.avg_pool2d,
        ref_avg_pool2d,
        "exclude_pad",
        [((1, 2, 5, 5),)],
        kernel_size=3,
        stride=2,
        padding=1,
        ceil_mode=True,
        count_include_pad=False,
    ),
    _pool(
        ember.avg_pool2d,
        ref_avg_pool2d,
        "divisor",
        [((1, 1, 4, 4),)],
        kernel_size=2,
        stride=1,
        divisor_override=3,
    ),
    _pool(
        ember.adaptive_avg_pool2d,
        ref_adaptive_avg_pool2d,
        "3",
        [((1, 2, 5, 7),), ((2, 4, 4),)],
        output_size=3,
    ),
    _pool(
        ember.adaptive_avg_pool2d,
        ref_adaptive_avg_pool2d,
        "none",
        [((1, 1, 5, 4),)],
        output_size=(None, 3),
    ),
    OpSpec(
        "batch_norm_train",
        _bn_train,
        ref_batch_norm,
        [((4, 3), (3,), (3,)), ((2, 3, 2, 2), (3,), (3,)), ((3, 3, 2),)],
    ),
    OpSpec(
        "batch_norm_eval",
        _bn_eval,
        lambda x, *wb: ref_batch_norm(x, *wb, running=(_RM, _RV)),
        [((4, 3), (3,), (3,)), ((2, 3, 2, 2),)],
    ),
    OpSpec(
        "layer_norm",
        lambda x, *wb: ember.layer_norm(x, x.shape[1:], *wb),
        lambda x, *wb: ref_layer_norm(x, x.ndim - 1, *wb),
        [((3, 4), (4,), (4,)), ((2, 2, 3), (2, 3), (2, 3)), ((2, 5),)],
    ),
]
