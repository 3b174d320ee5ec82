"""Exponential, logarithmic, trigonometric and error functions, elementwise."""

from __future__ import annotations

import math
from typing import Any

from ..backend import xp
from .args import write_out
from .elementwise import _floating, _Pointwise, _quiet

__all__ = ["cos", "erf", "exp", "exp2", "expm1", "log", "log10", "log1p", "log2", "sin", "tan"]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Exp(_Pointwise):
    """exp(a);  da = g exp(a) (from the saved output)."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    @_quiet
    def forward(ctx, a):
        out = xp.exp(_floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_like(t)
        return t * out


class Expm1(_Pointwise):
    """exp(a) - 1, precise near 0;  da = g (out + 1)."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    @_quiet
    def forward(ctx, a):
        out = xp.expm1(_floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_like(t)
        return t * (out + 1)


class Log(_Pointwise):
    """log(a);  da = g / a."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    @_quiet
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log(_floating(a))

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_like(t)
        return t / a


class Log2(_Pointwise):
    """log2(a);  da = g / (a ln 2)."""

    @staticmethod
    @_quiet
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log2(_floating(a))

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t / (a * math.log(2))


class Log10(_Pointwise):
    """log10(a);  da = g / (a ln 10)."""

    @staticmethod
    @_quiet
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log10(_floating(a))

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t / (a * math.log(10))


class Exp2(_Pointwise):
    """2 ** a;  da = g out ln 2."""

    @staticmethod
    @_quiet
    def forward(ctx, a):
        out = xp.exp2(_floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_tensors
        return t * out * math.log(2)


class Log1p(_Pointwise):
    """log(1 + a), precise near 0;  da = g / (1 + a)."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    @_quiet
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log1p(_floating(a))

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_like(t)
        return t / (a + 1)


class Sin(_Pointwise):
    """sin(a);  da = g cos(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.sin(_floating(a))

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * a.cos()


class Cos(_Pointwise):
    """cos(a);  da = -g sin(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.cos(_floating(a))

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return -t * a.sin()


class Tan(_Pointwise):
    """tan(a);  da = g (1 + out^2)."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    def forward(ctx, a):
        out = xp.tan(_floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_like(t)
        return t * (out * out + 1)


class Erf(_Pointwise):
    """erf(a) = 2/sqrt(pi) int_0^a exp(-s^2) ds;  da = g 2/sqrt(pi) exp(-a^2)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _erf(_floating(a))

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * (-a * a).exp() * _TWO_OVER_SQRT_PI


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
# 631-638: near-minimax rational functions, highest power first, for three ranges of |x|.
_ERF_NUM = (
    1.85777706184603153e-1,
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
)
_ERF_DEN = (
    1.0,
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)
_ERFC_MID_NUM = (
    2.15311535474403846e-8,
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
)
_ERFC_MID_DEN = (
    1.0,
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_ERFC_TAIL_NUM = (
    1.63153871373020978e-2,
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
)
_ERFC_TAIL_DEN = (
    1.0,
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)


def _horner(coeffs: tuple[float, ...], z: Any) -> Any:
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = acc * z + c
    return acc


@_quiet
def _erf(x: Any) -> Any:
    """erf of a floating array to the precision of its dtype (Cody's approximations).

    |x| <= 0.46875: x R(x^2). Beyond, erf = 1 - erfc(|x|) with the sign of x.
    """
    out = xp.empty_like(x)
    y = xp.abs(x)
    small = y <= 0.46875
    xs = x[small]
    z = xs * xs
    out[small] = xs * _horner(_ERF_NUM, z) / _horner(_ERF_DEN, z)
    large = ~small  # nan lands here and stays nan
    out[large] = xp.copysign((0.5 - erfc_beyond(y[large])) + 0.5, x[large])
    return out


@_quiet
def erfc_beyond(y: Any) -> Any:
    """erfc(y) for y > 0.46875 (and nan): exp(-y^2) R(y) up to y = 4 and
    exp(-y^2) (1/sqrt(pi) - R(1/y^2)/y^2) / y above."""
    yl = xp.minimum(y, 27.0)  # erfc(y) < 1e-300 from 26.6 on; keeps y * y finite
    mid = yl <= 4.0
    ratio = xp.empty_like(yl)
    ym = yl[mid]
    ratio[mid] = _horner(_ERFC_MID_NUM, ym) / _horner(_ERFC_MID_DEN, ym)
    yt = yl[~mid]
    zt = 1 / (yt * yt)
    tail = zt * _horner(_ERFC_TAIL_NUM, zt) / _horner(_ERFC_TAIL_DEN, zt)
    ratio[~mid] = (1 / math.sqrt(math.pi) - tail) / yt
    # exp(-y^2) as exp(-s^2) exp(-(y - s)(y + s)) with s = y cut to 1/16ths: no rounding of y^2.
    s = xp.trunc(yl * 16) / 16
    return xp.exp(-s * s) * xp.exp(-(yl - s) * (yl + s)) * ratio


def exp(input: Any, *, out: Any = None) -> Any:
    """e ** a."""
    return write_out("exp", Exp.apply(input), out)


def expm1(input: Any, *, out: Any = None) -> Any:
    """exp(a) - 1, accurate for small a."""
    return write_out("expm1", Expm1.apply(input), out)


def log(input: Any, *, out: Any = None) -> Any:
    """Natural logarithm."""
    return write_out("log", Log.apply(input), out)


def log1p(input: Any, *, out: Any = None) -> Any:
    """log(1 + a), accurate for small a."""
    return write_out("log1p", Log1p.apply(input), out)


def sin(input: Any, *, out: Any = None) -> Any:
    """Sine."""
    return write_out("sin", Sin.apply(input), out)


def cos(input: Any, *, out: Any = None) -> Any:
    """Cosine."""
    return write_out("cos", Cos.apply(input), out)


def tan(input: Any, *, out: Any = None) -> Any:
    """Tangent."""
    return write_out("tan", Tan.apply(input), out)


def erf(input: Any, *, out: Any = None) -> Any:
    """The error function."""
    return write_out("erf", Erf.apply(input), out)


def log2(input: Any, *, out: Any = None) -> Any:
    """Base-2 logarithm."""
    return write_out("log2", Log2.apply(input), out)


def log10(input: Any, *, out: Any = None) -> Any:
    """Base-10 logarithm."""
    return write_out("log10", Log10.apply(input), out)


def exp2(input: Any, *, out: Any = None) -> Any:
    """2 ** a."""
    return write_out("exp2", Exp2.apply(input), out)
