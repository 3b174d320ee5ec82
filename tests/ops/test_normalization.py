"""batch_norm and layer_norm beyond the op specs: running statistics, eval mode, dtypes,
stability, PyTorch agreement (values, gradients, running stats) and errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember

from .specs_conv import ref_batch_norm, ref_layer_norm


def _t(a, dtype=ember.float64, requires_grad=False):
    return ember.tensor(a, dtype=dtype, requires_grad=requires_grad)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 2)])
def test_batch_norm_training_updates_running_stats_with_unbiased_variance(shape):
    x = np.random.default_rng(0).standard_normal(shape) * 3 + 1
    dims = (0, *range(2, len(shape)))
    n = x.size // shape[1]
    mean, var = _t(np.full(3, 0.5)), _t(np.full(3, 2.0))
    out = ember.batch_norm(_t(x), mean, var, training=True, momentum=0.25)
    np.testing.assert_allclose(out.numpy(), ref_batch_norm(x), atol=1e-12)
    np.testing.assert_allclose(mean.numpy(), 0.75 * 0.5 + 0.25 * x.mean(axis=dims))
    unbiased = x.var(axis=dims) * n / (n - 1)
    np.testing.assert_allclose(var.numpy(), 0.75 * 2.0 + 0.25 * unbiased)


def test_batch_norm_eval_uses_running_stats_and_leaves_them():
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    mean, var = np.array([0.5, -1.0]), np.array([2.0, 0.5])
    rm, rv = _t(mean), _t(var)
    w, b = _t([2.0, 3.0]), _t([0.1, 0.2])
    out = ember.batch_norm(_t(x), rm, rv, w, b, training=False)
    expected = ref_batch_norm(x, w.numpy(), b.numpy(), running=(mean, var))
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)
    np.testing.assert_array_equal(rm.numpy(), mean)
    np.testing.assert_array_equal(rv.numpy(), var)


def test_batch_norm_training_without_running_stats():
    x = np.random.default_rng(2).standard_normal((6, 4))
    out = ember.batch_norm(_t(x), None, None, training=True)
    np.testing.assert_allclose(out.numpy(), ref_batch_norm(x), atol=1e-12)


def test_batch_norm_running_stats_get_no_graph_and_keep_float32():
    x = _t(np.random.default_rng(3).standard_normal((4, 3, 2, 2)), ember.float32, True)
    w = ember.ones(3, requires_grad=True)
    rm, rv = ember.zeros(3), ember.ones(3)
    out = ember.batch_norm(x, rm, rv, w, training=True)
    assert out.dtype == rm.dtype == rv.dtype == ember.float32
    assert not rm.requires_grad and rm.grad_fn is None and not rv.requires_grad
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == ember.float32
    assert rm.grad is None


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_norms_are_stable_for_large_offsets(dtype):
    x = 1e4 + np.random.default_rng(4).standard_normal((16, 3))
    bn = ember.batch_norm(_t(x, dtype), None, None, training=True)
    ln = ember.layer_norm(_t(x.T, dtype), (16,))
    tol = 2e-2 if dtype == ember.float32 else 1e-8
    np.testing.assert_allclose(bn.numpy(), ref_batch_norm(x), atol=tol)
    np.testing.assert_allclose(ln.numpy(), ref_layer_norm(x.T, 1), atol=tol)
    assert bn.dtype == ln.dtype == dtype


def test_layer_norm_accepts_an_int_shape():
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    out = ember.layer_norm(_t(x), 4, eps=1e-3)
    np.testing.assert_allclose(out.numpy(), ref_layer_norm(x, 1, eps=1e-3), atol=1e-12)


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_parameter_gradients_with_a_constant_input(norm):
    rng = np.random.default_rng(9)
    x, g = rng.standard_normal((4, 3, 5)), rng.standard_normal((4, 3, 5))
    shape = (3,) if norm == "batch" else (3, 5)
    w = _t(rng.standard_normal(shape), requires_grad=True)
    b = _t(np.zeros(shape), requires_grad=True)
    if norm == "batch":
        out = ember.batch_norm(_t(x), None, None, w, b, training=True)
        xhat, dims = ref_batch_norm(x), (0, 2)
    else:
        out = ember.layer_norm(_t(x), shape, w, b)
        xhat, dims = ref_layer_norm(x, 2), (0,)
    out.backward(_t(g))
    np.testing.assert_allclose(w.grad.numpy(), (g * xhat).sum(axis=dims), atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=dims), atol=1e-12)


def test_batch_norm_errors():
    x = ember.ones(4, 3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        ember.batch_norm(ember.ones(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: weight of shape \(4,\)"):
        ember.batch_norm(x, None, None, ember.ones(4), training=True)
    with pytest.raises(ValueError, match="running_mean"):
        ember.batch_norm(x, ember.zeros(2), ember.ones(3), training=True)
    with pytest.raises(ValueError, match="when not training"):
        ember.batch_norm(x, None, None)
    with pytest.raises(ValueError, match=r"\(N, C, \.\.\.\)"):
        ember.batch_norm(ember.ones(3), None, None, training=True)
    with pytest.raises(TypeError, match="int64"):
        ember.batch_norm(x.long(), None, None, training=True)


def test_layer_norm_errors():
    x = ember.ones(2, 3, 4)
    with pytest.raises(ValueError, match=r"layer_norm.*\(3,\).*\(2, 3, 4\)"):
        ember.layer_norm(x, (3,))
    with pytest.raises(ValueError, match="bias"):
        ember.layer_norm(x, (4,), ember.ones(4), ember.ones(3))
    with pytest.raises(TypeError, match="float64"):
        ember.layer_norm(x, (4,), ember.ones(4, dtype=ember.float64))


# ------------------------------------------------------------------------ against PyTorch
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_torch(shape, training, affine):
    torch = pytest.importorskip("torch")
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(6)
    x, g = rng.standard_normal(shape) * 2 + 0.5, rng.standard_normal(shape)
    params = [rng.standard_normal(3) for _ in range(2)] if affine else []
    stats = [rng.standard_normal(3), rng.uniform(0.5, 2, 3)]
    ours = [_t(a, requires_grad=True) for a in (x, *params)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, *params)]
    o_stats, t_stats = [_t(s) for s in stats], [torch.tensor(s) for s in stats]
    out = ember.batch_norm(ours[0], *o_stats, *ours[1:], training=training, momentum=0.3)
    t_out = F.batch_norm(theirs[0], *t_stats, *theirs[1:], training=training, momentum=0.3)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), atol=1e-12)
    for a, b in zip(o_stats, t_stats):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-14)
    out.backward(_t(g))
    t_out.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize(("shape", "normalized"), [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_matches_torch(shape, normalized):
    torch = pytest.importorskip("torch")
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(shape), *(rng.standard_normal(normalized) for _ in range(2))]
    ours = [_t(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = ember.layer_norm(ours[0], normalized, *ours[1:])
    t_out = F.layer_norm(theirs[0], normalized, *theirs[1:])
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(shape)
    out.backward(_t(g))
    t_out.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


def test_batch_norm_second_derivative_matches_torch():
    torch = pytest.importorskip("torch")
    F = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((5, 3)), rng.standard_normal(3)
    ox, ow = _t(x, requires_grad=True), _t(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = ember.batch_norm(ox, None, None, ow, training=True)
    (gx,) = ember.autograd.grad((out**3).sum(), ox, create_graph=True)
    (gx * gx).sum().backward()
    t_out = F.batch_norm(tx, None, None, tw, training=True)
    (tgx,) = torch.autograd.grad((t_out**3).sum(), tx, create_graph=True)
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ow.grad.numpy(), tw.grad.numpy(), rtol=1e-9, atol=1e-12)
