"""Random draws that carry a gradient: the standard gamma sample with its implicit
reparameterisation gradient.

A Gamma(alpha, 1) sample x moves with alpha at a fixed level of its CDF P(alpha, x), so
dx/dalpha = -(dP/dalpha) / p(x; alpha) (Figurnov et al., "Implicit reparameterization
gradients", 2018). dP/dalpha comes from the series P = x^alpha e^-x sum_n x^n / Gamma(alpha+n+1),
differentiated term by term: each term's log-derivative is log x - digamma(alpha + n + 1).
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import Op
from ..backend import xp
from .elementwise import _quiet
from .special import _digamma

__all__ = ["standard_gamma", "standard_gamma_grad"]

_MAX_TERMS = 100_000


@_quiet
def standard_gamma_grad(alpha: Any, x: Any) -> Any:
    """dx/dalpha of a standard gamma sample ``x`` of concentration ``alpha`` (arrays), in
    float64: -(x / alpha) sum_n r_n (log x - digamma(alpha + n + 1)), r_n = prod_k x/(alpha+k)."""
    a, x = xp.broadcast_arrays(xp.asarray(alpha, xp.float64), xp.asarray(x, xp.float64))
    shape = a.shape
    a = a.reshape(-1)
    x = xp.maximum(x.reshape(-1), xp.finfo(xp.float64).tiny)
    log_x = xp.log(x)
    psi = _digamma(a + 1)
    total = log_x - psi
    # the terms of the elements still summing (dropped as they converge)
    live = xp.arange(a.size)
    la, lx, llog, lpsi, r, lsum = a, x, log_x, psi, xp.ones_like(a), total.copy()
    lmass = xp.abs(lsum)  # the sum of the terms' sizes: the scale of rounding
    n = 0
    while live.size and n < _MAX_TERMS:
        n += 1
        lpsi = lpsi + 1 / (la + n)
        r = r * lx / (la + n)
        term = r * (llog - lpsi)
        lsum = lsum + term
        lmass = lmass + xp.abs(term)
        # past the largest term (n > x - alpha), stop once the terms no longer count
        going = (n <= lx - la) | (xp.abs(term) > 1e-17 * lmass)
        if not going.all():
            total[live[~going]] = lsum[~going]
            live, la, lx, llog, lpsi, r, lsum, lmass = (
                v[going] for v in (live, la, lx, llog, lpsi, r, lsum, lmass)
            )
    total[live] = lsum
    return (-(x / a) * total).reshape(shape)


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
