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
