"""Specialised replays of common ops: their NumPy calls, without ctx or checks.

A recorded op runs in a replay through its own ``forward`` on a fresh ctx, which checks dtypes
for promotion and saves values for the backward. Where the recording shows that none of that
matters (every tensor argument has the output's floating dtype, Python numbers keep it), a kernel
makes the op's NumPy calls directly and keeps only what its rule reads. The calls are the op's
own, on operands of the same dtypes, so the results are the same bits:

- a Python number meets an array as NumPy's weak scalar, which NumPy casts to the array's dtype;
  here it is cast once, when the plan is made, to a 0-d array of that dtype (a NumPy call with a
  0-d array costs half as much as one that converts a Python number);
- elementwise outputs of shape ``()`` are left to the op (NumPy returns a scalar there, not an
  array).

Linear, reshape, indexing, cross-entropy and its class coefficients have kernels of their own
(``_OP_MAKERS``): they run the op's forward on a ctx that keeps nothing, or its calls with what
the recording decided, and the rule's calls on what the kernel kept.

``make(step)`` gives the kernel of a recorded op, or None where the op's own path must run.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..ops.activation import Relu, Sigmoid, Tanh
from ..ops.elementwise import Add, Div, Mul, Neg, Sub
from ..ops.index import Getitem, _accumulated, _add_rows
from ..ops.linalg import Linear, _rows_times
from ..ops.nn import (
    ClassCoefficients,
    CrossEntropy,
    target_entries,
    target_loss,
    target_slope,
)
from ..ops.shape import Reshape
from ..ops.transcendental import Exp
from .pool import large, like
from .tracer import Const, OpStep

FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_FLOAT_IDS = frozenset(map(id, FLOATS))  # these dtypes exactly (not another byte order)
# What a kernel keeps for its backward; WITH_OUTPUT: its forward returns the output and that.
NOTHING, OUTPUT, INPUTS, WITH_OUTPUT = "nothing", "output", "inputs", "with output"

# The errstate of the ops that are quiet at the edges of their domain (1/0, exp(1e4)).
_quiet = np.errstate(divide="ignore", invalid="ignore", over="ignore")

_add, _sub, _mul, _div = np.add, np.subtract, np.multiply, np.true_divide
_neg, _max, _greater = np.negative, np.maximum, np.greater
_matmul = np.matmul
_ndarray = np.ndarray
_ONE = {d: np.ones((), d) for d in FLOATS}
_ZERO = {d: np.zeros((), d) for d in FLOATS}
for _c in (*_ONE.values(), *_ZERO.values()):
    _c.flags.writeable = False


class Kernel(NamedTuple):
    """An op replayed without its ctx: ``forward(*args)`` on the argument arrays (a ``Const`` in
    ``args`` holds a prepared constant); ``saves`` is what ``backward(saved, g)`` gets: NOTHING,
    OUTPUT (one argument only), INPUTS (the tuple of arguments), a function of the arguments or
    WITH_OUTPUT (what the forward returns beside its output, as ``(output, saved)``).
    ``backward`` returns a tuple of one gradient per argument: an array for each argument that
    needs one, None for the others. ``into``: the forward takes ``out=`` (a buffer of the
    output's shape and dtype that no argument uses), as a ufunc does."""

    args: list
    forward: Callable
    saves: Any
    backward: Callable
    into: bool = False


class _Sink:
    """A ctx for an op's own forward whose saved values and attributes the kernel knows
    already: it keeps nothing."""

    __slots__ = ()

    def save_for_backward(self, *values: Any) -> None:
        pass

    def __setattr__(self, name: str, value: Any) -> None:
        pass


_SINK = _Sink()


def make(step: OpStep) -> Kernel | None:
    """The kernel of ``step``, or None where the op's own forward and rule must run."""
    whole = _OP_MAKERS.get(step.cls)
    if whole is not None:
        return whole(step)
    entry = _MAKERS.get(step.cls)
    dtype = step.out_dtype
    if entry is None or id(dtype) not in _FLOAT_IDS or not step.out_shape:
        return None
    maker, arity = entry
    if len(step.args) != arity:
        return None
    args: list = []
    tensors = 0
    for a, d in zip(step.args, step.dtypes):
        if type(a) is Const:
            c = _constant(a.value, dtype)
            if c is None:
                return None
            args.append(Const(c))
        elif d is dtype:
            args.append(a)
            tensors += 1
        else:
            return None
    return maker(args, step.needs, dtype) if tensors else None


def _constant(value: Any, dtype: np.dtype) -> np.ndarray | None:
    """A Python number as the 0-d array NumPy casts it to next to an array of ``dtype`` (None
    where that is not a plain cast: bools, integers beyond 2**53, a finite number that
    overflows, which NumPy warns of at each call)."""
    t = type(value)
    if t is not float and (t is not int or abs(value) > 2**53):
        return None
    return _cast(struct.pack("<d", value), dtype)  # keyed by its bits: -0.0 is not 0.0


@functools.lru_cache(maxsize=1024)
def _cast(bits: bytes, dtype: np.dtype) -> np.ndarray | None:
    value = np.frombuffer(bits, "<f8").reshape(())
    with np.errstate(over="ignore"):
        c = value.astype(dtype)
    if not np.isfinite(c) and np.isfinite(value):
        return None
    c.flags.writeable = False  # shared by the plans
    return c


def _is_const(args: list) -> list[bool]:
    return [isinstance(a, Const) for a in args]


# ---------------------------------------------------------------------------- two arguments
def _add_kernel(args: list, needs: tuple, dtype: np.dtype) -> Kernel:
    return Kernel(args, _add, NOTHING, lambda s, g: (g, g), True)


def _sub_kernel(args: list, needs: tuple, dtype: np.dtype) -> Kernel:
    if needs[1]:
        return Kernel(args, _sub, NOTHING, lambda s, g: (g, _neg(g)), True)
    return Kernel(args, _sub, NOTHING, lambda s, g: (g, None), True)


def _mul_kernel(args: list, needs: tuple, dtype: np.dtype) -> Kernel:
    const_a, const_b = _is_const(args)
    if const_b:
        k = args[1].value
        return Kernel(args, _mul, NOTHING, lambda s, g: (_mul(g, k), None), True)
    if const_a:
        k = args[0].value
        return Kernel(args, _mul, NOTHING, lambda s, g: (None, _mul(g, k)), True)
    need_a, need_b = needs

    def backward(s: tuple, g: np.ndarray) -> tuple:  # Mul's rule: g b, g a
        a, b = s
        return (_mul(g, b) if need_a else None), (_mul(g, a) if need_b else None)

    return Kernel(args, _mul, INPUTS, backward, True)


@_quiet
def _div_quiet(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return _div(a, b, out=out)


def _div_kernel(args: list, needs: tuple, dtype: np.dtype) -> Kernel:
    if _is_const(args)[1]:
        k = args[1].value
        return Kernel(args, _div_quiet, NOTHING, lambda s, g: (_div(g, k), None), True)
    need_a, need_b = needs

    def backward(s: tuple, g: np.ndarray) -> tuple:  # Div's rule: g / b, -g a / (b b)
        a, b = s
        ga = _div(g, b) if need_a else None
        gb = _div(_mul(_neg(g), a), _mul(b, b)) if need_b else None
        return ga, gb

    return Kernel(args, _div_quiet, INPUTS, backward, True)


# ---------------------------------------------------------------------------- one argument
def _neg_kernel(args: list, needs: tuple, dtype: np.dtype) -> Kernel:
    return Kernel(args, _neg, NOTHING, lambda s, g: (_neg(g),), True)


def _tanh_kernel(args: list, needs: tuple, dtype: np.dtype) -> Kernel:
    one = _ONE[dtype]
    return Kernel(args, np.tanh, OUTPUT, lambda y, g: (_mul(g, _sub(one, _mul(y, y))),), True)


@_quiet
def _exp_quiet(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.exp(a, out=out)


def _exp_kernel(args: list, needs: tuple, dtype: np.dtype) -> Kernel:
    return Kernel(args, _exp_quiet, OUTPUT, lambda y, g: (_mul(g, y),), True)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return Sigmoid.forward(_SINK, a)  # the op's own calls (in place, quiet)


def _sigmoid_kernel(args: list, needs: tuple, dtype: np.dtype) -> Kernel:
    one = _ONE[dtype]
    return Kernel(args, _sigmoid, OUTPUT, lambda y, g: (_mul(_mul(g, y), _sub(one, y)),))


def _relu_kernel(args: list, needs: tuple, dtype: np.dtype) -> Kernel:
    # max(a, 0) and the mask a > 0 that Relu saves; the 0 becomes a constant argument
    args = [args[0], Const(_ZERO[dtype])]
    return Kernel(args, _max, _greater, lambda mask, g: (_mul(g, mask), None), True)


# ---------------------------------------------------------------------------- whole ops
# These take the recorded step: their arguments are not all tensors of the output's dtype.
def _reshape_kernel(step: OpStep) -> Kernel | None:
    if len(step.args) != 2 or type(step.args[1]) is not Const:
        return None
    shape = step.shapes[0]
    forward = functools.partial(Reshape.forward, _SINK)
    return Kernel(step.args, forward, NOTHING, lambda s, g: (g.reshape(shape), None))


def _second(a: Any, b: Any) -> Any:
    return b


def _getitem_kernel(step: OpStep) -> Kernel | None:
    """``a[index]``, keeping only the index; for one integer index array (an embedding's rows)
    the gradient goes straight to the rule's row accumulation, whose bounds the forward has
    checked: the same sums in the same order."""
    dtype, shape = step.out_dtype, step.shapes[0]
    if id(dtype) not in _FLOAT_IDS or not step.out_shape or step.dtypes[0] is not dtype:
        return None

    def backward(index: Any, g: np.ndarray) -> tuple:
        rows = index[0] if type(index) is tuple and len(index) == 1 else None
        if type(rows) is not _ndarray or rows.dtype.kind not in "iu":
            return _accumulated(g, index, shape), None
        out = np.zeros(shape, g.dtype)
        _add_rows(out, rows, g)  # the forward has checked the rows' bounds
        return out, None

    return Kernel(step.args, functools.partial(Getitem.forward, _SINK), _second, backward)


def _inputs_of_linear(x: np.ndarray, w: np.ndarray, b: Any) -> tuple:
    return x, w


def _rows_into(a: np.ndarray, m: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``_rows_times(a, m)`` written into ``out``: the same product of the same operands."""
    if a.ndim <= 2:
        return _matmul(a, m, out=out)
    _matmul(a.reshape(-1, a.shape[-1]), m, out=out.reshape(-1, m.shape[-1]))
    return out


def _linear(x: np.ndarray, w: np.ndarray, b: Any, out: np.ndarray | None = None) -> np.ndarray:
    """Linear's forward, into ``out`` where given (floating dtypes: its cast does nothing)."""
    if out is None:  # a large weight, a small output
        return Linear.forward(_SINK, x, w, b)
    _rows_into(x, w.T, out)
    if b is not None:
        _add(out, b, out=out)
    return out


def _linear_kernel(step: OpStep) -> Kernel | None:
    """``x @ w.T + b`` by Linear's forward; its rule's calls with what it needs decided, the
    large products written into buffers of the replay's pool."""
    dtype = step.out_dtype
    b = step.args[2]
    if id(dtype) not in _FLOAT_IDS or not step.out_shape or len(step.shapes[1]) != 2:
        return None
    if step.dtypes[0] is not dtype or step.dtypes[1] is not dtype:
        return None
    if not ((type(b) is Const and b.value is None) or step.dtypes[2] is dtype):
        return None
    need_x, need_w, need_b = step.needs
    out_shape = step.out_shape
    rows = math.prod(out_shape[:-1])
    outs, ins = step.shapes[1]
    pool = any(map(large, (out_shape, *step.shapes[:2]), (dtype, dtype, dtype)))

    def backward(saved: tuple, g: np.ndarray) -> tuple:
        x, w = saved
        pooled = pool and type(g) is _ndarray and g.shape == out_shape and g.dtype is dtype
        grad_x = None
        if need_x:
            out = like(x) if pooled else None
            grad_x = _rows_times(g, w) if out is None else _rows_into(g, w, out)
        g2 = g.reshape(rows, outs) if need_w or need_b else None
        grad_w = None
        if need_w:
            x2 = x.reshape(rows, ins)
            out = like(w) if pooled else None
            grad_w = g2.mT @ x2 if out is None else _matmul(g2.mT, x2, out=out)
        grad_b = g2.sum(0) if need_b else None
        return grad_x, grad_w, grad_b

    if not pool:
        forward = functools.partial(Linear.forward, _SINK)
        return Kernel(step.args, forward, _inputs_of_linear, backward)
    return Kernel(step.args, _linear, _inputs_of_linear, backward, True)


def _coefficients_kernel(step: OpStep) -> Kernel:
    """Class coefficients need no gradient: their forward alone, on no ctx."""
    return Kernel(step.args, functools.partial(ClassCoefficients.forward, _SINK), NOTHING, None)


def _cross_entropy_kernel(step: OpStep) -> Kernel | None:
    """Cross-entropy of class-index targets summed (or averaged by a divisor), on the path of
    CrossEntropy's forward and array rule where ``coef`` has one weight per target (the same
    functions), its large temporaries written into the replay's buffers."""
    x_shape, coef_shape = step.shapes[:2]
    dtype = step.out_dtype
    _, _, dim, reduce, target, divisor = step.args
    if (
        id(dtype) not in _FLOAT_IDS
        or step.dtypes[0] is not dtype
        or step.dtypes[1] is not dtype
        or len(coef_shape) != len(x_shape) - 1
        or not math.prod(x_shape)
        or type(reduce) is not Const
        or not reduce.value
        or type(target) is Const
        or type(divisor) is Const
        or step.needs[1]
    ):
        return None
    d, axes = dim.value, (dim.value,)
    pool = large(x_shape, dtype)

    def forward(x: Any, coef: Any, _dim: Any, _reduce: Any, t: Any, divide: Any) -> tuple:
        shifted = _sub(x, x.max(axis=axes, keepdims=True), out=like(x) if pool else None)
        e = np.exp(shifted, out=like(x) if pool else None)
        total = e.sum(axis=axes, keepdims=True)
        at = target_entries(t, coef, x_shape, d)
        s = target_loss(shifted, total, coef, at).sum()
        out = s / divide if divide else s + math.nan
        return np.asarray(out), (e, total, at, coef, divide)

    def backward(saved: tuple, g: np.ndarray) -> tuple:
        e, total, at, coef, divide = saved
        if divide:
            g = g / divide
        grad_x = target_slope(e, total, coef, at, d, out=like(e) if pool else None)
        grad_x *= g
        return grad_x, None, None, None, None, None

    return Kernel(step.args, forward, WITH_OUTPUT, backward)


_OP_MAKERS: dict[type, Callable[[OpStep], Kernel | None]] = {
    Reshape: _reshape_kernel,
    Getitem: _getitem_kernel,
    Linear: _linear_kernel,
    ClassCoefficients: _coefficients_kernel,
    CrossEntropy: _cross_entropy_kernel,
}

# Per op: its kernel maker and its number of arguments (tensors and constants).
_MAKERS: dict[type, tuple[Callable, int]] = {
    Add: (_add_kernel, 2),
    Sub: (_sub_kernel, 2),
    Mul: (_mul_kernel, 2),
    Div: (_div_kernel, 2),
    Neg: (_neg_kernel, 1),
    Tanh: (_tanh_kernel, 1),
    Exp: (_exp_kernel, 1),
    Sigmoid: (_sigmoid_kernel, 1),
    Relu: (_relu_kernel, 1),
}
