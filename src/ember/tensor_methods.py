"""The maths of ``ember.ops`` as ``Tensor`` methods: ``x.sum(1)`` is ``ember.sum(x, 1)``.

Every method is a one-line delegation with PyTorch's signature; the function holds the docstring.
Reductions, sorting and linear algebra are in tensor_reduce_methods.py, shape and indexing in
tensor_shape_methods.py, in-place methods in tensor_inplace.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import ops
from .tensor_reduce_methods import ReduceMethods
from .tensor_shape_methods import ShapeMethods

if TYPE_CHECKING:
    from .tensor import Tensor

Dim = Any  # an int, a tuple of ints, or None


class OpMethods(ReduceMethods, ShapeMethods):
    """Mixed into ``Tensor``; holds no state."""

    __slots__ = ()

    # ------------------------------------------------------------------ arithmetic
    def add(self, other: Any, *, alpha: float = 1) -> Tensor:
        return ops.add(self, other, alpha=alpha)

    def sub(self, other: Any, *, alpha: float = 1) -> Tensor:
        return ops.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other: Any) -> Tensor:
        return ops.elementwise.Mul.apply(self, other)

    multiply = mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return ops.div(self, other, rounding_mode=rounding_mode)

    divide = true_divide = div

    def pow(self, exponent: Any) -> Tensor:
        return ops.elementwise.Pow.apply(self, exponent)

    def neg(self) -> Tensor:
        return ops.neg(self)

    negative = neg

    def reciprocal(self) -> Tensor:
        return ops.reciprocal(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    absolute = abs

    def sign(self) -> Tensor:
        return ops.sign(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def rsqrt(self) -> Tensor:
        return ops.rsqrt(self)

    def floor(self) -> Tensor:
        return ops.floor(self)

    def ceil(self) -> Tensor:
        return ops.ceil(self)

    def trunc(self) -> Tensor:
        return ops.trunc(self)

    fix = trunc

    def round(self, *, decimals: int = 0) -> Tensor:
        return ops.round(self, decimals=decimals)

    def frac(self) -> Tensor:
        return ops.frac(self)

    def floor_divide(self, other: Any) -> Tensor:
        return ops.floor_divide(self, other)

    def fmod(self, other: Any) -> Tensor:
        return ops.fmod(self, other)

    def remainder(self, other: Any) -> Tensor:
        return ops.remainder(self, other)

    # ------------------------------------------------------------------ transcendental
    def exp(self) -> Tensor:
        return ops.exp(self)

    def exp2(self) -> Tensor:
        return ops.exp2(self)

    def expm1(self) -> Tensor:
        return ops.expm1(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def log2(self) -> Tensor:
        return ops.log2(self)

    def log10(self) -> Tensor:
        return ops.log10(self)

    def log1p(self) -> Tensor:
        return ops.log1p(self)

    def sin(self) -> Tensor:
        return ops.sin(self)

    def cos(self) -> Tensor:
        return ops.cos(self)

    def tan(self) -> Tensor:
        return ops.tan(self)

    def erf(self) -> Tensor:
        return ops.erf(self)

    def erfinv(self) -> Tensor:
        return ops.erfinv(self)

    def lgamma(self) -> Tensor:
        return ops.lgamma(self)

    def digamma(self) -> Tensor:
        return ops.digamma(self)

    def polygamma(self, n: int) -> Tensor:
        return ops.polygamma(n, self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def softmax(self, dim: int | None = None, dtype: Any = None) -> Tensor:
        return ops.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim: int | None = None, dtype: Any = None) -> Tensor:
        return ops.log_softmax(self, dim, dtype=dtype)

    # ------------------------------------------------------------------ comparison
    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return ops.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min: Any) -> Tensor:
        return ops.clamp_min(self, min)

    def clamp_max(self, max: Any) -> Tensor:
        return ops.clamp_max(self, max)

    def maximum(self, other: Any) -> Tensor:
        return ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.minimum(self, other)

    def eq(self, other: Any) -> Tensor:
        return ops.eq(self, other)

    def ne(self, other: Any) -> Tensor:
        return ops.ne(self, other)

    not_equal = ne

    def lt(self, other: Any) -> Tensor:
        return ops.lt(self, other)

    less = lt

    def le(self, other: Any) -> Tensor:
        return ops.le(self, other)

    less_equal = le

    def gt(self, other: Any) -> Tensor:
        return ops.gt(self, other)

    greater = gt

    def ge(self, other: Any) -> Tensor:
        return ops.ge(self, other)

    greater_equal = ge

    def logical_not(self) -> Tensor:
        return ops.logical_not(self)

    def logical_and(self, other: Any) -> Tensor:
        return ops.logical_and(self, other)

    def logical_or(self, other: Any) -> Tensor:
        return ops.logical_or(self, other)

    def logical_xor(self, other: Any) -> Tensor:
        return ops.logical_xor(self, other)

    def isnan(self) -> Tensor:
        return ops.isnan(self)

    def isinf(self) -> Tensor:
        return ops.isinf(self)

    def isfinite(self) -> Tensor:
        return ops.isfinite(self)

    def isclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> Tensor:
        return ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        return ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Any) -> bool:
        return ops.equal(self, other)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        return ops.lerp(self, end, weight)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        return ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        return ops.addcdiv(self, tensor1, tensor2, value=value)

    def atan2(self, other: Any) -> Tensor:
        return ops.atan2(self, other)

    arctan2 = atan2

    def hypot(self, other: Any) -> Tensor:
        return ops.hypot(self, other)

    def logaddexp(self, other: Any) -> Tensor:
        return ops.logaddexp(self, other)

    def logaddexp2(self, other: Any) -> Tensor:
        return ops.logaddexp2(self, other)

    def xlogy(self, other: Any) -> Tensor:
        return ops.xlogy(self, other)

    def copysign(self, other: Any) -> Tensor:
        return ops.copysign(self, other)

    def float_power(self, exponent: Any) -> Tensor:
        return ops.float_power(self, exponent)

    def square(self) -> Tensor:
        return ops.square(self)

    def sgn(self) -> Tensor:
        return ops.sgn(self)

    def nan_to_num(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> Tensor:
        return ops.nan_to_num(self, nan, posinf, neginf)

    def logit(self, eps: float | None = None) -> Tensor:
        return ops.logit(self, eps)

    def sinc(self) -> Tensor:
        return ops.sinc(self)

    def erfc(self) -> Tensor:
        return ops.erfc(self)

    def sinh(self) -> Tensor:
        return ops.sinh(self)

    def cosh(self) -> Tensor:
        return ops.cosh(self)

    def asin(self) -> Tensor:
        return ops.asin(self)

    arcsin = asin

    def acos(self) -> Tensor:
        return ops.acos(self)

    arccos = acos

    def atan(self) -> Tensor:
        return ops.atan(self)

    arctan = atan

    def asinh(self) -> Tensor:
        return ops.asinh(self)

    arcsinh = asinh

    def acosh(self) -> Tensor:
        return ops.acosh(self)

    arccosh = acosh

    def atanh(self) -> Tensor:
        return ops.atanh(self)

    arctanh = atanh

    def where(self, condition: Any, other: Any) -> Tensor:
        return ops.where(condition, self, other)
