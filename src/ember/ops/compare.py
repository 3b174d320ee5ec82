"""Comparisons and logical ops (bool results, no derivative) and the ops that pick between values:
maximum, minimum, clamp."""

from __future__ import annotations

import operator
from typing import Any

from ..autograd.function import Op
from ..backend import result_type, xp
from .elementwise import _binary, _broadcasting, _cast, _sum_tangents, where

__all__ = [
    "clamp",
    "clip",
    "eq",
    "ge",
    "gt",
    "le",
    "logical_and",
    "logical_not",
    "logical_or",
    "lt",
    "maximum",
    "minimum",
    "ne",
]


class _Compare(Op):
    """A binary comparison or logical op on promoted operands: bool result, not differentiable."""

    op_name: str
    ufunc: Any

    @staticmethod
    def forward(ctx, a, b):
        return _binary(ctx.fn.ufunc, ctx.fn.op_name, a, b)


class Eq(_Compare):
    """a == b."""

    op_name, ufunc = "eq", xp.equal


class Ne(_Compare):
    """a != b."""

    op_name, ufunc = "ne", xp.not_equal


class Lt(_Compare):
    """a < b."""

    op_name, ufunc = "lt", xp.less


class Le(_Compare):
    """a <= b."""

    op_name, ufunc = "le", xp.less_equal


class Gt(_Compare):
    """a > b."""

    op_name, ufunc = "gt", xp.greater


class Ge(_Compare):
    """a >= b."""

    op_name, ufunc = "ge", xp.greater_equal


class LogicalAnd(_Compare):
    """a and b (nonzero is true)."""

    op_name, ufunc = "logical_and", xp.logical_and


class LogicalOr(_Compare):
    """a or b (nonzero is true)."""

    op_name, ufunc = "logical_or", xp.logical_or


class LogicalNot(Op):
    """not a (zero is false)."""

    @staticmethod
    def forward(ctx, a):
        return xp.logical_not(a)


class _Extremum(Op):
    """Elementwise maximum or minimum: the gradient goes to the operand that was picked, half to
    each on ties (PyTorch's rule); ``beats(x, y)`` says where x is picked over y."""

    op_name: str
    ufunc: Any
    beats: Any

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(ctx.fn.ufunc, ctx.fn.op_name, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        tie = a == b
        ga = _share(grad_out, tie, ctx.fn.beats(b, a)) if need_a else None
        gb = _share(grad_out, tie, ctx.fn.beats(a, b)) if need_b else None
        return ga, gb

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        tie = a == b
        return _sum_tangents(
            None if ta is None else _share(ta, tie, ctx.fn.beats(b, a)),
            None if tb is None else _share(tb, tie, ctx.fn.beats(a, b)),
        )


def _share(t: Any, tie: Any, lost: Any) -> Any:
    """t where its operand was picked, half of it on ties, 0 where the other one was."""
    return where(lost, 0.0, where(tie, t * 0.5, t))


class Maximum(_Extremum):
    """max(a, b);  da = g where a > b, g/2 where a == b."""

    op_name, ufunc, beats = "maximum", xp.maximum, operator.gt


class Minimum(_Extremum):
    """min(a, b);  da = g where a < b, g/2 where a == b."""

    op_name, ufunc, beats = "minimum", xp.minimum, operator.lt


class Clamp(Op):
    """min(max(a, lo), hi);  da = g where lo <= a <= hi, dlo = g where a < lo, dhi = g where a > hi
    (hi wins when lo > hi, as the output does)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        if lo is None and hi is None:
            raise ValueError("clamp: at least one of min and max must be given")
        ctx.save_for_backward(a, lo, hi)
        dt = result_type(*[v for v in (a, lo, hi) if v is not None])
        return _broadcasting(xp.clip, "clamp", _cast(a, dt), _cast(lo, dt), _cast(hi, dt))

    @staticmethod
    def backward(ctx, grad_out):
        saved = ctx.saved_tensors
        return tuple(
            where(region(*saved), grad_out, 0.0) if need else None
            for region, need in zip(_CLAMP_REGIONS, ctx.needs_input_grad)
        )

    @staticmethod
    def jvp(ctx, ta, tlo, thi):
        saved = ctx.saved_tensors
        out = None
        for region, t in zip(_CLAMP_REGIONS, (ta, tlo, thi)):
            if t is not None:
                out = _sum_tangents(out, where(region(*saved), t, 0.0))
        return out


def _inside(a: Any, lo: Any, hi: Any) -> Any:
    """Where clamp's output is a: lo <= a <= hi."""
    if lo is None:
        return a <= hi
    if hi is None:
        return a >= lo
    return (a >= lo) & (a <= hi)


def _at_lo(a: Any, lo: Any, hi: Any) -> Any:
    """Where clamp's output is lo: a < lo <= hi."""
    return a < lo if hi is None else (a < lo) & (lo <= hi)


def _at_hi(a: Any, lo: Any, hi: Any) -> Any:
    """Where clamp's output is hi: a > hi, or everywhere when lo > hi."""
    return a > hi if lo is None else (a > hi) | (lo > hi)


_CLAMP_REGIONS = (_inside, _at_lo, _at_hi)


def eq(a: Any, b: Any) -> Any:
    """a == b elementwise (bool), broadcasting."""
    return Eq.apply(a, b)


def ne(a: Any, b: Any) -> Any:
    """a != b elementwise (bool), broadcasting."""
    return Ne.apply(a, b)


def lt(a: Any, b: Any) -> Any:
    """a < b elementwise (bool), broadcasting."""
    return Lt.apply(a, b)


def le(a: Any, b: Any) -> Any:
    """a <= b elementwise (bool), broadcasting."""
    return Le.apply(a, b)


def gt(a: Any, b: Any) -> Any:
    """a > b elementwise (bool), broadcasting."""
    return Gt.apply(a, b)


def ge(a: Any, b: Any) -> Any:
    """a >= b elementwise (bool), broadcasting."""
    return Ge.apply(a, b)


def logical_and(a: Any, b: Any) -> Any:
    """a and b elementwise (bool), broadcasting."""
    return LogicalAnd.apply(a, b)


def logical_or(a: Any, b: Any) -> Any:
    """a or b elementwise (bool), broadcasting."""
    return LogicalOr.apply(a, b)


def logical_not(a: Any) -> Any:
    """not a elementwise (bool)."""
    return LogicalNot.apply(a)


def maximum(a: Any, b: Any) -> Any:
    """The larger of a and b elementwise, broadcasting (ties share the gradient)."""
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Any:
    """The smaller of a and b elementwise, broadcasting (ties share the gradient)."""
    return Minimum.apply(a, b)


def clamp(a: Any, min: Any = None, max: Any = None) -> Any:
    """a limited to [min, max]; each bound a number, a tensor (broadcasting) or None."""
    return Clamp.apply(a, min, max)


clip = clamp
