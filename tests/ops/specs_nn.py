"""Op specs: softmax family and losses (see harness.py). References are NumPy transcriptions of
the formulas in PyTorch's documentation, independent of ember's fused rules."""

from __future__ import annotations

import warnings

import numpy as np

import ember

from .harness import OpSpec

UNARY = [((3, 4),), ((),), ((1,),), ((2, 0),), ((2, 1, 3),)]
MATRICES = [((3, 4),), ((2, 3, 2),), ((1, 1),), ((0, 3),), ((3, 0),)]
LOGITS = [((4, 5),), ((3, 4, 2),), ((2, 3, 2, 2),), ((5,),), ((0, 3),)]
PAIRS = [((3, 4), (3, 4)), ((), ()), ((2, 1, 3), (2, 1, 3)), ((2, 0), (2, 0))]
REDUCTIONS = ("mean", "sum", "none")
W5 = np.array([0.5, 1.5, 1.0, 2.0, 0.25])  # class weights (first C entries are used)


# ---------------------------------------------------------------------------- references
def ref_log_softmax(x, dim):
    if x.ndim == 0 or x.size == 0:
        return x - x
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def ref_softmax(x, dim):
    return np.exp(ref_log_softmax(x, dim))


def _reduce(loss, reduction, count=None):
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / (loss.size if count is None else count)


def ref_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """PyTorch's definition: (1 - eps) nll + eps / C * (-sum_c w_c log p_c), normalised by the
    summed target weights (indices) or by the number of positions (probabilities)."""
    dim = 1 if x.ndim > 1 else 0
    logp = np.moveaxis(ref_log_softmax(x, dim), dim, -1)
    classes = logp.shape[-1]
    w = np.ones(classes) if weight is None else weight
    if t.dtype.kind == "f":
        q = np.moveaxis(t, dim, -1) * (1 - smoothing) + smoothing / classes
        return _reduce(-(q * w * logp).sum(-1), reduction)
    kept = t != ignore_index
    safe = np.where(kept, t, 0)
    picked = np.take_along_axis(logp, safe[..., None], -1)[..., 0]
    nll = -picked * w[safe] * kept
    smooth = -(logp * w).sum(-1) * kept
    loss = (1 - smoothing) * nll + smoothing / classes * smooth
    return _reduce(loss, reduction, (w[safe] * kept).sum())


def ref_nll(x, t, weight=None, ignore_index=-100, reduction="mean"):
    dim = 1 if x.ndim > 1 else 0
    logp = np.moveaxis(x, dim, -1)
    w = np.ones(logp.shape[-1]) if weight is None else weight
    kept = t != ignore_index
    safe = np.where(kept, t, 0)
    loss = -np.take_along_axis(logp, safe[..., None], -1)[..., 0] * w[safe] * kept
    return _reduce(loss, reduction, (w[safe] * kept).sum())


def ref_bce(x, t, weight=None, reduction="mean"):
    loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return _reduce(loss if weight is None else loss * weight, reduction)


def ref_bce_logits(x, t, weight=None, reduction="mean", pos_weight=None):
    lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
    loss = (1 - t) * x + lw * np.logaddexp(0, -x)
    return _reduce(loss if weight is None else loss * weight, reduction)


def ref_huber(x, t, delta, reduction):
    z = np.abs(x - t)
    return _reduce(np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)), reduction)


def ref_smooth_l1(x, t, beta, reduction):
    z = np.abs(x - t)
    loss = z if beta == 0 else np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)
    return _reduce(loss, reduction)


def ref_kl_div(x, t, reduction, log_target):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        loss = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0) - t * x
    if reduction == "batchmean":
        return loss.sum() / x.shape[0] if x.ndim else loss.sum()
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------- input makers
def make_classes(ignore=None, probabilities=False):
    """Logits and class-index (or probability) targets for an input shape (N, C, ...) or (C,)."""

    def make(rng, shapes):
        (shape,) = shapes
        dim = 1 if len(shape) > 1 else 0
        x = rng.uniform(-2, 2, shape)
        if probabilities:
            return [x, ref_softmax(rng.uniform(-1, 1, shape), dim)]
        t = rng.integers(0, shape[dim], shape[:dim] + shape[dim + 1 :])
        if ignore is not None and t.size:
            t.reshape(-1)[:: max(t.size // 2, 1)] = ignore
        return [x, t]

    return make


def make_binary(lo, hi, third=None):
    """An input in (lo, hi) and a target in [0, 1] of the same shape (and a third array)."""

    def make(rng, shapes):
        shape = shapes[0]
        out = [rng.uniform(lo, hi, shape), rng.uniform(0, 1, shape)]
        if third is not None:
            out.append(rng.uniform(*third, shape))
        return out

    return make


def _weight(x, n):
    return ember.tensor(W5[:n], dtype=x.dtype)


def _classes_of(x):
    return x.shape[1 if x.ndim > 1 else 0]


def _quiet(fn):
    """Call a loss whose option PyTorch warns about (kl_div 'mean'), without the warning."""

    def call(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)

    return call


# ---------------------------------------------------------------------------- specs
SPECS: list[OpSpec] = []
for dim in (-1, 0, 1):
    cases = UNARY if dim != 1 else MATRICES
    SPECS += [
        OpSpec(
            f"softmax_dim{dim}",
            lambda x, d=dim: ember.softmax(x, d),
            lambda x, d=dim: ref_softmax(x, d),
            cases,
        ),
        OpSpec(
            f"log_softmax_dim{dim}",
            lambda x, d=dim: ember.log_softmax(x, d),
            lambda x, d=dim: ref_log_softmax(x, d),
            cases,
        ),
    ]

for r in REDUCTIONS:
    SPECS += [
        OpSpec(
            f"cross_entropy_{r}",
            lambda x, t, r=r: ember.cross_entropy(x, t, reduction=r),
            lambda x, t, r=r: ref_cross_entropy(x, t, reduction=r),
            LOGITS,
            make=make_classes(),
        ),
        OpSpec(
            f"cross_entropy_weight_ignore_smoothing_{r}",
            lambda x, t, r=r: ember.cross_entropy(
                x, t, _weight(x, _classes_of(x)), reduction=r, label_smoothing=0.3
            ),
            lambda x, t, r=r: ref_cross_entropy(
                x, t, W5[: _classes_of(x)], reduction=r, smoothing=0.3
            ),
            LOGITS,
            make=make_classes(ignore=-100),
        ),
        OpSpec(
            f"cross_entropy_weight_ignore_{r}",
            lambda x, t, r=r: ember.cross_entropy(x, t, _weight(x, _classes_of(x)), reduction=r),
            lambda x, t, r=r: ref_cross_entropy(x, t, W5[: _classes_of(x)], reduction=r),
            LOGITS,
            make=make_classes(ignore=-100),
        ),
        OpSpec(
            f"cross_entropy_probabilities_{r}",
            lambda x, t, r=r: ember.cross_entropy(x, t, reduction=r),
            lambda x, t, r=r: ref_cross_entropy(x, t, reduction=r),
            LOGITS,
            make=make_classes(probabilities=True),
        ),
        OpSpec(
            f"nll_loss_{r}",
            lambda x, t, r=r: ember.nll_loss(x, t, reduction=r),
            lambda x, t, r=r: ref_nll(x, t, reduction=r),
            LOGITS,
            make=make_classes(),
        ),
        OpSpec(
            f"binary_cross_entropy_{r}",
            lambda x, t, r=r: ember.binary_cross_entropy(x, t, reduction=r),
            lambda x, t, r=r: ref_bce(x, t, reduction=r),
            PAIRS,
            make=make_binary(0.05, 0.95),
        ),
        OpSpec(
            f"binary_cross_entropy_with_logits_{r}",
            lambda x, t, r=r: ember.binary_cross_entropy_with_logits(x, t, reduction=r),
            lambda x, t, r=r: ref_bce_logits(x, t, reduction=r),
            PAIRS,
            make=make_binary(-3, 3),
        ),
        OpSpec(
            f"mse_loss_{r}",
            lambda x, t, r=r: ember.mse_loss(x, t, reduction=r),
            lambda x, t, r=r: _reduce((x - t) ** 2, r),
            PAIRS,
        ),
        OpSpec(
            f"l1_loss_{r}",
            lambda x, t, r=r: ember.l1_loss(x, t, reduction=r),
            lambda x, t, r=r: _reduce(np.abs(x - t), r),
            PAIRS,
        ),
        OpSpec(
            f"huber_loss_{r}",
            lambda x, t, r=r: ember.huber_loss(x, t, reduction=r, delta=0.7),
            lambda x, t, r=r: ref_huber(x, t, 0.7, r),
            PAIRS,
        ),
        OpSpec(
            f"smooth_l1_loss_{r}",
            lambda x, t, r=r: ember.smooth_l1_loss(x, t, reduction=r, beta=0.6),
            lambda x, t, r=r: ref_smooth_l1(x, t, 0.6, r),
            PAIRS,
        ),
    ]

SPECS += [
    OpSpec(
        "cross_entropy_ignore_index1",
        lambda x, t: ember.cross_entropy(x, t, ignore_index=1),
        lambda x, t: ref_cross_entropy(x, t, ignore_index=1),
        LOGITS[:3],
        make=make_classes(ignore=1),
    ),
    OpSpec(
        "cross_entropy_probabilities_weight_smoothing",
        lambda x, t: ember.cross_entropy(x, t, _weight(x, _classes_of(x)), label_smoothing=0.2),
        lambda x, t: ref_cross_entropy(x, t, W5[: _classes_of(x)], smoothing=0.2),
        LOGITS[:4],
        make=make_classes(probabilities=True),
    ),
    OpSpec(
        "nll_loss_weight_ignore",
        lambda x, t: ember.nll_loss(x, t, _weight(x, _classes_of(x)), ignore_index=0),
        lambda x, t: ref_nll(x, t, W5[: _classes_of(x)], ignore_index=0),
        LOGITS[:4],
        make=make_classes(ignore=0),
    ),
    OpSpec(
        "binary_cross_entropy_weight",
        lambda x, t: ember.binary_cross_entropy(x, t, ember.tensor(W5[:4], dtype=x.dtype)),
        lambda x, t: ref_bce(x, t, W5[:4]),
        [((3, 4), (3, 4)), ((4,), (4,))],
        make=make_binary(0.05, 0.95),
    ),
    OpSpec(
        "binary_cross_entropy_with_logits_weight_pos_weight",
        lambda x, t: ember.binary_cross_entropy_with_logits(
            x,
            t,
            ember.tensor(W5[:4], dtype=x.dtype),
            pos_weight=ember.tensor(W5[1:5], dtype=x.dtype),
        ),
        lambda x, t: ref_bce_logits(x, t, W5[:4], pos_weight=W5[1:5]),
        [((3, 4), (3, 4)), ((4,), (4,))],
        make=make_binary(-3, 3),
    ),
    OpSpec(
        "mse_loss_weight",
        lambda x, t, w: ember.mse_loss(x, t, weight=w),
        lambda x, t, w: (w * (x - t) ** 2).sum() / w.sum(),
        [((3, 4),) * 3, ((2, 1, 3),) * 3],
        make=make_binary(-2, 2, third=(0.5, 2)),
    ),
    OpSpec(
        "l1_loss_weight_sum",
        lambda x, t, w: ember.l1_loss(x, t, reduction="sum", weight=w),
        lambda x, t, w: (w * np.abs(x - t)).sum(),
        [((3, 4),) * 3],
        make=make_binary(-2, 2, third=(0.5, 2)),
    ),
    OpSpec(
        "huber_loss_weight",
        lambda x, t, w: ember.huber_loss(x, t, weight=w),
        lambda x, t, w: (w * ref_huber(x, t, 1.0, "none")).mean(),
        [((3, 4),) * 3],
        make=make_binary(-2, 2, third=(0.5, 2)),
    ),
    OpSpec(
        "smooth_l1_loss_beta0",
        lambda x, t: ember.smooth_l1_loss(x, t, beta=0.0),
        lambda x, t: ref_smooth_l1(x, t, 0.0, "mean"),
        PAIRS[:3],
    ),
]

for r in ("batchmean", "sum", "none", "mean"):
    for log_target in (False, True):
        SPECS.append(
            OpSpec(
                f"kl_div_{r}{'_log_target' if log_target else ''}",
                _quiet(
                    lambda x, t, r=r, lt=log_target: ember.kl_div(x, t, reduction=r, log_target=lt)
                ),
                lambda x, t, r=r, lt=log_target: ref_kl_div(x, t, r, lt),
                PAIRS[:3],
                make=make_binary(-2, 0),
            )
        )
