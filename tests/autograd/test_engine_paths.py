"""Engine paths that ordinary use rarely takes: duplicate roots, dtype casts of adjoints under
create_graph, leaf hooks that replace the gradient, unreducible gradients, the error paths of
``autograd.grad``, custom Functions without inputs that require grad, missing jvp rules and
anomaly mode as a decorator or a call. docs/testing.md lists the planted bug each test catches."""

import numpy as np
import pytest

import ember
from ember.autograd import Function, forward_ad


def f64(values, requires_grad=True):
    return ember.tensor(values, dtype=ember.float64, requires_grad=requires_grad)


# ------------------------------------------------------------------------------ duplicate roots
@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_of_the_same_root_twice_adds_both_gradients(create_graph):
    x = f64([1.0, -2.0, 3.0])
    y = x * x
    g1, g2 = f64([1.0, 2.0, 3.0], False), f64([0.5, -1.0, 4.0], False)
    (gx,) = ember.autograd.grad([y, y], x, [g1, g2], create_graph=create_graph)
    expected = 2 * x.detach().numpy() * (g1.numpy() + g2.numpy())
    np.testing.assert_allclose(gx.detach().numpy(), expected)
    assert gx.requires_grad == create_graph


def test_grad_of_a_leaf_root_twice_adds_both_gradients():
    x = f64([1.0, 2.0])
    (gx,) = ember.autograd.grad([x, x], x, [f64([1.0, 1.0], False), f64([2.0, 3.0], False)])
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])


@pytest.mark.parametrize("create_graph", [False, True])
def test_backward_from_duplicate_roots_accumulates_both(create_graph):
    x = f64([1.0, -2.0])
    y = x * 3
    ember.autograd.run_backward(
        [y, y], [f64([1.0, 1.0], False), f64([2.0, -1.0], False)], False, create_graph
    )
    np.testing.assert_allclose(x.grad.detach().numpy(), [9.0, 0.0])


# ---------------------------------------------------------------------------- dtype of adjoints
@pytest.mark.parametrize("create_graph", [False, True])
def test_float32_input_gets_a_float32_gradient_through_a_float64_graph(create_graph):
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = f64([3.0, -1.0], False)
    y = (x * w).sum()  # float64 by promotion
    assert y.dtype == ember.float64
    (gx,) = ember.autograd.grad(y, x, create_graph=create_graph)
    assert gx.dtype == ember.float32
    np.testing.assert_allclose(gx.detach().numpy(), [3.0, -1.0])


def test_second_derivative_through_a_cast_keeps_the_input_dtype():
    x = ember.tensor([0.5, -1.5], requires_grad=True)
    y = (x.double() ** 3).sum()
    (gx,) = ember.autograd.grad(y, x, create_graph=True)
    assert gx.dtype == ember.float32
    (ggx,) = ember.autograd.grad(gx.sum(), x)
    assert ggx.dtype == ember.float32
    np.testing.assert_allclose(ggx.numpy(), 6 * x.detach().numpy())


# ------------------------------------------------------------------------------------ leaf hooks
def test_leaf_hook_replaces_the_gradient_that_accumulates():
    x = f64([1.0, 2.0])
    x.register_hook(lambda g: g * 10)
    x.register_hook(lambda g: None)  # returns nothing: keeps the replaced gradient
    x.register_hook(lambda g: g + 1)  # sees the replaced gradient
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [21.0, 21.0])


def test_leaf_hook_replaces_the_gradient_that_grad_returns():
    x = f64([1.0, 2.0])
    x.register_hook(lambda g: -g)
    (gx,) = ember.autograd.grad((x**2).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [-2.0, -4.0])


# ------------------------------------------------------------------------- unreducible gradients
class WrongShape(Function):
    """A rule that returns a (2,) gradient for a (3,) input."""

    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out[:2]


@pytest.mark.parametrize("create_graph", [False, True])
def test_gradient_that_cannot_be_reduced_is_an_error_naming_the_op(create_graph):
    x = f64([1.0, 2.0, 3.0])
    y = WrongShape.apply(x).sum()
    with pytest.raises(RuntimeError, match=r"WrongShapeBackward .*\(2,\).*input's shape \(3,\)"):
        ember.autograd.grad(y, x, create_graph=create_graph)


# ---------------------------------------------------------------------- autograd.grad's errors
def test_grad_of_an_output_that_does_not_require_grad():
    x = f64([1.0])
    with pytest.raises(RuntimeError, match="output does not require grad"):
        ember.autograd.grad(f64([2.0], False) * 2, x)


def test_grad_of_a_non_scalar_output_needs_grad_outputs():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(2,\)"):
        ember.autograd.grad(x * 2, x)


def test_grad_with_respect_to_an_input_that_does_not_require_grad():
    x, c = f64([1.0]), f64([1.0], False)
    with pytest.raises(RuntimeError, match="input 1 does not require grad"):
        ember.autograd.grad((x * 2).sum(), [x, c])


def test_grad_with_respect_to_an_unused_input():
    x, unused = f64([1.0]), f64([5.0, 6.0])
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(2,\)\) was not used"):
        ember.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = ember.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0])
    assert gu is None


# --------------------------------------------------------- custom Function, no input needs grad
class Exp(Function):
    """y = exp(a); forward records the types it receives."""

    seen: list = []

    @staticmethod
    def forward(ctx, a):
        Exp.seen.append(type(a))
        ctx.save_for_backward(a)
        return a.exp()

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        return grad_out * a.exp()


def test_custom_function_without_inputs_that_require_grad():
    Exp.seen.clear()
    a = f64([0.0, 1.0], False)
    y = Exp.apply(a)
    assert Exp.seen == [ember.Tensor]  # forward still gets tensors
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_allclose(y.numpy(), np.exp([0.0, 1.0]))
    with ember.no_grad():
        z = Exp.apply(f64([2.0]))
    assert z.grad_fn is None and not z.requires_grad and Exp.seen[-1] is ember.Tensor


# ------------------------------------------------------------------------------- forward mode
class NoJvp(Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 2


def test_forward_mode_through_a_function_without_jvp_names_it():
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(f64([1.0], False), f64([1.0], False))
        with pytest.raises(NotImplementedError, match="NoJvp has no forward-mode"):
            NoJvp.apply(dual)


# ---------------------------------------------------------------------------------- anomaly mode
def test_detect_anomaly_as_a_decorator():
    @ember.autograd.detect_anomaly()
    def step(x):
        assert ember.autograd.is_anomaly_enabled()
        (x.log() * 0).sum().backward()  # log'(0) = inf, times 0 = nan

    assert not ember.autograd.is_anomaly_enabled()
    with np.errstate(all="ignore"), pytest.raises(RuntimeError, match="LogBackward"):
        step(ember.tensor([0.0], requires_grad=True))
    assert not ember.autograd.is_anomaly_enabled()


def test_set_detect_anomaly_as_a_call_and_as_a_context():
    ember.autograd.set_detect_anomaly(True)
    try:
        assert ember.autograd.is_anomaly_enabled()
        with ember.autograd.set_detect_anomaly(False):
            assert not ember.autograd.is_anomaly_enabled()
        assert ember.autograd.is_anomaly_enabled()
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert not ember.autograd.is_anomaly_enabled()
    with ember.autograd.set_detect_anomaly(True):
        assert ember.autograd.is_anomaly_enabled()
    assert not ember.autograd.is_anomaly_enabled()
