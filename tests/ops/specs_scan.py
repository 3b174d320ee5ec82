"""Op specs: scans, sorting and order statistics, logarithms of other bases, rounding
(see harness.py).

Sorting-based ops get distinct inputs (no ties, so finite differences do not cross a reordering);
cumprod is also checked with zeros in the input, where its gradient needs the exact rule.
"""

from __future__ import annotations

import numpy as np

import ember

from .harness import OpSpec

ALONG = [((3, 4),), ((5,),), ((1,),), ((2, 1, 3),)]  # scanned along the last dim
ZERO_D = [((),)]
BINARY = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3)), ((1,), ())]


def distinct(rng, shapes):
    """A permutation of well-separated values (no ties anywhere)."""
    (shape,) = shapes
    n = int(np.prod(shape))
    return [(rng.permutation(n) * 0.25 - n * 0.1).reshape(shape) + rng.uniform(0, 0.05, shape)]


def with_zeros(rng, shapes):
    """Values in [0.5, 1.5] of either sign, with a zero in each slice (two in the first)."""
    (shape,) = shapes
    a = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if a.ndim and a.shape[-1] > 1:
        a[..., 1] = 0.0
        if a.shape[-1] > 3:
            a.reshape(-1, a.shape[-1])[0, 3] = 0.0
    return [a]


def away_from_integers(rng, shapes):
    """Values whose fractional part lies in [0.2, 0.8] (clear of the steps of rounding)."""
    return [rng.integers(-3, 3, s) + rng.uniform(0.2, 0.8, s) for s in shapes]


def dividend_divisor(rng, shapes):
    """|a| in [0.2, 2] and |b| in [2.5, 3.5]: 0 < |a / b| < 0.8, clear of every integer, so the
    integer quotient is locally constant."""
    a, b = shapes
    sign = rng.choice([-1.0, 1.0], a), rng.choice([-1.0, 1.0], b)
    return [rng.uniform(0.2, 2.0, a) * sign[0], rng.uniform(2.5, 3.5, b) * sign[1]]


def np_cumulative(fn):
    return lambda a: fn(a, axis=-1) if a.ndim else a.copy()


def np_logcumsumexp(a):
    return np.logaddexp.accumulate(a, axis=-1) if a.ndim else a.copy()


def np_sort(a, descending=False):
    s = np.sort(a, axis=-1)
    return s[..., ::-1] if descending else s


def np_kth(a, k):
    return np.sort(a, axis=-1)[..., k - 1]


SPECS: list[OpSpec] = [
    OpSpec("cumsum", lambda x: ember.cumsum(x, -1), np_cumulative(np.cumsum), ALONG + ZERO_D),
    OpSpec("cumsum_dim0", lambda x: x.cumsum(0), lambda a: np.cumsum(a, 0), [((3, 4),)]),
    OpSpec("cumprod", lambda x: ember.cumprod(x, -1), np_cumulative(np.cumprod), ALONG + ZERO_D),
    OpSpec(
        "cumprod_zeros",
        lambda x: ember.cumprod(x, -1),
        np_cumulative(np.cumprod),
        [((2, 5),), ((4,),), ((3, 2),)],
        make=with_zeros,
    ),
    OpSpec("logcumsumexp", lambda x: ember.logcumsumexp(x, -1), np_logcumsumexp, ALONG + ZERO_D),
    OpSpec(
        "cummax",
        lambda x: ember.cummax(x, -1).values,
        np_cumulative(np.maximum.accumulate),
        ALONG,
        make=distinct,
    ),
    OpSpec(
        "cummin",
        lambda x: x.cummin(-1).values,
        np_cumulative(np.minimum.accumulate),
        ALONG,
        make=distinct,
    ),
    OpSpec("diff", lambda x: ember.diff(x), lambda a: np.diff(a), [((3, 4),), ((5,),)]),
    OpSpec("diff_n2_dim0", lambda x: x.diff(2, 0), lambda a: np.diff(a, 2, 0), [((4, 3),)]),
    OpSpec("sort", lambda x: ember.sort(x).values, np_sort, ALONG, make=distinct),
    OpSpec(
        "sort_descending",
        lambda x: x.sort(descending=True)[0],
        lambda a: np_sort(a, True),
        ALONG,
        make=distinct,
    ),
    OpSpec(
        "topk",
        lambda x: ember.topk(x, 1).values,
        lambda a: np_sort(a, True)[..., :1],
        ALONG,
        make=distinct,
    ),
    OpSpec(
        "topk_smallest",
        lambda x: x.topk(2, dim=0, largest=False).values,
        lambda a: np.sort(a, axis=0)[:2],
        [((3, 4),), ((2, 1),)],
        make=distinct,
    ),
    OpSpec(
        "kthvalue", lambda x: ember.kthvalue(x, 1)[0], lambda a: np_kth(a, 1), ALONG, make=distinct
    ),
    OpSpec(
        "median_dim",
        lambda x: ember.median(x, -1).values,
        lambda a: np_kth(a, (a.shape[-1] + 1) // 2),
        ALONG,
        make=distinct,
    ),
    OpSpec(
        "median_all",
        lambda x: ember.median(x),
        lambda a: np.sort(a.reshape(-1))[(a.size - 1) // 2],
        ALONG + ZERO_D,
        make=distinct,
    ),
    OpSpec("log2", ember.log2, np.log2, [((3, 4),), ((),), ((1,),)], domain=(0.2, 3.0)),
    OpSpec("log10", ember.log10, np.log10, [((3, 4),), ((),), ((1,),)], domain=(0.2, 3.0)),
    OpSpec("exp2", ember.exp2, np.exp2, [((3, 4),), ((),), ((1,),)]),
    OpSpec("floor", ember.floor, np.floor, [((3, 4),), ((),)], make=away_from_integers),
    OpSpec("ceil", ember.ceil, np.ceil, [((3, 4),), ((),)], make=away_from_integers),
    OpSpec("trunc", ember.trunc, np.trunc, [((3, 4),), ((),)], make=away_from_integers),
    OpSpec("round", ember.round, np.round, [((3, 4),), ((),)], make=away_from_integers),
    OpSpec(
        "frac", ember.frac, lambda a: a - np.trunc(a), [((3, 4),), ((),)], make=away_from_integers
    ),
    OpSpec("fmod", ember.fmod, np.fmod, BINARY, make=dividend_divisor),
    OpSpec("remainder", ember.remainder, np.remainder, BINARY, make=dividend_divisor),
    OpSpec(
        "div_trunc",
        lambda a, b: ember.div(a, b, rounding_mode="trunc"),
        lambda a, b: np.trunc(a / b),
        BINARY,
        make=dividend_divisor,
    ),
    OpSpec("floor_divide", ember.floor_divide, np.floor_divide, BINARY, make=dividend_divisor),
]
