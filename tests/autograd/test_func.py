"""ember.func transforms and forward mode against closed forms and against each other."""

import numpy as np
import pytest

import ember
from ember import func
from ember.autograd import forward_ad


def f(x):
    return (x.sin() * x).sum()


@pytest.fixture
def x():
    return ember.tensor([0.3, -0.7, 1.1], dtype=ember.float64)


def test_grad_and_value_and_grad(x):
    xs = x.numpy()
    np.testing.assert_allclose(func.grad(f)(x).numpy(), np.cos(xs) * xs + np.sin(xs))
    value, g = func.value_and_grad(f)(x)
    assert value.item() == pytest.approx(float(np.sum(np.sin(xs) * xs)))
    assert not g.requires_grad and x.grad is None


def test_grad_argnums_and_has_aux(x):
    def h(a, b):
        return (a * b).sum(), "aux"

    y = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    (ga, gb), aux = func.grad(h, argnums=(0, 1), has_aux=True)(x, y)
    np.testing.assert_allclose(ga.numpy(), y.numpy())
    np.testing.assert_allclose(gb.numpy(), x.numpy())
    assert aux == "aux"


def test_grad_of_grad_is_second_derivative(x):
    d2 = func.grad(lambda t: func.grad(lambda u: u.sin().sum())(t).sum())(x)
    np.testing.assert_allclose(d2.numpy(), -np.sin(x.numpy()))


def test_grad_requires_scalar_output(x):
    with pytest.raises(RuntimeError, match="scalar"):
        func.grad(lambda t: t * 2)(x)


def test_vjp_and_jvp_agree_with_jacobian(x):
    g = lambda t: t.sin() * t.exp()  # noqa: E731
    J = func.jacobian(g)(x).numpy()
    v = ember.tensor([1.0, -2.0, 0.5], dtype=ember.float64)
    out, vjp_fn = func.vjp(g, x)
    np.testing.assert_allclose(vjp_fn(v)[0].numpy(), v.numpy() @ J)
    out2, jvp_out = func.jvp(g, (x,), (v,))
    np.testing.assert_allclose(jvp_out.numpy(), J @ v.numpy())
    np.testing.assert_allclose(out.detach().numpy(), out2.numpy())


def test_jacrev_equals_jacfwd_for_non_square(x):
    g = lambda t: (t.reshape(3, 1) * t).exp()  # noqa: E731  (3,) -> (3, 3)
    np.testing.assert_allclose(func.jacrev(g)(x).numpy(), func.jacfwd(g)(x).numpy(), rtol=1e-12)
    assert func.jacobian(g)(x).shape == (3, 3, 3)


def test_hessian_and_hvp(x):
    xs = x.numpy()
    H = func.hessian(f)(x).numpy()
    np.testing.assert_allclose(H, np.diag(2 * np.cos(xs) - xs * np.sin(xs)), atol=1e-12)
    v = ember.tensor([1.0, 0.5, -1.0], dtype=ember.float64)
    value, hv = func.hvp(f, (x,), (v,))
    np.testing.assert_allclose(hv.numpy(), H @ v.numpy())
    assert value.item() == pytest.approx(float(np.sum(np.sin(xs) * xs)))


def test_dual_numbers_api(x):
    with forward_ad.dual_level():
        d = forward_ad.make_dual(x, ember.ones(3, dtype=ember.float64))
        y = d.exp()
        _, tangent = forward_ad.unpack_dual(y)
    np.testing.assert_allclose(tangent.numpy(), np.exp(x.numpy()))


def test_nested_forward_levels_are_refused(x):
    with pytest.raises(NotImplementedError, match="nested"):
        func.jvp(lambda t: func.jvp(lambda u: u * 2, (t,), (t,))[1], (x,), (x,))


def test_jvp_shape_mismatch(x):
    with pytest.raises(ValueError, match="tangent shape"):
        func.jvp(lambda t: t, (x,), (ember.ones(2, dtype=ember.float64),))
