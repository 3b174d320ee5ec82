"""The backward engine: the lecture's worked example, accumulation, graph freeing, long chains,
and the errors a user can hit."""

import gc
import math
import weakref

import numpy as np
import pytest

import ember


def lecture_example(x):
    """J = cos(sin(x^2) + 3 x^2), built from the lecture's intermediate nodes."""
    t = x * x
    u1 = t.sin()
    u2 = 3 * t
    u = u1 + u2
    return u.cos()


@pytest.mark.parametrize("x0", [-1.3, 0.0, 0.5, 2.0])
def test_worked_example_matches_closed_form(x0):
    x = ember.tensor(x0, dtype=ember.float64, requires_grad=True)
    J = lecture_example(x)
    J.backward()
    u = math.sin(x0**2) + 3 * x0**2
    assert J.item() == pytest.approx(math.cos(u), abs=1e-12)
    expected = -math.sin(u) * (2 * x0 * math.cos(x0**2) + 6 * x0)
    assert abs(x.grad.item() - expected) <= 1e-12


def test_leaf_gradients_accumulate_across_backward_calls():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_shared_subexpression_accumulates_adjoints():
    x = ember.tensor(1.5, dtype=ember.float64, requires_grad=True)
    t = x * x
    y = t * t + t  # t used twice: dy/dt = 2t + 1
    y.backward()
    assert x.grad.item() == pytest.approx((2 * 2.25 + 1) * 3.0)


def test_long_chain_has_no_recursion_limit():
    x = ember.tensor([1.0], dtype=ember.float64, requires_grad=True)
    y = x
    for _ in range(20_000):  # 20 times Python's default recursion limit
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_only_branches_that_need_grad_are_visited():
    a = ember.tensor([1.0], requires_grad=True)
    b = ember.tensor([2.0])
    y = a * 2 + b.exp()
    assert y.grad_fn.next[1] is None  # the b branch was never recorded
    y.sum().backward()
    assert a.grad.item() == 2.0 and b.grad is None


def test_saved_arrays_are_released_after_backward():
    x = ember.tensor(np.ones(1000), requires_grad=True)
    y = x.exp()
    ref = weakref.ref(y.grad_fn._out)
    z = y.sum()
    del y
    z.backward()
    gc.collect()
    assert ref() is None


def test_second_backward_through_freed_graph_raises():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_backward_of_non_scalar_needs_gradient():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()
    y.backward(ember.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_backward_gradient_shape_must_match():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(ember.ones(3))


def test_backward_without_requires_grad_says_what_to_do():
    x = ember.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        (x * 2).sum().backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ember.arange(3).requires_grad_()


def test_broadcast_gradients_are_reduced_to_input_shapes():
    a = ember.tensor(np.ones((3, 1)), requires_grad=True)
    b = ember.tensor(np.ones(4), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_mixed_dtypes_give_each_input_its_own_dtype_of_gradient():
    a = ember.tensor([1.0, 2.0], dtype=ember.float32, requires_grad=True)
    b = ember.tensor([3.0, 4.0], dtype=ember.float64, requires_grad=True)
    y = a * b
    assert y.dtype == ember.float64
    y.sum().backward()
    assert a.grad.dtype == ember.float32 and b.grad.dtype == ember.float64


def test_backward_through_a_leaf_root():
    x = ember.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_autograd_grad_does_not_touch_dot_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = ember.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = ember.autograd.grad((x * w).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    assert x.grad is None and w.grad is None


def test_autograd_grad_of_intermediate_and_unused():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    t = x * 2
    unused = ember.tensor([1.0], requires_grad=True)
    y = (t * t).sum()
    gt, gu = ember.autograd.grad(y, [t, unused], retain_graph=True, allow_unused=True)
    np.testing.assert_allclose(gt.numpy(), [4.0, 8.0])
    assert gu is None
    with pytest.raises(RuntimeError, match="not used"):
        ember.autograd.grad(y, [unused])


def test_higher_order_derivatives_of_any_order():
    x = ember.tensor(0.7, dtype=ember.float64, requires_grad=True)
    y = x.sin()
    derivatives = []
    for _ in range(5):
        (y,) = ember.autograd.grad(y, x, create_graph=True)
        derivatives.append(y.item())
    s, c = math.sin(0.7), math.cos(0.7)
    np.testing.assert_allclose(derivatives, [c, -s, -c, s, c], atol=1e-12)


def test_create_graph_leaves_differentiable_grad():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    (x * x * x).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_leaf_gradients_are_writeable_and_never_shared():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # one broadcast (read-only) adjoint reaches both leaves
    a.grad.mul_(10)
    assert a.grad.tolist() == [10.0, 10.0] and b.grad.tolist() == [1.0, 1.0]
    gradient = ember.tensor([1.0, 1.0])
    c = ember.tensor([0.5, 0.5], requires_grad=True)
    c.backward(gradient)
    gradient.mul_(3)
    assert c.grad.tolist() == [1.0, 1.0]
