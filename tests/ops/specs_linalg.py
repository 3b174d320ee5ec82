"""Op specs: linalg family (see harness.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from .harness import OpSpec
from .specs_reduce import DIM_FORMS, forms, reductions

MATMUL = [
    ((3, 4), (4, 5)),  # 2-D @ 2-D
    ((4,), (4,)),  # 1-D @ 1-D: a dot product
    ((4,), (4, 5)),  # 1-D @ 2-D
    ((3, 4), (4,)),  # 2-D @ 1-D
    ((2, 3, 4), (4, 5)),  # batched @ 2-D
    ((2, 3, 4), (2, 4, 5)),  # batched @ batched
    ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch dims
    ((4,), (2, 4, 5)),  # 1-D @ batched
    ((2, 3, 4), (4,)),  # batched @ 1-D
    ((1, 4), (4, 1)),  # size-1 dims
    ((0, 4), (4, 3)),  # empty rows
    ((3, 0), (0, 2)),  # empty contraction: zeros
]

EINSUM = [
    ("ij,jk->ik", ((3, 4), (4, 5))),
    ("bij,bjk->bik", ((2, 3, 4), (2, 4, 5))),
    ("i,i->", ((4,), (4,))),
    ("ij->ji", ((3, 4),)),
    ("ii->i", ((3, 3),)),
    ("ii", ((3, 3),)),  # implicit output: the trace
    ("ij->", ((3, 4),)),
    ("ij->i", ((3, 4),)),
    ("ij,j->i", ((3, 4), (4,))),
    ("i,j->ij", ((3,), (4,))),
    ("ij,jk", ((3, 4), (4, 5))),  # implicit output: 'ik'
    ("ba,ca", ((2, 3), (4, 3))),  # implicit output in alphabetical order: 'bc'
    ("...ij,...jk->...ik", ((2, 1, 3, 4), (5, 4, 2))),  # broadcast ellipsis
    ("...i->...", ((2, 3, 4),)),
    ("...i,...i", ((2, 3), (3,))),
    ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2))),
    ("bi,bj->bij", ((2, 3), (2, 4))),
    ("iij->j", ((2, 2, 3),)),
]

LINEAR = [
    ((5, 3), (4, 3), (4,)),
    ((3,), (4, 3), (4,)),
    ((2, 5, 3), (4, 3), (4,)),
    ((0, 3), (4, 3), (4,)),
    ((5, 3), (1, 3), (1,)),
]


def np_norm(p: float) -> Any:
    def ref(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
        size = np.abs(a)
        if p == 0:
            return np.sum(a != 0, axis=axis, keepdims=keepdims).astype(a.dtype)
        if np.isinf(p):
            return (np.max if p > 0 else np.min)(size, axis=axis, keepdims=keepdims)
        return np.sum(size**p, axis=axis, keepdims=keepdims) ** (1 / p)

    return ref


def away_from_zero(rng: np.random.Generator, shapes: Any) -> list[np.ndarray]:
    """Values of both signs with |x| in [0.5, 2] (p < 2 norms bend sharply near 0)."""
    return [rng.uniform(0.5, 2.0, size=s) * rng.choice([-1, 1], size=s) for s in shapes]


def distinct(rng: np.random.Generator, shapes: Any) -> list[np.ndarray]:
    """Magnitudes far apart (the inf norms pick one element)."""
    size = int(np.prod(shapes[0]))
    sizes = rng.permutation(size).reshape(shapes[0]) * 0.5 + 0.5
    return [sizes * rng.choice([-1, 1], size=shapes[0])]


def norms() -> list[OpSpec]:
    out = []
    for p, make in (
        (2, None),
        ("fro", None),
        (1, away_from_zero),
        (3, away_from_zero),
        (0.5, away_from_zero),
        (0, None),
        (np.inf, distinct),
        (-np.inf, distinct),
    ):
        ref = np_norm(2 if p == "fro" else p)
        form = DIM_FORMS if p in (np.inf, -np.inf) else [*DIM_FORMS, *forms("empty")]
        out += reductions(
            f"norm_p{p}", lambda x, p=p, **k: ember.norm(x, p, **k), ref, form, make=make
        )
    return out


def einsum_spec(equation: str, shapes: tuple) -> OpSpec:
    return OpSpec(
        f"einsum[{equation}]",
        lambda *xs: ember.einsum(equation, *xs),
        lambda *arrays: np.einsum(equation, *arrays),
        [shapes],
    )


def einsum_sum_ellipsis() -> OpSpec:
    """'i...->i' sums the ellipsis dims (PyTorch allows it; NumPy's einsum does not)."""
    return OpSpec(
        "einsum[i...->i]",
        lambda x: ember.einsum("i...->i", x),
        lambda a: a.reshape(a.shape[0], -1).sum(1),
        [((3, 2, 2),), ((3,),)],
    )


def np_linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    return x @ w.T + (0 if b is None else b)


SPECS: list[OpSpec] = [
    OpSpec("matmul", lambda a, b: a @ b, np.matmul, MATMUL),
    OpSpec("matmul_fn", ember.matmul, np.matmul, MATMUL[:2]),
    OpSpec("mm", ember.mm, np.matmul, [((3, 4), (4, 5)), ((1, 1), (1, 1)), ((0, 2), (2, 3))]),
    OpSpec("bmm", ember.bmm, np.matmul, [((2, 3, 4), (2, 4, 5)), ((1, 2, 2), (1, 2, 1))]),
    OpSpec("dot", ember.dot, np.dot, [((4,), (4,)), ((1,), (1,)), ((0,), (0,))]),
    OpSpec("outer", ember.outer, np.outer, [((3,), (4,)), ((1,), (1,)), ((0,), (2,))]),
    *(einsum_spec(eq, shapes) for eq, shapes in EINSUM),
    einsum_sum_ellipsis(),
    OpSpec("linear", ember.linear, np_linear, LINEAR),
    OpSpec("linear_nobias", ember.linear, np_linear, [(x, w) for x, w, _ in LINEAR]),
    OpSpec("linear_1d_weight", ember.linear, np_linear, [((5, 3), (3,), ()), ((3,), (3,), ())]),
    OpSpec(
        "addmm",
        lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2.0),
        lambda c, a, b: 0.5 * c + 2.0 * (a @ b),
        [((3, 4), (3, 2), (2, 4)), ((4,), (3, 2), (2, 4)), ((), (1, 2), (2, 1))],
    ),
    OpSpec("addmm_default", ember.addmm, lambda c, a, b: c + a @ b, [((3, 4), (3, 2), (2, 4))]),
    *norms(),
]
