"""Op specs: Cholesky factorisation and triangular solves (see harness.py).

Cholesky's input is built as x x^T + n I from the random x, so that it is symmetric positive
definite and finite differences see a symmetric perturbation (the convention of its gradient).
"""

import numpy as np

import ember

from .harness import OpSpec

SQUARE = [((3, 3),), ((2, 4, 4),), ((1, 1),)]
SOLVE = [((3, 3), (3, 2)), ((2, 3, 3), (3, 1)), ((3, 3), (2, 3, 4)), ((1, 1), (1, 1))]


def _spd(x):
    n = x.shape[-1]
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


def _spd_tensor(x):
    n = x.shape[-1]
    return x @ x.mT + n * ember.eye(n, dtype=x.dtype)


def _triangular(rng, shapes):
    """A well-conditioned triangle (diagonal away from 0) and a right-hand side."""
    a, b = shapes
    n = a[-1]
    return [rng.uniform(-1, 1, a) + 3 * np.eye(n), rng.uniform(-2, 2, b)]


def _solve_ref(upper, left=True, unit=False):
    def ref(a, b):
        t = np.triu(a) if upper else np.tril(a)
        if unit:
            t = (
                t
                - np.diagonal(t, axis1=-2, axis2=-1)[..., None] * np.eye(a.shape[-1])
                + np.eye(a.shape[-1])
            )
        if left:
            return np.linalg.solve(t, b)
        return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)

    return ref


def _transposed(rng, shapes):
    a, b = _triangular(rng, shapes)
    return [a, np.swapaxes(b, -1, -2)]


SPECS: list[OpSpec] = [
    OpSpec(
        "cholesky",
        lambda x: ember.linalg.cholesky(_spd_tensor(x)),
        lambda x: np.linalg.cholesky(_spd(x)),
        SQUARE,
    ),
    OpSpec(
        "cholesky_upper",
        lambda x: ember.cholesky(_spd_tensor(x), upper=True),
        lambda x: np.swapaxes(np.linalg.cholesky(_spd(x)), -1, -2),
        SQUARE[:2],
    ),
    OpSpec(
        "solve_triangular_lower",
        lambda a, b: ember.linalg.solve_triangular(a, b, upper=False),
        _solve_ref(False),
        SOLVE,
        make=_triangular,
    ),
    OpSpec(
        "solve_triangular_upper_unit",
        lambda a, b: ember.linalg.solve_triangular(a, b, upper=True, unitriangular=True),
        _solve_ref(True, unit=True),
        SOLVE[:2],
        make=_triangular,
    ),
    OpSpec(
        "solve_triangular_right",
        lambda a, b: ember.linalg.solve_triangular(a, b, upper=False, left=False),
        _solve_ref(False, left=False),
        SOLVE[:2],
        make=_transposed,
    ),
]
