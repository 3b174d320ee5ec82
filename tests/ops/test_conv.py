"""Convolution and pooling beyond the op specs: float32 against the loop references, PyTorch
agreement (values and gradients), the max-pool tie and NaN rules, indices, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import grad

from .specs_conv import (
    ref_avg_pool2d,
    ref_conv2d,
    ref_conv_transpose2d,
    ref_max_pool2d,
)

CONV_CONFIGS = [
    {},
    {"stride": 2, "padding": 1},
    {"stride": (1, 2), "padding": (2, 0), "dilation": (1, 2)},
    {"padding": "same", "dilation": 2},
    {"padding": "valid", "groups": 2},
    {"groups": 4, "padding": 1},
]
CONV_T_CONFIGS = [
    {},
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": (2, 3), "dilation": 2, "output_padding": (1, 2), "groups": 2},
    {"dilation": 3, "output_padding": 2, "padding": 2},
]
POOL_CONFIGS = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1), "ceil_mode": True},
]


def _rand(rng, *shape):
    return rng.standard_normal(shape)


def _t(a, dtype=ember.float64, requires_grad=False):
    return ember.tensor(a, dtype=dtype, requires_grad=requires_grad)


# ------------------------------------------------------------------------ forward (float32)
@pytest.mark.parametrize("kw", CONV_CONFIGS)
def test_conv2d_float32_matches_loop_reference(kw):
    rng = np.random.default_rng(1)
    x, w, b = _rand(rng, 3, 4, 9, 8), _rand(rng, 8, 4 // kw.get("groups", 1), 3, 2), _rand(rng, 8)
    out = ember.conv2d(_t(x, ember.float32), _t(w, ember.float32), _t(b, ember.float32), **kw)
    assert out.dtype == ember.float32 and out.is_contiguous()
    np.testing.assert_allclose(out.numpy(), ref_conv2d(x, w, b, **kw), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", CONV_T_CONFIGS)
def test_conv_transpose2d_float32_matches_loop_reference(kw):
    rng = np.random.default_rng(2)
    x, w = _rand(rng, 2, 4, 4, 5), _rand(rng, 4, 3, 3, 2)
    out = ember.conv_transpose2d(_t(x, ember.float32), _t(w, ember.float32), **kw)
    assert out.dtype == ember.float32 and out.is_contiguous()
    np.testing.assert_allclose(out.numpy(), ref_conv_transpose2d(x, w, **kw), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", POOL_CONFIGS)
def test_pools_float32_match_loop_references(kw):
    x = _rand(np.random.default_rng(3), 2, 3, 7, 8)
    out = ember.max_pool2d(_t(x, ember.float32), **kw)
    assert out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), ref_max_pool2d(x, **kw), rtol=1e-6)
    for include in (True, False):
        out = ember.avg_pool2d(_t(x, ember.float32), count_include_pad=include, **kw)
        expected = ref_avg_pool2d(x, count_include_pad=include, **kw)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_unbatched_inputs_keep_their_rank():
    x = _t(np.arange(48.0).reshape(3, 4, 4))
    assert ember.conv2d(x, ember.ones(2, 3, 3, 3, dtype=ember.float64)).shape == (2, 2, 2)
    assert ember.max_pool2d(x, 2).shape == (3, 2, 2)
    assert ember.avg_pool2d(x, 2).shape == (3, 2, 2)
    assert ember.conv_transpose2d(x, ember.ones(3, 1, 2, 2, dtype=ember.float64)).shape == (
        1,
        5,
        5,
    )


@pytest.mark.parametrize(("c", "groups"), [(1, 1), (4, 2)])
def test_weight_gradient_with_a_constant_input(c, groups):
    """Few columns per pixel take the per-sample path; dw is the correlation of x with g."""
    rng = np.random.default_rng(14)
    x, g = _rand(rng, 2, c, 12, 11), _rand(rng, 2, 4, 12, 11)
    w = _t(_rand(rng, 4, c // groups, 3, 3), requires_grad=True)
    ember.conv2d(_t(x), w, padding=1, groups=groups).backward(_t(g))
    for k in range(groups):
        cs, os = slice(k * c // groups, (k + 1) * c // groups), slice(2 * k, 2 * k + 2)
        xt, gt = x[:, cs].transpose(1, 0, 2, 3), g[:, os].transpose(1, 0, 2, 3)
        expected = ref_conv2d(xt, gt, padding=1).transpose(1, 0, 2, 3)
        np.testing.assert_allclose(w.grad.numpy()[os], expected, rtol=1e-10, atol=1e-12)


def test_empty_batch_flows_through_forward_and_backward():
    x = ember.zeros(0, 2, 5, 5, requires_grad=True)
    w = ember.ones(4, 2, 3, 3, requires_grad=True)
    y = ember.conv2d(x, w, padding=1)
    out = ember.avg_pool2d(ember.max_pool2d(ember.conv_transpose2d(y, w), 2), 2)
    assert y.shape == (0, 4, 5, 5) and out.shape == (0, 2, 1, 1)
    out.sum().backward()
    assert x.grad.shape == (0, 2, 5, 5)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((4, 2, 3, 3)))


# ------------------------------------------------------------------------ max-pool rules
def test_max_pool_routes_ties_to_the_first_maximum():
    x = _t(np.zeros((1, 1, 4, 4)), requires_grad=True)
    ember.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_max_pool_overlapping_windows_accumulate_gradients():
    x = _t(np.array([[[[0.0, 1.0, 5.0, 1.0, 0.0]]]]), requires_grad=True)
    out = ember.max_pool2d(x, (1, 3), stride=1)
    np.testing.assert_array_equal(out.detach().numpy(), [[[[5.0, 5.0, 5.0]]]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 0.0, 3.0, 0.0, 0.0]]]])


def test_max_pool_propagates_nan_and_routes_to_the_last_nan():
    a = np.arange(16.0).reshape(1, 1, 4, 4)
    a[0, 0, 0, 1] = a[0, 0, 1, 0] = a[0, 0, 3, 3] = np.nan
    x = _t(a, requires_grad=True)
    out, index = ember.max_pool2d(x, 2, return_indices=True)
    values = out.detach().numpy()[0, 0]
    assert np.isnan(values[0, 0]) and np.isnan(values[1, 1]) and values[1, 0] == 13
    np.testing.assert_array_equal(index.numpy()[0, 0], [[4, 7], [13, 15]])  # PyTorch's choice
    out.sum().backward()
    expected = np.zeros((4, 4))
    expected.flat[[4, 7, 13, 15]] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_max_pool_indices_are_flat_per_plane():
    x = _t(_rand(np.random.default_rng(4), 2, 3, 5, 6), requires_grad=True)
    out, index = ember.max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
    assert index.dtype == ember.int64 and index.shape == out.shape and not index.requires_grad
    flat = x.detach().numpy().reshape(2, 3, -1)
    picked = np.take_along_axis(flat, index.numpy().reshape(2, 3, -1), axis=2)
    np.testing.assert_array_equal(picked.reshape(out.shape), out.detach().numpy())


def test_max_pool_second_derivative_routes_through_the_same_maxima():
    x = _t(_rand(np.random.default_rng(5), 1, 2, 4, 4), requires_grad=True)
    g = _t(_rand(np.random.default_rng(6), 1, 2, 2, 2), requires_grad=True)
    (gx,) = grad(ember.max_pool2d(x, 2), x, g, create_graph=True)
    (gg,) = grad((gx * x).sum(), g)
    np.testing.assert_allclose(gg.numpy(), ember.max_pool2d(x.detach(), 2).numpy())


# ------------------------------------------------------------------------ errors
def test_conv2d_rejects_bad_ranks():
    w = ember.ones(2, 3, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d.*\(3, 5\)"):
        ember.conv2d(ember.ones(3, 5), w)
    with pytest.raises(ValueError, match=r"conv2d.*4-D weight.*\(2, 3, 3\)"):
        ember.conv2d(ember.ones(1, 3, 5, 5), ember.ones(2, 3, 3))


def test_conv2d_channel_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"conv2d.*\(1, 4, 5, 5\).*\(2, 3, 3, 3\)"):
        ember.conv2d(ember.ones(1, 4, 5, 5), ember.ones(2, 3, 3, 3))


def test_conv2d_groups_must_divide_channels():
    with pytest.raises(ValueError, match="groups=2 must divide"):
        ember.conv2d(ember.ones(1, 4, 5, 5), ember.ones(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="groups"):
        ember.conv2d(ember.ones(1, 4, 5, 5), ember.ones(4, 4, 3, 3), groups=0)


def test_conv2d_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match="conv2d: padded input size per channel 4x4"):
        ember.conv2d(ember.ones(1, 1, 2, 2), ember.ones(1, 1, 5, 5), padding=1)


def test_conv2d_argument_errors():
    x, w = ember.ones(1, 1, 5, 5), ember.ones(1, 1, 3, 3)
    with pytest.raises(ValueError, match="strided"):
        ember.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding"):
        ember.conv2d(x, w, padding="full")
    with pytest.raises(ValueError, match="stride"):
        ember.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="bias"):
        ember.conv2d(x, w, ember.ones(2))
    with pytest.raises(TypeError, match="float64"):
        ember.conv2d(x, w.double())
    with pytest.raises(TypeError, match="int64"):
        ember.conv2d(x.long(), w.long())


def test_conv_transpose2d_errors():
    x = ember.ones(1, 2, 3, 3)
    with pytest.raises(ValueError, match=r"conv_transpose2d.*\(1, 2, 3, 3\).*\(3, 1, 2, 2\)"):
        ember.conv_transpose2d(x, ember.ones(3, 1, 2, 2))
    with pytest.raises(ValueError, match="output_padding"):
        ember.conv_transpose2d(x, ember.ones(2, 1, 2, 2), stride=2, output_padding=2)


def test_pool_errors():
    x = ember.ones(1, 1, 4, 4)
    with pytest.raises(ValueError, match="half of kernel_size"):
        ember.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="too small"):
        ember.max_pool2d(x, 5)
    with pytest.raises(ValueError, match="max_pool2d"):
        ember.max_pool2d(ember.ones(4, 4), 2)
    with pytest.raises(TypeError, match="int64"):
        ember.avg_pool2d(x.long(), 2)
    with pytest.raises(ValueError, match="output_size"):
        ember.adaptive_avg_pool2d(x, 0)


# ------------------------------------------------------------------------ against PyTorch
def _torch_pair(rng, *shapes):
    torch = pytest.importorskip("torch")
    arrays = [_rand(rng, *s) for s in shapes]
    ours = [_t(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def _assert_same(ours_out, theirs_out, ours_in, theirs_in, rng):
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ours_out.detach().numpy(), theirs_out.detach().numpy(), atol=1e-12)
    g = _rand(rng, *theirs_out.shape)
    ours_out.backward(_t(g))
    theirs_out.backward(torch.tensor(g))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("kw", CONV_CONFIGS)
def test_conv2d_matches_torch(kw):
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(7)
    ours, theirs = _torch_pair(rng, (2, 4, 7, 6), (4, 4 // kw.get("groups", 1), 3, 2), (4,))
    _assert_same(ember.conv2d(*ours, **kw), F.conv2d(*theirs, **kw), ours, theirs, rng)


@pytest.mark.parametrize("kw", CONV_T_CONFIGS)
def test_conv_transpose2d_matches_torch(kw):
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(8)
    ours, theirs = _torch_pair(rng, (2, 4, 4, 3), (4, 3, 3, 2), (3 * kw.get("groups", 1),))
    out = ember.conv_transpose2d(*ours, **kw)
    _assert_same(out, F.conv_transpose2d(*theirs, **kw), ours, theirs, rng)


@pytest.mark.parametrize("kw", [*POOL_CONFIGS, {"kernel_size": 2, "stride": 1, "dilation": 2}])
def test_max_pool2d_matches_torch(kw):
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(9)
    ours, theirs = _torch_pair(rng, (2, 3, 7, 8))
    out, index = ember.max_pool2d(*ours, return_indices=True, **kw)
    t_out, t_index = F.max_pool2d(*theirs, return_indices=True, **kw)
    np.testing.assert_array_equal(index.numpy(), t_index.numpy())
    _assert_same(out, t_out, ours, theirs, rng)


def test_max_pool2d_ties_match_torch():
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(10)
    ours, theirs = _torch_pair(rng, (1, 2, 6, 6))
    ours[0]._data[...] = np.round(ours[0]._data)
    theirs[0].data.copy_(theirs[0].data.round())
    _assert_same(
        ember.max_pool2d(ours[0], 3, 1, 1), F.max_pool2d(theirs[0], 3, 1, 1), ours, theirs, rng
    )


@pytest.mark.parametrize("kw", POOL_CONFIGS)
@pytest.mark.parametrize("include", [True, False])
def test_avg_pool2d_matches_torch(kw, include):
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(11)
    ours, theirs = _torch_pair(rng, (2, 3, 7, 8))
    out = ember.avg_pool2d(*ours, count_include_pad=include, **kw)
    _assert_same(out, F.avg_pool2d(*theirs, count_include_pad=include, **kw), ours, theirs, rng)


@pytest.mark.parametrize("size", [1, 3, (4, 6), (None, 5), (7, 8), (9, 10)])
def test_adaptive_avg_pool2d_matches_torch(size):
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(12)
    ours, theirs = _torch_pair(rng, (2, 3, 7, 8))
    out = ember.adaptive_avg_pool2d(*ours, size)
    _assert_same(out, F.adaptive_avg_pool2d(*theirs, size), ours, theirs, rng)


def test_conv2d_second_derivatives_match_torch():
    torch = pytest.importorskip("torch")
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(13)
    ours, theirs = _torch_pair(rng, (2, 4, 6, 6), (4, 2, 3, 3))
    kw = {"stride": 2, "padding": 1, "groups": 2}
    x, w = ours
    (gx,) = grad((ember.conv2d(x, w, **kw) ** 2).sum(), x, create_graph=True)
    (gx * gx).sum().backward()
    tx, tw = theirs
    (tgx,) = torch.autograd.grad((F.conv2d(tx, tw, **kw) ** 2).sum(), tx, create_graph=True)
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)
