"""standard_gamma: draws from the default generator, and its implicit reparameterisation gradient
dx/dalpha = -(dP/dalpha)/p checked against the CDF identity and against torch."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.ops.random import standard_gamma_grad

ALPHAS = [0.05, 0.3, 1.0, 2.5, 10.0, 150.0]


def test_draws_are_reproducible_and_keep_the_dtype():
    alpha = ember.full((3, 2), 2.0)
    ember.manual_seed(1)
    x = ember.standard_gamma(alpha)
    ember.manual_seed(1)
    assert np.array_equal(ember.standard_gamma(alpha).numpy(), x.numpy())
    assert x.dtype == ember.float32 and x.shape == (3, 2) and (x.numpy() > 0).all()


def test_gradient_reaches_alpha_through_the_draw():
    alpha = ember.tensor([0.5, 4.0], dtype=ember.float64, requires_grad=True)
    ember.manual_seed(2)
    x = ember.standard_gamma(alpha)
    x.sum().backward()
    expected = standard_gamma_grad(alpha.detach().numpy(), x.detach().numpy())
    np.testing.assert_allclose(alpha.grad.numpy(), expected)
    with pytest.raises(RuntimeError):  # once differentiable
        y = ember.standard_gamma(alpha)
        ember.autograd.grad(y.sum(), alpha, create_graph=True)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_gradient_keeps_the_cdf_level(alpha):
    """P(alpha + h, x + h dx/dalpha) = P(alpha, x) to first order (torch's gammainc as P)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_gamma(alpha, 50)
    a = np.full_like(x, alpha)
    slope = standard_gamma_grad(a, x)
    h = 1e-6 * alpha

    def cdf(a_, x_):
        return torch.special.gammainc(torch.tensor(a_), torch.tensor(x_)).numpy()

    dp_da = (cdf(a + h, x) - cdf(a - h, x)) / (2 * h)
    hx = 1e-6 * x
    dp_dx = (cdf(a, x + hx) - cdf(a, x - hx)) / (2 * hx)
    keep = dp_dx > 1e-6  # where the density is tiny the finite differences are noise
    np.testing.assert_allclose(slope[keep], -dp_da[keep] / dp_dx[keep], rtol=2e-4, atol=1e-8)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_gradient_matches_torch(alpha):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_gamma(alpha, 200)
    x = x[x > 1e-30]  # torch's float64 approximation underflows below
    a = np.full_like(x, alpha)
    theirs = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy()
    # torch evaluates an approximation (Jankowiak and Obermeyer) good to about 1e-3
    np.testing.assert_allclose(standard_gamma_grad(a, x), theirs, rtol=3e-3)


def test_slopes_average_to_the_gradient_of_the_mean():
    """The gradient of E[x] = alpha is 1: the slopes average to 1."""
    x = np.random.default_rng(3).standard_gamma(1.0, 20000)
    slope = standard_gamma_grad(np.ones_like(x), x)
    assert abs(slope.mean() - 1.0) < 5 * slope.std() / np.sqrt(x.size)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_dropout_gradient_is_the_mask_it_drew(dtype):
    x = ember.tensor(np.linspace(1, 2, 200).reshape(20, 10), dtype=dtype, requires_grad=True)
    y = ember.nn.functional.dropout(x, 0.25)
    g = ember.tensor(np.arange(200.0).reshape(20, 10), dtype=dtype)
    y.backward(g)
    mask = y._data / x._data  # 0 or 1 / (1 - p), as drawn
    assert np.all(np.isclose(mask, 0) | np.isclose(mask, 1 / 0.75, rtol=1e-6))
    assert 0 < np.count_nonzero(mask) < mask.size
    np.testing.assert_allclose(x.grad._data, g._data * mask, rtol=1e-6)
    assert y.dtype == dtype and x.grad.dtype == dtype
    z = ember.autograd.forward_ad  # forward mode agrees with the same mask
    ember.manual_seed(5)
    with z.dual_level():
        dual = z.make_dual(x.detach(), ember.ones_like(x))
        out = ember.nn.functional.dropout(dual, 0.25)
        np.testing.assert_allclose(z.unpack_dual(out)[1]._data, out._data / x._data, rtol=1e-6)
