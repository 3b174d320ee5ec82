"""In-place operations: version counters, history rebasing, leaf protection."""

import numpy as np
import pytest

import ember


def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.add_(1.0)
    with ember.no_grad():
        w.mul_(2.0)
    np.testing.assert_allclose(w.numpy() if not w.requires_grad else w.detach().numpy(), [2, 4])


def test_modifying_a_saved_tensor_breaks_backward_with_a_clear_error():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y.exp()  # saves its output
    z.mul_(2)
    with pytest.raises(RuntimeError, match=r"ExpBackward.*in-place"):
        z.sum().backward()


def test_modified_saved_input_is_detected():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y.sin()  # saves its input y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        z.sum().backward()


def test_inplace_ops_are_differentiable():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = x * 1
    y.mul_(3)
    y.add_(x)  # y = 4x
    y.sub_(1, alpha=2)
    y.div_(2)  # y = 2x - 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    assert y._version == 4


def test_fill_zero_copy_and_operators():
    t = ember.zeros(3)
    t.fill_(2.0)
    t += 1
    t *= 2
    np.testing.assert_allclose(t.numpy(), [6.0, 6.0, 6.0])
    t.copy_(ember.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(t.numpy(), [1.0, 2.0, 3.0])
    t.zero_()
    assert t.sum().item() == 0.0 and t._version == 5


def test_inplace_cannot_change_dtype_category():
    t = ember.arange(3)
    with pytest.raises(TypeError, match="can't be cast"):
        t.add_(0.5)


def test_copy_into_graph_routes_gradient_to_source():
    src = ember.tensor([1.0, 2.0], requires_grad=True)
    buf = ember.zeros(2)
    buf.copy_(src * 3)
    buf.sum().backward()
    np.testing.assert_allclose(src.grad.numpy(), [3.0, 3.0])
