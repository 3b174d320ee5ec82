"""``Tensor.data``: a detached tensor sharing memory, as in PyTorch."""

import numpy as np
import pytest

import ember


def test_data_is_a_detached_tensor_sharing_memory():
    w = ember.ones(3, requires_grad=True)
    d = w.data
    assert isinstance(d, ember.Tensor) and not d.requires_grad and d.grad_fn is None
    d.add_(1.0)  # the optimizer idiom p.data.add_(...)
    np.testing.assert_array_equal(w.detach().numpy(), [2.0, 2.0, 2.0])
    assert w.requires_grad and w.is_leaf


def test_changes_through_data_are_not_seen_by_version_checks():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * x  # saves x
    x.data.mul_(3.0)
    y.sum().backward()  # no version error, as in PyTorch: the new values are used
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])


def test_assigning_data_replaces_the_values():
    w = ember.zeros(2, requires_grad=True)
    w.data = ember.tensor([[1.0, 2.0, 3.0]])
    assert w.shape == (1, 3) and w.requires_grad
    with pytest.raises(TypeError, match="has to be set to a Tensor"):
        w.data = np.zeros(3)


def test_data_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = ember.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    for t in (ours, theirs):
        t.data.normal_()
        t.data.fill_(0.5)
        t.data.add_(t.data, alpha=2)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert ours.data.requires_grad == theirs.data.requires_grad
