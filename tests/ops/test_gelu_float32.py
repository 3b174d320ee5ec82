"""float32 GELU takes the normal CDF from a fast erfc fit: it must stay within float32 accuracy of
the exact float64 GELU, in value and in gradient."""

from __future__ import annotations

import numpy as np

import ember


def test_float32_gelu_is_float32_accurate():
    x = np.linspace(-9, 9, 20001)
    exact = ember.tensor(x, dtype=ember.float64, requires_grad=True)
    fast = ember.tensor(x, dtype=ember.float32, requires_grad=True)
    ember.gelu(exact).sum().backward()
    ember.gelu(fast).sum().backward()
    want = ember.gelu(exact).detach().numpy()
    got = ember.gelu(fast).detach().numpy().astype(np.float64)
    x32 = x.astype(np.float32).astype(np.float64)  # the float32 input itself is rounded
    slope = exact.grad.numpy()
    tolerance = 2e-7 * np.abs(x) + np.abs(slope) * np.abs(x32 - x) + 1e-7 * np.abs(want)
    assert np.all(np.abs(got - want) <= tolerance + 1e-12)
    np.testing.assert_allclose(fast.grad.numpy(), slope, atol=5e-7)
