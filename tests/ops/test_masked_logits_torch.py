"""Masked and extreme logits: -inf entries (attention and vocabulary masks), whole rows of -inf,
+inf and +-1e4 give PyTorch's values and gradients (NaN exactly where PyTorch has NaN)."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

INF = float("inf")
LOGITS = {
    "-inf entries": ([[-INF, 1.0, 2.0], [0.5, -INF, -INF], [3.0, 1.0, -INF]], [1, 0, 1]),
    "a row of -inf": ([[-INF, -INF, -INF], [0.5, 1.0, 2.0]], [0, 2]),
    "+-1e4": ([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], [1, 0]),
    "+inf": ([[INF, 1.0, 0.0], [0.0, 1.0, 2.0]], [0, 1]),
    "mixed": ([[-INF, INF, 1e4], [-1e4, -INF, 0.0]], [2, 2]),
}


def _one_hot(m, t, x):
    return (t[:, None] == m.arange(x.shape[1])[None]).to(x.dtype)


OPS = {
    "cross_entropy": lambda m, x, t: m.nn.functional.cross_entropy(x, t),
    "cross_entropy none": lambda m, x, t: m.nn.functional.cross_entropy(x, t, reduction="none"),
    "cross_entropy smoothed": lambda m, x, t: m.nn.functional.cross_entropy(
        x, t, label_smoothing=0.1
    ),
    "cross_entropy probabilities": lambda m, x, t: m.nn.functional.cross_entropy(
        x, _one_hot(m, t, x)
    ),
    "nll_loss(log_softmax)": lambda m, x, t: m.nn.functional.nll_loss(
        m.nn.functional.log_softmax(x, 1), t
    ),
    "log_softmax": lambda m, x, t: m.nn.functional.log_softmax(x, 1),
    "softmax": lambda m, x, t: m.nn.functional.softmax(x, 1),
    "logsumexp": lambda m, x, t: m.logsumexp(x, 1),
    "bce_with_logits": lambda m, x, t: m.nn.functional.binary_cross_entropy_with_logits(
        x, _one_hot(m, t, x), reduction="none"
    ),
    "bce_with_logits pos_weight": lambda m, x, t: m.nn.functional.binary_cross_entropy_with_logits(
        x, _one_hot(m, t, x), pos_weight=m.ones(x.shape[1], dtype=x.dtype) * 2, reduction="none"
    ),
}


def _run(m, op, logits, target, dtype):
    x = m.tensor(logits, dtype=getattr(m, dtype), requires_grad=True)
    y = OPS[op](m, x, m.tensor(target))
    seed = np.random.default_rng(0).normal(size=tuple(y.shape))
    y.backward(m.tensor(seed, dtype=getattr(m, dtype)))
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(LOGITS))
@pytest.mark.parametrize("op", list(OPS))
def test_values_and_gradients_match_pytorch(op, case, dtype):
    logits, target = LOGITS[case]
    tol = 1e-6 if dtype == "float32" else 1e-12
    with np.errstate(all="ignore"):
        got = _run(ember, op, logits, target, dtype)
    want = _run(torch, op, logits, target, dtype)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
