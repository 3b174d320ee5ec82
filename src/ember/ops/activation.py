"""Activation functions, elementwise, each with a stable forward (finite, with the exact limits, for
any input)."""

from __future__ import annotations

import math
from typing import Any

from ..backend import xp
from .elementwise import _floating, _Pointwise, _quiet, where
from .transcendental import _erf, erf

__all__ = ["elu", "gelu", "leaky_relu", "relu", "sigmoid", "softplus", "tanh"]

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715


class Sigmoid(_Pointwise):
    """1 / (1 + exp(-a));  da = g out (1 - out) (from the saved output)."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    @_quiet
    def forward(ctx, a):
        a = _floating(a)
        out = xp.negative(a, out=xp.empty_like(a))  # then in place: 1 / (1 + exp(-a))
        xp.exp(out, out=out)  # inf where a < -88 (float32): 1 / inf is the exact limit, 0
        out += 1
        xp.reciprocal(out, out=out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_like(t)
        return t * out * (1 - out)


class Tanh(_Pointwise):
    """tanh(a);  da = g (1 - out^2) (from the saved output)."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    def forward(ctx, a):
        out = xp.tanh(_floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_like(t)
        return t * (1 - out * out)


class Relu(_Pointwise):
    """max(a, 0);  da = g [a > 0] (0 at a = 0; the saved mask is a constant)."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a > 0)
        return xp.maximum(a, 0)

    @staticmethod
    def chain(ctx, t):
        (mask,) = ctx.saved_like(t)
        return t * mask


class LeakyRelu(_Pointwise):
    """a if a > 0 else s a;  da = g if a > 0 else s g."""

    @staticmethod
    def forward(ctx, a, negative_slope):
        a = _floating(a)
        ctx.slope = negative_slope
        ctx.save_for_backward(a)
        return xp.where(a > 0, a, a * negative_slope)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return where(a > 0, t, t * ctx.slope)


class Elu(_Pointwise):
    """a if a > 0 else alpha (exp(a) - 1);  da = g if a > 0 else g (out + alpha)."""

    @staticmethod
    def forward(ctx, a, alpha):
        a = _floating(a)
        out = xp.where(a > 0, a, alpha * xp.expm1(xp.minimum(a, 0)))
        ctx.alpha = alpha
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def chain(ctx, t):
        a, out = ctx.saved_tensors
        return where(a > 0, t, t * (out + ctx.alpha))


# erfc(z) ~ t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), z >= 0, with fractional error below 1.2e-7
# (the Chebyshev fit of Press et al., Numerical Recipes, "erfcc"): coefficients of P, t^0 first.
_ERFC_FIT = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


_BLOCK = 32768  # elements per pass of the float32 CDF: its ~30 passes then stay in cache


def _normal_cdf(a: Any) -> Any:
    """Phi(a) = erfc(-a / sqrt(2)) / 2. float32: from the erfc fit above, in float32 (within 2e-7
    absolute and 2e-6 relative for a > -5, where 0.5 (1 + erf) itself loses relative precision),
    block by block, several times faster than the exact erf; other dtypes: the exact erf."""
    if a.dtype != xp.float32:
        cdf = _erf(a * (1 / math.sqrt(2)))
        cdf += 1
        cdf *= 0.5
        return cdf
    flat = a.reshape(-1)
    out = xp.empty_like(flat)
    _by_blocks(_normal_cdf_block, flat, out)
    return out.reshape(a.shape)


def _by_blocks(fn: Any, *arrays: Any) -> None:
    """``fn`` on aligned pieces of _BLOCK elements of equally long flat arrays, so that its
    passes over a piece stay in cache."""
    for start in range(0, arrays[0].size, _BLOCK):
        fn(*[x[start : start + _BLOCK] for x in arrays])


def _gelu_block(a: Any, cdf: Any, out: Any) -> None:
    _normal_cdf_block(a, cdf)
    xp.multiply(a, cdf, out=out)


def _gelu_slope_block(a: Any, cdf: Any, grad: Any, slope: Any) -> None:
    """grad (a phi(a) + Phi(a)), as the array rule computes it for other dtypes."""
    xp.square(a, out=slope)
    slope *= -0.5
    xp.exp(slope, out=slope)
    slope *= a
    slope *= _INV_SQRT_2PI
    slope += cdf
    slope *= grad


def _normal_cdf_block(a: Any, out: Any) -> None:
    """Phi(a) into ``out``: Phi(-|a|) from the fit, then 1 - Phi(-|a|) where a >= 0."""
    z = xp.abs(a)
    z *= 1 / math.sqrt(2)
    t = z * 0.5
    t += 1
    xp.reciprocal(t, out=t)
    xp.multiply(t, _ERFC_FIT[-1], out=out)
    for c in _ERFC_FIT[-2:0:-1]:
        out += c
        out *= t
    out += _ERFC_FIT[0]
    z *= z
    out -= z
    xp.exp(out, out=out)
    out *= t
    out *= 0.5  # Phi(-|a|)
    xp.subtract(1, out, out=z)
    _select_bits(a >= 0, z, out)


def _select_bits(mask: Any, new: Any, out: Any) -> None:
    """``out[mask] = new[mask]`` for float32 arrays (``new`` is overwritten) by masking their
    bits with words of all ones or all zeros: NumPy's masked ufuncs and ``where`` branch per
    element and take 30x longer on a mask without long runs."""
    words = mask.view(xp.uint8).astype(xp.uint32)
    xp.negative(words, out=words)  # 0 -> 0, 1 -> 0xFFFFFFFF
    bits, kept = new.view(xp.uint32), out.view(xp.uint32)
    bits ^= kept
    bits &= words
    kept ^= bits


class Gelu(_Pointwise):
    """a Phi(a) (Phi the normal CDF, or its tanh approximation);  da = g (Phi(a) + a phi(a)).

    The forward keeps Phi(a) (or the tanh of the approximation) for the array backward; in
    float32, Phi comes from a fast erfc fit accurate to float32 (``_normal_cdf``)."""

    @staticmethod
    def forward(ctx, a, approximate):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        a = _floating(a)
        ctx.approximate = approximate
        ctx.save_for_backward(a)
        if approximate == "tanh":
            inner = xp.square(a, out=xp.empty_like(a))  # an array also when a is 0-d
            inner *= _GELU_CUBIC
            inner += 1
            inner *= a
            inner *= _SQRT_2_OVER_PI
            ctx.th = xp.tanh(inner, out=inner)
            return 0.5 * a * (1 + ctx.th)
        if a.dtype == xp.float32:  # Phi and a Phi(a) block by block
            flat = a.reshape(-1)
            cdf, out = xp.empty_like(flat), xp.empty_like(flat)
            _by_blocks(_gelu_block, flat, cdf, out)
            ctx.cdf = cdf.reshape(a.shape)
            return out.reshape(a.shape)
        ctx.cdf = _normal_cdf(a)
        return a * ctx.cdf

    @staticmethod
    def backward_arrays(ctx, grad_out):
        (a,) = ctx.saved_arrays
        if ctx.approximate == "tanh":
            th = ctx.th
            slope = xp.square(a, out=xp.empty_like(a))
            slope *= 3 * _GELU_CUBIC * _SQRT_2_OVER_PI
            slope += _SQRT_2_OVER_PI
            slope *= 1 - th * th
            slope *= a
            slope += 1 + th
            slope *= 0.5
        elif grad_out.dtype == a.dtype == xp.float32 and grad_out.shape == a.shape:
            flat = a.reshape(-1)
            slope = xp.empty_like(flat)
            cdf, grad = ctx.cdf.reshape(-1), grad_out.reshape(-1)
            _by_blocks(_gelu_slope_block, flat, cdf, grad, slope)
            return slope.reshape(a.shape), None
        else:
            slope = xp.square(a, out=xp.empty_like(a))
            slope *= -0.5
            xp.exp(slope, out=slope)
            slope *= a
            slope *= _INV_SQRT_2PI
            slope += ctx.cdf
        slope *= grad_out
        return slope, None

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            th = ((a + _GELU_CUBIC * a**3) * _SQRT_2_OVER_PI).tanh()
            inner = (a * a * (3 * _GELU_CUBIC) + 1) * _SQRT_2_OVER_PI
            return t * ((th + 1) * 0.5 + a * 0.5 * (1 - th * th) * inner)
        cdf = (erf(a * (1 / math.sqrt(2))) + 1) * 0.5
        pdf = (a * a * -0.5).exp() * _INV_SQRT_2PI
        return t * (cdf + a * pdf)


class Softplus(_Pointwise):
    """log(1 + exp(beta a)) / beta, linear where beta a > threshold;  da = g sigmoid(beta a)."""

    @staticmethod
    def forward(ctx, a, beta, threshold):
        a = _floating(a)
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(a)
        ba = a * beta
        smooth = (xp.maximum(ba, 0) + xp.log1p(xp.exp(-xp.abs(ba)))) / beta
        return xp.where(ba > threshold, a, smooth)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        ba = a * ctx.beta
        return where(ba > ctx.threshold, t, t * ba.sigmoid())


def sigmoid(input: Any) -> Any:
    """1 / (1 + exp(-a)), without overflow for any a."""
    return Sigmoid.apply(input)


def tanh(input: Any) -> Any:
    """Hyperbolic tangent."""
    return Tanh.apply(input)


def relu(input: Any) -> Any:
    """max(a, 0) (gradient 0 at 0)."""
    return Relu.apply(input)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Any:
    """a where a > 0, else negative_slope * a."""
    return LeakyRelu.apply(input, negative_slope)


def elu(input: Any, alpha: float = 1.0) -> Any:
    """a where a > 0, else alpha * (exp(a) - 1)."""
    return Elu.apply(input, alpha)


def gelu(input: Any, approximate: str = "none") -> Any:
    """a * Phi(a) with Phi the standard normal CDF (``approximate='tanh'``: its tanh form)."""
    return Gelu.apply(input, approximate)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """log(1 + exp(beta * a)) / beta, and a itself where beta * a > threshold."""
    return Softplus.apply(input, beta, threshold)
