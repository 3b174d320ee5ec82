"""Op specs: the adjoint ops, which run only inside other ops' backward rules (see harness.py).

Each is applied directly, so gradcheck checks its own backward rule and gradgradcheck (which also
varies the incoming gradient) its second-order rule. The references are direct NumPy: ``add.at``,
``take_along_axis`` and loops over kernel offsets, sharing nothing with the strided kernels.
"""

from __future__ import annotations

import numpy as np

from ember.ops.conv import Conv2dWeight, _Windows
from ember.ops.index import IndexAccumulate
from ember.ops.pooling import MaxPool2dGather, MaxPool2dScatter, _max_pool, _pool_windows

from .harness import OpSpec


def _accumulate(name: str, shape: tuple, index: tuple) -> OpSpec:
    """zeros(shape) with g added at ``index`` (repeated entries add up)."""

    def ref(g):
        out = np.zeros(shape)
        np.add.at(out, index, g)
        return out

    g_shape = np.zeros(shape)[index].shape
    fn = lambda g: IndexAccumulate.apply(g, index, shape)  # noqa: E731
    return OpSpec(f"index_accumulate_{name}", fn, ref, [(g_shape,)])


def _window_argmax(x: np.ndarray, kernel, stride, pad, dilation) -> np.ndarray:
    """(N, C, Ho, Wo): the flat H*W position of the first maximum of every window."""
    n, c, h, w = x.shape
    ho = (h + 2 * pad[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    wo = (w + 2 * pad[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    best = np.full((n, c, ho, wo), -np.inf)
    pos = np.zeros((n, c, ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            for ki in range(kernel[0]):
                for kj in range(kernel[1]):
                    r = i * stride[0] - pad[0] + ki * dilation[0]
                    q = j * stride[1] - pad[1] + kj * dilation[1]
                    if 0 <= r < h and 0 <= q < w:
                        better = x[:, :, r, q] > best[:, :, i, j]
                        best[:, :, i, j][better] = x[:, :, r, q][better]
                        pos[:, :, i, j][better] = r * w + q
    return pos


def _max_routes(name: str, shape: tuple, kernel, stride, pad=(0, 0), dilation=(1, 1)) -> list:
    """MaxPool2dGather (x at the windows' maxima of a fixed x0) and MaxPool2dScatter (g added
    back at those positions), the pair that max_pool2d's rules are made of."""
    x0 = np.random.default_rng(7).standard_normal(shape)
    geo = _pool_windows("max_pool2d", x0, kernel, stride, pad, dilation, False)
    index = tuple(_max_pool(x0, geo)[1:])
    pos = _window_argmax(x0, kernel, stride, pad, dilation)
    rows = np.arange(shape[0] * shape[1])[:, None]
    flat_pos = pos.reshape(len(rows), -1)

    def gather_ref(x):
        return x.reshape(len(rows), -1)[rows, flat_pos].reshape(pos.shape)

    def scatter_ref(g):
        out = np.zeros((len(rows), shape[2] * shape[3]))
        np.add.at(out, (rows, flat_pos), g.reshape(len(rows), -1))
        return out.reshape(shape)

    return [
        OpSpec(
            f"max_pool2d_gather_{name}",
            lambda x: MaxPool2dGather.apply(x, index, geo),
            gather_ref,
            [(shape,)],
        ),
        OpSpec(
            f"max_pool2d_scatter_{name}",
            lambda g: MaxPool2dScatter.apply(g, index, geo),
            scatter_ref,
            [(pos.shape,)],
        ),
    ]


def _conv_weight_ref(x, y, kernel, stride, pads, dilation, groups):
    """dw[o, c, i, j] = sum over n, h, w of y[n, o, h, w] * x_padded[n, c, h*s + i*d, w*s + j*d]."""
    xp = np.pad(x, ((0, 0), (0, 0), pads[:2], pads[2:]))
    o, ho, wo = y.shape[1:]
    cg, per_group = x.shape[1] // groups, o // groups
    out = np.zeros((o, cg, *kernel))
    for oc in range(o):
        c0 = (oc // per_group) * cg
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                r0, q0 = i * dilation[0], j * dilation[1]
                rows = slice(r0, r0 + (ho - 1) * stride[0] + 1, stride[0])
                cols = slice(q0, q0 + (wo - 1) * stride[1] + 1, stride[1])
                window = xp[:, c0 : c0 + cg, rows, cols]
                out[oc, :, i, j] = np.einsum("nhw,nchw->c", y[:, oc], window)
    return out


def _conv_weight(
    name, x_shape, out_channels, kernel, stride=(1, 1), pads=(0,) * 4, dilation=(1, 1), groups=1
) -> OpSpec:
    """Conv2dWeight(x, y): conv2d's adjoint in its weight, differentiable in x and y."""
    geo = _Windows("conv2d", x_shape[2:], kernel, stride, pads, dilation, groups)
    y_shape = (x_shape[0], out_channels, *geo.out_hw)
    return OpSpec(
        f"conv2d_weight_{name}",
        lambda x, y: Conv2dWeight.apply(x, y, geo, None, None),
        lambda x, y: _conv_weight_ref(x, y, kernel, stride, pads, dilation, groups),
        [(x_shape, y_shape)],
    )


SPECS: list[OpSpec] = [
    _accumulate("repeated", (3, 4), (np.array([0, 2, 0]),)),
    _accumulate("slice_pairs", (3, 4), (slice(1, None), np.array([[1, 1], [3, 0]]))),
    _accumulate("basic", (2, 3, 2), (1, slice(0, 2))),
    _accumulate("0d", (), ()),
    *_max_routes("2", (1, 2, 4, 4), (2, 2), (2, 2)),
    *_max_routes("overlap_pad", (2, 1, 5, 5), (3, 3), (2, 2), pad=(1, 1)),
    *_max_routes("dilation", (1, 1, 6, 6), (2, 3), (1, 1), dilation=(2, 2)),
    # 8 * C*kh*kw <= Ho*Wo takes the per-sample matmul, the others the grouped one
    _conv_weight("per_sample", (2, 2, 6, 6), 3, (1, 1)),
    _conv_weight("grouped_path", (1, 2, 5, 5), 3, (3, 3), stride=(2, 1), pads=(1, 0, 1, 1)),
    _conv_weight("groups_dilation", (1, 4, 6, 6), 2, (2, 2), dilation=(2, 1), groups=2),
]
