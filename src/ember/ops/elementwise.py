"""Elementwise arithmetic, powers, ``where`` and ``copy_from``, and what the elementwise family
shares: PyTorch's type promotion, shape errors that name the op, the ``_Pointwise`` base.

The family continues in transcendental.py (exp, log, trigonometry, erf), activation.py and
compare.py (comparisons, maximum, minimum, clamp). Broadcasting follows NumPy; the engine reduces
gradients to each input's shape, so no rule here needs to."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from ..autograd.function import Op
from ..backend import default_float, is_floating, result_type, xp
from .args import write_out

__all__ = [
    "abs",
    "add",
    "copy_from",
    "mul",
    "neg",
    "pow",
    "reciprocal",
    "rsqrt",
    "sign",
    "sqrt",
    "sub",
    "where",
]

# inf and nan at the edges of a domain (log(0), 1/0, sqrt(-1), exp(1e4)) come silently, as in
# PyTorch, instead of with NumPy's RuntimeWarnings.
_quiet = xp.errstate(divide="ignore", invalid="ignore", over="ignore")


def _cast(a: Any, dtype: Any) -> Any:
    """An array or NumPy scalar in ``dtype``; Python scalars and None pass as they are."""
    if type(a) is xp.ndarray:
        return a if a.dtype == dtype else a.astype(dtype)
    return a.astype(dtype) if isinstance(a, xp.generic) else a


def _promote(a: Any, b: Any, floating: bool = False) -> tuple[Any, Any]:
    """Cast two operands to PyTorch's result dtype (Python scalars stay scalars: they are weak);
    ``floating`` asks for a floating result (true division of integers)."""
    ta, tb = type(a) is xp.ndarray, type(b) is xp.ndarray
    if ta and tb:
        if a.dtype == b.dtype and (not floating or is_floating(a.dtype)):
            return a, b
    elif ta or tb:
        array, scalar = (a, b) if ta else (b, a)
        if _weak_keeps(array, scalar) and (not floating or is_floating(array.dtype)):
            return a, b
    dt = result_type(a, b)
    if floating and not is_floating(dt):
        dt = default_float()
    a, b = _cast(a, dt), _cast(b, dt)
    if not ta and not tb:
        a = xp.asarray(a, dtype=dt)
    return a, b


def _weak_keeps(array: Any, scalar: Any) -> bool:
    """Whether a Python scalar leaves the array's dtype as it is (NumPy agrees with PyTorch)."""
    t = type(scalar)
    return (
        t is bool
        or (t is int and array.dtype.kind != "b")
        or (t is float and is_floating(array.dtype))
    )


def _broadcasting(fn: Any, op: str, *args: Any) -> Any:
    """``fn(*args)``; operands whose shapes do not broadcast raise a ValueError naming ``op``."""
    try:
        return fn(*args)
    except ValueError:
        _raise_unbroadcastable(op, args)
        raise


def _raise_unbroadcastable(op: str, args: tuple) -> None:
    shapes = [xp.shape(x) for x in args]
    try:
        xp.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(str(s) for s in shapes[:-1]) + f" and {shapes[-1]}"
        raise ValueError(f"{op}: shapes {listed} cannot be broadcast together") from None


def _binary(fn: Any, op: str, a: Any, b: Any, floating: bool = False) -> Any:
    """``fn(a, b)`` after PyTorch's type promotion, with ``op`` named in a shape error."""
    # The common cases skip _promote: same dtypes (floating, for true division), a float32 or
    # float64 array with a Python number. Anything else (bfloat16 too) takes the general path.
    if type(a) is xp.ndarray:
        kind = a.dtype.kind
        keep = (
            a.dtype == b.dtype
            if type(b) is xp.ndarray
            else (type(b) is float or type(b) is int) and kind == "f"
        ) and (not floating or kind == "f")
    else:  # a Python number first (``lr * grad``, ``1 - p``)
        keep = (
            type(b) is xp.ndarray and (type(a) is float or type(a) is int) and b.dtype.kind == "f"
        )
    if not keep:
        a, b = _promote(a, b, floating)
    try:
        return fn(a, b)
    except ValueError:
        _raise_unbroadcastable(op, (a, b))
        raise


def _floating(a: Any) -> Any:
    """Integer and bool arrays become the default float dtype (exp of an int tensor is float)."""
    if type(a) is not xp.ndarray:
        a = xp.asarray(a)
    return a if a.dtype.kind == "f" or is_floating(a.dtype) else a.astype(default_float())


def _is_number(v: Any) -> bool:
    return isinstance(v, Real)


def _sum_tangents(ta: Any, tb: Any) -> Any:
    if ta is None:
        return tb
    if tb is None:
        return ta
    return ta + tb


class _Pointwise(Op):
    """An op of one tensor whose derivative is diagonal, so that a gradient and a tangent go through
    it alike: subclasses define ``chain(ctx, t)``, the derivative at the saved point times ``t``.
    Further forward arguments are constants (no gradient)."""

    @staticmethod
    def chain(ctx, t):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_out):
        return (ctx.fn.chain(ctx, grad_out),) + (None,) * (len(ctx.shapes) - 1)

    @staticmethod
    def jvp(ctx, ta, *constants):
        return ctx.fn.chain(ctx, ta)


# ---------------------------------------------------------------------------- arithmetic
class Add(Op):
    """a + b;  da = g, db = g."""

    @staticmethod
    def forward(ctx, a, b):
        return _binary(xp.add, "add", a, b)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, ta, tb):
        return _sum_tangents(ta, tb)


class Sub(Op):
    """a - b;  da = g, db = -g."""

    @staticmethod
    def forward(ctx, a, b):
        return _binary(xp.subtract, "sub", a, b)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, ta, tb):
        return _sum_tangents(ta, None if tb is None else -tb)


class Mul(Op):
    """a * b;  da = g b, db = g a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(xp.multiply, "mul", a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_like(grad_out)
        need_a, need_b = ctx.needs_input_grad
        return (grad_out * b if need_a else None), (grad_out * a if need_b else None)

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return _sum_tangents(None if ta is None else ta * b, None if tb is None else a * tb)


class Div(Op):
    """a / b;  da = g / b, db = -g a / b^2."""

    @staticmethod
    @_quiet
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(xp.true_divide, "div", a, b, floating=True)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_like(grad_out)
        need_a, need_b = ctx.needs_input_grad
        ga = grad_out / b if need_a else None
        gb = -grad_out * a / (b * b) if need_b else None
        return ga, gb

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return _sum_tangents(
            None if ta is None else ta / b, None if tb is None else -tb * a / (b * b)
        )


class Pow(Op):
    """a ** b;  da = g b a^(b-1), db = g a^b log(a) (each 0 where PyTorch takes it as 0)."""

    @staticmethod
    @_quiet
    def forward(ctx, a, b):
        out = _power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward_arrays(ctx, grad_out):
        a, b, _ = ctx.saved_arrays
        if type(a) is not xp.ndarray or (type(b) is not int and type(b) is not float) or b == 0:
            return Op.backward_arrays(ctx, grad_out)  # the tensor rule
        return grad_out * (b * _power(a, b - 1)), None  # _pow_da on arrays (the engine is quiet)

    @staticmethod
    def backward(ctx, grad_out):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = grad_out * _pow_da(a, b) if need_a else None
        gb = grad_out * _pow_db(a, b, out) if need_b else None
        return ga, gb

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b, out = ctx.saved_tensors
        return _sum_tangents(
            None if ta is None else ta * _pow_da(a, b),
            None if tb is None else tb * _pow_db(a, b, out),
        )


def _power(a: Any, b: Any) -> Any:
    """a ** b on arrays. A float32/float64 array to the Python power 2 or 3 is the product of its
    factors, as PyTorch computes it (bit for bit; x**3 by ``pow`` differs in the last bit for a
    quarter of the values) and several times faster than ``pow``; to the power 1 it is a copy
    (``pow`` gives every value back bit for bit, NaNs included; the rule of x**2 takes this
    power)."""
    if type(a) is xp.ndarray and (type(b) is int or type(b) is float) and a.dtype in _PRODUCTS:
        if b == 2:
            return a * a
        if b == 3:
            return a * a * a
        if b == 1:
            return a.copy()
    return _binary(xp.power, "pow", a, b)


_PRODUCTS = (xp.dtype(xp.float32), xp.dtype(xp.float64))


def _pow_da(a: Any, b: Any) -> Any:
    """d(a^b)/da = b a^(b-1), taken as 0 where b = 0 (so it stays finite at a = 0)."""
    if _is_number(b):
        return b * a ** (b - 1) if b != 0 else copy_from(a, 0)
    return b * a ** where(b == 0, 1.0, b - 1)


def _pow_db(a: Any, b: Any, out: Any) -> Any:
    """d(a^b)/db = a^b log(a), taken as 0 where a = 0 and b >= 0."""
    if not _is_number(a):
        return out * where((a == 0) & (b >= 0), 1.0, a).log()
    if a == 0:
        return where(b >= 0, 0.0, -math.inf)
    return out * (math.log(a) if a > 0 else math.nan)


class Neg(Op):
    """-a;  da = -g."""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, ta):
        return -ta


class Reciprocal(_Pointwise):
    """1 / a;  da = -g / a^2 (from the saved output)."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    @_quiet
    def forward(ctx, a):
        out = xp.reciprocal(_floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_like(t)
        return -t * out * out


class Abs(_Pointwise):
    """|a|;  da = g sign(a) (0 at 0)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.abs(a)

    @staticmethod
    def chain(ctx, t):
        (a,) = ctx.saved_tensors
        return t * a.sign()


class Sign(_Pointwise):
    """sign(a);  da = 0."""

    @staticmethod
    def forward(ctx, a):
        return xp.sign(a)

    @staticmethod
    def chain(ctx, t):
        return copy_from(t, 0)


# ---------------------------------------------------------------------------- roots
class Sqrt(_Pointwise):
    """sqrt(a);  da = g / (2 out)."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    @_quiet
    def forward(ctx, a):
        out = xp.sqrt(_floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_like(t)
        return t / (out * 2)


class Rsqrt(_Pointwise):
    """1 / sqrt(a);  da = -g out^3 / 2."""

    backward_arrays = _Pointwise.backward  # chain works on arrays too

    @staticmethod
    @_quiet
    def forward(ctx, a):
        out = xp.reciprocal(xp.sqrt(_floating(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def chain(ctx, t):
        (out,) = ctx.saved_like(t)
        return t * out**3 * -0.5


# ---------------------------------------------------------------------------- selection, copy
class Where(Op):
    """where(c, a, b);  da = g where c, db = g where not c (c is not differentiable)."""

    @staticmethod
    def forward(ctx, condition, a, b):
        cond = xp.asarray(condition)
        if cond.dtype != xp.bool_:
            raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
        ctx.save_for_backward(condition)
        return _broadcasting(xp.where, "where", cond, *_promote(a, b))

    @staticmethod
    def backward(ctx, grad_out):
        (cond,) = ctx.saved_tensors
        _, need_a, need_b = ctx.needs_input_grad
        ga = where(cond, grad_out, 0.0) if need_a else None
        gb = where(cond, 0.0, grad_out) if need_b else None
        return None, ga, gb

    @staticmethod
    def backward_arrays(ctx, grad_out):
        (cond,) = ctx.saved_arrays
        _, need_a, need_b = ctx.needs_input_grad
        zero = xp.zeros((), grad_out.dtype)
        ga = xp.where(cond, grad_out, zero) if need_a else None
        gb = xp.where(cond, zero, grad_out) if need_b else None
        return None, ga, gb

    @staticmethod
    def jvp(ctx, _tc, ta, tb):
        (cond,) = ctx.saved_tensors
        return where(cond, 0.0 if ta is None else ta, 0.0 if tb is None else tb)


class CopyFrom(Op):
    """src broadcast to a's shape, cast to a's dtype;  dsrc = g (a gets no gradient)."""

    @staticmethod
    def forward(ctx, a, src):
        try:
            values = xp.broadcast_to(src, a.shape)
        except ValueError:
            raise ValueError(
                f"copy_from: src of shape {xp.shape(src)} cannot be broadcast to {a.shape}"
            ) from None
        return values.astype(a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return None, (grad_out if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx, ta, tsrc):
        return copy_from(ta, 0 if tsrc is None else tsrc)


# ---------------------------------------------------------------------------- public functions
def add(input: Any, other: Any, *, alpha: float = 1, out: Any = None) -> Any:
    """input + alpha * other, broadcasting."""
    return write_out("add", Add.apply(input, other if alpha == 1 else Mul.apply(other, alpha)), out)


def sub(input: Any, other: Any, *, alpha: float = 1, out: Any = None) -> Any:
    """input - alpha * other, broadcasting."""
    return write_out("sub", Sub.apply(input, other if alpha == 1 else Mul.apply(other, alpha)), out)


def mul(input: Any, other: Any, *, out: Any = None) -> Any:
    """a * b, broadcasting."""
    return write_out("mul", Mul.apply(input, other), out)


def pow(input: Any, other: Any, *, out: Any = None) -> Any:
    """a ** b for a tensor and a tensor or a number (either side), broadcasting."""
    return write_out("pow", Pow.apply(input, other), out)


def neg(input: Any, *, out: Any = None) -> Any:
    """-input."""
    return write_out("neg", Neg.apply(input), out)


def reciprocal(input: Any, *, out: Any = None) -> Any:
    """1 / a (floating)."""
    return write_out("reciprocal", Reciprocal.apply(input), out)


def abs(input: Any, *, out: Any = None) -> Any:
    """|a| (its gradient at 0 is 0)."""
    return write_out("abs", Abs.apply(input), out)


def sign(input: Any, *, out: Any = None) -> Any:
    """-1, 0 or 1 by the sign of a (gradient 0)."""
    return write_out("sign", Sign.apply(input), out)


def sqrt(input: Any, *, out: Any = None) -> Any:
    """Square root."""
    return write_out("sqrt", Sqrt.apply(input), out)


def rsqrt(input: Any, *, out: Any = None) -> Any:
    """1 / sqrt(a)."""
    return write_out("rsqrt", Rsqrt.apply(input), out)


def where(condition: Any, input: Any = None, other: Any = None, *, out: Any = None) -> Any:
    """``input`` where ``condition`` (a bool tensor) holds, else ``other``; all three broadcast
    together. ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        from .counting import nonzero

        return nonzero(condition, as_tuple=True)
    return write_out("where", Where.apply(condition, input, other), out)


def copy_from(a: Any, src: Any) -> Any:
    """``src`` broadcast to a's shape and cast to a's dtype (what ``a.copy_(src)`` writes)."""
    return CopyFrom.apply(a, src)
