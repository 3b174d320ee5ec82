"""Every layer's forward against a direct NumPy formula (float64), plus dtype and shape rules."""

import math

import numpy as np
import pytest

import ember
from ember import nn

from . import reference as ref


def t64(a, requires_grad=False):
    return ember.tensor(a, dtype=ember.float64, requires_grad=requires_grad)


def arr(t):
    return t.detach().numpy()


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def test_linear_is_x_wt_plus_b_over_leading_dims():
    lin = nn.Linear(5, 3).double()
    x = rand(2, 4, 5)
    np.testing.assert_allclose(arr(lin(t64(x))), x @ arr(lin.weight).T + arr(lin.bias), rtol=1e-12)
    assert lin.weight.shape == (3, 5) and lin.bias.shape == (3,)
    no_bias = nn.Linear(5, 3, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert nn.Linear(5, 3)(ember.randn(2, 5)).dtype == ember.float32
    assert nn.Linear(2, 2, dtype=ember.float64).weight.dtype == ember.float64


def test_bilinear_is_x1_w_x2_plus_b():
    bil = nn.Bilinear(3, 4, 2).double()
    x1, x2 = rand(5, 3), rand(5, 4, seed=1)
    expected = np.einsum("ni,kij,nj->nk", x1, arr(bil.weight), x2) + arr(bil.bias)
    np.testing.assert_allclose(arr(bil(t64(x1), t64(x2))), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": 1},
        {"stride": (1, 2), "padding": (2, 0), "dilation": (2, 1)},
        {"groups": 2, "bias": False},
        {"padding": "valid"},
    ],
)
def test_conv2d_matches_direct_correlation(kwargs):
    conv = nn.Conv2d(4, 6, (3, 2), **kwargs).double()
    x = rand(2, 4, 7, 6)
    pad = conv.padding if conv.padding != "valid" else (0, 0)
    bias = None if conv.bias is None else arr(conv.bias)
    expected = ref.conv2d(x, arr(conv.weight), bias, conv.stride, pad, conv.dilation, conv.groups)
    np.testing.assert_allclose(arr(conv(t64(x))), expected, rtol=1e-10, atol=1e-12)


def test_conv2d_same_padding_keeps_the_size_with_even_kernels():
    conv = nn.Conv2d(2, 3, 4, padding="same", dilation=1).double()
    x = rand(1, 2, 6, 5)
    out = conv(t64(x))
    assert out.shape == (1, 3, 6, 5)
    # PyTorch pads 1 before and 2 after for a total of 3
    padded = np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 2)))
    expected = ref.conv2d(padded, arr(conv.weight), arr(conv.bias))
    np.testing.assert_allclose(arr(out), expected, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_conv_transpose2d_scatters_the_kernel():
    deconv = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1).double()
    x = rand(2, 3, 4, 5)
    expected = ref.conv_transpose2d(x, arr(deconv.weight), arr(deconv.bias), (2, 2), (1, 1), (1, 1))
    out = deconv(t64(x))
    assert out.shape == (2, 2, 8, 10) and deconv.weight.shape == (3, 2, 3, 3)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-10, atol=1e-12)
    plain = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    assert plain(t64(x), output_size=(8, 10)).shape == (2, 2, 8, 10)
    assert plain(t64(x)).shape == (2, 2, 7, 9)
    with pytest.raises(ValueError, match="output size"):
        plain(t64(x), output_size=(12, 10))


def test_pooling_layers():
    x = rand(2, 3, 7, 6)
    np.testing.assert_allclose(arr(nn.MaxPool2d(2)(t64(x))), ref.pool2d(x, 2, 2, np.max))
    np.testing.assert_allclose(
        arr(nn.MaxPool2d(3, stride=2, padding=1)(t64(x))), ref.pool2d(x, 3, 2, np.max, pad=1)
    )
    np.testing.assert_allclose(arr(nn.AvgPool2d(2)(t64(x))), ref.pool2d(x, 2, 2, np.mean))
    np.testing.assert_allclose(
        arr(nn.AvgPool2d(3, 2, 1)(t64(x))), ref.pool2d(x, 3, 2, np.mean, pad=1), rtol=1e-12
    )
    np.testing.assert_allclose(
        arr(nn.AdaptiveAvgPool2d((3, 4))(t64(x))), ref.adaptive_avg_pool2d(x, (3, 4)), rtol=1e-12
    )
    np.testing.assert_allclose(
        arr(nn.AdaptiveAvgPool2d(1)(t64(x))), x.mean(axis=(2, 3), keepdims=True), rtol=1e-12
    )


def test_flatten_and_unflatten():
    x = ember.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    np.testing.assert_array_equal(arr(nn.Flatten()(x)), arr(x).reshape(2, 60))
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)


def test_dropout_zeroes_with_probability_p_and_rescales():
    drop = nn.Dropout(0.3)
    x = ember.ones(200, 500)
    out = arr(drop(x))
    zero = out == 0
    assert abs(zero.mean() - 0.3) < 0.01
    np.testing.assert_allclose(out[~zero], 1 / 0.7, rtol=1e-6)
    assert drop(x).dtype == ember.float32
    ember.manual_seed(5)
    a = arr(drop(x))
    ember.manual_seed(5)
    np.testing.assert_array_equal(a, arr(drop(x)))
    drop.eval()
    assert drop(x) is x
    assert np.all(arr(nn.Dropout(1.0)(x)) == 0)
    assert nn.Dropout(0.0)(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_gradient_uses_the_same_mask():
    x = ember.ones(50, 40, requires_grad=True)
    out = nn.Dropout(0.5)(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), arr(out))


def test_batchnorm2d_training_updates_running_statistics():
    bn = nn.BatchNorm2d(3, momentum=0.2).double()
    with ember.no_grad():
        bn.weight.copy_(t64([1.0, 2.0, 0.5]))
        bn.bias.copy_(t64([0.0, -1.0, 1.0]))
    x = rand(4, 3, 5, 2) * 3 + 1
    out = bn(t64(x))
    w, b = arr(bn.weight)[None, :, None, None], arr(bn.bias)[None, :, None, None]
    np.testing.assert_allclose(arr(out), ref.normalize(x, (0, 2, 3), 1e-5) * w + b, rtol=1e-9)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(arr(bn.running_mean), 0.2 * mean, rtol=1e-10)
    np.testing.assert_allclose(arr(bn.running_var), 0.8 + 0.2 * var, rtol=1e-10)
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == ember.int64
    bn.eval()
    x2 = rand(2, 3, 5, 2, seed=3)
    rm, rv = arr(bn.running_mean)[None, :, None, None], arr(bn.running_var)[None, :, None, None]
    np.testing.assert_allclose(arr(bn(t64(x2))), (x2 - rm) / np.sqrt(rv + 1e-5) * w + b, rtol=1e-9)
    assert bn.num_batches_tracked.item() == 1
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        bn(ember.randn(2, 3))


def test_batchnorm1d_cumulative_average_and_without_running_stats():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    xs = [rand(6, 2, 3, seed=s) for s in range(3)]
    for x in xs:
        bn(t64(x))
    expected = np.mean([x.mean(axis=(0, 2)) for x in xs], axis=0)
    np.testing.assert_allclose(arr(bn.running_mean), expected, rtol=1e-10)
    free = nn.BatchNorm1d(2, affine=False, track_running_stats=False).double()
    assert free.running_mean is None and list(free.parameters()) == []
    assert list(free.state_dict()) == []
    free.eval()
    x = rand(5, 2)
    np.testing.assert_allclose(arr(free(t64(x))), ref.normalize(x, (0,), 1e-5), rtol=1e-9)


def test_layernorm_normalises_the_last_dims():
    ln = nn.LayerNorm((3, 4)).double()
    with ember.no_grad():
        ln.weight.copy_(t64(rand(3, 4, seed=1)))
        ln.bias.copy_(t64(rand(3, 4, seed=2)))
    x = rand(2, 5, 3, 4)
    expected = ref.normalize(x, (2, 3), 1e-5) * arr(ln.weight) + arr(ln.bias)
    np.testing.assert_allclose(arr(ln(t64(x))), expected, rtol=1e-9)
    plain = nn.LayerNorm(4, elementwise_affine=False)
    assert plain.weight is None and plain.normalized_shape == (4,)


def test_embedding_lookup_and_padding_row_without_gradient():
    emb = nn.Embedding(6, 3, padding_idx=-1)
    assert emb.padding_idx == 5
    np.testing.assert_array_equal(arr(emb.weight)[5], 0.0)
    idx = ember.tensor([[0, 5, 2], [5, 2, 2]])
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(arr(out), arr(emb.weight)[idx.numpy()])
    out.sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad[:, 0], [1, 0, 3, 0, 0, 0])
    with pytest.raises(TypeError, match="integer"):
        emb(ember.tensor([0.0]))


def test_embedding_from_pretrained_and_max_norm():
    weights = ember.tensor([[3.0, 4.0], [0.3, 0.4]])
    emb = nn.Embedding.from_pretrained(weights)
    assert not emb.weight.requires_grad
    np.testing.assert_allclose(arr(emb(ember.tensor([1]))), [[0.3, 0.4]], rtol=1e-6)
    capped = nn.Embedding.from_pretrained(ember.tensor([[3.0, 4.0], [0.3, 0.4]]), max_norm=1.0)
    out = arr(capped(ember.tensor([0, 1])))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.3, 0.4]], rtol=1e-5)
    np.testing.assert_allclose(arr(capped.weight)[0], [0.6, 0.8], rtol=1e-5)


def _gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


@pytest.mark.parametrize(
    ("layer", "formula"),
    [
        (nn.Identity(3, unused=True), lambda x: x),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.Tanh(), np.tanh),
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.LeakyReLU(0.2), lambda x: np.where(x >= 0, x, 0.2 * x)),
        (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
        (nn.GELU(), _gelu),
        (nn.GELU("tanh"), _gelu_tanh),
        (nn.Softplus(2.0, 3.0), lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
        (nn.Softmax(dim=1), lambda x: np.exp(ref.log_softmax(x, 1))),
        (nn.LogSoftmax(dim=-1), lambda x: ref.log_softmax(x, -1)),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "",
)
def test_activations_match_their_formulas(layer, formula):
    x = rand(4, 5) * 3
    np.testing.assert_allclose(arr(layer(t64(x))), formula(x), rtol=1e-7, atol=1e-12)
    assert layer(ember.randn(2, 3)).dtype == ember.float32


def test_softmax_without_dim_warns_and_picks_pytorchs_legacy_dim():
    x = rand(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = nn.Softmax()(t64(x))
    np.testing.assert_allclose(arr(out), np.exp(ref.log_softmax(x, 1)), rtol=1e-10)


def test_layer_reprs():
    assert repr(nn.Conv2d(1, 8, 3, padding="same", bias=False)) == (
        "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, bias=False)"
    )
    assert repr(nn.ConvTranspose2d(4, 2, 2, stride=2, output_padding=1, groups=2)) == (
        "ConvTranspose2d(4, 2, kernel_size=(2, 2), stride=(2, 2), output_padding=(1, 1), groups=2)"
    )
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


def test_functional_normalize_and_silu():
    x = rand(3, 4)
    np.testing.assert_allclose(
        arr(nn.functional.normalize(t64(x))),
        x / np.linalg.norm(x, axis=1, keepdims=True),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        arr(nn.functional.normalize(t64(x), p=1.0, dim=0)),
        x / np.abs(x).sum(axis=0, keepdims=True),
        rtol=1e-12,
    )
    np.testing.assert_array_equal(arr(nn.functional.normalize(ember.zeros(2, 3))), 0.0)
    np.testing.assert_allclose(arr(nn.functional.silu(t64(x))), x / (1 + np.exp(-x)), rtol=1e-12)
