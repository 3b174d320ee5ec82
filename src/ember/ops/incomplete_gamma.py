"""The regularised incomplete gamma functions P(a, x) (``igamma``) and Q(a, x) = 1 - P
(``igammac``), and the series of dP/da (for the implicit gradient of gamma draws).

P = x^a e^-x / Gamma(a + 1) * sum_n r_n with r_n = prod_{k<=n} x / (a + k) (summed where
x < a + 1), and Q = x^a e^-x / Gamma(a) * a continued fraction (elsewhere; modified Lentz).
dP/da differentiates the series term by term: each term's log-derivative is
log x - digamma(a + n + 1).
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp
from .elementwise import _floating, _quiet
from .special import _digamma, _lgamma

__all__ = ["igamma", "igammac"]

_MAX_TERMS = 100_000
_TINY = 1e-300


def _prepare(a: Any, x: Any) -> tuple[Any, Any, Any]:
    a, x = _floating(a), _floating(x)
    dtype = xp.result_type(a, x)
    a, x = xp.broadcast_arrays(a.astype(xp.float64), x.astype(xp.float64))
    return a.reshape(-1), x.reshape(-1), dtype


@_quiet
def _series(a: Any, x: Any) -> Any:
    """sum_n r_n (r_0 = 1), to full precision."""
    total = xp.ones_like(a)
    r = xp.ones_like(a)
    live = xp.arange(a.size)
    la, lx = a, x
    n = 0
    while live.size and n < _MAX_TERMS:
        n += 1
        r = r * lx / (la + n)
        total[live] += r
        going = r > 1e-17 * total[live]
        live, la, lx, r = live[going], la[going], lx[going], r[going]
    return total


@_quiet
def _continued_fraction(a: Any, x: Any) -> Any:
    """The continued fraction of Q(a, x) Gamma(a) / (x^a e^-x), for x >= a + 1."""
    b = x + 1 - a
    c = xp.full_like(a, 1 / _TINY)
    d = 1 / b
    h = d.copy()
    live = xp.arange(a.size)
    for i in range(1, _MAX_TERMS):
        if not live.size:
            break
        an = -i * (i - a[live])
        b[live] += 2
        dl = an * d[live] + b[live]
        dl = xp.where(xp.abs(dl) < _TINY, _TINY, dl)
        cl = b[live] + an / c[live]
        cl = xp.where(xp.abs(cl) < _TINY, _TINY, cl)
        dl = 1 / dl
        step = dl * cl
        d[live], c[live] = dl, cl
        h[live] *= step
        live = live[xp.abs(step - 1) > 1e-16]
    return h


@_quiet
def _lower(a: Any, x: Any) -> tuple[Any, Any]:
    """(P, Q) of float64 arrays (flat)."""
    log_front = a * xp.log(x) - x
    p = xp.empty_like(a)
    q = xp.empty_like(a)
    low = x < a + 1
    al, xl = a[low], x[low]
    p[low] = xp.exp(log_front[low] - _lgamma(al + 1)) * _series(al, xl)
    q[low] = 1 - p[low]
    ah, xh = a[~low], x[~low]
    q[~low] = xp.exp(log_front[~low] - _lgamma(ah)) * _continued_fraction(ah, xh)
    p[~low] = 1 - q[~low]
    for out, at_zero, at_inf in ((p, 0.0, 1.0), (q, 1.0, 0.0)):
        out[x == 0] = at_zero
        out[x == xp.inf] = at_inf
        out[(a <= 0) | xp.isnan(a) | xp.isnan(x) | (x < 0)] = xp.nan
    return p, q


@_quiet
def igamma_da_series(a: Any, x: Any) -> Any:
    """S with dP/da = x^a e^-x / Gamma(a + 1) * S: S = sum_n r_n (log x - digamma(a + n + 1)),
    float64 arrays of one shape (x > 0)."""
    shape = a.shape
    a, x = a.reshape(-1), x.reshape(-1)
    log_x = xp.log(x)
    psi = _digamma(a + 1)
    total = log_x - psi
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
        # past the largest term (n > x - a), stop once the terms no longer count
        going = (n <= lx - la) | (xp.abs(term) > 1e-17 * lmass)
        if not going.all():
            total[live[~going]] = lsum[~going]
            live, la, lx, llog, lpsi, r, lsum, lmass = (
                v[going] for v in (live, la, lx, llog, lpsi, r, lsum, lmass)
            )
    total[live] = lsum
    return total.reshape(shape)


_NO_GRAD_A = (
    "the derivative of {name} with respect to input (the first argument) is not implemented, "
    "as in PyTorch"
)


class _IncompleteGamma(Op):
    """Shared forward and rules: ``sign`` is +1 for P, -1 for Q (dQ = -dP). Differentiable in x
    (dP/dx = x^(a-1) e^-x / Gamma(a), of any order); like PyTorch's, not in a."""

    sign = 1.0

    @classmethod
    def _run(cls, ctx, a, x):
        flat_a, flat_x, dtype = _prepare(a, x)
        p, q = _lower(flat_a, flat_x)
        shape = xp.broadcast_shapes(xp.shape(a), xp.shape(x))
        ctx.save_for_backward(a, x)
        return (p if cls.sign > 0 else q).reshape(shape).astype(dtype)

    @staticmethod
    def _density(ctx):
        a, x = ctx.saved_tensors
        return ctx.fn.sign * ((a - 1) * x.log() - x - a.lgamma()).exp()

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.needs_input_grad[0]:
            raise RuntimeError(_NO_GRAD_A.format(name=ctx.fn.__name__.lower()))
        return None, grad_out * _IncompleteGamma._density(ctx)

    @staticmethod
    def jvp(ctx, ta, tx):
        # the engine passes zeros for inputs without a tangent
        if ta is not None and bool((ta != 0).any()):
            raise RuntimeError(_NO_GRAD_A.format(name=ctx.fn.__name__.lower()))
        return tx * _IncompleteGamma._density(ctx)


class Igamma(_IncompleteGamma):
    """P(a, x) = gamma(a, x) / Gamma(a);  dx = g x^(a-1) e^-x / Gamma(a)."""

    @staticmethod
    def forward(ctx, a, x):
        return Igamma._run(ctx, a, x)


class Igammac(_IncompleteGamma):
    """Q(a, x) = 1 - P(a, x);  dx = -g x^(a-1) e^-x / Gamma(a)."""

    sign = -1.0

    @staticmethod
    def forward(ctx, a, x):
        return Igammac._run(ctx, a, x)


def igamma(input: Any, other: Any) -> Any:
    """The regularised lower incomplete gamma function P(input, other)."""
    return Igamma.apply(input, other)


def igammac(input: Any, other: Any) -> Any:
    """The regularised upper incomplete gamma function Q(input, other) = 1 - P."""
    return Igammac.apply(input, other)
