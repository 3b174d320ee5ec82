"""Special functions against PyTorch on wide ranges, their poles and edges, and float32."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

_RNG = np.random.default_rng(0)
WIDE = np.concatenate(
    [
        _RNG.uniform(-10, 10, 500),
        _RNG.uniform(0, 3, 500),
        10 ** _RNG.uniform(-8, 8, 500),
        [1.0, 2.0, 0.5, 15.0],
    ]
)
EDGES = np.array([0.0, -1.0, -3.0, np.inf, -np.inf, np.nan])


def _close(ours, theirs, rtol):
    ours, theirs = ours.numpy(), theirs.numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite])
    scale = np.maximum(1.0, np.abs(theirs[finite]))
    assert np.max(np.abs(ours[finite] - theirs[finite]) / scale) < rtol


@pytest.mark.parametrize(("name", "rtol"), [("lgamma", 1e-12), ("digamma", 1e-9)])
def test_gamma_functions_match_torch(name, rtol):
    x = np.concatenate([WIDE, EDGES])
    _close(
        getattr(ember, name)(ember.tensor(x, dtype=ember.float64)),
        getattr(torch, name)(torch.tensor(x)),
        rtol,
    )


@pytest.mark.parametrize("n", [1, 2, 3])
def test_polygamma_matches_torch(n):
    # torch's trigamma is accurate to ~1e-9 (ours to ~1e-14 against mpmath)
    x = np.concatenate([np.abs(WIDE) + 1e-3, [-0.5, -2.5]] if n == 1 else [np.abs(WIDE) + 1e-3])
    _close(
        ember.polygamma(n, ember.tensor(x, dtype=ember.float64)),
        torch.polygamma(n, torch.tensor(x)),
        1e-8,
    )


def test_erfinv_matches_torch_up_to_the_tails():
    y = np.concatenate(
        [_RNG.uniform(-1, 1, 1000), 1 - 10 ** _RNG.uniform(-15, 0, 200), [0.0, 1.0, -1.0, 1.5]]
    )
    ours, theirs = (
        ember.erfinv(ember.tensor(y, dtype=ember.float64)).numpy(),
        torch.erfinv(torch.tensor(y)).numpy(),
    )
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite])
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-13, atol=1e-300)


def test_float32_in_float32_out():
    x = ember.tensor([0.3, 2.5])
    for out in (x.lgamma(), x.digamma(), x.polygamma(1), (x / 3).erfinv()):
        assert out.dtype == ember.float32


def test_polygamma_rejects_negative_order():
    with pytest.raises(RuntimeError, match="negative n"):
        ember.polygamma(-1, ember.tensor([1.0]))


def test_incomplete_gamma_matches_torch():
    a = 10 ** _RNG.uniform(-2, 3, 600)
    x = _RNG.standard_gamma(a) * _RNG.uniform(0.2, 3, 600)
    a = np.concatenate([a, [1.0, 2.0, -1.0, 1.0]])
    x = np.concatenate([x, [0.0, np.inf, 1.0, np.nan]])
    for ours, theirs in (
        (ember.special.gammainc, torch.special.gammainc),
        (ember.igammac, torch.igammac),
    ):
        got = ours(ember.tensor(a, dtype=ember.float64), ember.tensor(x, dtype=ember.float64))
        want = theirs(torch.tensor(a), torch.tensor(x)).numpy()
        # torch's float64 igamma is accurate to ~1e-10 (ours to ~1e-14 against mpmath)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-8, atol=1e-9)


def test_incomplete_gamma_gradient_in_x_only_as_in_torch():
    a = ember.tensor([0.5, 3.0], dtype=ember.float64, requires_grad=True)
    x = ember.tensor([0.7, 2.0], dtype=ember.float64, requires_grad=True)
    ember.igamma(a.detach(), x).sum().backward()
    ta, tx = (
        torch.tensor([0.5, 3.0], dtype=torch.float64),
        torch.tensor([0.7, 2.0], requires_grad=True, dtype=torch.float64),
    )
    torch.igamma(ta, tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="not implemented"):
        ember.igamma(a, x).sum().backward()
