"""The softmax family: ``softmax``, ``log_softmax`` and the class losses ``cross_entropy`` and
``nll_loss``, with ``torch.nn.functional``'s signatures.

Each fused op subtracts the maximum along its dim before exponentiating, so logits of any magnitude
give finite values and gradients; backward rules use ember's tensor ops (derivatives of any order).
Cross entropy is one op over a class-coefficient array ``A``, loss = -sum_c A_c log p_c, where ``A``
is the smoothed, weighted one-hot of class indices or the smoothed, weighted class probabilities;
the mean's division is part of the op (one graph node, and its softmax kept for the backward).
"""

from __future__ import annotations

import functools
import math
import warnings
from math import nan
from typing import Any

from ..autograd.function import Op
from ..backend import is_floating, xp
from .elementwise import where
from .loss import check_reduction, divide_or_nan, require_floating
from .reduce import kept_shape, normalize_dims
from .reduce import sum as _sum

__all__ = ["cross_entropy", "log_softmax", "nll_loss", "softmax"]


def log_softmax_array(x: Any, axes: tuple[int, ...]) -> Any:
    """log(exp(x) / sum(exp(x))) over ``axes`` of a raw array, shifted by the maximum."""
    shifted, _, total = _shifted_exp(x, axes)
    return shifted - xp.log(total)


def softmax_array(x: Any, axes: tuple[int, ...]) -> Any:
    """exp(x) / sum(exp(x)) over ``axes`` of a raw array, shifted by the maximum."""
    _, e, total = _shifted_exp(x, axes)
    return e / total


def _shifted_exp(x: Any, axes: tuple[int, ...]) -> tuple[Any, Any, Any]:
    """x - max(x), its exp, and the exp's sum over ``axes`` (kept as size-1 dims; ones when x is
    empty)."""
    if x.size == 0:
        return x, x, xp.ones_like(x.sum(axis=axes, keepdims=True))
    shifted = x - x.max(axis=axes, keepdims=True)
    e = xp.exp(shifted)
    return shifted, e, e.sum(axis=axes, keepdims=True)


class Softmax(Op):
    """y = exp(x) / sum(exp(x)) along dim;  dx = y (g - sum(g y))."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.axes = _axes(x, dim, "softmax")
        out = softmax_array(x, ctx.axes)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        gy = grad_out * y
        return gy - y * gy.sum(ctx.axes, True), None

    @staticmethod
    def jvp(ctx, tx, _dim):
        (y,) = ctx.saved_tensors
        ty = tx * y
        return ty - y * ty.sum(ctx.axes, True)


class LogSoftmax(Op):
    """y = x - log(sum(exp(x))) along dim;  dx = g - exp(y) sum(g)."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.axes = _axes(x, dim, "log_softmax")
        out = log_softmax_array(x, ctx.axes)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return grad_out - y.exp() * grad_out.sum(ctx.axes, True), None

    @staticmethod
    def jvp(ctx, tx, _dim):
        (y,) = ctx.saved_tensors
        return tx - (y.exp() * tx).sum(ctx.axes, True)


def _axes(x: Any, dim: int, op: str) -> tuple[int, ...]:
    if not is_floating(x.dtype):
        raise TypeError(f"{op}: expected a floating input, got dtype {x.dtype} (pass dtype=)")
    return normalize_dims(int(dim), x.ndim, op)


def _prepare(input: Any, dim: int | None, dtype: Any, op: str) -> tuple[Any, int]:
    """PyTorch's conveniences: cast to ``dtype`` first; an omitted ``dim`` is guessed (warned)."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {op} has been deprecated. Change the call to include "
            "dim=X as an argument.",
            UserWarning,
            stacklevel=3,
        )
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return input, dim


def softmax(input: Any, dim: int | None = None, *, dtype: Any = None) -> Any:
    """exp(input) normalised to sum to 1 along ``dim``; same shape as ``input``.

    >>> import ember
    >>> ember.softmax(ember.tensor([0.0, 0.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    input, dim = _prepare(input, dim, dtype, "softmax")
    return Softmax.apply(input, dim)


def log_softmax(input: Any, dim: int | None = None, *, dtype: Any = None) -> Any:
    """log(softmax(input, dim)), computed stably; same shape as ``input``.

    >>> import ember
    >>> ember.log_softmax(ember.tensor([0.0, 0.0]), dim=0).exp()
    tensor([0.5000, 0.5000])
    """
    input, dim = _prepare(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(input, dim)


# ---------------------------------------------------------------------------- class losses
class CrossEntropy(Op):
    """-sum_c coef log_softmax(x) along dim (summed over all when reduce, then divided by
    ``divisor`` for a mean: NaN when it is 0, as PyTorch's);
    dx = g' (softmax(x) sum_c coef - coef), dcoef = -g' log_softmax(x), g' = g / divisor.

    ``target`` is None for class probabilities, else the class indices (an integer array, x's
    shape without the class dim); then ``coef`` is over all classes (label smoothing) or each
    target's weight (0 where ignored) standing for its one-hot: only the target's entry of
    log_softmax is read, and the slope's one-hot part is written at the targets."""

    @staticmethod
    def forward(ctx, x, coef, dim, reduce, target, divisor):
        ctx.dim, ctx.reduce, ctx.divisor = dim, reduce, divisor
        ctx.save_for_backward(x, coef)
        shifted, e, total = _shifted_exp(x, (dim,))
        ctx.softmax_parts = e, total  # the array rule's softmax_array(x) is e / total
        if target is None or coef.ndim == x.ndim:  # coefficients over all classes
            terms = coef * (shifted - xp.log(total))
            if target is not None:  # as below: only class-index targets' own terms count
                terms = xp.where(coef != 0, terms, 0)
            loss = -terms.sum(axis=dim)
        else:
            ctx.at = at = target_entries(target, coef, x.shape, dim)
            loss = target_loss(shifted, total, coef, at)
        if not reduce:
            return loss
        summed = loss.sum()
        if divisor is None:
            return summed
        return summed / divisor if divisor else summed + nan

    @staticmethod
    def backward(ctx, grad_out):
        x, coef = ctx.saved_tensors
        grad_out = _per_term(ctx, grad_out)
        need_x, need_coef = ctx.needs_input_grad[:2]
        grad_x = grad_out * _logit_slope(x, _dense(ctx, coef), ctx.dim) if need_x else None
        grad_coef = -grad_out * log_softmax(x, ctx.dim) if need_coef else None
        return grad_x, grad_coef, None, None, None, None

    @staticmethod
    def backward_arrays(ctx, grad_out):
        x, coef = ctx.saved_arrays
        grad_out = _per_term(ctx, grad_out)
        need_x, need_coef = ctx.needs_input_grad[:2]
        axes = (ctx.dim,)
        grad_x = grad_coef = None
        if need_x:
            e, total = ctx.softmax_parts
            at = getattr(ctx, "at", None)
            if at is None:
                grad_x = (e / total) * coef.sum(axis=axes, keepdims=True)
                grad_x -= coef
            else:
                grad_x = target_slope(e, total, coef, at, ctx.dim)
            grad_x *= grad_out
        if need_coef:
            grad_coef = -grad_out * log_softmax_array(x, axes)
        return grad_x, grad_coef, None, None, None, None

    @staticmethod
    def jvp(ctx, tx, tcoef, _dim, _reduce, _target, _divisor):
        x, coef = ctx.saved_tensors
        out = (tx * _logit_slope(x, _dense(ctx, coef), ctx.dim)).sum(ctx.dim)
        if tcoef is not None and not hasattr(ctx, "at"):  # targets' weights are constants
            out = out - (tcoef * log_softmax(x, ctx.dim)).sum(ctx.dim)
        if not ctx.reduce:
            return out
        out = out.sum()
        divisor = ctx.divisor
        if divisor is None:
            return out
        return out / divisor if divisor else out + nan


def target_loss(shifted: Any, total: Any, weight: Any, at: Any) -> Any:
    """Per target, -weight log p_target from x - max(x) (``shifted``) and the exp's sum over the
    class dim; 0 where the weight is 0 (PyTorch reads only the target's term, so another
    class's -inf logit is no NaN)."""
    terms = weight * (shifted.reshape(-1)[at] - xp.log(total).reshape(at.shape))
    return -xp.where(weight != 0, terms, 0)


def target_slope(e: Any, total: Any, weight: Any, at: Any, dim: int, out: Any = None) -> Any:
    """d loss / d x of ``target_loss`` (before the loss's own gradient): softmax times each
    target's weight, less the weight at the target; written into ``out`` where given."""
    slope = xp.divide(e, total, out=out)
    slope *= weight.reshape((*weight.shape[:dim], 1, *weight.shape[dim:]))  # classes: 1
    slope.reshape(-1)[at] -= weight  # slope is new (or out, C-contiguous): reshape is a view
    return slope


def target_entries(target: Any, weight: Any, shape: tuple, dim: int) -> Any:
    """Where each target's entry sits in a C-contiguous array of the input's ``shape``: flat
    indices of the target's shape (ignored targets, of weight 0, point at class 0)."""
    offsets, stride = _class_zero_offsets(shape, dim)
    return offsets + xp.where(weight != 0, target, 0) * stride


@functools.lru_cache(maxsize=64)
def _class_zero_offsets(shape: tuple, dim: int) -> tuple[Any, int]:
    """The flat index of class 0 at each position (read-only; the class dim dropped) in a
    C-contiguous array of ``shape``, and the step from one class to the next."""
    inner = math.prod(shape[dim + 1 :])
    rows = xp.arange(math.prod(shape[:dim]))[:, None] * (shape[dim] * inner)
    offsets = (rows + xp.arange(inner)).reshape(shape[:dim] + shape[dim + 1 :])
    offsets.flags.writeable = False
    return offsets, inner


def _dense(ctx: Any, coef: Any) -> Any:
    """The coefficients over all classes (for the tensor rules): ``coef`` itself, or the
    one-hot of the targets times their weights."""
    at = getattr(ctx, "at", None)
    if at is None:
        return coef
    weights = coef._data
    dense = xp.zeros(ctx.shapes[0], weights.dtype)
    dense.reshape(-1)[at] = weights
    return dense


def _per_term(ctx: Any, grad_out: Any) -> Any:
    """The loss's gradient as each term sees it: shaped to broadcast over the class dim when
    not reduced, divided by the mean's divisor (passed on whole when the divisor is 0: the
    loss is NaN and every coefficient is 0)."""
    if not ctx.reduce:
        return grad_out.reshape(kept_shape(ctx.shapes[0], (ctx.dim,)))
    divisor = ctx.divisor
    return grad_out / divisor if divisor is not None and divisor else grad_out


def _logit_slope(x: Any, coef: Any, dim: int) -> Any:
    """d loss / d x = softmax(x) sum_c coef - coef (coef: a tensor or a constant array)."""
    return softmax(x, dim) * _sum(coef, dim, True) - coef


def _class_dim(op: str, input: Any) -> int:
    require_floating(op, "input", input)
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dim, got a 0-d tensor")
    return 1 if input.ndim > 1 else 0


class ClassCoefficients(Op):
    """For class-index targets t, ``what`` is one of: "dense", A (the input's shape) with
    loss = -sum_c A_c log p_c, the class weight times the smoothed one-hot of t (0 where t is
    ignored); "target", each target's weight (t's shape, 0 where ignored; no smoothing);
    "divisor", the mean's divisor: the summed weights of the targets that count (0-d). No
    gradient: an op so that a recording of ``ember.compile`` computes it again from each call's
    targets."""

    @staticmethod
    def forward(ctx, target, weight, op, shape, dim, dtype, ignore_index, smoothing, what):
        classes = shape[dim]
        t = xp.asarray(target)
        divisor = what == "divisor"
        if divisor and weight is None:  # checked by the coefficients' call; a count of 1s
            return xp.asarray(xp.count_nonzero(t != ignore_index), dtype)
        if t.dtype.kind not in "iu":
            raise TypeError(f"{op}: class-index target must have an integer dtype, got {t.dtype}")
        expected = tuple(shape[:dim] + shape[dim + 1 :])
        if t.shape != expected:
            raise ValueError(
                f"{op}: expected target of shape {expected} for input of shape {shape}, got "
                f"{t.shape}"
            )
        kept = t != ignore_index
        outside = (t < 0) | (t >= classes)
        if outside.any():
            bad = t[kept & outside]
            if bad.size:
                raise IndexError(
                    f"{op}: target {int(bad.flat[0])} is out of bounds for {classes} classes"
                )
        if weight is None and what == "target":
            return kept.astype(dtype)
        if weight is None and not smoothing:  # the one-hot of the kept targets
            coef = (t[..., None] == xp.arange(classes)) & kept[..., None]
            return _class_last(coef.astype(dtype), dim)
        w = _class_weight(op, weight, classes, dtype)
        safe = xp.where(kept, t, 0)
        picked = w[safe] * kept  # the weight of each target; 0 where ignored
        if divisor:
            return xp.asarray(picked.sum(), dtype)
        if what == "target":
            return picked
        if smoothing:
            coef = (smoothing / classes) * (w * kept[..., None])
        else:
            coef = xp.zeros((*t.shape, classes), dtype)
        # At the target class the smoothed one-hot is (1 - eps) + eps / C.
        at_target = (picked * (1 - smoothing + smoothing / classes)).astype(dtype)
        if t.ndim == 1:  # what put_along_axis writes, without its index building
            coef[xp.arange(t.shape[0]), safe] = at_target
        else:
            xp.put_along_axis(coef, safe[..., None], at_target[..., None], axis=-1)
        return _class_last(coef, dim)

    @staticmethod
    def jvp(ctx, *tangents):
        return None  # constant in every input


def _class_last(coef: Any, dim: int) -> Any:
    """Coefficients built with classes last, moved to the class dim."""
    return coef if dim == coef.ndim - 1 else xp.moveaxis(coef, -1, dim)


def _class_coefficients(
    op: str,
    input: Any,
    dim: int,
    target: Any,
    weight: Any,
    ignore_index: int,
    smoothing: float,
    mean: bool,
    what: str = "dense",
) -> tuple[Any, Any]:
    """``ClassCoefficients`` (``what``: "dense" or "target"; a tensor without history) and, for a
    mean, its divisor (0-d)."""
    if weight is not None and hasattr(weight, "detach"):
        weight = weight.detach()
    args = (target, weight, op, tuple(input.shape), dim, input._data.dtype, ignore_index, smoothing)
    coef = ClassCoefficients.apply(*args, what)
    return coef, (ClassCoefficients.apply(*args, "divisor") if mean else None)


def _class_weight(op: str, weight: Any, classes: int, dtype: Any) -> Any:
    if weight is None:
        return xp.ones(classes, dtype)
    w = xp.asarray(weight)
    if w.shape != (classes,):
        raise ValueError(
            f"{op}: weight should have one entry per class ({classes},), got shape {w.shape}"
        )
    return w.astype(dtype, copy=False)


def _check_smoothing(op: str, label_smoothing: float) -> None:
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Any:
    """Cross entropy between logits ``input`` (N, C, d1, ...) or (C,) and ``target``: class
    indices (N, d1, ...) or class probabilities (input's shape). Fused log_softmax + nll.

    >>> import ember
    >>> ember.cross_entropy(ember.tensor([[0.0, 0.0]]), ember.tensor([1]))
    tensor(0.6931)
    """
    op = "cross_entropy"
    reduction = check_reduction(op, reduction, size_average, reduce)
    _check_smoothing(op, label_smoothing)
    dim = _class_dim(op, input)
    indices = tuple(target.shape) != tuple(input.shape)
    if indices:
        what = "dense" if label_smoothing else "target"
        coef, total = _class_coefficients(
            op, input, dim, target, weight, ignore_index, label_smoothing, reduction == "mean", what
        )
    elif ignore_index >= 0:
        raise ValueError(f"{op}: ignore_index is not supported for class-probability targets")
    else:
        coef, total = _probability_coefficients(op, input, dim, target, weight, label_smoothing)
    divisor = total if reduction == "mean" else None
    class_indices = target if indices else None
    return CrossEntropy.apply(input, coef, dim, reduction != "none", class_indices, divisor)


def _probability_coefficients(
    op: str, input: Any, dim: int, target: Any, weight: Any, smoothing: float
) -> tuple[Any, float]:
    """Class-probability targets: A = smoothed target times the class weight; the mean divides
    by the number of positions."""
    require_floating(op, "target with class probabilities", target)
    classes = input.shape[dim]
    coef = target
    if smoothing:
        coef = coef * (1 - smoothing) + smoothing / classes
    if weight is not None:
        _class_weight(op, getattr(weight, "_data", weight), classes, input.dtype)  # a check
        coef = coef * weight.to(input.dtype).reshape((classes,) + (1,) * (input.ndim - dim - 1))
    return coef, (input.numel() // classes if classes else 0)


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Any:
    """Negative log likelihood of class indices ``target`` (N, d1, ...) under log-probabilities
    ``input`` (N, C, d1, ...) or (C,): -weight[t] * input[n, t].

    >>> import ember
    >>> ember.nll_loss(ember.tensor([[-1.0, -2.0]]), ember.tensor([1]))
    tensor(2.)
    """
    op = "nll_loss"
    reduction = check_reduction(op, reduction, size_average, reduce)
    dim = _class_dim(op, input)
    coef, total = _class_coefficients(
        op, input, dim, target, weight, ignore_index, 0.0, reduction == "mean"
    )
    picked = where(coef != 0, input, 0.0) * -coef  # 0, not nan, for a -inf of another class
    if reduction == "none":
        return picked.sum(dim)
    loss = picked.sum()
    return loss if reduction == "sum" else divide_or_nan(loss, total)
