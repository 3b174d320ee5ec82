"""Rounding and integer-style division: floor, ceil, round, trunc, frac, floor_divide, fmod,
remainder. Rounding is flat almost everywhere, so its gradient is zero, as in PyTorch."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp
from .args import write_out
from .elementwise import Div, _binary, _Pointwise, _quiet, copy_from, sub

__all__ = [
    "ceil",
    "div",
    "divide",
    "fix",
    "floor",
    "floor_divide",
    "fmod",
    "frac",
    "remainder",
    "round",
    "true_divide",
    "trunc",
]


class _Rounding(_Pointwise):
    """A step function (``_fn``) applied elementwise; integers pass unchanged;  da = 0."""

    _fn: Any

    @classmethod
    def forward(cls, ctx, a, *args):
        return a.copy() if a.dtype.kind in "iub" else cls._fn(a, *args)

    @staticmethod
    def chain(ctx, t):
        return copy_from(t, 0)


class Floor(_Rounding):
    """The largest integer <= a."""

    _fn = staticmethod(xp.floor)


class Ceil(_Rounding):
    """The smallest integer >= a."""

    _fn = staticmethod(xp.ceil)


class Trunc(_Rounding):
    """a rounded towards zero."""

    _fn = staticmethod(xp.trunc)


class Round(_Rounding):
    """a rounded to ``decimals`` places, halves to even (as PyTorch)."""

    _fn = staticmethod(xp.round)


class _IntegerDivision(Op):
    """``_fn(a, b)`` after type promotion (a floor- or truncation-based remainder);
    da = g, db = -g * q where q is the integer quotient ``_quotient(a / b)``."""

    _fn: Any
    _quotient: Any

    @classmethod
    @_quiet
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(cls._fn, cls.__name__.lower(), a, b)

    @classmethod
    def backward(cls, ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        gb = -grad_out * cls._quotient(Div.apply(a, b)) if need_b else None
        return (grad_out if need_a else None), gb

    @classmethod
    def jvp(cls, ctx, ta, tb):
        a, b = ctx.saved_tensors
        out = ta if ta is not None else None
        if tb is not None:
            term = -tb * cls._quotient(Div.apply(a, b))
            out = term if out is None else out + term
        return out


class Fmod(_IntegerDivision):
    """a - trunc(a / b) b: the remainder with the sign of a (C's fmod)."""

    _fn = staticmethod(xp.fmod)
    _quotient = staticmethod(lambda q: Trunc.apply(q))


class Remainder(_IntegerDivision):
    """a - floor(a / b) b: the remainder with the sign of b (Python's %)."""

    _fn = staticmethod(xp.remainder)
    _quotient = staticmethod(lambda q: Floor.apply(q))


class _RoundedDivision(Op):
    """``_fn(a, b)``, the quotient rounded to an integer (integers stay integers); flat almost
    everywhere, so da = db = 0."""

    _fn: Any

    @classmethod
    @_quiet
    def forward(cls, ctx, a, b):
        out = _binary(cls._fn, cls.__name__.lower(), a, b)
        ctx.shape = out.shape
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return tuple(copy_from(grad_out, 0) if need else None for need in ctx.needs_input_grad)

    @staticmethod
    def jvp(ctx, ta, tb):
        return copy_from(ta if ta is not None else tb, 0).expand(ctx.shape)


def _trunc_divide(a: Any, b: Any) -> Any:
    q = xp.trunc(xp.true_divide(a, b))
    return q.astype(xp.result_type(a, b)) if q.dtype != xp.result_type(a, b) else q


class FloorDivide(_RoundedDivision):
    """floor(a / b)."""

    _fn = staticmethod(xp.floor_divide)


class TruncDivide(_RoundedDivision):
    """trunc(a / b)."""

    _fn = staticmethod(_trunc_divide)


def floor(input: Any, *, out: Any = None) -> Any:
    """The largest integer <= input, elementwise."""
    return write_out("floor", Floor.apply(input), out)


def ceil(input: Any, *, out: Any = None) -> Any:
    """The smallest integer >= input, elementwise."""
    return write_out("ceil", Ceil.apply(input), out)


def trunc(input: Any, *, out: Any = None) -> Any:
    """input rounded towards zero, elementwise."""
    return write_out("trunc", Trunc.apply(input), out)


fix = trunc


def round(input: Any, *, decimals: int = 0, out: Any = None) -> Any:
    """input rounded to ``decimals`` places, halves to even."""
    return write_out("round", Round.apply(input, decimals), out)


def frac(input: Any, *, out: Any = None) -> Any:
    """The fractional part, input - trunc(input) (sign of input)."""
    return write_out("frac", sub(input, Trunc.apply(input)), out)


def floor_divide(input: Any, other: Any, *, out: Any = None) -> Any:
    """floor(input / other) elementwise (integers stay integers)."""
    return write_out("floor_divide", FloorDivide.apply(input, other), out)


def fmod(input: Any, other: Any, *, out: Any = None) -> Any:
    """The remainder of input / other with the sign of input."""
    return write_out("fmod", Fmod.apply(input, other), out)


def remainder(input: Any, other: Any, *, out: Any = None) -> Any:
    """The remainder of input / other with the sign of other (Python's ``%``)."""
    return write_out("remainder", Remainder.apply(input, other), out)


def divide(input: Any, other: Any, *, rounding_mode: str | None = None, out: Any = None) -> Any:
    """input / other: true division (None), rounded towards zero ('trunc') or down ('floor')."""
    if rounding_mode is None:
        res = Div.apply(input, other)
    elif rounding_mode in ("trunc", "floor"):
        res = (TruncDivide if rounding_mode == "trunc" else FloorDivide).apply(input, other)
    else:
        raise ValueError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    return write_out("div", res, out)


div = true_divide = divide
