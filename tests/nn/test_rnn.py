"""Recurrent layers without torch: PyTorch's errors, initialisation, dropout between layers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember import nn


def test_parameter_names_shapes_and_init():
    lstm = nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2)
    shapes = {k: tuple(v.shape) for k, v in lstm.state_dict().items()}
    assert shapes["weight_ih_l0"] == (32, 3)
    assert shapes["weight_hh_l0_reverse"] == (32, 2)
    assert shapes["weight_ih_l1"] == (32, 4)
    assert shapes["weight_hr_l1_reverse"] == (2, 8)
    assert list(shapes)[:5] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_hr_l0",
    ]
    bound = 1 / math.sqrt(8)
    for p in lstm.parameters():
        assert np.abs(p.detach().numpy()).max() <= bound
        assert np.abs(p.detach().numpy()).max() > 0.5 * bound
    assert len(lstm.all_weights) == 4
    assert lstm.flatten_parameters() is None


@pytest.mark.parametrize(
    ("make", "call", "error", "match"),
    [
        (lambda: nn.LSTM(3, 4), lambda m: m(ember.zeros(1, 2, 3, 3)), ValueError, "got 4D"),
        (lambda: nn.GRU(3, 4), lambda m: m(ember.zeros(2, 1, 5)), RuntimeError, "input_size"),
        (
            lambda: nn.GRU(3, 4),
            lambda m: m(ember.zeros(2, 1, 3), ember.zeros(2, 1, 4)),
            RuntimeError,
            r"Expected hidden size \(1, 1, 4\), got \[2, 1, 4\]",
        ),
        (
            lambda: nn.LSTM(3, 4),
            lambda m: m(ember.zeros(2, 3), (ember.zeros(1, 1, 4), ember.zeros(1, 4))),
            RuntimeError,
            "hx and cx should also be 2-D",
        ),
        (lambda: nn.LSTMCell(3, 4), lambda m: m(ember.zeros(2, 5)), RuntimeError, "inconsistent"),
        (lambda: nn.RNNCell(3, 4), lambda m: m(ember.zeros(1, 2, 3)), ValueError, "1D or 2D"),
    ],
)
def test_bad_input_errors_like_torch(make, call, error, match):
    with pytest.raises(error, match=match):
        call(make())


def test_bad_construction_errors_like_torch():
    with pytest.raises(ValueError, match="smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'x'"):
        nn.RNN(3, 4, nonlinearity="x")
    with pytest.raises(ValueError, match="range \\[0, 1\\]"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)


def test_dropout_between_layers_follows_ember_generator_and_mode():
    lstm = nn.LSTM(3, 6, num_layers=2, dropout=0.5)
    x = ember.randn(4, 2, 3)
    ember.manual_seed(1)
    a = lstm(x)[0]
    ember.manual_seed(1)
    b = lstm(x)[0]
    c = lstm(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].detach().numpy(), lstm(x)[0].detach().numpy())


def test_float32_stays_float32_and_zero_state_default():
    gru = nn.GRU(3, 5, batch_first=True)
    out, h = gru(ember.randn(2, 7, 3))
    assert out.dtype == ember.float32 and h.dtype == ember.float32
    assert tuple(out.shape) == (2, 7, 5) and tuple(h.shape) == (1, 2, 5)
    out.sum().backward()
    assert gru.weight_hh_l0.grad.dtype == ember.float32
