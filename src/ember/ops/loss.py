"""Pointwise losses with ``torch.nn.functional``'s signatures, defaults and reductions, and the
reduction helpers every loss shares (cross entropy and nll live with the softmax family in nn.py).

The binary and robust losses are ops whose partial derivatives are written with tensor ops; the
rest are compositions. Every rule is stable for inputs of |x| = 1e4.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.function import Op
from ..backend import is_floating, xp
from .args import constant
from .elementwise import _promote, where

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "mse_loss",
    "smooth_l1_loss",
]

_NAN = float("nan")


# ---------------------------------------------------------------------------- reductions
def check_reduction(
    op: str, reduction: str, size_average: Any, reduce: Any, extra: tuple = ()
) -> str:
    """Validate ``reduction``; the deprecated ``size_average``/``reduce`` pair overrides it."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.",
            UserWarning,
            stacklevel=3,
        )
    allowed = ("none", "mean", "sum", *extra)
    if reduction not in allowed:
        raise ValueError(
            f"{op}: {reduction!r} is not a valid value for reduction (use one of {allowed})"
        )
    return reduction


def apply_reduction(loss: Any, reduction: str) -> Any:
    """The per-element ``loss`` itself ('none'), its sum, or its mean (NaN when empty)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    return total if reduction == "sum" else divide_or_nan(total, loss.numel())


def divide_or_nan(total: Any, count: Any) -> Any:
    """total / count, or NaN (as PyTorch gives) when there is nothing to average over. A count
    that is a tensor picks between the two with ``where``, so that a zero count gives a NaN loss
    with a zero gradient, as PyTorch's (dividing by it would send inf * 0 = NaN back)."""
    if not isinstance(count, (int, float)):
        empty = count == 0
        return where(empty, total + _NAN, total / where(empty, 1.0, count))
    return total / float(count) if count else total + _NAN


def require_floating(op: str, what: str, t: Any) -> None:
    if not is_floating(t.dtype):
        raise TypeError(f"{op}: expected a floating {what}, got dtype {t.dtype}")


def _broadcast_pair(op: str, input: Any, target: Any) -> None:
    """PyTorch warns when the shapes differ and broadcasts; unbroadcastable shapes are an error."""
    require_floating(op, "input", input)
    if tuple(target.shape) == tuple(input.shape):
        return
    try:
        xp.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise ValueError(
            f"{op}: target of shape {tuple(target.shape)} cannot be broadcast with input of "
            f"shape {tuple(input.shape)}"
        ) from None
    warnings.warn(
        f"{op}: using a target size ({tuple(target.shape)}) that is different to the input size "
        f"({tuple(input.shape)}). This will likely lead to incorrect results due to "
        "broadcasting. Please ensure they have the same size.",
        UserWarning,
        stacklevel=3,
    )


def _same_shape(op: str, input: Any, target: Any) -> None:
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: target size {tuple(target.shape)} must be the same as input size "
            f"{tuple(input.shape)}"
        )


# ---------------------------------------------------------------------------- pointwise losses
class _PointwiseLoss(Op):
    """A pointwise loss of (input, target, constants...): a subclass gives ``partials(ctx, need_x,
    need_t)``, the two partial derivatives as tensors, and backward and jvp follow from them."""

    @staticmethod
    def backward(ctx, grad_out):
        need = ctx.needs_input_grad
        dx, dt = ctx.fn.partials(ctx, need[0], need[1])
        grads = tuple(None if d is None else grad_out * d for d in (dx, dt))
        return grads + (None,) * (len(need) - 2)

    @staticmethod
    def jvp(ctx, tx, tt, *_constants):
        dx, dt = ctx.fn.partials(ctx, tx is not None, tt is not None)
        terms = [t * d for t, d in ((tx, dx), (tt, dt)) if t is not None]
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _weighted(d: Any, weight: Any) -> Any:
    return d if d is None or weight is None else d * weight


class BinaryCrossEntropy(_PointwiseLoss):
    """-w (t max(log x, -100) + (1 - t) max(log(1 - x), -100));
    dx = w (x - t) / max(x (1 - x), 1e-12), dt = w (log(1 - x) - log x)."""

    @staticmethod
    def forward(ctx, input, target, weight):
        ctx.save_for_backward(input, target, weight)
        x, t = _promote(input, target)
        with xp.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        return _weighted((t - 1) * log_1mx - t * log_x, weight)

    @staticmethod
    def partials(ctx, need_x, need_t):
        x, t, weight = ctx.saved_tensors
        dx = dt = None
        if need_x:
            den = x * (1 - x)
            tiny = xp.asarray(den) < 1e-12
            if tiny.any():
                den = den * ~tiny + tiny.astype(den.dtype) * 1e-12
            dx = (x - t) / den
        if need_t:
            dt = (1 - x).log() - x.log()
        return _weighted(dx, weight), _weighted(dt, weight)


class BinaryCrossEntropyWithLogits(_PointwiseLoss):
    """w ((1 - t) x + l softplus(-x)) with l = 1 + (p - 1) t;
    dx = w (l sigmoid(x) - p t), dt = w ((p - 1) softplus(-x) - x)  (p = 1 without pos_weight)."""

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight):
        ctx.save_for_backward(input, target, weight, pos_weight)
        x, t = _promote(input, target)
        softplus = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
        if pos_weight is not None:
            softplus = softplus * ((pos_weight - 1) * t + 1)
        return _weighted((1 - t) * x + softplus, weight)

    @staticmethod
    def partials(ctx, need_x, need_t):
        x, t, weight, pos_weight = ctx.saved_tensors
        sig, softplus = _sigmoid_softplus(x)
        dx = dt = None
        if pos_weight is None:
            dx = sig - t if need_x else None
            dt = -x if need_t else None
        else:
            dx = sig * ((pos_weight - 1) * t + 1) - pos_weight * t if need_x else None
            dt = softplus * (pos_weight - 1) - x if need_t else None
        return _weighted(dx, weight), _weighted(dt, weight)


def _sigmoid_softplus(x: Any) -> tuple[Any, Any]:
    """sigmoid(x) and softplus(-x) as tensor ops, stable for any |x|: with e = exp(-|x|),
    sigmoid = 1 / (1 + e) for x >= 0 and e / (1 + e) below; softplus(-x) = log(1 + e) + max(-x, 0).
    The sign masks are constants, so derivatives of any order are right."""
    neg = xp.asarray(x) < 0
    e = (x * xp.where(neg, 1, -1).astype(x.dtype)).exp()
    return (e * neg + ~neg) / (e + 1), (e + 1).log() - x * neg


class SmoothL1Loss(_PointwiseLoss):
    """scale (0.5 d^2 / beta if |d| < beta else |d| - beta / 2) with d = x - t (beta = 0: |d|);
    dx = -dt = scale clamp(d / beta, -1, 1) (beta = 0: scale sign(d))."""

    @staticmethod
    def forward(ctx, input, target, beta, scale):
        ctx.save_for_backward(input, target)
        ctx.beta, ctx.scale = beta, scale
        x, t = _promote(input, target)
        z = xp.abs(x - t)
        if beta == 0:
            return z * scale if scale != 1 else z
        return xp.where(z < beta, (0.5 * scale / beta) * z * z, scale * (z - 0.5 * beta))

    @staticmethod
    def partials(ctx, need_x, need_t):
        x, t = ctx.saved_tensors
        d = x - t
        raw = xp.asarray(d)
        inner = xp.abs(raw) < ctx.beta
        slope = (inner * (ctx.scale / ctx.beta if ctx.beta else 0)).astype(raw.dtype)
        outer = (xp.sign(raw) * ~inner * ctx.scale).astype(raw.dtype)
        dx = d * slope + outer
        return (dx if need_x else None), (-dx if need_t else None)


def _pointwise_constant(op: str, name: str, value: Any, input: Any, target: Any) -> Any:
    """An optional weight-like tensor, outside the graph, in the loss's dtype (it must broadcast
    to the loss's shape)."""
    if value is None:
        return None
    shape = xp.broadcast_shapes(tuple(input.shape), tuple(target.shape))
    v = value.detach() if hasattr(value, "detach") else constant(value)
    try:
        fits = xp.broadcast_shapes(tuple(v.shape), shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: {name} of shape {tuple(v.shape)} cannot be broadcast to the input shape {shape}"
        )
    dtype = xp.result_type(input._data.dtype, target._data.dtype)
    return v if v._data.dtype == dtype else v.to(dtype)


def binary_cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Any:
    """Binary cross entropy between probabilities ``input`` and ``target`` (same shape); the logs
    are clamped at -100 as in PyTorch.

    >>> import ember
    >>> ember.binary_cross_entropy(ember.tensor([0.5]), ember.tensor([1.0]))
    tensor(0.6931)
    """
    op = "binary_cross_entropy"
    reduction = check_reduction(op, reduction, size_average, reduce)
    _check_binary(op, input, target)
    for name, values in (("input", input), ("target", target)):
        a = xp.asarray(getattr(values, "_data", values))  # a check only: replays skip it
        if not ((a >= 0) & (a <= 1)).all():
            raise ValueError(f"{op}: all elements of {name} should be between 0 and 1")
    w = _pointwise_constant(op, "weight", weight, input, target)
    return apply_reduction(BinaryCrossEntropy.apply(input, target, w), reduction)


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Any:
    """Binary cross entropy from logits ``input`` (sigmoid fused in, stable for any |input|);
    ``pos_weight`` scales the positive term, per class along the last dim.

    >>> import ember
    >>> ember.binary_cross_entropy_with_logits(ember.tensor([0.0]), ember.tensor([1.0]))
    tensor(0.6931)
    """
    op = "binary_cross_entropy_with_logits"
    reduction = check_reduction(op, reduction, size_average, reduce)
    _check_binary(op, input, target)
    w = _pointwise_constant(op, "weight", weight, input, target)
    pw = _pointwise_constant(op, "pos_weight", pos_weight, input, target)
    return apply_reduction(BinaryCrossEntropyWithLogits.apply(input, target, w, pw), reduction)


def _check_binary(op: str, input: Any, target: Any) -> None:
    require_floating(op, "input", input)
    require_floating(op, "target", target)
    _same_shape(op, input, target)


def mse_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Any:
    """Mean squared error (input - target)^2, optionally weighted per element (the weighted
    mean divides by the sum of the weights).

    >>> import ember
    >>> ember.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0]))
    tensor(2.5000)
    """
    op = "mse_loss"
    reduction = check_reduction(op, reduction, size_average, reduce)
    _broadcast_pair(op, input, target)
    d = input - target
    return _weighted_reduce(op, d * d, weight, input, reduction)


def l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Any:
    """Mean absolute error |input - target|, optionally weighted per element (the weighted mean
    divides by the sum of the weights).

    >>> import ember
    >>> ember.l1_loss(ember.tensor([1.0, -2.0]), ember.tensor([0.0, 0.0]))
    tensor(1.5000)
    """
    op = "l1_loss"
    reduction = check_reduction(op, reduction, size_average, reduce)
    _broadcast_pair(op, input, target)
    loss = SmoothL1Loss.apply(input, target, 0.0, 1.0)
    return _weighted_reduce(op, loss, weight, input, reduction)


def huber_loss(
    input: Any, target: Any, reduction: str = "mean", delta: float = 1.0, weight: Any = None
) -> Any:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2), with d = input - target.

    >>> import ember
    >>> ember.huber_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
    tensor(1.3125)
    """
    op = "huber_loss"
    reduction = check_reduction(op, reduction, None, None)
    if not delta > 0:
        raise ValueError(f"{op}: delta must be positive, got {delta}")
    _broadcast_pair(op, input, target)
    loss = SmoothL1Loss.apply(input, target, float(delta), float(delta))
    if weight is None:
        return apply_reduction(loss, reduction)
    _check_weight(op, weight, input)
    return apply_reduction(loss * weight, reduction)


def smooth_l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Any:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2, with d = input - target.

    >>> import ember
    >>> ember.smooth_l1_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
    tensor(1.3125)
    """
    op = "smooth_l1_loss"
    reduction = check_reduction(op, reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"{op}: beta must not be negative, got {beta}")
    _broadcast_pair(op, input, target)
    return apply_reduction(SmoothL1Loss.apply(input, target, float(beta), 1.0), reduction)


def _weighted_reduce(op: str, loss: Any, weight: Any, input: Any, reduction: str) -> Any:
    """mse/l1 with per-element weights: the mean divides by the sum of the weights."""
    if weight is None:
        return apply_reduction(loss, reduction)
    _check_weight(op, weight, input)
    loss = loss * weight
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / weight.sum()


def _check_weight(op: str, weight: Any, input: Any) -> None:
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: weight of shape {tuple(weight.shape)} must have the input's shape "
            f"{tuple(input.shape)}"
        )


def kl_div(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Any:
    """Kullback-Leibler divergence target * (log target - input) with ``input`` in log space
    (and ``target`` too if ``log_target``). 'batchmean' divides the sum by the batch size, the
    true KL divergence; 'mean' divides by the number of elements.

    >>> import ember
    >>> ember.kl_div(ember.tensor([0.0]), ember.tensor([1.0]), reduction="batchmean")
    tensor(0.)
    """
    op = "kl_div"
    legacy = size_average is not None or reduce is not None
    reduction = check_reduction(op, reduction, size_average, reduce, extra=("batchmean",))
    if reduction == "mean" and not legacy:
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size. 'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition. 'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    require_floating(op, "input", input)
    require_floating(op, "target", target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target * ((target + (target == 0)).log() - input)
    if reduction != "batchmean":
        return apply_reduction(loss, reduction)
    total = loss.sum()
    return divide_or_nan(total, input.shape[0]) if input.ndim else total
