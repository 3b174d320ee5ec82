"""Reductions, sorting, scans, counting and linear algebra of ``ember.ops`` as ``Tensor``
methods (one-line delegations with PyTorch's signatures, ``axis=``/``keepdims=`` included)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import ops

if TYPE_CHECKING:
    from .tensor import Tensor

Dim = Any  # an int, a tuple of ints, or None


class ReduceMethods:
    """Mixed into ``Tensor`` (through ``OpMethods``); holds no state."""

    __slots__ = ()

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

    def quantile(
        self,
        q: Any,
        dim: int | None = None,
        keepdim: bool = False,
        *,
        interpolation: str = "linear",
    ) -> Tensor:
        return ops.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(
        self,
        q: Any,
        dim: int | None = None,
        keepdim: bool = False,
        *,
        interpolation: str = "linear",
    ) -> Tensor:
        return ops.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

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

    def addmv(self, mat: Any, vec: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        return ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addbmm(self, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        return ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        return ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addr(self, vec1: Any, vec2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        return ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def diag(self, diagonal: int = 0) -> Tensor:
        return ops.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return ops.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        return ops.diag_embed(self, offset, dim1, dim2)

    def trace(self) -> Tensor:
        return ops.trace(self)

    def kron(self, other: Any) -> Tensor:
        return ops.kron(self, other)

    def cross(self, other: Any, dim: int | None = None) -> Tensor:
        return ops.cross(self, other, dim)

    def dist(self, other: Any, p: float = 2) -> Tensor:
        return ops.dist(self, other, p)

    def inverse(self) -> Tensor:
        return ops.inverse(self)

    def det(self) -> Tensor:
        return ops.det(self)

    def logdet(self) -> Tensor:
        return ops.logdet(self)

    def slogdet(self) -> Any:
        return ops.slogdet(self)
