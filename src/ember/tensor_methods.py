"""The ops of ``ember.ops`` as ``Tensor`` methods: ``x.sum(1)`` is ``ember.ops.sum(x, 1)``.

Every method is a one-line delegation; the op's function holds the signature and the docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import ops

if TYPE_CHECKING:
    from .tensor import Tensor


class OpMethods:
    """Mixed into ``Tensor``; holds no state."""

    __slots__ = ()

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return ops.add(self, *args, **kwargs)

    def sub(self, *args: Any, **kwargs: Any) -> Any:
        return ops.sub(self, *args, **kwargs)

    def mul(self, *args: Any, **kwargs: Any) -> Any:
        return ops.mul(self, *args, **kwargs)

    def div(self, *args: Any, **kwargs: Any) -> Any:
        return ops.div(self, *args, **kwargs)

    def neg(self, *args: Any, **kwargs: Any) -> Any:
        return ops.neg(self, *args, **kwargs)

    def pow(self, *args: Any, **kwargs: Any) -> Any:
        return ops.pow(self, *args, **kwargs)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def log1p(self, *args: Any, **kwargs: Any) -> Any:
        return ops.log1p(self, *args, **kwargs)

    def expm1(self, *args: Any, **kwargs: Any) -> Any:
        return ops.expm1(self, *args, **kwargs)

    def sqrt(self, *args: Any, **kwargs: Any) -> Any:
        return ops.sqrt(self, *args, **kwargs)

    def rsqrt(self, *args: Any, **kwargs: Any) -> Any:
        return ops.rsqrt(self, *args, **kwargs)

    def abs(self, *args: Any, **kwargs: Any) -> Any:
        return ops.abs(self, *args, **kwargs)

    def sign(self, *args: Any, **kwargs: Any) -> Any:
        return ops.sign(self, *args, **kwargs)

    def sin(self, *args: Any, **kwargs: Any) -> Any:
        return ops.sin(self, *args, **kwargs)

    def cos(self, *args: Any, **kwargs: Any) -> Any:
        return ops.cos(self, *args, **kwargs)

    def tan(self, *args: Any, **kwargs: Any) -> Any:
        return ops.tan(self, *args, **kwargs)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def erf(self, *args: Any, **kwargs: Any) -> Any:
        return ops.erf(self, *args, **kwargs)

    def erfinv(self) -> Tensor:
        return ops.erfinv(self)

    def lgamma(self) -> Tensor:
        return ops.lgamma(self)

    def digamma(self) -> Tensor:
        return ops.digamma(self)

    def polygamma(self, n: int) -> Tensor:
        return ops.polygamma(n, self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def clamp(self, *args: Any, **kwargs: Any) -> Any:
        return ops.clamp(self, *args, **kwargs)

    def clip(self, *args: Any, **kwargs: Any) -> Any:
        return ops.clip(self, *args, **kwargs)

    def maximum(self, *args: Any, **kwargs: Any) -> Any:
        return ops.maximum(self, *args, **kwargs)

    def minimum(self, *args: Any, **kwargs: Any) -> Any:
        return ops.minimum(self, *args, **kwargs)

    def reciprocal(self, *args: Any, **kwargs: Any) -> Any:
        return ops.reciprocal(self, *args, **kwargs)

    def eq(self, *args: Any, **kwargs: Any) -> Any:
        return ops.eq(self, *args, **kwargs)

    def ne(self, *args: Any, **kwargs: Any) -> Any:
        return ops.ne(self, *args, **kwargs)

    def lt(self, *args: Any, **kwargs: Any) -> Any:
        return ops.lt(self, *args, **kwargs)

    def le(self, *args: Any, **kwargs: Any) -> Any:
        return ops.le(self, *args, **kwargs)

    def gt(self, *args: Any, **kwargs: Any) -> Any:
        return ops.gt(self, *args, **kwargs)

    def ge(self, *args: Any, **kwargs: Any) -> Any:
        return ops.ge(self, *args, **kwargs)

    def logical_not(self, *args: Any, **kwargs: Any) -> Any:
        return ops.logical_not(self, *args, **kwargs)

    def logical_and(self, *args: Any, **kwargs: Any) -> Any:
        return ops.logical_and(self, *args, **kwargs)

    def logical_or(self, *args: Any, **kwargs: Any) -> Any:
        return ops.logical_or(self, *args, **kwargs)

    def sum(self, *args: Any, **kwargs: Any) -> Any:
        return ops.sum(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Any:
        return ops.mean(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Any:
        return ops.prod(self, *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        return ops.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
        return ops.min(self, *args, **kwargs)

    def amax(self, *args: Any, **kwargs: Any) -> Any:
        return ops.amax(self, *args, **kwargs)

    def amin(self, *args: Any, **kwargs: Any) -> Any:
        return ops.amin(self, *args, **kwargs)

    def argmax(self, *args: Any, **kwargs: Any) -> Any:
        return ops.argmax(self, *args, **kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> Any:
        return ops.argmin(self, *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Any:
        return ops.var(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Any:
        return ops.std(self, *args, **kwargs)

    def norm(self, *args: Any, **kwargs: Any) -> Any:
        return ops.norm(self, *args, **kwargs)

    def logsumexp(self, *args: Any, **kwargs: Any) -> Any:
        return ops.logsumexp(self, *args, **kwargs)

    def sum_to_size(self, *args: Any, **kwargs: Any) -> Any:
        return ops.sum_to_size(self, *args, **kwargs)

    def all(self, *args: Any, **kwargs: Any) -> Any:
        return ops.all(self, *args, **kwargs)

    def any(self, *args: Any, **kwargs: Any) -> Any:
        return ops.any(self, *args, **kwargs)

    def matmul(self, *args: Any, **kwargs: Any) -> Any:
        return ops.matmul(self, *args, **kwargs)

    def mm(self, *args: Any, **kwargs: Any) -> Any:
        return ops.mm(self, *args, **kwargs)

    def bmm(self, *args: Any, **kwargs: Any) -> Any:
        return ops.bmm(self, *args, **kwargs)

    def dot(self, *args: Any, **kwargs: Any) -> Any:
        return ops.dot(self, *args, **kwargs)

    def outer(self, *args: Any, **kwargs: Any) -> Any:
        return ops.outer(self, *args, **kwargs)

    def addmm(self, *args: Any, **kwargs: Any) -> Any:
        return ops.addmm(self, *args, **kwargs)

    def reshape(self, *args: Any, **kwargs: Any) -> Any:
        return ops.reshape(self, *args, **kwargs)

    def view(self, *args: Any, **kwargs: Any) -> Any:
        return ops.view(self, *args, **kwargs)

    def flatten(self, *args: Any, **kwargs: Any) -> Any:
        return ops.flatten(self, *args, **kwargs)

    def unflatten(self, *args: Any, **kwargs: Any) -> Any:
        return ops.unflatten(self, *args, **kwargs)

    def transpose(self, *args: Any, **kwargs: Any) -> Any:
        return ops.transpose(self, *args, **kwargs)

    def permute(self, *args: Any, **kwargs: Any) -> Any:
        return ops.permute(self, *args, **kwargs)

    def squeeze(self, *args: Any, **kwargs: Any) -> Any:
        return ops.squeeze(self, *args, **kwargs)

    def unsqueeze(self, *args: Any, **kwargs: Any) -> Any:
        return ops.unsqueeze(self, *args, **kwargs)

    def expand(self, *args: Any, **kwargs: Any) -> Any:
        return ops.expand(self, *args, **kwargs)

    def broadcast_to(self, *args: Any, **kwargs: Any) -> Any:
        return ops.broadcast_to(self, *args, **kwargs)

    def repeat(self, *args: Any, **kwargs: Any) -> Any:
        return ops.repeat(self, *args, **kwargs)

    def tile(self, *args: Any, **kwargs: Any) -> Any:
        return ops.tile(self, *args, **kwargs)

    def split(self, *args: Any, **kwargs: Any) -> Any:
        return ops.split(self, *args, **kwargs)

    def chunk(self, *args: Any, **kwargs: Any) -> Any:
        return ops.chunk(self, *args, **kwargs)

    def unbind(self, *args: Any, **kwargs: Any) -> Any:
        return ops.unbind(self, *args, **kwargs)

    def flip(self, *args: Any, **kwargs: Any) -> Any:
        return ops.flip(self, *args, **kwargs)

    def roll(self, *args: Any, **kwargs: Any) -> Any:
        return ops.roll(self, *args, **kwargs)

    def tril(self, *args: Any, **kwargs: Any) -> Any:
        return ops.tril(self, *args, **kwargs)

    def triu(self, *args: Any, **kwargs: Any) -> Any:
        return ops.triu(self, *args, **kwargs)

    def gather(self, *args: Any, **kwargs: Any) -> Any:
        return ops.gather(self, *args, **kwargs)

    def scatter_add(self, *args: Any, **kwargs: Any) -> Any:
        return ops.scatter_add(self, *args, **kwargs)

    def index_select(self, *args: Any, **kwargs: Any) -> Any:
        return ops.index_select(self, *args, **kwargs)

    def masked_fill(self, *args: Any, **kwargs: Any) -> Any:
        return ops.masked_fill(self, *args, **kwargs)

    def take_along_dim(self, *args: Any, **kwargs: Any) -> Any:
        return ops.take_along_dim(self, *args, **kwargs)

    def narrow(self, *args: Any, **kwargs: Any) -> Any:
        return ops.narrow(self, *args, **kwargs)

    def select(self, *args: Any, **kwargs: Any) -> Any:
        return ops.select(self, *args, **kwargs)

    def movedim(self, *args: Any, **kwargs: Any) -> Any:
        return ops.movedim(self, *args, **kwargs)

    def index_put(self, *args: Any, **kwargs: Any) -> Any:
        return ops.index_put(self, *args, **kwargs)

    def index_put_(self, index: Any, value: Any, accumulate: bool = False) -> Tensor:
        return self._inplace(ops.index_put, index, value, accumulate)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        return self._inplace(ops.masked_fill, mask, value)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        return self._inplace(ops.scatter_add, dim, index, src)

    def softmax(self, *args: Any, **kwargs: Any) -> Any:
        return ops.softmax(self, *args, **kwargs)

    def log_softmax(self, *args: Any, **kwargs: Any) -> Any:
        return ops.log_softmax(self, *args, **kwargs)

    def t(self) -> Tensor:
        return ops.transpose(self, 0, 1) if self.ndim == 2 else self

    def expand_as(self, other: Tensor) -> Tensor:
        return ops.expand(self, other.shape)

    def view_as(self, other: Tensor) -> Tensor:
        return ops.reshape(self, other.shape)

    reshape_as = view_as

    def where(self, condition: Any, other: Any) -> Tensor:
        return ops.where(condition, self, other)
