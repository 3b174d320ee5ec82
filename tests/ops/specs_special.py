"""Op specs: special functions (lgamma, digamma, polygamma, erfinv); references from mpmath."""

import math

import numpy as np
import pytest

import ember

from .harness import OpSpec

UNARY = [((3, 4),), ((),), ((1,),), ((2, 0),), ((2, 1, 3),)]


def _mpmath(name: str, *args):
    mpmath = pytest.importorskip("mpmath")
    fn = getattr(mpmath, name)
    return np.vectorize(lambda v: float(fn(*args, v)), otypes=[float])


def _ref(name: str, *args):
    def ref(a):
        return _mpmath(name, *args)(a)

    return ref


SPECS: list[OpSpec] = [
    OpSpec(
        "lgamma",
        lambda a: a.lgamma(),
        np.vectorize(math.lgamma, otypes=[float]),
        UNARY,
        domain=(0.1, 6.0),
    ),
    OpSpec(
        "lgamma_negative",
        lambda a: ember.lgamma(a),
        np.vectorize(math.lgamma, otypes=[float]),
        UNARY[:2],
        domain=(-2.9, -2.1),
    ),
    OpSpec("digamma", lambda a: a.digamma(), _ref("digamma"), UNARY, domain=(0.1, 20.0)),
    OpSpec(
        "digamma_negative",
        lambda a: ember.digamma(a),
        _ref("digamma"),
        UNARY[:2],
        domain=(-1.8, -1.2),
    ),
    OpSpec(
        "polygamma1",
        lambda a: ember.polygamma(1, a),
        _ref("polygamma", 1),
        UNARY,
        domain=(0.2, 20.0),
    ),
    OpSpec(
        "polygamma2", lambda a: a.polygamma(2), _ref("polygamma", 2), UNARY[:3], domain=(0.2, 5.0)
    ),
    OpSpec("erfinv", lambda a: a.erfinv(), _ref("erfinv"), UNARY, domain=(-0.95, 0.95)),
]


_A = np.array([0.3, 1.0, 2.5, 4.0])  # concentrations on both sides of x = a + 1


def _gammainc_ref(a, upper: bool):
    def ref(x):
        mpmath = pytest.importorskip("mpmath")

        def one(s, t):
            bounds = (t, mpmath.inf) if upper else (0, t)
            return float(mpmath.gammainc(s, *bounds, regularized=True))

        return np.vectorize(one, otypes=[float])(a, x)

    return ref


# differentiable in x only, as in PyTorch (a is a constant)
SPECS += [
    OpSpec(
        "igamma",
        lambda x: ember.igamma(ember.tensor(_A, dtype=x.dtype), x),
        _gammainc_ref(_A, False),
        [((3, 4),), ((4,),), ((2, 1, 4),)],
        domain=(0.1, 6.0),
    ),
    OpSpec(
        "igammac_scalar_a",
        lambda x: ember.igammac(ember.tensor(1.7, dtype=x.dtype), x),
        _gammainc_ref(1.7, True),
        [((3,),), ((),)],
        domain=(0.1, 6.0),
    ),
]
