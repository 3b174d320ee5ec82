"""nn.init: PyTorch's gains and bounds, statistics of large draws, generators, no_grad."""

import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn import init


def test_calculate_gain_is_pytorchs():
    for name in ("linear", "conv2d", "conv_transpose2d", "sigmoid"):
        assert init.calculate_gain(name) == 1
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(ember.empty(8, 3, 5, 5)) == (75, 200)
    assert init._calculate_fan_in_and_fan_out(ember.empty(4, 6)) == (6, 4)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(5))


def stats(t):
    a = t.detach().numpy()
    return a.mean(), a.std(), a.min(), a.max()


def test_uniform_and_normal_statistics():
    mean, std, lo, hi = stats(init.uniform_(ember.empty(400, 500), -2.0, 4.0))
    assert (
        lo >= -2.0 and hi < 4.0 and abs(mean - 1.0) < 0.02 and abs(std - 6 / math.sqrt(12)) < 0.01
    )
    mean, std, _, _ = stats(init.normal_(ember.empty(400, 500), 3.0, 0.5))
    assert abs(mean - 3.0) < 0.005 and abs(std - 0.5) < 0.005


def test_xavier_and_kaiming_spreads():
    w = ember.empty(300, 200)
    bound = math.sqrt(6 / 500)
    _, std, lo, hi = stats(init.xavier_uniform_(w, gain=2.0))
    assert -2 * bound <= lo and hi <= 2 * bound and abs(std - 2 * bound / math.sqrt(3)) < 0.003
    _, std, _, _ = stats(init.xavier_normal_(w))
    assert abs(std - math.sqrt(2 / 500)) < 0.001
    _, std, lo, hi = stats(init.kaiming_uniform_(w, a=math.sqrt(5)))
    bound = math.sqrt(6 / (1 + 5) / 200)  # PyTorch's Linear default: 1 / sqrt(fan_in)
    assert -bound <= lo and hi <= bound and abs(std - bound / math.sqrt(3)) < 0.001
    _, std, _, _ = stats(init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"))
    assert abs(std - math.sqrt(2 / 300)) < 0.001
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(w, mode="fan_avg")


def test_trunc_normal_stays_in_bounds():
    mean, std, lo, hi = stats(init.trunc_normal_(ember.empty(300, 300), 0.0, 1.0, -1.0, 1.5))
    assert lo >= -1.0 and hi <= 1.5
    assert abs(mean - 0.1452) < 0.006 and abs(std - 0.6447) < 0.006  # N(0, 1) on [-1, 1.5]


def test_constant_eye_and_orthogonal():
    np.testing.assert_array_equal(init.constant_(ember.empty(2, 3), 0.5).numpy(), 0.5)
    np.testing.assert_array_equal(init.zeros_(ember.empty(2)).numpy(), 0.0)
    np.testing.assert_array_equal(init.ones_(ember.empty(2)).numpy(), 1.0)
    np.testing.assert_array_equal(init.eye_(ember.empty(2, 3)).numpy(), np.eye(2, 3))
    for shape in [(6, 4), (4, 6), (3, 2, 2, 2)]:
        q = init.orthogonal_(ember.empty(*shape, dtype=ember.float64), gain=2.0).numpy()
        flat = q.reshape(shape[0], -1)
        gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(gram, 4.0 * np.eye(min(flat.shape)), atol=1e-12)


def test_generators_make_draws_reproducible():
    a = init.kaiming_uniform_(ember.empty(3, 4), generator=ember.Generator().manual_seed(7))
    b = init.kaiming_uniform_(ember.empty(3, 4), generator=ember.Generator().manual_seed(7))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    ember.manual_seed(1)
    first = nn.Linear(4, 3).weight.detach().numpy()
    ember.manual_seed(1)
    np.testing.assert_array_equal(nn.Linear(4, 3).weight.detach().numpy(), first)


def test_init_works_on_parameters_without_recording():
    p = nn.Parameter(ember.empty(5, 5))
    out = init.xavier_uniform_(p)
    assert out is p and p.is_leaf and p.requires_grad and p.grad_fn is None
    init.constant_(p, 1.0)
    (p * 2).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), 2.0)
