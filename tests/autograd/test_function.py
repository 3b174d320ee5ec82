"""Custom operations with PyTorch's Function shape: the lecture's sigmoid node."""

import numpy as np
import pytest

import ember
from ember.autograd import Function, gradcheck


class Sigmoid(Function):
    """z = 1 / (1 + exp(-a));  dz/da = z (1 - z)."""

    @staticmethod
    def forward(ctx, a):
        z = 1 / (1 + (-a).exp())
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_out):
        (z,) = ctx.saved_tensors
        return grad_out * z * (1 - z)

    @staticmethod
    def jvp(ctx, tangent):
        (z,) = ctx.saved_tensors
        return tangent * z * (1 - z)


class ScaleBy(Function):
    """y = a * k for a Python number k; gradient only for a."""

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        assert not a.requires_grad  # forward runs on detached tensors
        return a * k

    @staticmethod
    def backward(ctx, grad_out):
        assert ctx.needs_input_grad[0] and not ctx.needs_input_grad[1]
        return grad_out * ctx.k, None


def test_custom_sigmoid_value_and_gradient():
    a = ember.tensor([-2.0, 0.0, 3.0], dtype=ember.float64, requires_grad=True)
    z = Sigmoid.apply(a)
    expected = 1 / (1 + np.exp(-a.detach().numpy()))
    np.testing.assert_allclose(z.detach().numpy(), expected)
    assert z.grad_fn.name() == "SigmoidBackward"
    z.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), expected * (1 - expected))


def test_custom_function_passes_gradcheck_and_second_order():
    a = ember.tensor([-1.0, 0.3, 2.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(Sigmoid.apply, (a,), check_forward_ad=True)
    assert ember.autograd.gradgradcheck(Sigmoid.apply, (a,))


def test_custom_function_with_non_tensor_argument():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    ScaleBy.apply(a, 3.0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 3.0])


def test_forward_must_return_a_tensor():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a):
            return a.numpy()

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="must return one Tensor"):
        Bad.apply(ember.tensor([1.0], requires_grad=True))


def test_wrong_number_of_gradients_is_reported():
    class TwoInputs(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    a = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned 1 gradients"):
        TwoInputs.apply(a, a).sum().backward()


def test_once_differentiable_refuses_create_graph():
    class Once(Function):
        once_differentiable = True

        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    a = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="once-differentiable"):
        ember.autograd.grad(Once.apply(a).sum(), a, create_graph=True)


class Cube(ember.autograd.Op):
    """a^3;  da = 3 g a^2, one rule for both paths (arrays in a plain backward)."""

    seen: list = []

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a, np.ones_like(a))
        return a**3

    @staticmethod
    def backward(ctx, grad_out):
        a, ones = ctx.saved_like(grad_out)
        Cube.seen.append((type(grad_out), type(a), type(ones)))
        return grad_out * 3 * a * a * ones

    backward_arrays = backward


def test_rules_run_on_arrays_in_a_plain_backward_and_on_tensors_under_create_graph():
    x = ember.tensor([1.0, -2.0], dtype=ember.float64, requires_grad=True)
    Cube.seen.clear()
    (g,) = ember.autograd.grad(Cube.apply(x).sum(), x)
    assert Cube.seen == [(np.ndarray, np.ndarray, np.ndarray)]
    assert type(g) is ember.Tensor and g.tolist() == [3.0, 12.0]
    (g,) = ember.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert Cube.seen[1] == (ember.Tensor, ember.Tensor, np.ndarray)
    (gg,) = ember.autograd.grad(g.sum(), x)
    assert gg.tolist() == [6.0, -12.0]


def test_tensor_rules_and_hooks_see_tensors_in_a_plain_backward():
    seen = []
    x = ember.tensor([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    y = Cube.apply(ScaleBy.apply(x, 2.0))  # ScaleBy's rule asserts on ctx and uses tensors
    y.register_hook(lambda g: seen.append(type(g)) or g * 2)
    y.sum().backward()
    assert seen == [ember.Tensor]
    np.testing.assert_allclose(x.grad.numpy(), 2 * 3 * (2 * x.detach().numpy()) ** 2 * 2)
