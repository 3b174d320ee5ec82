"""nn.utils: gradient clipping and parameter vectors."""

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)


def with_grads(*grads):
    params = [nn.Parameter(ember.zeros(len(g))) for g in grads]
    for p, g in zip(params, grads):
        p.grad = ember.tensor(g)
    return params


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_total():
    params = with_grads([3.0, 0.0], [0.0, 4.0, 0.0])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert total.item() == pytest.approx(5.0) and total.dtype == ember.float32
    np.testing.assert_allclose(params[0].grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(params[1].grad.numpy(), [0.0, 0.8, 0.0], rtol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_other_norms():
    params = with_grads([0.3, 0.4])
    assert clip_grad_norm_(params, 1.0).item() == pytest.approx(0.5)
    np.testing.assert_allclose(params[0].grad.numpy(), [0.3, 0.4], rtol=1e-6)
    params = with_grads([1.0, -6.0], [2.0])
    assert clip_grad_norm_(params, 3.0, norm_type="inf").item() == pytest.approx(6.0)
    np.testing.assert_allclose(params[0].grad.numpy(), [0.5, -3.0], rtol=1e-5)
    params = with_grads([1.0, -2.0], [3.0])
    assert clip_grad_norm_(params, 100.0, norm_type=1).item() == pytest.approx(6.0)
    assert clip_grad_norm_([nn.Parameter(ember.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_norm_on_a_module_and_non_finite_error():
    lin = nn.Linear(4, 3)
    (lin(ember.randn(8, 4)) * 100).sum().backward()
    clip_grad_norm_(lin.parameters(), 0.5)
    total = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in lin.parameters()))
    assert total == pytest.approx(0.5, rel=1e-4)
    params = with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_():
    params = with_grads([-3.0, 0.5, 2.0])
    clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [-1.0, 0.5, 1.0])


def test_parameters_to_vector_and_back():
    lin = nn.Linear(3, 2)
    vec = parameters_to_vector(lin.parameters())
    assert vec.shape == (8,) and vec.requires_grad
    np.testing.assert_array_equal(
        vec.detach().numpy(),
        np.concatenate([lin.weight.detach().numpy().ravel(), lin.bias.detach().numpy()]),
    )
    vector_to_parameters(ember.arange(8.0), lin.parameters())
    np.testing.assert_array_equal(lin.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(lin.bias.detach().numpy(), [6.0, 7.0])
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.dtype == ember.float32
    with pytest.raises(ValueError, match="8 elements"):
        vector_to_parameters(ember.zeros(5), lin.parameters())
    with pytest.raises(TypeError, match=r"expected ember\.Tensor"):
        vector_to_parameters(np.zeros(8), lin.parameters())
