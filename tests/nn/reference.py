"""Direct NumPy formulas the layer tests compare against (float64, loops where clearest)."""

import math

import numpy as np


def conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    ho = (x.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (x.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(ho):
            for j in range(wo):
                rows = i * stride[0] + dilation[0] * np.arange(kh)
                cols = j * stride[1] + dilation[1] * np.arange(kw)
                patch = x[:, g * cg : (g + 1) * cg][:, :, rows][:, :, :, cols]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out if b is None else out + b[None, :, None, None]


def conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0)):
    """Each input pixel scatters kernel * value into the output (groups = dilation = 1)."""
    n, _, h, wd = x.shape
    _, o, kh, kw = w.shape
    full = np.zeros(
        (
            n,
            o,
            (h - 1) * stride[0] + kh + output_padding[0],
            (wd - 1) * stride[1] + kw + output_padding[1],
        )
    )
    for i in range(h):
        for j in range(wd):
            contrib = np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
            full[:, :, i * stride[0] : i * stride[0] + kh, j * stride[1] : j * stride[1] + kw] += (
                contrib
            )
    ho = (h - 1) * stride[0] - 2 * padding[0] + kh + output_padding[0]
    wo = (wd - 1) * stride[1] - 2 * padding[1] + kw + output_padding[1]
    out = full[:, :, padding[0] : padding[0] + ho, padding[1] : padding[1] + wo]
    return out if b is None else out + b[None, :, None, None]


def pool2d(x, k, s, reduce, pad=0):
    fill = -np.inf if reduce is np.max else 0.0
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)
    ho = (x.shape[2] - k) // s + 1
    wo = (x.shape[3] - k) // s + 1
    out = np.zeros((*x.shape[:2], ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = reduce(x[:, :, i * s : i * s + k, j * s : j * s + k], axis=(2, 3))
    return out


def adaptive_avg_pool2d(x, size):
    h, w = x.shape[2:]
    out = np.zeros((*x.shape[:2], *size))
    for i in range(size[0]):
        r0, r1 = (i * h) // size[0], math.ceil((i + 1) * h / size[0])
        for j in range(size[1]):
            c0, c1 = (j * w) // size[1], math.ceil((j + 1) * w / size[1])
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


def normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def reduce(loss, reduction):
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()
