"""The maths of ``ember.ops`` as ``Tensor`` methods: ``x.sum(1)`` is ``ember.sum(x, 1)``.

Every method is a one-line delegation with PyTorch's signature; the function holds the docstring.
Shape and indexing methods are in tensor_shape_methods.py, in-place ones in tensor_inplace.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import ops
from .tensor_shape_methods import ShapeMethods

if TYPE_CHECKING:
    from .tensor import Tensor

Dim = Any  # an int, a tuple of ints, or None


class OpMethods(ShapeMethods):
    """Mixed into ``Tensor``; holds no state."""

    __slots__ = ()

    # ------------------------------------------------------------------ arithmetic
    def add(self, other: Any, *, alpha: float = 1) -> Tensor:
        return ops.add(self, other, alpha=alpha)

    def sub(self, other: Any, *, alpha: float = 1) -> Tensor:
        return ops.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    multiply = mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return ops.div(self, other, rounding_mode=rounding_mode)

    divide = true_divide = div

    def pow(self, exponent: Any) -> Tensor:
        return ops.pow(self, exponent)

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

    # ------------------------------------------------------------------ reductions
    def sum(
        self,
        dim: Dim = None,
        keepdim: bool = False,
        *,
        dtype: Any = None,
        axis: Dim = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return ops.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def sum_to_size(self, *size: Any) -> Tensor:
        return ops.sum_to_size(self, *size)

    def nansum(
        self,
        dim: Dim = None,
        keepdim: bool = False,
        *,
        dtype: Any = None,
        axis: Dim = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return ops.nansum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def mean(
        self,
        dim: Dim = None,
        keepdim: bool = False,
        *,
        dtype: Any = None,
        axis: Dim = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return ops.mean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def nanmean(
        self,
        dim: Dim = None,
        keepdim: bool = False,
        *,
        dtype: Any = None,
        axis: Dim = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return ops.nanmean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def prod(
        self,
        dim: Dim = None,
        keepdim: bool = False,
        *,
        dtype: Any = None,
        axis: Dim = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return ops.prod(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def max(
        self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
    ) -> Any:
        return ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(
        self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
    ) -> Any:
        return ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(
        self, dim: Dim = (), keepdim: bool = False, *, axis: Dim = None, keepdims: Any = None
    ) -> Tensor:
        return ops.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(
        self, dim: Dim = (), keepdim: bool = False, *, axis: Dim = None, keepdims: Any = None
    ) -> Tensor:
        return ops.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> Any:
        return ops.aminmax(self, dim=dim, keepdim=keepdim)

    def argmax(
        self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        return ops.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(
        self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        return ops.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def var(
        self,
        dim: Dim = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: float | None = None,
        axis: Dim = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return ops.var(
            self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims
        )

    def std(
        self,
        dim: Dim = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: float | None = None,
        axis: Dim = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return ops.std(
            self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims
        )

    def norm(
        self, p: Any = "fro", dim: Dim = None, keepdim: bool = False, dtype: Any = None
    ) -> Tensor:
        return ops.norm(self, p, dim, keepdim, dtype=dtype)

    def logsumexp(
        self, dim: Dim = None, keepdim: bool = False, *, axis: Dim = None, keepdims: Any = None
    ) -> Tensor:
        return ops.logsumexp(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def all(
        self, dim: Dim = None, keepdim: bool = False, *, axis: Dim = None, keepdims: Any = None
    ) -> Tensor:
        return ops.all(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def any(
        self, dim: Dim = None, keepdim: bool = False, *, axis: Dim = None, keepdims: Any = None
    ) -> Tensor:
        return ops.any(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def count_nonzero(self, dim: Dim = None) -> Tensor:
        return ops.count_nonzero(self, dim)

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return ops.median(self, dim, keepdim)

    def nanmedian(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return ops.nanmedian(self, dim, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False) -> Any:
        return ops.mode(self, dim, keepdim)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        return ops.kthvalue(self, k, dim, keepdim)

    # ------------------------------------------------------------------ sorting, scans, counting
    def sort(
        self, dim: int = -1, descending: bool = False, *, stable: bool = False, axis: Any = None
    ) -> Any:
        return ops.sort(self, dim, descending, stable, axis=axis)

    def argsort(
        self, dim: int = -1, descending: bool = False, *, stable: bool = False, axis: Any = None
    ) -> Tensor:
        return ops.argsort(self, dim, descending, stable, axis=axis)

    def msort(self) -> Tensor:
        return ops.msort(self)

    def topk(
        self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, axis: Any = None
    ) -> Any:
        return ops.topk(self, k, dim, largest, sorted, axis=axis)

    def cumsum(self, dim: int, *, dtype: Any = None, axis: Any = None) -> Tensor:
        return ops.cumsum(self, dim, dtype=dtype, axis=axis)

    def cumprod(self, dim: int, *, dtype: Any = None, axis: Any = None) -> Tensor:
        return ops.cumprod(self, dim, dtype=dtype, axis=axis)

    def logcumsumexp(self, dim: int, *, axis: Any = None) -> Tensor:
        return ops.logcumsumexp(self, dim, axis=axis)

    def cummax(self, dim: int, *, axis: Any = None) -> Any:
        return ops.cummax(self, dim, axis=axis)

    def cummin(self, dim: int, *, axis: Any = None) -> Any:
        return ops.cummin(self, dim, axis=axis)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
        return ops.diff(self, n, dim, prepend, append)

    def unique(
        self,
        sorted: bool = True,
        return_inverse: bool = False,
        return_counts: bool = False,
        dim: int | None = None,
    ) -> Any:
        return ops.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(
        self, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
    ) -> Any:
        return ops.unique_consecutive(self, return_inverse, return_counts, dim)

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        return ops.bincount(self, weights, minlength)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
        return ops.histc(self, bins, min, max)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return ops.nonzero(self, as_tuple=as_tuple)

    def argwhere(self) -> Tensor:
        return ops.argwhere(self)

    def multinomial(
        self, num_samples: int, replacement: bool = False, *, generator: Any = None
    ) -> Tensor:
        return ops.multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli(self, p: float | None = None, *, generator: Any = None) -> Tensor:
        return ops.bernoulli(self, p, generator=generator)

    # ------------------------------------------------------------------ linear algebra
    def matmul(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def mm(self, mat2: Any) -> Tensor:
        return ops.mm(self, mat2)

    def bmm(self, mat2: Any) -> Tensor:
        return ops.bmm(self, mat2)

    def dot(self, tensor: Any) -> Tensor:
        return ops.dot(self, tensor)

    def outer(self, vec2: Any) -> Tensor:
        return ops.outer(self, vec2)

    def addmm(self, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        return ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def where(self, condition: Any, other: Any) -> Tensor:
        return ops.where(condition, self, other)
