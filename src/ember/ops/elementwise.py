"""Elementwise operations. Broadcasting follows NumPy; the engine reduces gradients to each input's
shape, so no rule here needs to."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import get_default_dtype, result_type, xp

__all__ = ["add", "cos", "div", "exp", "log", "mul", "neg", "sin", "sub"]


def _promote(a: Any, b: Any, floating: bool = False) -> tuple[Any, Any]:
    """Cast two operands to PyTorch's result dtype (Python scalars stay scalars: they are weak);
    ``floating`` asks for a floating result (true division of integers)."""
    ta, tb = type(a) is xp.ndarray, type(b) is xp.ndarray
    if ta and tb:
        if a.dtype == b.dtype and (not floating or a.dtype.kind == "f"):
            return a, b
    elif ta or tb:
        array, scalar = (a, b) if ta else (b, a)
        if _weak_keeps(array, scalar) and (not floating or array.dtype.kind == "f"):
            return a, b
    dt = result_type(a, b)
    if floating and dt.kind != "f":
        dt = get_default_dtype()
    if ta and a.dtype != dt:
        a = a.astype(dt)
    if tb and b.dtype != dt:
        b = b.astype(dt)
    if not ta and not tb:
        a = xp.asarray(a, dtype=dt)
    return a, b


def _weak_keeps(array: Any, scalar: Any) -> bool:
    """Whether a Python scalar leaves the array's dtype as it is (NumPy agrees with PyTorch)."""
    t = type(scalar)
    return (
        t is bool
        or (t is int and array.dtype.kind != "b")
        or (t is float and array.dtype.kind == "f")
    )


class Add(Op):
    """a + b;  da = g, db = g."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _promote(a, b)
        return a + b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out

    @staticmethod
    def jvp(ctx, ta, tb):
        return _sum_tangents(ta, tb)


class Sub(Op):
    """a - b;  da = g, db = -g."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _promote(a, b)
        return a - b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx, ta, tb):
        return _sum_tangents(ta, None if tb is None else -tb)


class Mul(Op):
    """a * b;  da = g b, db = g a."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _promote(a, b)
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_out * b if need_a else None), (grad_out * a if need_b else None)

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return _sum_tangents(None if ta is None else ta * b, None if tb is None else a * tb)


class Div(Op):
    """a / b;  da = g / b, db = -g a / b^2."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _promote(a, b, floating=True)
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = grad_out / b if need_a else None
        gb = -grad_out * a / (b * b) if need_b else None
        return ga, gb

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return _sum_tangents(
            None if ta is None else ta / b, None if tb is None else -tb * a / (b * b)
        )


class Neg(Op):
    """-a;  da = -g."""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out

    @staticmethod
    def jvp(ctx, ta):
        return -ta


class Exp(Op):
    """exp(a);  da = g exp(a) (from the saved output)."""

    @staticmethod
    def forward(ctx, a):
        out = xp.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out * out

    @staticmethod
    def jvp(ctx, ta):
        (out,) = ctx.saved_tensors
        return ta * out


class Log(Op):
    """log(a);  da = g / a."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log(a)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        return grad_out / a

    @staticmethod
    def jvp(ctx, ta):
        (a,) = ctx.saved_tensors
        return ta / a


class Sin(Op):
    """sin(a);  da = g cos(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.sin(a)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        return grad_out * a.cos()

    @staticmethod
    def jvp(ctx, ta):
        (a,) = ctx.saved_tensors
        return ta * a.cos()


class Cos(Op):
    """cos(a);  da = -g sin(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.cos(a)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        return -grad_out * a.sin()

    @staticmethod
    def jvp(ctx, ta):
        (a,) = ctx.saved_tensors
        return -ta * a.sin()


def _sum_tangents(ta: Any, tb: Any) -> Any:
    if ta is None:
        return tb
    if tb is None:
        return ta
    return ta + tb


def add(a: Any, b: Any, alpha: float = 1) -> Any:
    """a + alpha * b, broadcasting."""
    return Add.apply(a, b if alpha == 1 else Mul.apply(b, alpha))


def sub(a: Any, b: Any, alpha: float = 1) -> Any:
    """a - alpha * b, broadcasting."""
    return Sub.apply(a, b if alpha == 1 else Mul.apply(b, alpha))


def mul(a: Any, b: Any) -> Any:
    """a * b, broadcasting."""
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Any:
    """a / b (true division), broadcasting."""
    return Div.apply(a, b)


def neg(a: Any) -> Any:
    """-a."""
    return Neg.apply(a)


def exp(a: Any) -> Any:
    """e ** a."""
    return Exp.apply(a)


def log(a: Any) -> Any:
    """Natural logarithm."""
    return Log.apply(a)


def sin(a: Any) -> Any:
    """Sine."""
    return Sin.apply(a)


def cos(a: Any) -> Any:
    """Cosine."""
    return Cos.apply(a)
