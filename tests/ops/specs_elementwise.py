"""Op specs: elementwise family, activations, maximum/minimum/clamp/where (see harness.py).

Inputs keep clear of kinks (0 for relu/abs, ties for maximum, the bounds of clamp) so that finite
differences are meaningful; the conventions at the kinks are tested in test_elementwise.py.
"""

import math

import numpy as np

import ember

from .harness import OpSpec

BINARY = [
    ((3, 4), (3, 4)),
    ((2, 3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((), (2, 3)),
    ((1,), ()),
    ((0, 3), (3,)),
]
UNARY = [((3, 4),), ((),), ((1,),), ((2, 0),), ((2, 1, 3),)]
FEW = [((3, 4),), ((),), ((2, 0),)]  # for variants of an op already covered on UNARY

_erf = np.vectorize(math.erf, otypes=[float])


def away(lo: float, hi: float, center: float = 0.0):
    """Inputs center + d with |d| in [lo, hi] and a random sign: clear of a kink at ``center``."""

    def make(rng, shapes):
        return [center + rng.uniform(lo, hi, s) * rng.choice([-1.0, 1.0], s) for s in shapes]

    return make


def positive_base(rng, shapes):
    """pow(a, b): a in [0.5, 2], b in [-2, 2]."""
    a, b = shapes
    return [rng.uniform(0.5, 2.0, size=a), rng.uniform(-2.0, 2.0, size=b)]


def separated(rng, shapes):
    """maximum/minimum operands that never tie: |a| in [0.1, 2], |b| <= 0.05."""
    a, b = shapes
    return [away(0.1, 2.0)(rng, [a])[0], rng.uniform(-0.05, 0.05, size=b)]


def condition_and_branches(rng, shapes):
    """where: a bool condition and two float branches."""
    c, a, b = shapes
    return [rng.random(c) < 0.5, rng.uniform(-2, 2, size=a), rng.uniform(-2, 2, size=b)]


def condition_and_branch(rng, shapes):
    """where with a number as the other branch: a bool condition and one float branch."""
    c, a = shapes
    return [rng.random(c) < 0.5, rng.uniform(-2, 2, size=a)]


def clamp_tensor_bounds(rng, shapes):
    """clamp(x, lo, hi) with lo < hi and x at least 0.1 from either bound."""
    x_shape, lo_shape, hi_shape = shapes
    lo = rng.uniform(-1.5, -0.5, size=lo_shape)
    hi = rng.uniform(0.5, 1.5, size=hi_shape)
    x = rng.choice([-3.0, 0.0, 3.0], size=x_shape) + rng.uniform(-0.3, 0.3, size=x_shape)
    return [x, lo, hi]


def copy_inputs(rng, shapes):
    a, src = shapes
    return [rng.uniform(-2, 2, size=a), rng.uniform(-2, 2, size=src)]


def softplus_ref(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


def gelu_tanh_ref(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


SPECS: list[OpSpec] = [
    # arithmetic
    OpSpec("add", lambda a, b: a + b, np.add, BINARY),
    OpSpec("sub", lambda a, b: a - b, np.subtract, BINARY),
    OpSpec("mul", lambda a, b: a * b, np.multiply, BINARY),
    OpSpec("div", lambda a, b: a / b, np.divide, BINARY, domain=(0.5, 2.0)),
    OpSpec("add_alpha", lambda a, b: ember.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b, BINARY),
    OpSpec("sub_alpha", lambda a, b: a.sub(b, alpha=-1.5), lambda a, b: a + 1.5 * b, BINARY[:3]),
    OpSpec("add_scalar", lambda a: a + 1.5, lambda a: a + 1.5, FEW),
    OpSpec("radd_scalar", lambda a: 2 + a, lambda a: 2 + a, FEW),
    OpSpec("sub_scalar", lambda a: a - 0.5, lambda a: a - 0.5, FEW),
    OpSpec("rsub_scalar", lambda a: 1.5 - a, lambda a: 1.5 - a, UNARY),
    OpSpec("mul_scalar", lambda a: a * 2.5, lambda a: a * 2.5, UNARY),
    OpSpec("rmul_scalar", lambda a: 3 * a, lambda a: 3 * a, FEW),
    OpSpec("div_scalar", lambda a: a / 4.0, lambda a: a / 4.0, FEW),
    OpSpec("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, UNARY, domain=(0.5, 2.0)),
    OpSpec("neg", lambda a: -a, np.negative, UNARY),
    OpSpec("reciprocal", lambda a: a.reciprocal(), np.reciprocal, UNARY, make=away(0.5, 2.0)),
    # pow in all its forms
    OpSpec("pow", lambda a, b: a**b, np.power, BINARY, make=positive_base),
    OpSpec("pow_int", lambda a: a**3, lambda a: a**3, UNARY),
    OpSpec("pow_square", lambda a: a.pow(2), np.square, FEW),
    OpSpec("pow_frac", lambda a: a**2.5, lambda a: a**2.5, FEW, domain=(0.5, 2.0)),
    OpSpec("pow_neg", lambda a: a**-1.5, lambda a: a**-1.5, FEW, domain=(0.5, 2.0)),
    OpSpec("pow_zero", lambda a: a**0, lambda a: a**0, FEW),
    OpSpec("rpow", lambda a: 2.0**a, lambda a: 2.0**a, UNARY),
    OpSpec("rpow_frac", lambda a: 0.5**a, lambda a: 0.5**a, FEW),
    OpSpec("pow_fn", lambda a, b: ember.pow(a, b), np.power, BINARY[:3], make=positive_base),
    # exp, log, roots
    OpSpec("exp", lambda a: a.exp(), np.exp, UNARY),
    OpSpec("expm1", lambda a: a.expm1(), np.expm1, UNARY),
    OpSpec("log", lambda a: a.log(), np.log, UNARY, domain=(0.5, 3.0)),
    OpSpec("log1p", lambda a: a.log1p(), np.log1p, UNARY, domain=(-0.5, 2.0)),
    OpSpec("sqrt", lambda a: a.sqrt(), np.sqrt, UNARY, domain=(0.5, 3.0)),
    OpSpec("rsqrt", lambda a: a.rsqrt(), lambda a: 1 / np.sqrt(a), UNARY, domain=(0.5, 3.0)),
    OpSpec("abs", lambda a: a.abs(), np.abs, UNARY, make=away(0.1, 2.0)),
    OpSpec("sign", lambda a: a.sign(), np.sign, UNARY, make=away(0.1, 2.0)),
    # trigonometry
    OpSpec("sin", lambda a: a.sin(), np.sin, UNARY),
    OpSpec("cos", lambda a: a.cos(), np.cos, UNARY),
    OpSpec("tan", lambda a: a.tan(), np.tan, UNARY, domain=(-1.2, 1.2)),
    # activations
    OpSpec("tanh", lambda a: a.tanh(), np.tanh, UNARY),
    OpSpec("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), UNARY, domain=(-4, 4)),
    OpSpec("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), UNARY, make=away(0.1, 2.0)),
    OpSpec(
        "leaky_relu",
        lambda a: ember.leaky_relu(a, 0.2),
        lambda a: np.where(a > 0, a, 0.2 * a),
        UNARY,
        make=away(0.1, 2.0),
    ),
    OpSpec(
        "elu",
        lambda a: ember.elu(a, alpha=1.5),
        lambda a: np.where(a > 0, a, 1.5 * np.expm1(a)),
        UNARY,
        make=away(0.1, 2.0),
    ),
    OpSpec(
        "gelu",
        lambda a: ember.gelu(a),
        lambda a: a * 0.5 * (1 + _erf(a / math.sqrt(2))),
        UNARY,
        domain=(-4, 4),
    ),
    OpSpec("gelu_tanh", lambda a: ember.gelu(a, approximate="tanh"), gelu_tanh_ref, UNARY),
    OpSpec("erf", lambda a: ember.erf(a), _erf, UNARY, domain=(-3, 3)),
    OpSpec("softplus", lambda a: ember.softplus(a), softplus_ref, UNARY, domain=(-5, 5)),
    OpSpec(
        "softplus_beta_threshold",
        lambda a: ember.softplus(a, beta=2.0, threshold=1.0),
        lambda a: softplus_ref(a, 2.0, 1.0),
        UNARY,
        make=away(0.1, 1.0, center=0.5),  # beta * x crosses the threshold at x = 0.5
    ),
    # selection
    OpSpec("maximum", lambda a, b: ember.maximum(a, b), np.maximum, BINARY, make=separated),
    OpSpec("minimum", lambda a, b: a.minimum(b), np.minimum, BINARY, make=separated),
    OpSpec(
        "clamp",
        lambda a: a.clamp(-0.5, 0.5),
        lambda a: np.clip(a, -0.5, 0.5),
        UNARY,
        make=away(0.6, 2.0),
    ),
    OpSpec(
        "clamp_min",
        lambda a: a.clamp(min=0.25),
        lambda a: np.maximum(a, 0.25),
        FEW,
        make=away(0.3, 2.0),
    ),
    OpSpec(
        "clip_max",
        lambda a: ember.clip(a, max=-0.25),
        lambda a: np.minimum(a, -0.25),
        FEW,
        make=away(0.3, 2.0),
    ),
    OpSpec(
        "clamp_tensor",
        lambda x, lo, hi: ember.clamp(x, lo, hi),
        np.clip,
        [
            ((3, 4), (3, 4), (3, 4)),
            ((2, 3), (3,), ()),
            ((4, 1), (1, 3), (4, 3)),
            ((0, 2), (2,), ()),
        ],
        make=clamp_tensor_bounds,
    ),
    OpSpec(
        "where",
        lambda c, a, b: ember.where(c, a, b),
        np.where,
        [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), ()), ((), (2, 3), (3,)), ((0, 2), (2,), (1,))],
        make=condition_and_branches,
    ),
    OpSpec(
        "where_scalar",
        lambda c, a: ember.where(c, a, 0.5),
        lambda c, a: np.where(c, a, 0.5),
        [((3, 4), (4,)), ((), ())],
        make=condition_and_branch,
    ),
    OpSpec(
        "copy_from",
        lambda a, src: ember.copy_from(a, src),
        lambda a, src: np.broadcast_to(src, a.shape).copy(),
        [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3), ()), ((0, 2), (1,))],
        make=copy_inputs,
    ),
]
