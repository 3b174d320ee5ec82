"""Normalisation: batch norm and layer norm as fused ops.

Both view x as (A, K, B) and normalise each of the K slices over its A*B values: batch norm has
(N, C, H*W), layer norm (1, leading, normalized). With xhat = (x - mean) / sqrt(var + eps) (biased
variance) and the affine map y = xhat w + b, the Jacobian of x -> xhat is symmetric,
J v = (v - mean(v) - xhat mean(v xhat)) / sqrt(var + eps),
so dx = J(g w) and the tangent is J(tx) w + xhat tw + tb. ``backward_arrays`` (a plain backward)
evaluates this fused on arrays; ``backward`` and ``jvp`` run the same formula in tensor ops, so
derivatives of any order work.
"""

from __future__ import annotations

from math import prod
from typing import Any

from ..autograd.function import Op
from ..backend import is_floating, xp
from ..dtypes import is_bfloat16

__all__ = ["batch_norm", "layer_norm"]


def _einsum(spec: str, *arrays: Any) -> Any:
    """``xp.einsum``; NumPy's einsum has no bfloat16 loop, so bfloat16 goes through float32."""
    if is_bfloat16(arrays[0].dtype):
        low = arrays[0].dtype
        return xp.einsum(spec, *(a.astype(xp.float32) for a in arrays)).astype(low)
    return xp.einsum(spec, *arrays)


def _normalize(ctx: Any, x: Any, weight: Any, bias: Any, akb: tuple, param_shape: tuple) -> Any:
    """Forward of both ops on arrays: saves what backward needs, returns (xhat w + b, mean, var)."""
    x3 = x.reshape(akb)
    n = akb[0] * akb[2]
    mean = x3.sum(axis=(0, 2), keepdims=True) / n
    out = x3 - mean
    var = _einsum("akb,akb->k", out, out).reshape(mean.shape) / n
    invstd = 1 / xp.sqrt(var + ctx.eps)
    if weight is None:
        out *= invstd
    elif param_shape == invstd.shape:  # per-channel weight: scale once
        out *= invstd * weight.reshape(param_shape)
    else:
        out *= invstd
        out *= weight.reshape(param_shape)
    if bias is not None:
        out += bias.reshape(param_shape)
    ctx.akb, ctx.param_shape = akb, param_shape
    ctx.save_for_backward(x, weight, mean, invstd)
    return out.reshape(x.shape), mean, var


def _backward(ctx: Any, grad_out: Any) -> tuple:
    """(dx, dw, db) of y = xhat(x) w + b in tensor ops; dw and db sum over the dims that w does
    not have."""
    x, weight, _, _ = ctx.saved_tensors
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    g = grad_out.reshape(ctx.akb)
    xhat, jv = _jacobian(x.reshape(ctx.akb), g if weight is None else g * _p(ctx, weight), ctx)
    gw = (g * xhat).sum(ctx.param_sum).reshape(ctx.shapes[1]) if need_w else None
    gb = g.sum(ctx.param_sum).reshape(ctx.shapes[2]) if need_b else None
    return (jv.reshape(ctx.shapes[0]) if need_x else None), gw, gb


def _backward_arrays(ctx: Any, grad_out: Any) -> tuple:
    """(dx, dw, db) as ``_backward``, fused on arrays from the saved mean and 1/std."""
    x, weight, mean, invstd = ctx.saved_arrays
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    g = grad_out.reshape(ctx.akb)
    xhat = (x.reshape(ctx.akb) - mean) * invstd
    per_channel = ctx.param_sum == (0, 2)
    letters = "akb->k" if per_channel else "akb->b"
    gb = _einsum(letters, g) if need_b or (need_x and per_channel) else None
    need_dot = need_w or (need_x and per_channel)
    gw = _einsum(letters.replace("->", ",akb->"), g, xhat) if need_dot else None
    gx = None
    if need_x:
        n = ctx.akb[0] * ctx.akb[2]
        w = None if weight is None else weight.reshape(ctx.param_shape)
        if per_channel:  # w is constant over each slice: reuse db and dw
            gx = xhat
            gx *= gw.reshape(mean.shape) / -n
            gx += g
            gx -= gb.reshape(mean.shape) / n
            gx *= invstd if w is None else w * invstd
        else:
            v = g if w is None else g * w
            gx = xhat
            gx *= _einsum("akb,akb->k", v, xhat).reshape(mean.shape) / -n
            gx += v
            gx -= v.sum(axis=(0, 2), keepdims=True) / n
            gx *= invstd
        gx = gx.reshape(ctx.shapes[0])
    gw = gw.reshape(ctx.shapes[1]) if need_w else None
    gb = gb.reshape(ctx.shapes[2]) if need_b else None
    return gx, gw, gb


def _p(ctx: Any, param: Any) -> Any:
    return param.reshape(ctx.param_shape)


def _jacobian(x3: Any, v: Any, ctx: Any) -> tuple[Any, Any]:
    """Tensors: xhat and J v, from the (A, K, B) view of the input."""
    centred = x3 - x3.mean((0, 2), keepdim=True)
    invstd = ((centred * centred).mean((0, 2), keepdim=True) + ctx.eps).rsqrt()
    xhat = centred * invstd
    mean_v = v.mean((0, 2), keepdim=True)
    return xhat, (v - mean_v - xhat * (v * xhat).mean((0, 2), keepdim=True)) * invstd


def _jvp(ctx: Any, tx: Any, tw: Any, tb: Any) -> Any:
    x, weight, _, _ = ctx.saved_tensors
    xhat, out = _jacobian(x.reshape(ctx.akb), tx.reshape(ctx.akb), ctx)
    if weight is not None:
        out = out * _p(ctx, weight) + xhat * _p(ctx, tw)
    out = out if tb is None else out + _p(ctx, tb)
    return out.reshape(x.shape)


class BatchNorm(Op):
    """y = xhat w + b, xhat normalised per channel (dim 1) with batch statistics;
    dx = J(g w), dw = sum(g xhat), db = sum(g) (J: the Jacobian of xhat, symmetric)."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        ctx.eps, ctx.param_sum = eps, (0, 2)
        akb = (x.shape[0], x.shape[1], prod(x.shape[2:]))
        out, mean, var = _normalize(ctx, x, weight, bias, akb, (1, x.shape[1], 1))
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(-1)
        if running_var is not None:
            n = akb[0] * akb[2]
            running_var *= 1 - momentum
            running_var += (momentum * n / (n - 1)) * var.reshape(-1)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return (*_backward(ctx, grad_out), None, None, None, None)

    @staticmethod
    def backward_arrays(ctx, grad_out):
        return (*_backward_arrays(ctx, grad_out), None, None, None, None)

    @staticmethod
    def jvp(ctx, tx, tw, tb, *_):
        return _jvp(ctx, tx, tw, tb)


class LayerNorm(Op):
    """y = xhat w + b, xhat normalised over the trailing dims of w's shape;
    dx = J(g w), dw = sum(g xhat), db = sum(g) over the leading dims."""

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_ndim, eps):
        ctx.eps, ctx.param_sum = eps, (0, 1)
        lead = x.shape[: x.ndim - normalized_ndim]
        akb = (1, prod(lead), prod(x.shape[len(lead) :]))
        return _normalize(ctx, x, weight, bias, akb, (1, 1, akb[2]))[0]

    @staticmethod
    def backward(ctx, grad_out):
        return (*_backward(ctx, grad_out), None, None)

    @staticmethod
    def backward_arrays(ctx, grad_out):
        return (*_backward_arrays(ctx, grad_out), None, None)

    @staticmethod
    def jvp(ctx, tx, tw, tb, *_):
        return _jvp(ctx, tx, tw, tb)


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
    if not is_floating(input.dtype):
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
        low, (x, w, b) = _float32(input, weight, bias)
        out = BatchNorm.apply(x, w, b, running_mean, running_var, momentum, eps)
        return out if low is None else out.to(low)
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
    if not is_floating(input.dtype):
        raise TypeError(f"{op}: expected a floating input, got dtype {input.dtype}")
    for name, p in (("weight", weight), ("bias", bias)):
        _check_param(op, name, p, shape, input)
    low, (x, w, b) = _float32(input, weight, bias)
    out = LayerNorm.apply(x, w, b, len(shape), eps)
    return out if low is None else out.to(low)


def _float32(input: Any, *params: Any) -> tuple:
    """PyTorch normalises float16 and bfloat16 tensors in float32: (the low dtype or None, the
    tensors in float32, differentiably)."""
    if input.dtype.itemsize != 2:
        return None, (input, *params)
    return input.dtype, tuple(None if t is None else t.float() for t in (input, *params))
