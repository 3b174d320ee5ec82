"""Grad-mode switches, hooks, retain_grad and anomaly detection."""

import numpy as np
import pytest

import ember


def test_no_grad_records_nothing_and_keeps_no_buffers():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with ember.no_grad():
        y = x.exp() * x
    assert y.grad_fn is None and not y.requires_grad


def test_no_grad_as_decorator_and_enable_grad_inside():
    x = ember.tensor([1.0], requires_grad=True)

    @ember.no_grad()
    def f(t):
        with ember.enable_grad():
            inner = t * 2
        return t * 2, inner

    outer, inner = f(x)
    assert not outer.requires_grad and inner.requires_grad
    assert ember.is_grad_enabled()


def test_set_grad_enabled_call_and_context():
    x = ember.tensor([1.0], requires_grad=True)
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)

    @ember.set_grad_enabled(False)
    def g():
        return x * 2

    assert ember.is_grad_enabled()
    assert not g().requires_grad


def test_hook_can_replace_gradient_and_be_removed():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])
    handle.remove()
    x.grad = None
    z = x * 3
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_leaf_hook_sees_total_gradient():
    x = ember.tensor([1.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.item()))
    (x * 2 + x * 5).sum().backward()
    assert seen == [7.0]


def test_retain_grad_on_non_leaf():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    t = x * 2
    t.retain_grad()
    (t * t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [4.0, 8.0])
    assert t.retains_grad


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require grad"):
        ember.tensor([1.0]).register_hook(lambda g: g)


def test_anomaly_names_op_and_user_line():
    x = ember.tensor([1.0, 0.0], requires_grad=True)
    with np.errstate(all="ignore"), ember.autograd.detect_anomaly():
        y = (x.log() * 0).sum()  # log'(0) = inf, times 0 = nan
        with pytest.raises(RuntimeError, match="LogBackward") as info:
            y.backward()
    assert "test_modes_and_hooks.py" in str(info.value)
    assert not ember.autograd.is_anomaly_enabled()


def test_without_anomaly_nan_passes_silently():
    x = ember.tensor([0.0], requires_grad=True)
    with np.errstate(all="ignore"):
        (x.log() * 0).sum().backward()
    assert np.isnan(x.grad.item())


def test_inference_mode_records_nothing_and_marks_its_tensors():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled() and not ember.is_grad_enabled()
        with ember.enable_grad():  # nothing records inside inference mode
            y = w * 2
        z = ember.tensor([3.0, 4.0])
        assert (z + 1).is_inference()
    assert ember.is_grad_enabled() and not ember.is_inference_mode_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert y.is_inference() and z.is_inference() and z.detach().is_inference()
    assert not w.is_inference() and not (y * 1).is_inference()


def test_inference_tensors_cannot_join_a_graph_outside_inference_mode():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    with ember.inference_mode():
        x = ember.tensor([3.0, 4.0])
    with pytest.raises(RuntimeError, match="cannot be saved for backward"):
        w * x  # mul saves x for its gradient
    (w + x).sum().backward()  # add saves nothing: allowed, as in PyTorch
    assert w.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="inference tensor"):
        x.requires_grad_()
    with pytest.raises(RuntimeError, match="inference tensor"):
        x.add_(1)
    (w * x.clone()).sum().backward()
    with ember.inference_mode():
        x.add_(1)  # in place inside the mode is fine
    assert x.tolist() == [4.0, 5.0]


def test_inference_mode_false_and_as_decorator():
    @ember.inference_mode()
    def f():
        with ember.inference_mode(False):
            inner = ember.is_grad_enabled(), ember.is_inference_mode_enabled()
        return inner, ember.is_inference_mode_enabled()

    with ember.no_grad():
        assert f() == ((True, False), True)
        assert not ember.is_grad_enabled()
