"""Sampling from distributions given by tensors: multinomial, bernoulli, poisson, normal.

Samples come from ember's generators (``generator=``, else the default one seeded by
``ember.manual_seed``). Like PyTorch's, these results have no gradient.
"""

from __future__ import annotations

from typing import Any

from ..backend import Generator, as_dtype, get_default_dtype, rng, xp
from .args import constant, write_out

__all__ = ["bernoulli", "multinomial", "normal", "poisson"]


def _probabilities(input: Any, num_samples: int, replacement: bool) -> Any:
    """The rows of ``input`` as float64 weights, after PyTorch's checks."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {input.shape}")
    if input.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got {input.dtype}"
        )
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {num_samples})")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
            f"replacement ({num_samples} > {n})"
        )
    rows = input._data.reshape(-1, n).astype(xp.float64)
    if not xp.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError(
            "multinomial: probability tensor contains either `inf`, `nan` or element < 0"
        )
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError(
            "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"
        )
    return rows


def multinomial(
    input: Any,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
    out: Any = None,
) -> Any:
    """``num_samples`` category indices per row of ``input`` (non-negative weights, not
    necessarily summing to 1), with or without replacement; int64 of shape (num_samples,) or
    (rows, num_samples)."""
    rows = _probabilities(input, num_samples, replacement)
    g = rng(generator)
    if replacement:
        cdf = xp.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        u = g.random((rows.shape[0], num_samples))
        picks = xp.stack([xp.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        picks = xp.minimum(picks, rows.shape[1] - 1)
    else:
        # Exponential races: the k first arrivals, with rates p, are k draws without replacement.
        with xp.errstate(divide="ignore"):
            arrival = g.standard_exponential(rows.shape) / rows
        picks = xp.argsort(arrival, axis=1, kind="stable")[:, :num_samples]
    shape = (num_samples,) if input.ndim == 1 else (input.shape[0], num_samples)
    return write_out("multinomial", constant(picks.astype(xp.int64).reshape(shape)), out)


def bernoulli(
    input: Any, p: float | None = None, *, generator: Generator | None = None, out: Any = None
) -> Any:
    """0/1 samples, 1 with probability ``input`` elementwise (or ``p`` everywhere); input's
    dtype."""
    probs = input._data if p is None else xp.full(input.shape, p)
    if probs.size and (not (probs >= 0).all() or not (probs <= 1).all()):
        raise RuntimeError("bernoulli: expected all probabilities p to satisfy 0 <= p <= 1")
    draws = rng(generator).random(input.shape) < probs
    dtype = input.dtype if input.dtype.kind == "f" or p is not None else get_default_dtype()
    return write_out("bernoulli", constant(draws.astype(dtype)), out)


def poisson(input: Any, generator: Generator | None = None) -> Any:
    """Poisson samples with rates ``input`` elementwise (input's floating dtype)."""
    rates = input._data
    if rates.size and not (rates >= 0).all():
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    return constant(rng(generator).poisson(rates).astype(rates.dtype))


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    out: Any = None,
) -> Any:
    """Normal samples: elementwise ``mean`` and ``std`` (tensors or numbers, broadcast), or
    numbers with a ``size``."""
    m = getattr(mean, "_data", mean)
    s = getattr(std, "_data", std)
    if (xp.asarray(s) < 0).any():
        raise RuntimeError(f"normal expects std >= 0.0, but found std {xp.min(s)}")
    if size is None:
        if not (hasattr(mean, "shape") or hasattr(std, "shape")):
            raise TypeError("normal: give size= when mean and std are both numbers")
        shape = xp.broadcast_shapes(xp.shape(m), xp.shape(s))
        dt = xp.result_type(*(v.dtype for v in (mean, std) if hasattr(v, "dtype")))
    else:
        shape = (size,) if isinstance(size, int) else tuple(size)
        dt = get_default_dtype()
    if dtype is not None:
        dt = as_dtype(dtype)
    sample = m + s * rng(generator).standard_normal(shape)
    return write_out("normal", constant(xp.asarray(sample, dtype=dt)), out)
