"""Loss modules against NumPy formulas, for every reduction, and gradcheck through them."""

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck

from . import reference as ref

REDUCTIONS = ["mean", "sum", "none"]


def t64(a, requires_grad=False):
    return ember.tensor(a, dtype=ember.float64, requires_grad=requires_grad)


def value(t):
    return t.detach().numpy()


rng = np.random.default_rng(0)
X = rng.normal(size=(5, 4))
Y = rng.normal(size=(5, 4))
P = 1 / (1 + np.exp(-X))
T01 = rng.uniform(size=(5, 4))
LABELS = np.array([0, 3, 1, 3, 2])
W = np.array([0.5, 1.0, 2.0, 1.5])


def huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d**2, delta * (a - 0.5 * delta))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("make", "inputs", "formula"),
    [
        (lambda r: nn.MSELoss(reduction=r), (X, Y), (X - Y) ** 2),
        (lambda r: nn.L1Loss(reduction=r), (X, Y), np.abs(X - Y)),
        (lambda r: nn.HuberLoss(reduction=r, delta=0.7), (X, Y), huber(X - Y, 0.7)),
        (lambda r: nn.SmoothL1Loss(reduction=r, beta=0.5), (X, Y), huber(X - Y, 0.5) / 0.5),
        (
            lambda r: nn.BCELoss(reduction=r),
            (P, T01),
            -(T01 * np.log(P) + (1 - T01) * np.log(1 - P)),
        ),
        (
            lambda r: nn.BCEWithLogitsLoss(reduction=r, pos_weight=t64(W)),
            (X, T01),
            -(W * T01 * np.log(P) + (1 - T01) * np.log(1 - P)),
        ),
        (
            lambda r: nn.KLDivLoss(reduction=r),
            (ref.log_softmax(X), T01),
            T01 * (np.log(T01) - ref.log_softmax(X)),
        ),
        (
            lambda r: nn.KLDivLoss(reduction=r, log_target=True),
            (ref.log_softmax(X), np.log(T01)),
            T01 * (np.log(T01) - ref.log_softmax(X)),
        ),
    ],
    ids=["mse", "l1", "huber", "smooth_l1", "bce", "bce_logits", "kl_div", "kl_div_log"],
)
def test_elementwise_losses(make, inputs, formula, reduction):
    loss = make(reduction)(*(t64(a) for a in inputs))
    np.testing.assert_allclose(value(loss), ref.reduce(formula, reduction), rtol=1e-10)


def test_kl_div_batchmean_and_weighted_bce():
    kl = nn.KLDivLoss(reduction="batchmean")(t64(ref.log_softmax(X)), t64(T01))
    expected = (T01 * (np.log(T01) - ref.log_softmax(X))).sum() / 5
    np.testing.assert_allclose(value(kl), expected, rtol=1e-10)
    bce = nn.BCELoss(weight=t64(W))(t64(P), t64(T01))
    expected = (-W * (T01 * np.log(P) + (1 - T01) * np.log(1 - P))).mean()
    np.testing.assert_allclose(value(bce), expected, rtol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_and_cross_entropy_with_weights_and_ignore_index(reduction):
    labels = LABELS.copy()
    labels[2] = -100
    logp = ref.log_softmax(X)
    keep = labels != -100
    picked = np.where(keep, -logp[np.arange(5), np.where(keep, labels, 0)], 0.0)
    w = np.where(keep, W[np.where(keep, labels, 0)], 0.0)
    expected = {
        "mean": (w * picked).sum() / w.sum(),
        "sum": (w * picked).sum(),
        "none": w * picked,
    }[reduction]
    target = ember.tensor(labels)
    nll = nn.NLLLoss(weight=t64(W), reduction=reduction)(t64(logp), target)
    ce = nn.CrossEntropyLoss(weight=t64(W), reduction=reduction)(t64(X), target)
    np.testing.assert_allclose(value(nll), expected, rtol=1e-10)
    np.testing.assert_allclose(value(ce), expected, rtol=1e-10)


def test_cross_entropy_label_smoothing_and_custom_ignore_index():
    labels = LABELS.copy()
    labels[0] = 7
    eps = 0.2
    logp = ref.log_softmax(X)
    keep = labels != 7
    nll = -logp[np.arange(5)[keep], labels[keep]]
    smooth = -logp[keep].mean(axis=1)
    expected = ((1 - eps) * nll + eps * smooth).mean()
    loss = nn.CrossEntropyLoss(ignore_index=7, label_smoothing=eps)(t64(X), ember.tensor(labels))
    np.testing.assert_allclose(value(loss), expected, rtol=1e-10)


def test_cross_entropy_on_spatial_inputs_and_class_probabilities():
    logits = rng.normal(size=(2, 3, 4, 5))
    labels = rng.integers(0, 3, size=(2, 4, 5))
    logp = ref.log_softmax(logits, 1)
    picked = np.take_along_axis(logp, labels[:, None], 1)
    loss = nn.CrossEntropyLoss()(t64(logits), ember.tensor(labels))
    np.testing.assert_allclose(value(loss), -picked.mean(), rtol=1e-10)
    probs = np.exp(ref.log_softmax(Y))
    soft = nn.CrossEntropyLoss()(t64(X), t64(probs))
    np.testing.assert_allclose(value(soft), -(probs * ref.log_softmax(X)).sum(1).mean(), rtol=1e-10)


def test_legacy_size_average_and_reduce_flags():
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.MSELoss(reduce=False).reduction == "none"
    assert nn.L1Loss(size_average=True, reduce=True).reduction == "mean"
    assert nn.CrossEntropyLoss(reduction="sum").reduction == "sum"


def test_weight_is_a_buffer_of_the_loss():
    loss = nn.CrossEntropyLoss(weight=ember.ones(3))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=ember.ones(2)).state_dict()) == ["pos_weight"]


@pytest.mark.parametrize(
    ("loss", "target"),
    [
        (nn.MSELoss(), t64(Y[:2, :3])),
        (nn.HuberLoss(delta=0.5), t64(Y[:2, :3])),
        (nn.CrossEntropyLoss(label_smoothing=0.1), ember.tensor([2, 0])),
        (nn.BCEWithLogitsLoss(pos_weight=t64([1.0, 2.0, 0.5])), t64(T01[:2, :3])),
    ],
    ids=["mse", "huber", "cross_entropy", "bce_logits"],
)
def test_gradcheck_through_losses(loss, target):
    x = t64(X[:2, :3] * 1.3, requires_grad=True)
    assert gradcheck(lambda a: loss(a, target), (x,), check_forward_ad=True)
