"""More elementwise functions: hyperbolic and inverse trigonometric functions, erfc (ops with
their own rules), and compositions of existing ops: atan2, hypot, logaddexp, xlogy, lerp,
addcmul, addcdiv, square, nan_to_num, logit, sinc, copysign, float_power."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Op
from ..backend import float64, xp
from .args import constant, write_out
from .compare import maximum
from .elementwise import (
    _binary,
    _floating,
    _Pointwise,
    _quiet,
    _sum_tangents,
    abs,
    pow,
    sign,
    where,
)
from .transcendental import _erf, erfc_beyond, exp, log, log1p

__all__ = [
    "acos",
    "acosh",
    "addcdiv",
    "addcmul",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "copysign",
    "cosh",
    "erfc",
    "float_power",
    "hypot",
    "lerp",
    "logaddexp",
    "logaddexp2",
    "logit",
    "nan_to_num",
    "sgn",
    "sinc",
    "sinh",
    "square",
    "xlogy",
]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class _Unary(_Pointwise):
    """``_fn`` of a (floating), saving a for ``chain``."""

    _fn: Any

    @classmethod
    @_quiet
    def forward(cls, ctx, a):
        a = _floating(a)
        ctx.save_for_backward(a)
        return cls._fn(a)


class Sinh(_Unary):
    """sinh(a);  da = g cosh(a)."""

    _fn = staticmethod(xp.sinh)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * cosh(a)


class Cosh(_Unary):
    """cosh(a);  da = g sinh(a)."""

    _fn = staticmethod(xp.cosh)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * sinh(a)


class Asin(_Unary):
    """asin(a);  da = g / sqrt(1 - a^2)."""

    _fn = staticmethod(xp.arcsin)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * (1 - a * a).rsqrt()


class Acos(_Unary):
    """acos(a);  da = -g / sqrt(1 - a^2)."""

    _fn = staticmethod(xp.arccos)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return -t * (1 - a * a).rsqrt()


class Atan(_Unary):
    """atan(a);  da = g / (1 + a^2)."""

    _fn = staticmethod(xp.arctan)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t / (a * a + 1)


class Asinh(_Unary):
    """asinh(a);  da = g / sqrt(a^2 + 1)."""

    _fn = staticmethod(xp.arcsinh)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * (a * a + 1).rsqrt()


class Acosh(_Unary):
    """acosh(a);  da = g / sqrt(a^2 - 1)."""

    _fn = staticmethod(xp.arccosh)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * (a * a - 1).rsqrt()


class Atanh(_Unary):
    """atanh(a);  da = g / (1 - a^2)."""

    _fn = staticmethod(xp.arctanh)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t / (1 - a * a)


def _erfc(x: Any) -> Any:
    """erfc without the cancellation of 1 - erf for large x."""
    y = xp.abs(x)
    big = erfc_beyond(xp.maximum(y, 0.46875))
    upper = xp.where(y > 0.46875, big, 1 - _erf(y))
    return xp.where(x < 0, 2 - upper, upper)


class Erfc(_Unary):
    """erfc(a) = 1 - erf(a);  da = -g 2/sqrt(pi) exp(-a^2)."""

    _fn = staticmethod(_erfc)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * (-a * a).exp() * -_TWO_OVER_SQRT_PI


class Atan2(Op):
    """atan2(a, b), the angle of the point (b, a);  da = g b / (a^2 + b^2),
    db = -g a / (a^2 + b^2)."""

    @staticmethod
    @_quiet
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(xp.arctan2, "atan2", a, b, floating=True)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        r2 = a * a + b * b
        return (grad_out * b / r2 if need_a else None), (-grad_out * a / r2 if need_b else None)

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        r2 = a * a + b * b
        return _sum_tangents(
            None if ta is None else ta * b / r2, None if tb is None else -tb * a / r2
        )


def sinh(input: Any, *, out: Any = None) -> Any:
    """Hyperbolic sine."""
    return write_out("sinh", Sinh.apply(input), out)


def cosh(input: Any, *, out: Any = None) -> Any:
    """Hyperbolic cosine."""
    return write_out("cosh", Cosh.apply(input), out)


def asin(input: Any, *, out: Any = None) -> Any:
    """Inverse sine."""
    return write_out("asin", Asin.apply(input), out)


def acos(input: Any, *, out: Any = None) -> Any:
    """Inverse cosine."""
    return write_out("acos", Acos.apply(input), out)


def atan(input: Any, *, out: Any = None) -> Any:
    """Inverse tangent."""
    return write_out("atan", Atan.apply(input), out)


def asinh(input: Any, *, out: Any = None) -> Any:
    """Inverse hyperbolic sine."""
    return write_out("asinh", Asinh.apply(input), out)


def acosh(input: Any, *, out: Any = None) -> Any:
    """Inverse hyperbolic cosine."""
    return write_out("acosh", Acosh.apply(input), out)


def atanh(input: Any, *, out: Any = None) -> Any:
    """Inverse hyperbolic tangent."""
    return write_out("atanh", Atanh.apply(input), out)


def erfc(input: Any, *, out: Any = None) -> Any:
    """The complementary error function 1 - erf(input), accurate in the tails."""
    return write_out("erfc", Erfc.apply(input), out)


def atan2(input: Any, other: Any, *, out: Any = None) -> Any:
    """The angle of the point (other, input), in (-pi, pi]."""
    return write_out("atan2", Atan2.apply(input, other), out)


arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def hypot(input: Any, other: Any, *, out: Any = None) -> Any:
    """sqrt(input^2 + other^2)."""
    return write_out("hypot", (input * input + other * other).sqrt(), out)


def logaddexp(input: Any, other: Any, *, out: Any = None) -> Any:
    """log(exp(input) + exp(other)) without overflow."""
    m = maximum(input, other)
    return write_out("logaddexp", m + log1p(exp(-abs(input - other))), out)


def logaddexp2(input: Any, other: Any, *, out: Any = None) -> Any:
    """log2(2^input + 2^other) without overflow."""
    m = maximum(input, other)
    res = m + log1p(pow(2.0, -abs(input - other))) / math.log(2)
    return write_out("logaddexp2", res, out)


def xlogy(input: Any, other: Any, *, out: Any = None) -> Any:
    """input * log(other), 0 where input is 0 (unless other is NaN)."""
    product = input * log(other)
    zero = (input == 0) & ~other.isnan() if hasattr(other, "isnan") else input == 0
    return write_out("xlogy", where(zero, 0.0, product), out)


def lerp(input: Any, end: Any, weight: Any, *, out: Any = None) -> Any:
    """input + weight * (end - input)."""
    return write_out("lerp", input + weight * (end - input), out)


def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: float = 1, out: Any = None) -> Any:
    """input + value * tensor1 * tensor2."""
    return write_out("addcmul", input + tensor1 * tensor2 * value, out)


def addcdiv(input: Any, tensor1: Any, tensor2: Any, *, value: float = 1, out: Any = None) -> Any:
    """input + value * tensor1 / tensor2."""
    return write_out("addcdiv", input + tensor1 / tensor2 * value, out)


def square(input: Any, *, out: Any = None) -> Any:
    """input * input."""
    return write_out("square", input * input, out)


def sgn(input: Any, *, out: Any = None) -> Any:
    """The sign of real input (-1, 0 or 1)."""
    return write_out("sgn", sign(input), out)


def copysign(input: Any, other: Any, *, out: Any = None) -> Any:
    """|input| with the sign of other (also the sign of -0.0)."""
    negative = constant(xp.signbit(getattr(other, "_data", xp.asarray(other))))
    return write_out("copysign", where(negative, -abs(input), abs(input)), out)


def nan_to_num(
    input: Any,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
    *,
    out: Any = None,
) -> Any:
    """``input`` with NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (the
    dtype's largest and lowest finite values by default); the gradient is 0 where replaced."""
    data = input._data
    if data.dtype.kind != "f":
        return write_out("nan_to_num", input.clone(), out)
    info = xp.finfo(data.dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    res = where(constant(xp.isnan(data)), nan, input)
    res = where(constant(xp.isposinf(data)), hi, res)
    return write_out("nan_to_num", where(constant(xp.isneginf(data)), lo, res), out)


def logit(input: Any, eps: float | None = None, *, out: Any = None) -> Any:
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when ``eps`` is given."""
    p = input if eps is None else input.clamp(eps, 1 - eps)
    return write_out("logit", log(p / (1 - p)), out)


def sinc(input: Any, *, out: Any = None) -> Any:
    """sin(pi x) / (pi x), 1 at 0."""
    zero = constant(getattr(input, "_data", input) == 0)
    x = where(zero, 1.0, input) * math.pi
    return write_out("sinc", where(zero, 1.0, x.sin() / x), out)


def float_power(input: Any, exponent: Any, *, out: Any = None) -> Any:
    """input ** exponent computed in float64."""
    base = input.to(float64) if hasattr(input, "to") else input
    power = exponent.to(float64) if hasattr(exponent, "to") else exponent
    return write_out("float_power", pow(base, power), out)
