"""cholesky and solve_triangular against torch.linalg (values and gradients), and their errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 3, 3))
SPD = X @ np.swapaxes(X, -1, -2) + 3 * np.eye(3)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_value_and_gradient_match_torch(upper):
    weight = RNG.normal(size=(2, 3, 3))
    a = ember.tensor(SPD, dtype=ember.float64, requires_grad=True)
    (
        ember.linalg.cholesky(a, upper=upper) * ember.tensor(weight, dtype=ember.float64)
    ).sum().backward()
    t = torch.tensor(SPD, requires_grad=True)
    out = torch.linalg.cholesky(t, upper=upper)
    (out * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(
        ember.linalg.cholesky(ember.tensor(SPD, dtype=ember.float64), upper=upper).numpy(),
        out.detach().numpy(),
        atol=1e-14,
    )
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("upper", "left", "unit"), [(False, True, False), (True, False, True)])
def test_solve_triangular_gradients_match_torch(upper, left, unit):
    a_np = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    b_np = RNG.normal(size=(3, 4) if left else (4, 3))
    a = ember.tensor(a_np, dtype=ember.float64, requires_grad=True)
    b = ember.tensor(b_np, dtype=ember.float64, requires_grad=True)
    out = ember.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unit)
    (out * out).sum().backward()
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    tout = torch.linalg.solve_triangular(ta, tb, upper=upper, left=left, unitriangular=unit)
    (tout * tout).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_errors():
    with pytest.raises(RuntimeError, match="not positive-definite"):
        ember.linalg.cholesky(ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="square matrices"):
        ember.linalg.cholesky(ember.zeros(2, 3))
    with pytest.raises(ValueError, match="incompatible shapes"):
        ember.linalg.solve_triangular(ember.eye(3), ember.zeros(2, 2), upper=False)
    assert ember.cholesky(ember.eye(2)).dtype == ember.float32
