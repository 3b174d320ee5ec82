"""Special functions, elementwise: log-gamma, digamma, polygamma and the inverse error function.

Each is computed in float64 and returned in its input's floating dtype. Their derivatives close the
family: lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' = polygamma(n + 1), and
erfinv' = sqrt(pi)/2 exp(erfinv^2), so derivatives of any order exist.
"""

from __future__ import annotations

import math
from typing import Any

from ..backend import xp
from .elementwise import _floating, _Pointwise, _quiet
from .transcendental import _erf, erfc_beyond

__all__ = ["digamma", "erfinv", "lgamma", "polygamma"]

_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
_HALF_SQRT_PI = math.sqrt(math.pi) / 2

# Lanczos' approximation with g = 7 and nine terms (relative error of Gamma about 1e-15).
_LANCZOS_G = 7.0
_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)
# Bernoulli numbers B_2, B_4, ..., B_18 for the asymptotic series of digamma and polygamma.
_BERNOULLI = (
    1 / 6,
    -1 / 30,
    1 / 42,
    -1 / 30,
    5 / 66,
    -691 / 2730,
    7 / 6,
    -3617 / 510,
    43867 / 798,
)
_SHIFT = 10.0  # the asymptotic series are summed from here on (after the recurrence)


def _as_float64(a: Any) -> tuple[Any, Any]:
    a = _floating(a)
    return a.astype(xp.float64), a.dtype


def _nonpositive_integer(x: Any) -> Any:
    return (x <= 0) & (x == xp.floor(x))


@_quiet
def _lgamma(x: Any) -> Any:
    """log|Gamma(x)|: Lanczos for x >= 0.5, reflection below; +inf at the poles."""
    reflect = x < 0.5
    y = xp.where(reflect, 1 - x, x) - 1
    series = xp.full_like(y, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], start=1):
        series += c / (y + k)
    t = y + _LANCZOS_G + 0.5
    out = _HALF_LOG_TWO_PI + (y + 0.5) * xp.log(t) - t + xp.log(series)
    reflected = math.log(math.pi) - xp.log(xp.abs(xp.sin(math.pi * x))) - out
    out = xp.where(reflect, reflected, out)
    out = xp.where((x == 1) | (x == 2), 0.0, out)
    return xp.where(_nonpositive_integer(x) | xp.isinf(x), xp.inf, out)


@_quiet
def _digamma(x: Any) -> Any:
    """digamma(x): the recurrence up to 10, then the asymptotic series; reflection below 0.5."""
    reflect = x < 0.5
    y = xp.where(reflect, 1 - x, x)
    acc = xp.zeros_like(y)
    low = y < _SHIFT
    while low.any():
        acc -= xp.where(low, 1 / y, 0.0)
        y = xp.where(low, y + 1, y)
        low = y < _SHIFT
    z = 1 / (y * y)
    tail = xp.zeros_like(y)
    for k in range(len(_BERNOULLI), 0, -1):
        tail = (tail + _BERNOULLI[k - 1] / (2 * k)) * z
    out = acc + xp.log(y) - 0.5 / y - tail
    out = xp.where(reflect, out - math.pi / xp.tan(math.pi * x), out)
    out = xp.where(_nonpositive_integer(x), xp.nan, out)
    out = xp.where(x == 0, -xp.inf, out)
    return xp.where(x == xp.inf, xp.inf, out)


@_quiet
def _polygamma(n: int, x: Any) -> Any:
    """polygamma(n, x), n >= 1: the recurrence up to 10, then the asymptotic series
    (-1)^(n+1) [(n-1)!/y^n + n!/(2 y^(n+1)) + sum_k B_2k (2k+n-1)!/(2k)! / y^(2k+n)]."""
    if n == 0:
        return _digamma(x)
    sign = -1.0 if n % 2 == 0 else 1.0
    reflect = (x < 0.5) if n == 1 else xp.zeros(x.shape, bool)
    y = xp.where(reflect, 1 - x, x)
    acc = xp.zeros_like(y)
    low = y < _SHIFT
    while low.any():
        acc += xp.where(low, math.factorial(n) / y ** (n + 1), 0.0)
        y = xp.where(low, y + 1, y)
        low = y < _SHIFT
    z = 1 / (y * y)
    tail = xp.zeros_like(y)
    for k in range(len(_BERNOULLI), 0, -1):
        coeff = _BERNOULLI[k - 1] * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
        tail = (tail + coeff) * z
    series = math.factorial(n - 1) / y**n + math.factorial(n) / (2 * y ** (n + 1)) + tail / y**n
    out = sign * (acc + series)
    if n == 1:  # trigamma(x) + trigamma(1 - x) = pi^2 / sin^2(pi x)
        out = xp.where(reflect, (math.pi / xp.sin(math.pi * x)) ** 2 - out, out)
    out = xp.where(_nonpositive_integer(x), sign * xp.inf, out)
    return xp.where(x == xp.inf, 0.0 if n == 1 else xp.nan, out)


@_quiet
def _erfinv(y: Any) -> Any:
    """erfinv(y): a closed-form first guess (Winitzki, relative error ~2e-3), then three Halley
    steps on erf (|y| <= 0.5) or on erfc (above, where erf(x) - y would cancel)."""
    a = 0.147
    w = xp.log1p(-y * y)
    b = 2 / (math.pi * a) + w / 2
    x = xp.sqrt(xp.sqrt(b * b - w / a) - b)
    target = xp.abs(y)
    tail = target > 0.5
    q = 1 - target  # exact for target >= 0.5
    for _ in range(3):
        xs = xp.minimum(x, 26.0)
        erfc = xp.where(xs > 0.46875, erfc_beyond(xp.maximum(xs, 0.46875)), 1 - _erf(xs))
        residual = xp.where(tail, q - erfc, _erf(xs) - target)
        slope = 2 / math.sqrt(math.pi) * xp.exp(-xs * xs)
        step = residual / slope
        x = xp.where(slope > 0, xs - step / (1 + xs * step), xs)
    x = xp.where(target == 1, xp.inf, x)
    x = xp.where(target > 1, xp.nan, x)
    return xp.copysign(x, y)


class Lgamma(_Pointwise):
    """log|Gamma(a)|;  da = g digamma(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        x, dtype = _as_float64(a)
        return _lgamma(x).astype(dtype)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * Digamma.apply(a)


class Digamma(_Pointwise):
    """digamma(a) = d lgamma(a)/da;  da = g polygamma(1, a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        x, dtype = _as_float64(a)
        return _digamma(x).astype(dtype)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * Polygamma.apply(a, 1)


class Polygamma(_Pointwise):
    """polygamma(n, a), the n-th derivative of digamma;  da = g polygamma(n + 1, a)."""

    @staticmethod
    def forward(ctx, a, n):
        ctx.save_for_backward(a)
        ctx.n = n
        x, dtype = _as_float64(a)
        return _polygamma(n, x).astype(dtype)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * Polygamma.apply(a, ctx.n + 1)


class Erfinv(_Pointwise):
    """erfinv(a), the inverse of erf on (-1, 1);  da = g sqrt(pi)/2 exp(out^2)."""

    @staticmethod
    def forward(ctx, a):
        x, dtype = _as_float64(a)
        out = _erfinv(x).astype(dtype)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_tensors
        return t * (out * out).exp() * _HALF_SQRT_PI


def lgamma(input: Any) -> Any:
    """The natural logarithm of the absolute value of the gamma function."""
    return Lgamma.apply(input)


def digamma(input: Any) -> Any:
    """The logarithmic derivative of the gamma function."""
    return Digamma.apply(input)


def polygamma(n: int, input: Any) -> Any:
    """The n-th derivative of the digamma function (n >= 0)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got n={n!r}")
    if n == 0:
        return Digamma.apply(input)
    return Polygamma.apply(input, n)


def erfinv(input: Any) -> Any:
    """The inverse error function: erfinv(erf(x)) = x on (-1, 1)."""
    return Erfinv.apply(input)
