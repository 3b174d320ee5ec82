"""Normalisation: batch norm and layer norm as fused ops.

Both normalise x over some dims to xhat = (x - mean) / sqrt(var + eps) (biased variance) and apply
an affine map. The Jacobian of x -> xhat is symmetric,
J v = (v - mean(v) - xhat mean(v xhat)) / sqrt(var + eps),
so one helper gives the gradient (J applied to g w) and the tangent (J applied to tx). It is written
with tensor ops on the saved input, so derivatives of any order work.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp

__all__ = ["batch_norm", "layer_norm"]


def _normalized(x: Any, dims: tuple[int, ...], eps: float) -> tuple[Any, Any, Any]:
    """Arrays: mean and biased variance over ``dims`` (kept), and xhat."""
    mean = x.mean(axis=dims, keepdims=True)
    centred = x - mean
    var = xp.mean(centred * centred, axis=dims, keepdims=True)
    return mean, var, centred * (1 / xp.sqrt(var + eps))


def _jacobian(x: Any, v: Any, dims: tuple[int, ...], eps: float) -> tuple[Any, Any]:
    """Tensors: xhat and J v, with J the (symmetric) Jacobian of x -> xhat."""
    centred = x - x.mean(dims, keepdim=True)
    invstd = ((centred * centred).mean(dims, keepdim=True) + eps).rsqrt()
    xhat = centred * invstd
    mean_v = v.mean(dims, keepdim=True)
    return xhat, (v - mean_v - xhat * (v * xhat).mean(dims, keepdim=True)) * invstd


def _affine(xhat: Any, weight: Any, bias: Any, shape: tuple[int, ...]) -> Any:
    """xhat * weight + bias (arrays), the parameters reshaped to broadcast as ``shape``."""
    out = xhat if weight is None else xhat * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def _normalize_backward(ctx: Any, grad_out: Any, others: tuple[int, ...]) -> tuple:
    """(dx, dw, db) of y = xhat(x) * w + b; ``others`` are the dims that w and b broadcast over."""
    x, weight = ctx.saved_tensors
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    g = grad_out if weight is None else grad_out * weight.reshape(ctx.param_shape)
    xhat, gx = _jacobian(x, g, ctx.dims, ctx.eps)
    gw = _sum(grad_out * xhat, others) if need_w else None
    gb = _sum(grad_out, others) if need_b else None
    return (gx if need_x else None), gw, gb


def _sum(t: Any, dims: tuple[int, ...]) -> Any:
    return t.sum(dims) if dims else t  # sum over no dims means all in PyTorch


def _normalize_jvp(ctx: Any, tx: Any, tw: Any, tb: Any) -> Any:
    x, weight = ctx.saved_tensors
    xhat, out = _jacobian(x, tx, ctx.dims, ctx.eps)
    if weight is not None:
        out = out * weight.reshape(ctx.param_shape) + xhat * tw.reshape(ctx.param_shape)
    return out if tb is None else out + tb.reshape(ctx.param_shape)


class BatchNorm(Op):
    """y = xhat w + b, xhat normalised per channel (dim 1) with batch statistics;
    dx = J(g w), dw = sum(g xhat), db = sum(g) (J: the Jacobian of xhat, symmetric)."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        dims = (0, *range(2, x.ndim))
        mean, var, xhat = _normalized(x, dims, eps)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(-1)
        if running_var is not None:
            n = x.size // x.shape[1]
            running_var *= 1 - momentum
            running_var += (momentum * n / (n - 1)) * var.reshape(-1)
        ctx.dims, ctx.eps = dims, eps
        ctx.param_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        ctx.save_for_backward(x, weight)
        return _affine(xhat, weight, bias, ctx.param_shape)

    @staticmethod
    def backward(ctx, grad_out):
        return (*_normalize_backward(ctx, grad_out, ctx.dims), None, None, None, None)

    @staticmethod
    def jvp(ctx, tx, tw, tb, *_):
        return _normalize_jvp(ctx, tx, tw, tb)


class LayerNorm(Op):
    """y = xhat w + b, xhat normalised over the trailing dims of w's shape;
    dx = J(g w), dw = sum(g xhat), db = sum(g) over the leading dims."""

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_ndim, eps):
        dims = tuple(range(x.ndim - normalized_ndim, x.ndim))
        ctx.dims, ctx.eps = dims, eps
        ctx.param_shape = x.shape[x.ndim - normalized_ndim :]
        ctx.save_for_backward(x, weight)
        return _affine(_normalized(x, dims, eps)[2], weight, bias, ctx.param_shape)

    @staticmethod
    def backward(ctx, grad_out):
        leading = tuple(range(grad_out.ndim - len(ctx.dims)))
        return (*_normalize_backward(ctx, grad_out, leading), None, None)

    @staticmethod
    def jvp(ctx, tx, tw, tb, *_):
        return _normalize_jvp(ctx, tx, tw, tb)


def _check_param(op: str, name: str, p: Any, shape: tuple[int, ...], x: Any) -> None:
    if p is None:
        return
    if tuple(p.shape) != shape:
        raise ValueError(
            f"{op}: {name} of shape {tuple(p.shape)} does not match {shape} for input of shape "
            f"{tuple(x.shape)}"
        )
    if p.dtype != x.dtype:
        raise TypeError(f"{op}: {name} has dtype {p.dtype} but the input has dtype {x.dtype}")


def batch_norm(
    input: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Any:
    """Normalise each channel (dim 1) of (N, C, ...) input: with batch statistics when
    ``training`` (then running_mean/var, if given, move by ``momentum`` towards the batch mean and
    unbiased variance, in place), otherwise with the running statistics."""
    op = "batch_norm"
    if input.ndim < 2:
        raise ValueError(f"{op}: expected input of shape (N, C, ...), got {tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating input, got dtype {input.dtype}")
    channels = (input.shape[1],)
    for name, p in (("weight", weight), ("bias", bias)):
        _check_param(op, name, p, channels, input)
    for name, p in (("running_mean", running_mean), ("running_var", running_var)):
        if p is not None and tuple(p.shape) != channels:
            raise ValueError(
                f"{op}: {name} of shape {tuple(p.shape)} does not match {channels} for input of "
                f"shape {tuple(input.shape)}"
            )
    if training:
        if input.numel() == input.shape[1]:
            raise ValueError(
                f"{op}: expected more than 1 value per channel when training, got input of shape "
                f"{tuple(input.shape)}"
            )
        return BatchNorm.apply(input, weight, bias, running_mean, running_var, momentum, eps)
    if running_mean is None or running_var is None:
        raise ValueError(f"{op}: running_mean and running_var must be given when not training")
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    out = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def layer_norm(
    input: Any,
    normalized_shape: Any,
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Any:
    """Normalise over the trailing dims ``normalized_shape`` of ``input`` (biased variance), then
    scale by ``weight`` and shift by ``bias`` (both of that shape)."""
    op = "layer_norm"
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise ValueError(
            f"{op}: normalized_shape {shape} does not match the trailing dims of input of shape "
            f"{tuple(input.shape)}"
        )
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating input, got dtype {input.dtype}")
    for name, p in (("weight", weight), ("bias", bias)):
        _check_param(op, name, p, shape, input)
    return LayerNorm.apply(input, weight, bias, len(shape), eps)
