"""In-place ``Tensor`` methods (``x.add_(y)``, ``x.masked_fill_(m, 0)``, ``w.normal_()``, ...).

Each runs the out-of-place op through ``Tensor._inplace``, which writes the result into the
tensor's memory, bumps its version counter (so a rule that saved the old value refuses to run) and
refuses leaves that require grad while grad mode is on, as PyTorch does. Random fills draw from
ember's generators (``generator=``, else the default one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import backend, ops

if TYPE_CHECKING:
    from .tensor import Tensor


class InplaceMethods:
    """Mixed into ``Tensor``; holds no state."""

    __slots__ = ()

    # ------------------------------------------------------------------ arithmetic
    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return self._inplace(ops.add, other, alpha=alpha)

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return self._inplace(ops.sub, other, alpha=alpha)

    subtract_ = sub_

    def mul_(self, other: Any) -> Tensor:
        return self._inplace(ops.mul, other)

    multiply_ = mul_

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return self._inplace(ops.div, other, rounding_mode=rounding_mode)

    divide_ = true_divide_ = div_

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace(ops.pow, exponent)

    def neg_(self) -> Tensor:
        return self._inplace(ops.neg)

    negative_ = neg_

    def abs_(self) -> Tensor:
        return self._inplace(ops.abs)

    absolute_ = abs_

    def sign_(self) -> Tensor:
        return self._inplace(ops.sign)

    def reciprocal_(self) -> Tensor:
        return self._inplace(ops.reciprocal)

    def floor_(self) -> Tensor:
        return self._inplace(ops.floor)

    def ceil_(self) -> Tensor:
        return self._inplace(ops.ceil)

    def trunc_(self) -> Tensor:
        return self._inplace(ops.trunc)

    def round_(self, *, decimals: int = 0) -> Tensor:
        return self._inplace(ops.round, decimals=decimals)

    def frac_(self) -> Tensor:
        return self._inplace(ops.frac)

    def fmod_(self, other: Any) -> Tensor:
        return self._inplace(ops.fmod, other)

    def remainder_(self, other: Any) -> Tensor:
        return self._inplace(ops.remainder, other)

    def floor_divide_(self, other: Any) -> Tensor:
        return self._inplace(ops.floor_divide, other)

    def sqrt_(self) -> Tensor:
        return self._inplace(ops.sqrt)

    def rsqrt_(self) -> Tensor:
        return self._inplace(ops.rsqrt)

    def exp_(self) -> Tensor:
        return self._inplace(ops.exp)

    def expm1_(self) -> Tensor:
        return self._inplace(ops.expm1)

    def log_(self) -> Tensor:
        return self._inplace(ops.log)

    def log2_(self) -> Tensor:
        return self._inplace(ops.log2)

    def log10_(self) -> Tensor:
        return self._inplace(ops.log10)

    def log1p_(self) -> Tensor:
        return self._inplace(ops.log1p)

    def sin_(self) -> Tensor:
        return self._inplace(ops.sin)

    def cos_(self) -> Tensor:
        return self._inplace(ops.cos)

    def erf_(self) -> Tensor:
        return self._inplace(ops.erf)

    def tanh_(self) -> Tensor:
        return self._inplace(ops.tanh)

    def sigmoid_(self) -> Tensor:
        return self._inplace(ops.sigmoid)

    def relu_(self) -> Tensor:
        return self._inplace(ops.relu)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return self._inplace(ops.clamp, min, max)

    clip_ = clamp_

    def clamp_min_(self, min: Any) -> Tensor:
        return self._inplace(ops.clamp_min, min)

    def clamp_max_(self, max: Any) -> Tensor:
        return self._inplace(ops.clamp_max, max)

    def cumsum_(self, dim: int, *, dtype: Any = None) -> Tensor:
        return self._inplace(ops.cumsum, dim, dtype=dtype)

    def cumprod_(self, dim: int, *, dtype: Any = None) -> Tensor:
        return self._inplace(ops.cumprod, dim, dtype=dtype)

    # ------------------------------------------------------------------ writes
    def copy_(self, src: Any, non_blocking: bool = False) -> Tensor:
        return self._inplace(ops.copy_from, src)

    def fill_(self, value: Any) -> Tensor:
        return self._inplace(ops.copy_from, value)

    def zero_(self) -> Tensor:
        return self._inplace(ops.copy_from, 0)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        return self._inplace(ops.masked_fill, mask, value)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        return self._inplace(ops.scatter_add, dim, index, src)

    def index_put_(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        return self._inplace(ops.index_put, indices, values, accumulate)

    # ------------------------------------------------------------------ random fills
    def _fill_sample(self, sample: Any) -> Tensor:
        return self._inplace(ops.copy_from, sample.astype(self.dtype))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
        return self._fill_sample(backend.rng(generator).uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        return self._fill_sample(backend.rng(generator).normal(mean, std, self.shape))

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        return self._fill_sample(backend.rng(generator).exponential(1.0 / lambd, self.shape))

    def geometric_(self, p: float, *, generator: Any = None) -> Tensor:
        return self._fill_sample(backend.rng(generator).geometric(p, self.shape))

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
        sample = median + sigma * backend.rng(generator).standard_cauchy(self.shape)
        return self._fill_sample(sample)

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
        return self._fill_sample(backend.rng(generator).lognormal(mean, std, self.shape))

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        probs = getattr(p, "_data", p)
        return self._fill_sample(backend.rng(generator).random(self.shape) < probs)

    def random_(self, from_: int = 0, to: int | None = None, /, *, generator: Any = None) -> Tensor:
        """Integers uniform in [from, to); ``random_(to)`` means [0, to); with no bounds,
        [0, 2**mantissa] for floating dtypes and the dtype's range for integers."""
        if to is None and from_:
            from_, to = 0, from_
        if to is None:
            kind = self.dtype.kind
            to = 2 ** (backend.xp.finfo(self.dtype).nmant + 1) + 1 if kind == "f" else None
            to = to or (2 if kind == "b" else int(backend.xp.iinfo(self.dtype).max) + 1)
        if to <= from_:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}"
            )
        return self._fill_sample(backend.rng(generator).integers(from_, to, self.shape))
