"""Random draws that carry a gradient: dropout's mask, and the standard gamma sample with its
implicit reparameterisation gradient. The draw happens inside ``forward``, so that a recording
of ``ember.compile`` replays it from the same generator in the same order.

A Gamma(alpha, 1) sample x moves with alpha at a fixed level of its CDF P(alpha, x), so
dx/dalpha = -(dP/dalpha) / p(x; alpha) (Figurnov et al., "Implicit reparameterization
gradients", 2018), dP/dalpha from the series of ``incomplete_gamma.py``.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import Op
from ..backend import xp
from .incomplete_gamma import igamma_da_series

__all__ = ["standard_gamma", "standard_gamma_grad"]


class Dropout(Op):
    """x * m, m = keep / (1 - p) with keep ~ Bernoulli(1 - p) drawn from the default generator;
    dx = g m."""

    @staticmethod
    def forward(ctx, x, p):
        keep = backend.rng().random(x.shape) >= p
        mask = (keep * (0.0 if p == 1.0 else 1.0 / (1.0 - p))).astype(x.dtype)
        ctx.save_for_backward(mask)
        return xp.multiply(x, mask)

    @staticmethod
    def backward(ctx, grad_out):
        (mask,) = ctx.saved_like(grad_out)
        return grad_out * mask, None

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, tx, tp):
        (mask,) = ctx.saved_tensors
        return tx * mask


def standard_gamma_grad(alpha: Any, x: Any) -> Any:
    """dx/dalpha of a standard gamma sample ``x`` of concentration ``alpha`` (arrays), in
    float64: -(dP/dalpha) / p = -(x / alpha) S, S the series of ``igamma_da_series``."""
    a, x = xp.broadcast_arrays(xp.asarray(alpha, xp.float64), xp.asarray(x, xp.float64))
    x = xp.maximum(x, xp.finfo(xp.float64).tiny)
    return -(x / a) * igamma_da_series(a, x)


class StandardGamma(Op):
    """x ~ Gamma(alpha, 1) drawn from the default generator;  dalpha = g dx/dalpha at fixed
    CDF level (once differentiable: the derivative of the draw has no further derivative)."""

    once_differentiable = True

    @staticmethod
    def forward(ctx, alpha):
        draw = backend.rng().standard_gamma(alpha.astype(xp.float64, copy=False))
        out = xp.maximum(draw, xp.finfo(alpha.dtype).tiny).astype(alpha.dtype)
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        alpha, out = ctx.saved_tensors
        slope = standard_gamma_grad(alpha.detach()._data, out.detach()._data)
        return grad_out * slope.astype(out.dtype)


def standard_gamma(alpha: Any) -> Any:
    """Gamma(alpha, 1) samples, one per element of ``alpha``, from the default generator;
    differentiable in ``alpha`` (implicit reparameterisation)."""
    return StandardGamma.apply(alpha)
