"""Parameter: a leaf tensor requiring grad that works wherever a Tensor does."""

import copy
import pickle

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck


def test_parameter_is_a_leaf_requiring_grad_sharing_memory():
    t = ember.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert type(p) is nn.Parameter
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert np.shares_memory(p._data, t._data)
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_of_integers_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ember.tensor([1, 2]))
    assert nn.Parameter(ember.tensor([1, 2]), requires_grad=False).dtype == ember.int64


def test_results_of_ops_are_plain_tensors_and_gradients_reach_the_parameter():
    p = nn.Parameter(ember.tensor([1.0, -2.0, 3.0]))
    y = (p * p).sum()
    assert type(p * 2) is ember.Tensor
    assert type(p.detach()) is ember.Tensor
    y.backward()
    np.testing.assert_allclose(p.grad.numpy(), [2.0, -4.0, 6.0])
    (g,) = ember.autograd.grad((p**3).sum(), [p])
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0, 27.0])


def test_repr_matches_pytorch_layout():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


def test_in_place_update_under_no_grad_keeps_the_parameter():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    with ember.no_grad():
        p.sub_(ember.tensor([0.5, 0.5]))
    assert type(p) is nn.Parameter and p.is_leaf and p.requires_grad
    np.testing.assert_allclose(p.numpy() if not p.requires_grad else p.detach().numpy(), [0.5, 1.5])
    with pytest.raises(RuntimeError, match="leaf"):
        p.add_(1.0)


def test_deepcopy_and_pickle_give_independent_parameters():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is nn.Parameter and q.requires_grad
        np.testing.assert_array_equal(q.detach().numpy(), [1.0, 2.0])
        assert not np.shares_memory(q._data, p._data)


def test_gradcheck_differentiates_with_respect_to_parameters():
    rng = np.random.default_rng(0)
    w = nn.Parameter(ember.tensor(rng.normal(size=(3, 2)), dtype=ember.float64))
    x = ember.tensor(rng.normal(size=(4, 2)), dtype=ember.float64)
    assert gradcheck(lambda w: (x @ w.T).tanh(), (w,), check_forward_ad=True)

    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 3

        @staticmethod
        def jvp(ctx, tangent):
            return tangent * 2

    # a wrong derivative with respect to a parameter is caught, not skipped
    assert not gradcheck(Wrong.apply, (w,), raise_exception=False, check_forward_ad=False)


def test_views_of_a_parameter_share_its_version_counter():
    lin = nn.Linear(2, 2)
    x = ember.randn(3, 2, requires_grad=True)
    y = (x @ lin.weight.t()).sum()
    with ember.no_grad():
        lin.weight.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
