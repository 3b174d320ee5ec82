"""The cells of the recurrent layers: one time step of RNN (tanh, relu), LSTM and GRU, each on raw
arrays (forward and its adjoint, for the fused ``Recurrence`` op) and on tensors (the
differentiable definition that the op's higher-order and forward-mode rules differentiate).

Gate order and formulas are PyTorch's. ``gx`` is the input's share of the gates (x W_ih^T + b_ih),
``gh`` the hidden state's (h W_hh^T + b_hh); both are (batch, gates * hidden).

* RNN: h' = act(gx + gh).
* LSTM (gates i, f, g, o): c' = f c + i g, h' = o tanh(c'), times W_hr^T with ``proj_size``.
* GRU (gates r, z, n): n = tanh(gx_n + r gh_n), h' = (1 - z) n + z h.
"""

from __future__ import annotations

from typing import Any

from ..backend import xp
from .activation import relu, sigmoid, tanh
from .linalg import matmul


def _sigmoid_into(a: Any) -> None:
    """a <- 1 / (1 + exp(-a)) in place (exp overflowing to inf gives the exact limit 0)."""
    with xp.errstate(over="ignore"):
        xp.negative(a, out=a)
        xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


class Buffers:
    """What the array rules of one ``Recurrence`` share: per-row gate values and adjoints."""

    __slots__ = ("acts", "dgh", "dgx", "dh_rows", "m_rows", "out", "w_hr")

    def __init__(self, acts: Any, out: Any, w_hr: Any) -> None:
        self.acts, self.out, self.w_hr = acts, out, w_hr
        self.dgx = self.dgh = self.dh_rows = self.m_rows = None


class TanhCell:
    """h' = tanh(gx + gh)."""

    gates = 1
    acts = 0  # saved gate values per hidden unit (beyond the output itself)

    @staticmethod
    def step_arrays(buf: Buffers, rows: slice, gx: Any, gh: Any, h: Any, c: Any) -> None:
        out = buf.out[rows]
        xp.add(gx, gh, out=out)
        xp.tanh(out, out=out)

    @staticmethod
    def back_arrays(buf: Buffers, rows: slice, dh: Any, dc: Any, h: Any, c: Any) -> tuple:
        y = buf.out[rows]
        buf.dgx[rows] = dh * (1 - y * y)
        return None, None

    @staticmethod
    def step_tensors(gx: Any, gh: Any, h: Any, c: Any, w_hr: Any) -> tuple:
        return tanh(gx + gh), None


class ReluCell(TanhCell):
    """h' = relu(gx + gh)."""

    @staticmethod
    def step_arrays(buf: Buffers, rows: slice, gx: Any, gh: Any, h: Any, c: Any) -> None:
        out = buf.out[rows]
        xp.add(gx, gh, out=out)
        xp.maximum(out, 0, out=out)

    @staticmethod
    def back_arrays(buf: Buffers, rows: slice, dh: Any, dc: Any, h: Any, c: Any) -> tuple:
        buf.dgx[rows] = dh * (buf.out[rows] > 0)
        return None, None

    @staticmethod
    def step_tensors(gx: Any, gh: Any, h: Any, c: Any, w_hr: Any) -> tuple:
        return relu(gx + gh), None


class LSTMCell:
    """Gates i, f, g, o; the output row holds [h', c'] (h' of size proj_size when projected)."""

    gates = 4
    acts = 4

    @staticmethod
    def step_arrays(buf: Buffers, rows: slice, gx: Any, gh: Any, h: Any, c: Any) -> None:
        a = buf.acts[rows]
        n = a.shape[1] // 4
        xp.add(gx, gh, out=a)
        _sigmoid_into(a[:, : 2 * n])
        _sigmoid_into(a[:, 3 * n :])
        xp.tanh(a[:, 2 * n : 3 * n], out=a[:, 2 * n : 3 * n])
        out = buf.out[rows]
        p = out.shape[1] - n
        c_new = out[:, p:]
        xp.multiply(a[:, n : 2 * n], c, out=c_new)
        c_new += a[:, :n] * a[:, 2 * n : 3 * n]
        m = xp.tanh(c_new)
        m *= a[:, 3 * n :]
        if buf.w_hr is None:
            out[:, :p] = m
        else:
            xp.matmul(m, buf.w_hr.T, out=out[:, :p])

    @staticmethod
    def back_arrays(buf: Buffers, rows: slice, dh: Any, dc: Any, h: Any, c: Any) -> tuple:
        a = buf.acts[rows]
        n = a.shape[1] // 4
        i, f, g, o = a[:, :n], a[:, n : 2 * n], a[:, 2 * n : 3 * n], a[:, 3 * n :]
        out = buf.out[rows]
        tc = xp.tanh(out[:, out.shape[1] - n :])
        if buf.w_hr is not None:
            buf.dh_rows[rows] = dh
            buf.m_rows[rows] = o * tc
            dh = dh @ buf.w_hr
        dg = buf.dgx[rows]
        xp.multiply(dh, tc, out=dg[:, 3 * n :])  # d o (before the sigmoid's slope)
        dc = dc + dh * o * (1 - tc * tc)
        xp.multiply(dc, g, out=dg[:, :n])
        xp.multiply(dc, c, out=dg[:, n : 2 * n])
        xp.multiply(dc, i, out=dg[:, 2 * n : 3 * n])
        dg[:, 2 * n : 3 * n] *= 1 - g * g
        for part in (slice(0, n), slice(n, 2 * n), slice(3 * n, 4 * n)):
            s = a[:, part]
            dg[:, part] *= s * (1 - s)
        return None, dc * f

    @staticmethod
    def step_tensors(gx: Any, gh: Any, h: Any, c: Any, w_hr: Any) -> tuple:
        i, f, g, o = (gx + gh).chunk(4, -1)
        c_new = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h_new = sigmoid(o) * tanh(c_new)
        return (h_new if w_hr is None else matmul(h_new, w_hr.mT)), c_new


class GRUCell:
    """Gates r, z, n; saved per row: r, z, n and gh_n (the hidden share of the n gate)."""

    gates = 3
    acts = 4

    @staticmethod
    def step_arrays(buf: Buffers, rows: slice, gx: Any, gh: Any, h: Any, c: Any) -> None:
        a = buf.acts[rows]
        n = a.shape[1] // 4
        xp.add(gx[:, : 2 * n], gh[:, : 2 * n], out=a[:, : 2 * n])
        _sigmoid_into(a[:, : 2 * n])
        a[:, 3 * n :] = gh[:, 2 * n :]
        cand = a[:, 2 * n : 3 * n]
        xp.multiply(a[:, :n], gh[:, 2 * n :], out=cand)
        cand += gx[:, 2 * n :]
        xp.tanh(cand, out=cand)
        out = buf.out[rows]
        xp.subtract(h, cand, out=out)
        out *= a[:, n : 2 * n]
        out += cand

    @staticmethod
    def back_arrays(buf: Buffers, rows: slice, dh: Any, dc: Any, h: Any, c: Any) -> tuple:
        a = buf.acts[rows]
        n = a.shape[1] // 4
        r, z, cand, ghn = a[:, :n], a[:, n : 2 * n], a[:, 2 * n : 3 * n], a[:, 3 * n :]
        dgx, dgh = buf.dgx[rows], buf.dgh[rows]
        dnp = dh * (1 - z) * (1 - cand * cand)
        dgx[:, 2 * n :] = dnp
        xp.multiply(dnp, r, out=dgh[:, 2 * n :])
        dgx[:, :n] = dnp * ghn * r * (1 - r)
        dgx[:, n : 2 * n] = dh * (h - cand) * z * (1 - z)
        dgh[:, : 2 * n] = dgx[:, : 2 * n]
        return dh * z, None

    @staticmethod
    def step_tensors(gx: Any, gh: Any, h: Any, c: Any, w_hr: Any) -> tuple:
        xr, xz, xn = gx.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r = sigmoid(xr + hr)
        z = sigmoid(xz + hz)
        cand = tanh(xn + r * hn)
        return cand + z * (h - cand), None


CELLS = {"RNN_TANH": TanhCell, "RNN_RELU": ReluCell, "LSTM": LSTMCell, "GRU": GRUCell}
