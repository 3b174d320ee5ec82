"""Softmax family and losses: errors, stability at |x| = 1e4, edge cases, and agreement with
torch.nn.functional (values, gradients and second derivatives, float64)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import grad

RNG = np.random.default_rng(7)


def t64(a, requires_grad=False):
    return ember.tensor(a, dtype=ember.float64, requires_grad=requires_grad)


def grads(out, xs):
    return grad(out.sum(), xs, allow_unused=True)


# ---------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("fn", [ember.softmax, ember.log_softmax])
def test_softmax_family_is_finite_for_logits_of_1e4(fn, dtype):
    x = ember.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    x.requires_grad_()
    y = fn(x, 1)
    assert np.isfinite(y.detach().numpy()).all()
    probs = y.detach().numpy() if fn is ember.softmax else np.exp(y.detach().numpy())
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probs[0], [1, 0, 0], atol=1e-7)
    w = t64(RNG.standard_normal((3, 3))).to(dtype)
    (g,) = grad((y * w).sum(), [x], create_graph=True)
    (gg,) = grad((g * g).sum(), [x])
    assert np.isfinite(g.detach().numpy()).all() and np.isfinite(gg.numpy()).all()


def test_log_softmax_keeps_tiny_probabilities_exact():
    y = ember.log_softmax(t64([1e4, 0.0, -1e4]), 0)
    np.testing.assert_allclose(y.numpy(), [0.0, -1e4, -2e4])


@pytest.mark.parametrize(
    "target", [ember.tensor([1]), t64([[0.0, 1.0, 0.0]])], ids=["indices", "probabilities"]
)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_is_finite_for_logits_of_1e4(target, smoothing):
    x = t64([[1e4, -1e4, 0.0]], requires_grad=True)
    loss = ember.cross_entropy(x, target, label_smoothing=smoothing)
    expected = (1 - smoothing) * 2e4 + smoothing / 3 * (0 + 2e4 + 1e4)
    np.testing.assert_allclose(loss.item(), expected)
    (g,) = grad(loss, [x], create_graph=True)
    eps = smoothing / 3
    np.testing.assert_allclose(g.detach().numpy(), [[1 - eps, smoothing - 1 - eps, -eps]])
    (gg,) = grad((g * g).sum(), [x])
    assert np.isfinite(g.detach().numpy()).all() and np.isfinite(gg.numpy()).all()


def test_cross_entropy_gradient_at_1e4_is_softmax_minus_target():
    x = t64([[1e4, -1e4, 0.0], [0.0, 0.0, 1e4]], requires_grad=True)
    ember.cross_entropy(x, ember.tensor([1, 2]), reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-300)


@pytest.mark.parametrize("pos_weight", [None, [2.0, 3.0, 0.5]])
def test_bce_with_logits_is_finite_for_logits_of_1e4(pos_weight):
    x = t64([-1e4, 1e4, 1e4], requires_grad=True)
    t = t64([1.0, 0.0, 0.5], requires_grad=True)
    pw = None if pos_weight is None else t64(pos_weight)
    loss = ember.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="none")
    p = np.ones(3) if pos_weight is None else np.array(pos_weight)
    np.testing.assert_allclose(loss.detach().numpy(), [1e4 * p[0], 1e4, 0.5e4])
    gx, gt = grad(loss.sum(), [x, t], create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), [-p[0], 1.0, 0.5])
    second = grad((gx * gx).sum() + (gt * gt).sum(), [x, t])
    for g in (gx, gt, *second):
        assert np.isfinite(g.detach().numpy()).all()


def test_binary_cross_entropy_clamps_its_logs_at_minus_100():
    x = t64([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    loss = ember.binary_cross_entropy(x, t64([1.0, 0.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1e12, 1e12, 0.0, 0.0])


# ---------------------------------------------------------------------------- edge cases
def test_all_ignored_mean_is_nan_with_zero_gradient():
    x = t64(RNG.standard_normal((3, 4)), requires_grad=True)
    for smoothing in (0.0, 0.2):
        loss = ember.cross_entropy(x, ember.tensor([-100, -100, -100]), label_smoothing=smoothing)
        assert np.isnan(loss.item())
        (g,) = grad(loss, [x])
        np.testing.assert_array_equal(g.numpy(), 0.0)


def test_ignored_positions_have_zero_loss_and_gradient():
    x = t64(RNG.standard_normal((3, 4)), requires_grad=True)
    loss = ember.cross_entropy(x, ember.tensor([1, 2, 3]), ignore_index=2, reduction="none")
    loss.sum().backward()
    assert loss.detach().numpy()[1] == 0.0 and (loss.detach().numpy()[[0, 2]] > 0).all()
    np.testing.assert_array_equal(x.grad.numpy()[1], 0.0)


def test_softmax_casts_to_dtype_first_and_rejects_integers():
    x = ember.tensor([[1.0, 2.0]])
    assert ember.softmax(x, 1, dtype=ember.float64).dtype == ember.float64
    assert ember.log_softmax(ember.tensor([1, 2]), 0, dtype=ember.float32).dtype == ember.float32
    with pytest.raises(TypeError, match=r"softmax.*int64"):
        ember.softmax(ember.tensor([1, 2]), 0)
    np.testing.assert_allclose(x.softmax(1).numpy(), ember.softmax(x, -1).numpy())


def test_softmax_without_dim_warns_and_picks_pytorchs_dim():
    x = ember.tensor(RNG.standard_normal((2, 3)))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = ember.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(1), 1.0, rtol=1e-6)


def test_legacy_size_average_and_reduce_map_to_reduction():
    x, t = t64([1.0, 2.0]), t64([0.0, 0.0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert ember.mse_loss(x, t, size_average=False).item() == 5.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert ember.l1_loss(x, t, reduce=False).shape == (2,)


def test_kl_div_mean_warns_and_batchmean_divides_by_batch():
    x = t64(np.log(np.full((2, 4), 0.25)))
    t = t64(np.full((2, 4), 0.25))
    with pytest.warns(UserWarning, match="batchmean"):
        ember.kl_div(x, t)
    assert abs(ember.kl_div(x + 1.0, t, reduction="batchmean").item() - -1.0) < 1e-12


def test_kl_div_zero_target_contributes_zero():
    x = t64([-1.0, -2.0], requires_grad=True)
    loss = ember.kl_div(x, t64([0.0, 1.0]), reduction="sum")
    assert loss.item() == 2.0
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, -1.0])


def test_mse_broadcasts_a_different_target_shape_with_a_warning():
    with pytest.warns(UserWarning, match="different to the input size"):
        loss = ember.mse_loss(t64([[1.0, 2.0], [3.0, 4.0]]), t64([1.0, 2.0]), reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [[0.0, 0.0], [4.0, 4.0]])


# ---------------------------------------------------------------------------- errors
X4 = t64(np.zeros((3, 4)))
P3 = t64(np.full(3, 0.5))
I3 = ember.tensor([0, 1, 2])
LOSS_ARGS = {
    "cross_entropy": (X4, I3),
    "nll_loss": (X4, I3),
    "binary_cross_entropy": (P3, P3),
    "binary_cross_entropy_with_logits": (P3, P3),
    "mse_loss": (P3, P3),
    "l1_loss": (P3, P3),
    "huber_loss": (P3, P3),
    "smooth_l1_loss": (P3, P3),
    "kl_div": (P3, P3),
}


@pytest.mark.parametrize("name", LOSS_ARGS)
@pytest.mark.parametrize("reduction", ["avg", "Sum", "mean ", "batchmean"])
def test_invalid_reduction_is_a_value_error(name, reduction):
    if name == "kl_div" and reduction == "batchmean":
        return
    with pytest.raises(ValueError, match=f"{name}: '{reduction}' is not a valid value"):
        getattr(ember, name)(*LOSS_ARGS[name], reduction=reduction)


def test_class_targets_are_checked():
    with pytest.raises(TypeError, match=r"cross_entropy.*integer dtype.*float64"):
        ember.cross_entropy(X4, t64([0, 1, 2]))
    with pytest.raises(TypeError, match=r"cross_entropy.*floating.*int64"):
        ember.cross_entropy(X4, ember.tensor(np.zeros((3, 4), int)))
    with pytest.raises(TypeError, match=r"nll_loss.*bool"):
        ember.nll_loss(X4, ember.tensor([True, False, True]))
    with pytest.raises(TypeError, match=r"cross_entropy.*floating input.*int64"):
        ember.cross_entropy(ember.tensor([[1, 2]]), ember.tensor([0]))
    with pytest.raises(ValueError, match=r"cross_entropy.*\(3,\).*\(3, 4\).*\(2,\)"):
        ember.cross_entropy(X4, ember.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"nll_loss.*\(2, 4\).*\(2, 3\)"):
        ember.nll_loss(t64(np.zeros((2, 3, 4))), ember.tensor(np.zeros((2, 3), int)))
    with pytest.raises(ValueError, match=r"cross_entropy.*0-d"):
        ember.cross_entropy(t64(1.0), ember.tensor(0))


def test_class_indices_out_of_range_are_index_errors():
    with pytest.raises(IndexError, match="cross_entropy: target 4 is out of bounds for 4 classes"):
        ember.cross_entropy(X4, ember.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="nll_loss: target -1 is out of bounds"):
        ember.nll_loss(X4, ember.tensor([0, -1, 1]))
    ember.nll_loss(X4, ember.tensor([0, -1, 1]), ignore_index=-1)  # ignored, so allowed


def test_class_loss_options_are_checked():
    with pytest.raises(ValueError, match=r"cross_entropy.*\(4,\).*\(2,\)"):
        ember.cross_entropy(X4, I3, t64([1, 1]))
    with pytest.raises(ValueError, match=r"cross_entropy.*\(4,\).*\(2,\)"):
        ember.cross_entropy(X4, X4, t64([1, 1]))
    with pytest.raises(ValueError, match="label_smoothing"):
        ember.cross_entropy(X4, I3, label_smoothing=1.5)
    with pytest.raises(ValueError, match="ignore_index"):
        ember.cross_entropy(X4, X4, ignore_index=1)


def test_binary_losses_are_checked():
    bce, logits = ember.binary_cross_entropy, ember.binary_cross_entropy_with_logits
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*\(2,\).*\(3,\)"):
        bce(P3, t64([0.5, 0.5]))
    with pytest.raises(ValueError, match="all elements of input should be between 0 and 1"):
        bce(t64([1.5]), t64([1.0]))
    with pytest.raises(ValueError, match="all elements of target should be between 0 and 1"):
        bce(t64([0.5]), t64([-0.5]))
    with pytest.raises(ValueError, match=r"weight of shape \(2,\)"):
        bce(P3, P3, t64([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits.*target size"):
        logits(P3, t64([[0.5] * 3] * 2))
    with pytest.raises(TypeError, match=r"floating target.*int64"):
        logits(P3, ember.tensor([1, 0, 1]))
    with pytest.raises(ValueError, match="pos_weight"):
        logits(P3, P3, pos_weight=t64([1, 2]))


def test_regression_losses_are_checked():
    with pytest.raises(ValueError, match=r"mse_loss.*\(2,\).*\(3,\)"):
        ember.mse_loss(P3, t64([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"l1_loss: weight of shape \(1,\)"):
        ember.l1_loss(P3, P3, weight=t64([1.0]))
    with pytest.raises(ValueError, match="delta"):
        ember.huber_loss(P3, P3, delta=0.0)
    with pytest.raises(ValueError, match="beta"):
        ember.smooth_l1_loss(P3, P3, beta=-1.0)
    with pytest.raises(TypeError, match=r"kl_div.*int64"):
        ember.kl_div(P3, ember.tensor([1, 0, 1]), reduction="sum")
    with pytest.raises(TypeError, match=r"mse_loss.*int64"):
        ember.mse_loss(ember.tensor([1, 2]), P3[:2])


def test_softmax_dim_out_of_range_is_an_index_error():
    with pytest.raises(IndexError, match="softmax: dim 2 is out of range"):
        ember.softmax(X4, 2)
    with pytest.raises(IndexError, match="log_softmax: dim -3"):
        ember.log_softmax(X4, -3)


# ---------------------------------------------------------------------------- against PyTorch
def _logits(*shape):
    return RNG.uniform(-3, 3, shape)


def _indices(classes, *shape, ignore=None):
    t = RNG.integers(0, classes, shape)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore
    return t


def _probabilities(*shape):
    e = np.exp(RNG.uniform(-2, 2, shape))
    return e / e.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


def _unit(*shape):
    return RNG.uniform(0.02, 0.98, shape)


W4 = np.array([0.5, 2.0, 1.0, 1.5])
W3 = W4[:3]


def _table():
    """(id, call(F, *tensors), arrays, which arrays require grad); F is ember or torch's F."""
    x45, x3422 = _logits(4, 4), _logits(3, 4, 2, 2)
    i4, i342 = _indices(4, 4), _indices(4, 3, 2, 2)
    x34, y34, w34 = _logits(3, 4), _logits(3, 4), RNG.uniform(0.5, 2, (3, 4))
    p34, q34 = _unit(3, 4), _unit(3, 4)
    cases = []
    for dim in (0, 1, -1):
        cases += [
            (f"softmax{dim}", lambda F, x, d=dim: F.softmax(x, d), [x3422], [1]),
            (f"log_softmax{dim}", lambda F, x, d=dim: F.log_softmax(x, d), [x3422], [1]),
        ]
    for r in ("mean", "sum", "none"):
        cases += [
            (f"ce_{r}", lambda F, x, t, r=r: F.cross_entropy(x, t, reduction=r), [x45, i4], [1, 0]),
            (
                f"ce_spatial_{r}",
                lambda F, x, t, r=r: F.cross_entropy(x, t, reduction=r),
                [x3422, i342],
                [1, 0],
            ),
            (
                f"ce_all_options_{r}",
                lambda F, x, t, w, r=r: F.cross_entropy(
                    x, t, w, ignore_index=2, reduction=r, label_smoothing=0.15
                ),
                [x3422, _indices(4, 3, 2, 2, ignore=2), W4],
                [1, 0, 0],
            ),
            (
                f"ce_probabilities_{r}",
                lambda F, x, t, r=r: F.cross_entropy(x, t, reduction=r),
                [x3422, _probabilities(3, 4, 2, 2)],
                [1, 1],
            ),
            (
                f"ce_probabilities_options_{r}",
                lambda F, x, t, w, r=r: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.3),
                [x45, _probabilities(4, 4), W4],
                [1, 1, 0],
            ),
            (
                f"nll_{r}",
                lambda F, x, t, r=r: F.nll_loss(F.log_softmax(x, 1), t, reduction=r),
                [x3422, i342],
                [1, 0],
            ),
            (
                f"nll_options_{r}",
                lambda F, x, t, w, r=r: F.nll_loss(x, t, w, ignore_index=-100, reduction=r),
                [x45, _indices(4, 4, ignore=-100), W4],
                [1, 0, 0],
            ),
            (
                f"bce_{r}",
                lambda F, x, t, r=r: F.binary_cross_entropy(x, t, reduction=r),
                [p34, q34],
                [1, 1],
            ),
            (
                f"bce_weight_{r}",
                lambda F, x, t, w, r=r: F.binary_cross_entropy(x, t, w, reduction=r),
                [p34, q34, W4],
                [1, 1, 0],
            ),
            (
                f"bce_logits_{r}",
                lambda F, x, t, r=r: F.binary_cross_entropy_with_logits(x, t, reduction=r),
                [x34, q34],
                [1, 1],
            ),
            (
                f"bce_logits_options_{r}",
                lambda F, x, t, w, p, r=r: F.binary_cross_entropy_with_logits(
                    x, t, w, reduction=r, pos_weight=p
                ),
                [x34, q34, W4, W4[::-1].copy()],
                [1, 1, 0, 0],
            ),
            (f"mse_{r}", lambda F, x, t, r=r: F.mse_loss(x, t, reduction=r), [x34, y34], [1, 1]),
            (
                f"mse_weight_{r}",
                lambda F, x, t, w, r=r: F.mse_loss(x, t, reduction=r, weight=w),
                [x34, y34, w34],
                [1, 1, 1],
            ),
            (f"l1_{r}", lambda F, x, t, r=r: F.l1_loss(x, t, reduction=r), [x34, y34], [1, 1]),
            (
                f"l1_weight_{r}",
                lambda F, x, t, w, r=r: F.l1_loss(x, t, reduction=r, weight=w),
                [x34, y34, w34],
                [1, 1, 1],
            ),
            (
                f"huber_{r}",
                lambda F, x, t, r=r: F.huber_loss(x, t, reduction=r, delta=1.3),
                [x34, y34],
                [1, 1],
            ),
            (
                f"huber_weight_{r}",
                lambda F, x, t, w, r=r: F.huber_loss(x, t, r, 0.8, w),
                [x34, y34, w34],
                [1, 1, 1],
            ),
            (
                f"smooth_l1_{r}",
                lambda F, x, t, r=r: F.smooth_l1_loss(x, t, reduction=r, beta=0.7),
                [x34, y34],
                [1, 1],
            ),
            (
                f"smooth_l1_beta0_{r}",
                lambda F, x, t, r=r: F.smooth_l1_loss(x, t, reduction=r, beta=0.0),
                [x34, y34],
                [1, 1],
            ),
        ]
    for r in ("batchmean", "mean", "sum", "none"):
        for lt in (False, True):
            cases.append(
                (
                    f"kl_div_{r}_{lt}",
                    lambda F, x, t, r=r, lt=lt: F.kl_div(x, t, reduction=r, log_target=lt),
                    [x34, _unit(3, 4)],
                    [1, 1],
                )
            )
    cases += [
        (
            "ce_unbatched",
            lambda F, x, t: F.cross_entropy(x, t, label_smoothing=0.1),
            [_logits(5), np.array(3)],
            [1, 0],
        ),
        (
            "ce_unbatched_probabilities",
            lambda F, x, t: F.cross_entropy(x, t),
            [_logits(5), _probabilities(5)],
            [1, 1],
        ),
        ("ce_legacy", lambda F, x, t: F.cross_entropy(x, t, None, False), [x45, i4], [1, 0]),
        (
            "nll_unbatched",
            lambda F, x, t, w: F.nll_loss(x, t, w),
            [_logits(4), np.array(1), W4],
            [1, 0, 0],
        ),
    ]
    return cases


TABLE = _table()


def _derivatives(module, autograd_grad, make, to_numpy, case):
    """The loss, its gradient and a second derivative (Hessian-vector product) as arrays."""
    _, call, arrays, requires = case
    inputs = [make(a, bool(r)) for a, r in zip(arrays, requires)]
    out = call(module, *inputs)
    diff = [x for x, r in zip(inputs, requires) if r]
    v = make(np.random.default_rng(1).standard_normal(tuple(out.shape)), False)
    first = autograd_grad((out * v).sum(), diff, create_graph=True)
    rng = np.random.default_rng(2)
    total = sum((g * make(rng.standard_normal(tuple(g.shape)), False)).sum() for g in first)
    second = (
        autograd_grad(total, diff, allow_unused=True) if total.requires_grad else [None] * len(diff)
    )
    return (
        [to_numpy(out)],
        [to_numpy(g) for g in first],
        [np.zeros(x.shape) if g is None else to_numpy(g) for g, x in zip(second, diff)],
    )


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", TABLE, ids=[c[0] for c in TABLE])
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    functional = pytest.importorskip("torch.nn.functional")

    def make_torch(a, requires_grad):
        a = np.asarray(a)
        dtype = torch.float64 if a.dtype.kind == "f" else torch.int64
        return torch.tensor(a, dtype=dtype, requires_grad=requires_grad)

    def make_ember(a, requires_grad):
        a = np.asarray(a)
        dtype = ember.float64 if a.dtype.kind == "f" else ember.int64
        return ember.tensor(a, dtype=dtype, requires_grad=requires_grad)

    ours = _derivatives(ember, grad, make_ember, lambda t: t.detach().numpy(), case)
    theirs = _derivatives(
        functional, torch.autograd.grad, make_torch, lambda t: t.detach().numpy(force=True), case
    )
    for order, (mine, ref) in enumerate(zip(ours, theirs)):
        for a, b in zip(mine, ref):
            scale = np.abs(b).max(initial=1.0)  # second derivatives sum cancelling terms
            np.testing.assert_allclose(
                a, b, rtol=1e-10, atol=1e-12 * scale, err_msg=f"derivative of order {order}"
            )
