"""Op specs: more pointwise functions, index writes (scatter, index_add, ...), matrix helpers
(see harness.py). Index tensors are fixed (not drawn), so each case hits repeated and untouched
positions; scatter_reduce's amax/amin inputs have no ties."""

from __future__ import annotations

import math

import numpy as np

import ember

from .harness import OpSpec

UNARY = [((3, 4),), ((),), ((1,),), ((2, 1, 3),)]
BINARY = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3)), ((1,), ())]
_erfc = np.vectorize(math.erfc, otypes=[float])

IDX = ember.tensor([[0, 2, 0, 1], [2, 2, 1, 0]])  # along dim 0 of a (3, 4) input
# scatter without repeats: PyTorch, too, leaves the winner of a repeated position unspecified
# while giving every source its gradient.
UNIQUE = ember.tensor([[0, 2, 0, 1], [2, 1, 1, 0]])


def np_scatter(a, src):
    out = a.copy()
    for i, j in np.ndindex(UNIQUE.shape):
        out[UNIQUE.numpy()[i, j], j] = src[i, j]
    return out


def np_scatter_reduce(a, src, how, include_self):
    out = a.copy()
    groups: dict = {}
    for i, j in np.ndindex(IDX.shape):
        groups.setdefault((IDX.numpy()[i, j], j), []).append(src[i, j])
    for key, values in groups.items():
        values = ([a[key]] if include_self else []) + values
        out[key] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max}[how](values)
    return out


def distinct(rng, shapes):
    """Well-separated values for both operands (no ties between or within them)."""
    n = sum(int(np.prod(s)) for s in shapes)
    values = rng.permutation(n) * 0.3 + 0.5 + rng.uniform(0, 0.05, n)
    out, start = [], 0
    for s in shapes:
        size = int(np.prod(s))
        out.append(values[start : start + size].reshape(s))
        start += size
    return out


def np_kron(a, b):
    return np.kron(a, b)


def np_cdist(x, y, p):
    d = np.abs(x[..., :, None, :] - y[..., None, :, :])
    return (d**p).sum(-1) ** (1 / p)


def well_conditioned(rng, shapes):
    """Square matrices near 3 I (far from singular), other operands uniform."""
    out = []
    for s in shapes:
        a = rng.uniform(-1, 1, s)
        if len(s) >= 2 and s[-1] == s[-2]:
            a = a + 3 * np.eye(s[-1])
        out.append(a)
    return out


SPECS: list[OpSpec] = [
    OpSpec(
        "inverse",
        ember.inverse,
        np.linalg.inv,
        [((3, 3),), ((2, 4, 4),), ((1, 1),)],
        make=well_conditioned,
    ),
    OpSpec(
        "det", ember.det, np.linalg.det, [((3, 3),), ((2, 2, 2),), ((1, 1),)], make=well_conditioned
    ),
    OpSpec(
        "logdet",
        ember.logdet,
        lambda a: np.linalg.slogdet(a)[1],
        [((3, 3),), ((2, 2, 2),)],
        make=well_conditioned,
    ),
    OpSpec(
        "solve",
        ember.linalg.solve,
        np.linalg.solve,
        [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 4)), ((3, 3), (2, 3, 1))],
        make=well_conditioned,
    ),
    OpSpec(
        "solve_vector",
        ember.linalg.solve,
        lambda a, b: np.linalg.solve(a, b[:, None])[:, 0],
        [((3, 3), (3,))],
        make=well_conditioned,
    ),
    OpSpec("sinh", ember.sinh, np.sinh, UNARY),
    OpSpec("cosh", ember.cosh, np.cosh, UNARY),
    OpSpec("asin", ember.asin, np.arcsin, UNARY, domain=(-0.9, 0.9)),
    OpSpec("acos", ember.acos, np.arccos, UNARY, domain=(-0.9, 0.9)),
    OpSpec("atan", ember.atan, np.arctan, UNARY),
    OpSpec("asinh", ember.asinh, np.arcsinh, UNARY),
    OpSpec("acosh", ember.acosh, np.arccosh, UNARY, domain=(1.2, 3.0)),
    OpSpec("atanh", ember.atanh, np.arctanh, UNARY, domain=(-0.9, 0.9)),
    OpSpec("erfc", ember.erfc, _erfc, UNARY, domain=(-3.0, 3.0)),
    OpSpec("atan2", ember.atan2, np.arctan2, BINARY, domain=(0.2, 2.0)),
    OpSpec("hypot", ember.hypot, np.hypot, BINARY, domain=(0.2, 2.0)),
    OpSpec("logaddexp", ember.logaddexp, np.logaddexp, BINARY, make=distinct),
    OpSpec("logaddexp2", ember.logaddexp2, np.logaddexp2, BINARY, make=distinct),
    OpSpec("xlogy", ember.xlogy, lambda a, b: a * np.log(b), BINARY, domain=(0.2, 2.0)),
    OpSpec(
        "lerp",
        lambda a, b: ember.lerp(a, b, 0.3),
        lambda a, b: a + 0.3 * (b - a),
        BINARY,
    ),
    OpSpec(
        "addcdiv",
        lambda a, b: ember.addcdiv(a, b, b * b + 1, value=0.5),
        lambda a, b: a + 0.5 * b / (b * b + 1),
        BINARY,
    ),
    OpSpec("square", ember.square, np.square, UNARY),
    OpSpec("logit", ember.logit, lambda a: np.log(a / (1 - a)), UNARY, domain=(0.1, 0.9)),
    OpSpec("sinc", ember.sinc, np.sinc, UNARY, domain=(0.1, 2.0)),
    OpSpec(
        "scatter",
        lambda a, s: ember.scatter(a, 0, UNIQUE, s),
        np_scatter,
        [((3, 4), (2, 4)), ((3, 4), (3, 5))],
    ),
    OpSpec(
        "scatter_value",
        lambda a: a.scatter(1, IDX[:, :3].T.contiguous(), value=2.5),
        lambda a: _scatter_value(a),
        [((4, 3),)],
    ),
    *[
        OpSpec(
            f"scatter_reduce_{how}_{'self' if inc else 'noself'}",
            lambda a, s, h=how, i=inc: ember.scatter_reduce(a, 0, IDX, s, h, include_self=i),
            lambda a, s, h=how, i=inc: np_scatter_reduce(a, s, h, i),
            [((3, 4), (2, 4))],
            make=distinct,
            gradgrad=how != "amax",
        )
        for how in ("sum", "prod", "mean", "amax")
        for inc in (True, False)
    ],
    OpSpec(
        "index_add",
        lambda a, s: a.index_add(1, ember.tensor([2, 0, 2]), s, alpha=2.0),
        lambda a, s: _index_add(a, s),
        [((2, 4), (2, 3))],
    ),
    OpSpec(
        "index_copy",
        lambda a, s: ember.index_copy(a, 0, ember.tensor([2, 0]), s),
        lambda a, s: _index_copy(a, s),
        [((3, 2), (2, 2))],
    ),
    OpSpec(
        "index_fill",
        lambda a: ember.index_fill(a, 1, ember.tensor([0, 2]), -1.0),
        lambda a: _index_fill(a),
        [((2, 3),)],
    ),
    OpSpec(
        "masked_select",
        lambda a: ember.masked_select(a, ember.tensor([True, False, True])),
        lambda a: a[:, [0, 2]].reshape(-1),
        [((2, 3),)],
    ),
    OpSpec(
        "masked_scatter",
        lambda a, s: a.masked_scatter(ember.tensor([[True, False, True]]), s),
        lambda a, s: _masked_scatter(a, s),
        [((2, 3), (5,))],
    ),
    OpSpec(
        "take",
        lambda a: ember.take(a, ember.tensor([[5, 0], [-1, 5]])),
        lambda a: a.reshape(-1)[[[5, 0], [-1, 5]]],
        [((2, 3),)],
    ),
    OpSpec(
        "diagonal",
        lambda a: ember.diagonal(a, 1),
        lambda a: np.diagonal(a, 1),
        [((3, 4),), ((4, 2),)],
    ),
    OpSpec(
        "diagonal_batched",
        lambda a: a.diagonal(-1, 1, 2),
        lambda a: np.diagonal(a, -1, 1, 2),
        [((2, 3, 3),)],
    ),
    OpSpec(
        "diag_vector", lambda a: ember.diag(a, -1), lambda a: np.diag(a, -1), [((3,),), ((1,),)]
    ),
    OpSpec("diag_embed", ember.diag_embed, lambda a: _diag_embed(a), [((2, 3),), ((3,),)]),
    OpSpec("trace", ember.trace, np.trace, [((3, 4),), ((1, 1),)]),
    OpSpec("kron", ember.kron, np_kron, [((2, 3), (3, 2)), ((2,), (3,)), ((2, 2), (3,))]),
    OpSpec(
        "cross",
        lambda a, b: ember.linalg.cross(a, b),
        lambda a, b: np.cross(a, b),
        [((4, 3), (4, 3)), ((3,), (2, 3))],
    ),
    OpSpec(
        "baddbmm",
        lambda c, a, b: ember.baddbmm(c, a, b, beta=0.5, alpha=2.0),
        lambda c, a, b: 0.5 * c + 2.0 * (a @ b),
        [((2, 3, 4), (2, 3, 5), (2, 5, 4)), ((4,), (1, 3, 2), (1, 2, 4))],
    ),
    OpSpec(
        "addmv",
        lambda c, m, v: ember.addmv(c, m, v, alpha=0.5),
        lambda c, m, v: c + 0.5 * (m @ v),
        [((3,), (3, 4), (4,)), ((), (2, 2), (2,))],
    ),
    OpSpec(
        "cdist",
        lambda x, y: ember.cdist(x, y),
        lambda x, y: np_cdist(x, y, 2),
        [((3, 2), (4, 2)), ((2, 3, 4), (2, 2, 4))],
    ),
    OpSpec(
        "cdist_p1",
        lambda x, y: ember.cdist(x, y, 1.0),
        lambda x, y: np_cdist(x, y, 1),
        [((3, 2), (4, 2))],
        make=distinct,
    ),
    OpSpec(
        "matrix_norm_inf",
        lambda a: ember.linalg.matrix_norm(a, float("inf")),
        lambda a: np.linalg.norm(a, np.inf),
        [((3, 4),)],
        make=distinct,
    ),
    OpSpec(
        "linalg_norm_fro",
        lambda a: ember.linalg.norm(a, dim=(0, 1)),
        lambda a: np.linalg.norm(a),
        [((3, 4),)],
    ),
]


def _scatter_value(a):
    out = a.copy()
    idx = IDX.numpy()[:, :3].T
    for i, j in np.ndindex(idx.shape):
        out[i, idx[i, j]] = 2.5
    return out


def _index_add(a, s):
    out = a.copy()
    for k, col in enumerate([2, 0, 2]):
        out[:, col] += 2.0 * s[:, k]
    return out


def _index_copy(a, s):
    out = a.copy()
    out[[2, 0]] = s
    return out


def _index_fill(a):
    out = a.copy()
    out[:, [0, 2]] = -1.0
    return out


def _masked_scatter(a, s):
    out = a.copy()
    mask = np.broadcast_to(np.array([[True, False, True]]), a.shape)
    out[mask] = s[: mask.sum()]
    return out


def _diag_embed(a):
    out = np.zeros((*a.shape, a.shape[-1]))
    idx = np.arange(a.shape[-1])
    out[..., idx, idx] = a
    return out
