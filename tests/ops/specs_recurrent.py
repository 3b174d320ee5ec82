"""Op specs: the fused recurrence of RNN/LSTM/GRU layers (see harness.py), dense and packed,
both directions, with and without the hidden bias, the LSTM with and without projection.
The reference is a plain NumPy loop over time steps with PyTorch's documented cell formulas."""

from __future__ import annotations

import numpy as np

from ember.ops.recurrent import recurrence

from .harness import OpSpec

HIDDEN, PROJ = 2, 1
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _cell(mode, gx, gh, h, c, w_hr):
    if mode == "RNN_TANH":
        return np.tanh(gx + gh), None
    if mode == "RNN_RELU":
        return np.maximum(gx + gh, 0), None
    if mode == "GRU":
        xr, xz, xn = np.split(gx, 3, -1)
        hr, hz, hn = np.split(gh, 3, -1)
        r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    i, f, g, o = np.split(gx + gh, 4, -1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return (h if w_hr is None else h @ w_hr.T), c


def reference(mode, batch_sizes, reverse, gx, h0, c0, w_hh, b_hh, w_hr):
    """States row by row; each sequence starts from its row of h0 (and c0)."""
    offsets = np.cumsum((0, *batch_sizes))
    order = range(len(batch_sizes))
    h, c = h0.copy(), (None if c0 is None else c0.copy())
    rows = [None] * len(batch_sizes)
    for t in reversed(order) if reverse else order:
        b = batch_sizes[t]
        gh = h[:b] @ w_hh.T + (0 if b_hh is None else b_hh)
        new_h, new_c = _cell(
            mode, gx[offsets[t] : offsets[t] + b], gh, h[:b], None if c is None else c[:b], w_hr
        )
        h[:b] = new_h
        if c is not None:
            c[:b] = new_c
        rows[t] = new_h if c is None else np.concatenate([new_h, new_c], -1)
    return np.concatenate(rows)


def spec(mode, batch_sizes, reverse, bias=True, proj=False, gradgrad=False):
    gates = GATES[mode] * HIDDEN
    size = PROJ if proj else HIDDEN
    lstm = mode == "LSTM"
    names = ["gx", "h0"] + ["c0"] * lstm + ["w_hh"] + ["b_hh"] * bias + ["w_hr"] * proj
    shapes = {
        "gx": (sum(batch_sizes), gates),
        "h0": (batch_sizes[0], size),
        "c0": (batch_sizes[0], HIDDEN),
        "w_hh": (gates, size),
        "b_hh": (gates,),
        "w_hr": (PROJ, HIDDEN),
    }

    def split(xs):
        given = dict(zip(names, xs))
        return [given.get(k) for k in ("gx", "h0", "c0", "w_hh", "b_hh", "w_hr")]

    def fn(*xs):
        return recurrence(*split(xs), mode, batch_sizes, reverse)

    def ref(*xs):
        return reference(mode, batch_sizes, reverse, *split(xs))

    variant = "packed" if len(set(batch_sizes)) > 1 else "dense"
    name = f"recurrence_{mode}_{variant}" + "_reverse" * reverse + "_nobias" * (not bias)
    return OpSpec(
        name + "_proj" * proj,
        fn,
        ref,
        [tuple(shapes[k] for k in names)],
        domain=(-1.0, 1.0),
        gradgrad=gradgrad,
    )


SPECS = []
for mode in GATES:
    SPECS += [
        spec(mode, (2, 2), False, gradgrad=True),  # second order: the tensor rule
        spec(mode, (3, 2, 1), True),
        spec(mode, (3, 1, 1), False, bias=False),
    ]
SPECS += [
    spec("LSTM", (2, 1), False, proj=True, gradgrad=True),
    spec("LSTM", (2, 2, 1), True, proj=True),
]
