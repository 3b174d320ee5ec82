"""Winograd F(2x2, 3x3): stride-1 3x3 convolution with 16 multiplications per 2x2 output tile
instead of 36 (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015).

A 4x4 input tile d (stride 2 over the padded input) and a kernel g give the 2x2 output tile
A^T [(G g G^T) * (B^T d B)] A. With the 16 products of a tile as one axis, the convolution is
three matrix products: V = (B^T x B^T) d over every tile, M[k] = U[k] V[k] for each k < 16
(U = (G x G) g: a (O, C) matrix per k), and Y = (A^T x A^T) M. The weight gradient is the
adjoint: dU[k] = ((A x A) dY)[k] V[k]^T, dg = (G x G)^T dU. In float32 the rounding error is
about twice im2col's (the transforms add up to 9 terms of either sign); float64 is exact to the
usual tolerances.

The batch goes through in chunks of a few samples, so that the tiles, products and outputs of a
chunk stay in cache: the transforms are memory-bound, and chunking them makes the whole pass
about twice as fast as one pass over the batch.
"""

from __future__ import annotations

import threading
from typing import Any

from numpy.lib.stride_tricks import as_strided

from ..backend import xp

_BT = ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1))
_G = ((1, 0, 0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0, 0, 1))
_AT = ((1, 1, 1, 0), (0, 1, -1, -1))
_CHUNK_BYTES = 1 << 20  # products (16, O, samples * tiles) per chunk: about 1 MiB
_DTYPES = ("float32", "float64")


def _kron(m: Any, dtype: Any) -> Any:
    """The transform ``m`` applied to both axes of a tile, M x M, in ``dtype`` (cached)."""
    key = (m, xp.dtype(dtype).name)
    out = _KRON.get(key)
    if out is None:
        a = xp.asarray(m, dtype=dtype)
        out = _KRON[key] = xp.kron(a, a)
    return out


_KRON: dict = {}


def fits(kernel: tuple, stride: tuple, dilation: tuple, groups: int, dtype: Any) -> bool:
    """Whether F(2x2, 3x3) computes this convolution: 3x3, stride 1, no dilation or groups,
    float32/float64."""
    plain = kernel == (3, 3) and stride == (1, 1) and dilation == (1, 1) and groups == 1
    return plain and xp.dtype(dtype).name in _DTYPES


def _chunk(n: int, channels: int, tiles: int, itemsize: int) -> int:
    return max(1, min(n, _CHUNK_BYTES // (16 * channels * tiles * itemsize)))


class _Tiles:
    """The 4x4 tiles at stride 2 that cover an (H, W) input padded by (top, bottom, left, right)
    into 2x2 output tiles: ``th`` x ``tw`` of them per plane, read from a zero-bordered
    (C, samples, 2*th + 2, 2*tw + 2) buffer."""

    def __init__(self, in_hw: tuple, pad: tuple) -> None:
        self.in_hw, self.pad = in_hw, pad
        self.out_hw = (in_hw[0] + pad[0] + pad[1] - 2, in_hw[1] + pad[2] + pad[3] - 2)
        self.th, self.tw = -(-self.out_hw[0] // 2), -(-self.out_hw[1] // 2)
        self.count = self.th * self.tw

    def transformed(self, x: Any, pad_buf: Any, work: Any) -> Any:
        """V = (B^T x B^T) d: (16, C, samples * tiles) for the samples ``x`` (nb, C, H, W).
        ``pad_buf`` is the zero-bordered (C, nb, 2*th + 2, 2*tw + 2) buffer; ``work`` holds the
        tiles and then V."""
        (h, w), top, left = self.in_hw, self.pad[0], self.pad[2]
        nb, c = x.shape[:2]
        pad_buf[:, :, top : top + h, left : left + w] = x.transpose(1, 0, 2, 3)
        s_c, s_n, s_h, s_w = pad_buf.strides
        shape = (4, 4, c, nb, self.th, self.tw)
        tiles = as_strided(pad_buf, shape, (s_h, s_w, s_c, s_n, 2 * s_h, 2 * s_w), writeable=False)
        d, v = _take(work[0], shape), _take(work[1], (16, c, nb * self.count))
        xp.copyto(d, tiles)
        xp.matmul(_kron(_BT, x.dtype), d.reshape(16, -1), out=v.reshape(16, -1))
        return v

    def buffer(self, c: int, nb: int, dtype: Any) -> Any:
        return xp.zeros((c, nb, 2 * self.th + 2, 2 * self.tw + 2), dtype)

    def untile(self, y: Any, out: Any) -> None:
        """Write Y (2, O * samples * tiles, 2), output row i and column j of every tile, into
        ``out`` (samples, O, Ho, Wo): runs of 2*tw contiguous values on both sides."""
        nb, o, (ho, wo), th, tw = out.shape[0], out.shape[1], self.out_hw, self.th, self.tw
        rows = y.reshape(2, o, nb, th, 2 * tw).transpose(2, 1, 3, 0, 4)
        if (ho, wo) == (2 * th, 2 * tw):
            out.reshape(nb, o, th, 2, 2 * tw)[...] = rows
        else:
            out[...] = rows.reshape(nb, o, 2 * th, 2 * tw)[:, :, :ho, :wo]

    def tiled(self, g: Any) -> Any:
        """(2, 2, O, samples, th, tw): the 2x2 output tiles of ``g`` (samples, O, Ho, Wo),
        zero-filled past an odd edge."""
        nb, o, (ho, wo), th, tw = g.shape[0], g.shape[1], self.out_hw, self.th, self.tw
        if (ho, wo) != (2 * th, 2 * tw):
            g = xp.pad(g, ((0, 0), (0, 0), (0, 2 * th - ho), (0, 2 * tw - wo)))
        out = xp.empty((2, 2, o, nb, th, tw), g.dtype)
        out.transpose(3, 2, 4, 0, 5, 1)[...] = g.reshape(nb, o, th, 2, tw, 2)
        return out


def _take(flat: Any, shape: tuple) -> Any:
    """The first elements of the flat buffer ``flat`` as a contiguous array of ``shape``."""
    size = 1
    for d in shape:
        size *= d
    return flat[:size].reshape(shape)


_scratch = threading.local()


def _buffers(tiles: _Tiles, c: int, nb: int, sizes: tuple, dtype: Any) -> tuple:
    """The zero-bordered input buffer of a chunk and flat scratch buffers of ``sizes``."""
    pool = getattr(_scratch, "pool", None)
    if pool is None:
        pool = _scratch.pool = {}
    work = []
    for k, size in enumerate(sizes):
        have = pool.get((k, dtype))
        if have is None or have.size < size:
            have = pool[(k, dtype)] = xp.empty(size, dtype)
        work.append(have)
    return tiles.buffer(c, nb, dtype), work


def conv3x3(x: Any, w: Any, pad: tuple) -> Any:
    """conv2d(x, w) for a 3x3 kernel at stride 1: (N, C, H, W), (O, C, 3, 3) -> (N, O, Ho, Wo)."""
    n, c = x.shape[:2]
    o, dtype = w.shape[0], x.dtype
    geo = _Tiles(x.shape[2:], pad)
    u = xp.matmul(_kron(_G, dtype), w.reshape(o * c, 9).T).reshape(16, o, c)
    a = _kron(_AT, dtype).reshape(2, 2, 16).transpose(0, 2, 1)  # (i, 16, j)
    out = xp.empty((n, o, *geo.out_hw), dtype)
    step = _chunk(n, max(c, o), geo.count, dtype.itemsize)
    cells = step * geo.count
    sizes = (max(16 * c, 4 * o) * cells, 16 * c * cells, 16 * o * cells)  # tiles, then Y
    pad_buf, work = _buffers(geo, c, step, sizes, dtype)
    for i in range(0, n, step):
        xs = x[i : i + step]
        nb = xs.shape[0]
        v = geo.transformed(xs, pad_buf[:, :nb], work)
        m = _take(work[2], (16, o, nb * geo.count))
        xp.matmul(u, v, out=m)
        y = _take(work[0], (2, o * nb * geo.count, 2))  # the tiles are spent
        xp.matmul(m.reshape(16, -1).T, a, out=y)
        geo.untile(y, out[i : i + nb])
    return out


def conv3x3_weight(x: Any, g: Any, pad: tuple) -> Any:
    """The adjoint of conv3x3 in its weight: (N, C, H, W), (N, O, Ho, Wo) -> (O, C, 3, 3)."""
    n, c = x.shape[:2]
    o, dtype = g.shape[1], x.dtype
    geo = _Tiles(x.shape[2:], pad)
    a_t = _kron(_AT, dtype).T
    du = xp.zeros((16, o, c), dtype)
    part = xp.empty((16, o, c), dtype)
    step = _chunk(n, max(c, o), geo.count, dtype.itemsize)
    cells = step * geo.count
    pad_buf, work = _buffers(geo, c, step, (16 * c * cells,) * 2 + (16 * o * cells,), dtype)
    for i in range(0, n, step):
        xs = x[i : i + step]
        nb = xs.shape[0]
        v = geo.transformed(xs, pad_buf[:, :nb], work)
        dy = _take(work[2], (16, o, nb * geo.count))
        xp.matmul(a_t, geo.tiled(g[i : i + nb]).reshape(4, -1), out=dy.reshape(16, -1))
        du += xp.matmul(dy, v.transpose(0, 2, 1), out=part)
    dw = xp.matmul(_kron(_G, dtype).T, du.reshape(16, o * c))
    return xp.ascontiguousarray(dw.T).reshape(o, c, 3, 3)


def transpose_pad(in_hw: tuple, out_hw: tuple, pad: tuple) -> tuple | None:
    """The padding that makes conv_transpose2d (stride 1, 3x3) from input size ``out_hw`` to
    ``in_hw`` with padding ``pad`` a conv3x3 of the flipped kernel; None if one is negative."""
    top, left = 2 - pad[0], 2 - pad[2]
    bottom, right = in_hw[0] - out_hw[0] + pad[0], in_hw[1] - out_hw[1] + pad[2]
    full = (top, bottom, left, right)
    return full if min(full) >= 0 else None


def conv3x3_transpose(y: Any, w: Any, pad: tuple) -> Any:
    """conv_transpose2d(y, w) at stride 1 (the adjoint of conv3x3 in its input), as a conv3x3
    of ``y`` with the flipped kernel, channels swapped; ``pad`` from transpose_pad."""
    return conv3x3(y, xp.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)), pad)
