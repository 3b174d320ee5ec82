"""Comparisons and logical ops (bool results, no derivative) and the ops that pick between values:
maximum, minimum, clamp."""

from __future__ import annotations

import operator
from typing import Any

from ..autograd.function import Op
from ..backend import result_type, xp
from .args import write_out
from .elementwise import _binary, _broadcasting, _cast, _sum_tangents, where

__all__ = [
    "allclose",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "eq",
    "equal",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "le",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "maximum",
    "minimum",
    "ne",
    "not_equal",
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


class LogicalXor(_Compare):
    """a xor b (nonzero is true)."""

    op_name, ufunc = "logical_xor", xp.logical_xor


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


def eq(input: Any, other: Any, *, out: Any = None) -> Any:
    """a == b elementwise (bool), broadcasting."""
    return write_out("eq", Eq.apply(input, other), out)


def ne(input: Any, other: Any, *, out: Any = None) -> Any:
    """a != b elementwise (bool), broadcasting."""
    return write_out("ne", Ne.apply(input, other), out)


def lt(input: Any, other: Any, *, out: Any = None) -> Any:
    """a < b elementwise (bool), broadcasting."""
    return write_out("lt", Lt.apply(input, other), out)


def le(input: Any, other: Any, *, out: Any = None) -> Any:
    """a <= b elementwise (bool), broadcasting."""
    return write_out("le", Le.apply(input, other), out)


def gt(input: Any, other: Any, *, out: Any = None) -> Any:
    """a > b elementwise (bool), broadcasting."""
    return write_out("gt", Gt.apply(input, other), out)


def ge(input: Any, other: Any, *, out: Any = None) -> Any:
    """a >= b elementwise (bool), broadcasting."""
    return write_out("ge", Ge.apply(input, other), out)


def logical_and(input: Any, other: Any, *, out: Any = None) -> Any:
    """a and b elementwise (bool), broadcasting."""
    return write_out("logical_and", LogicalAnd.apply(input, other), out)


def logical_or(input: Any, other: Any, *, out: Any = None) -> Any:
    """a or b elementwise (bool), broadcasting."""
    return write_out("logical_or", LogicalOr.apply(input, other), out)


def logical_not(input: Any, *, out: Any = None) -> Any:
    """not input elementwise (bool)."""
    return write_out("logical_not", LogicalNot.apply(input), out)


def maximum(input: Any, other: Any, *, out: Any = None) -> Any:
    """The larger of a and b elementwise, broadcasting (ties share the gradient)."""
    return write_out("maximum", Maximum.apply(input, other), out)


def minimum(input: Any, other: Any, *, out: Any = None) -> Any:
    """The smaller of a and b elementwise, broadcasting (ties share the gradient)."""
    return write_out("minimum", Minimum.apply(input, other), out)


def clamp(input: Any, min: Any = None, max: Any = None, *, out: Any = None) -> Any:
    """input limited to [min, max]; each bound a number, a tensor (broadcasting) or None."""
    return write_out("clamp", Clamp.apply(input, min, max), out)


clip = clamp


def clamp_min(input: Any, min: Any) -> Any:
    """input limited from below by ``min``."""
    return Clamp.apply(input, min, None)


def clamp_max(input: Any, max: Any) -> Any:
    """input limited from above by ``max``."""
    return Clamp.apply(input, None, max)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_xor(input: Any, other: Any, *, out: Any = None) -> Any:
    """input xor other elementwise (bool), broadcasting."""
    return write_out("logical_xor", LogicalXor.apply(input, other), out)


class _Test(Op):
    """A bool test of each element (``_test``, e.g. ``xp.isnan``); integers are never NaN/inf."""

    _test: Any

    @classmethod
    def forward(cls, ctx, a):
        return cls._test(a if a.dtype.kind == "f" else a.astype(xp.float64))


class Isnan(_Test):
    """True where a is NaN."""

    _test = staticmethod(xp.isnan)


class Isinf(_Test):
    """True where a is +inf or -inf."""

    _test = staticmethod(xp.isinf)


class Isfinite(_Test):
    """True where a is neither NaN nor infinite."""

    _test = staticmethod(xp.isfinite)


class Isposinf(_Test):
    """True where a is +inf."""

    _test = staticmethod(xp.isposinf)


class Isneginf(_Test):
    """True where a is -inf."""

    _test = staticmethod(xp.isneginf)


def isnan(input: Any) -> Any:
    """True where input is NaN (bool)."""
    return Isnan.apply(input)


def isinf(input: Any) -> Any:
    """True where input is infinite (bool)."""
    return Isinf.apply(input)


def isfinite(input: Any) -> Any:
    """True where input is finite (bool)."""
    return Isfinite.apply(input)


def isposinf(input: Any, *, out: Any = None) -> Any:
    """True where input is +inf (bool)."""
    return write_out("isposinf", Isposinf.apply(input), out)


def isneginf(input: Any, *, out: Any = None) -> Any:
    """True where input is -inf (bool)."""
    return write_out("isneginf", Isneginf.apply(input), out)


class IsClose(Op):
    """|a - b| <= atol + rtol |b| elementwise (bool); equal infinities are close, NaN only with
    ``equal_nan``."""

    @staticmethod
    def forward(ctx, a, b, rtol, atol, equal_nan):
        if a.dtype != b.dtype:
            raise RuntimeError(
                f"isclose: {a.dtype} did not match {b.dtype} (both tensors must have one dtype)"
            )
        if a.dtype.kind == "b":
            a, b = a.astype(xp.int64), b.astype(xp.int64)
        with xp.errstate(invalid="ignore", over="ignore"):
            return _broadcasting(xp.isclose, "isclose", a, b, rtol, atol, equal_nan)


def isclose(
    input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Any:
    """Whether each element of input is close to other's: |input - other| <= atol + rtol |other|
    (bool), broadcasting."""
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose: rtol ({rtol}) and atol ({atol}) must be non-negative")
    return IsClose.apply(input, other, rtol, atol, equal_nan)


def allclose(
    input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether every element of input is close to other's (a Python bool); see ``isclose``."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input: Any, other: Any) -> bool:
    """True if both tensors have the same shape and the same elements (a Python bool)."""
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(Eq.apply(input, other).all())
