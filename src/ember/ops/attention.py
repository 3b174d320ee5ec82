"""The softmax of attention: ``softmax(scores + bias)`` along the last dim in one op. With
``safe``, a row whose entries are all -inf gives zeros (PyTorch's safe softmax in
``scaled_dot_product_attention``), else NaN (as ``softmax`` does). ``bias`` is a constant array
(a mask as 0 / -inf, or additive scores); a mask that needs a gradient is added to the scores
beforehand."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp

__all__: list[str] = []


class AttentionSoftmax(Op):
    """y = softmax(x + bias) along the last dim (with ``safe``, 0 on rows that are all -inf);
    dx = y (g - sum(g y))."""

    @staticmethod
    def forward(ctx, x, bias, safe):
        if x.dtype.kind != "f":
            raise TypeError(f"attention softmax: expected floating scores, got dtype {x.dtype}")
        scratch = None  # an array of our own that the shift and exp may overwrite
        if bias is not None:
            x = scratch = x + bias.astype(x.dtype, copy=False)
        top = x.max(axis=-1, keepdims=True) if x.size else x
        if safe:
            top[xp.isneginf(top)] = 0
        with xp.errstate(invalid="ignore"):
            out = xp.subtract(x, top, out=scratch)
            xp.exp(out, out=out)
        total = out.sum(axis=-1, keepdims=True)
        if safe:
            total[total == 0] = 1  # a row of -inf: exp gives zeros, and zeros it stays
        out /= total
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward_arrays(ctx, grad_out):
        (y,) = ctx.saved_arrays
        gy = grad_out * y
        gy -= y * gy.sum(axis=-1, keepdims=True)
        return gy, None, None

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        gy = grad_out * y
        return gy - y * gy.sum(-1, True), None, None

    @staticmethod
    def jvp(ctx, tx, _bias, _safe):
        (y,) = ctx.saved_tensors
        ty = tx * y
        return ty - y * ty.sum(-1, True)


def attention_softmax(scores: Any, bias: Any = None, safe: bool = True) -> Any:
    """softmax(scores + bias) over the last dim; with ``safe``, rows with no finite entry give 0.
    ``bias`` is None or an array broadcastable with ``scores`` (the result has the broadcast
    shape)."""
    return AttentionSoftmax.apply(scores, bias, safe)
