"""Op specs: reduce family (see harness.py).

Each reduction is tested with every ``dim`` form (all dims, a negative int, a tuple with keepdim,
dim 0 of a 0-d tensor) over the shapes that suit it; ops with an identity also reduce empty dims.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from .harness import OpSpec

# (label, kwargs for ember, cases)
DIM_FORMS: list[tuple[str, dict, list]] = [
    ("all", {}, [((3, 4),), ((),), ((1,),), ((2, 1, 3),)]),
    ("dim-1", {"dim": -1}, [((3, 4),), ((2, 1, 3),)]),
    ("dims_keep", {"dim": (0, -1), "keepdim": True}, [((3, 4),), ((2, 1, 3),)]),
    ("dim1_keep", {"dim": 1, "keepdim": True}, [((2, 1, 3),)]),
    ("0d_dim0", {"dim": 0}, [((),)]),
]
EMPTY_FORMS: list[tuple[str, dict, list]] = [
    ("empty", {"dim": 0}, [((0, 3),), ((2, 0),)]),
    ("empty_all", {}, [((0, 3),)]),
]


def forms(*labels: str) -> list[tuple[str, dict, list]]:
    """The dim forms with these labels."""
    return [f for f in DIM_FORMS + EMPTY_FORMS if f[0] in labels]


def np_axis(kwargs: dict, ndim: int) -> dict:
    """ember's dim/keepdim as NumPy's axis/keepdims (dim 0 of a 0-d tensor is no axis)."""
    dim = kwargs.get("dim")
    return {"axis": dim if ndim else None, "keepdims": kwargs.get("keepdim", False)}


def reductions(
    name: str,
    fn: Any,
    ref: Any,
    forms: list[tuple[str, dict, list]] = DIM_FORMS,
    **spec: Any,
) -> list[OpSpec]:
    """One spec per dim form: ``fn(x, **kwargs)`` against ``ref(a, axis=, keepdims=)``."""
    out = []
    for label, kwargs, cases in forms:
        out.append(
            OpSpec(
                f"{name}[{label}]",
                lambda x, k=kwargs: fn(x, **k),
                lambda a, k=kwargs: ref(a, **np_axis(k, a.ndim)),
                cases,
                **spec,
            )
        )
    return out


def np_mean(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        count = np.sum(np.ones_like(a), axis=axis, keepdims=keepdims)
        return np.sum(a, axis=axis, keepdims=keepdims) / count


def np_logsumexp(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    with np.errstate(divide="ignore"):  # log(0) = -inf over an empty dim, as expected
        return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def with_zeros(count: int, same_slice: bool = True) -> Any:
    """Inputs with ``count`` zeros, in one row (or spread over rows)."""

    def make(rng: np.random.Generator, shapes: Any) -> list[np.ndarray]:
        a = rng.uniform(0.5, 2.0, size=shapes[0]) * rng.choice([-1, 1], size=shapes[0])
        flat = a.reshape(a.shape[0], -1)
        for i in range(count):
            flat[0 if same_slice else i, i] = 0.0
        return [a]

    return make


def ties(rng: np.random.Generator, shapes: Any) -> list[np.ndarray]:
    """Values far apart (no near-ties for finite differences) with no exact ties."""
    size = int(np.prod(shapes[0]))
    return [rng.permutation(size).reshape(shapes[0]) * 0.5 - 1.0]


ZERO_FORMS = [
    ("dim1", {"dim": 1}, [((3, 4),), ((2, 3, 2),)]),
    ("all", {}, [((3, 4),)]),
]

SINGLE_DIM = forms("dim-1", "dim1_keep", "0d_dim0")
# var and std over more than one element (one element: nan, as in PyTorch; tested apart)
SPREAD = [
    *forms("dims_keep"),
    ("dim1_keep", {"dim": 1, "keepdim": True}, [((2, 3, 2),)]),
    ("all", {}, [((3, 4),), ((2, 1, 3),)]),
]

SPECS: list[OpSpec] = [
    *reductions("sum", ember.sum, np.sum, DIM_FORMS + EMPTY_FORMS),
    *reductions("mean", ember.mean, np_mean, [*DIM_FORMS, *forms("empty")]),
    *reductions("prod", ember.prod, np.prod, DIM_FORMS + EMPTY_FORMS),
    *reductions("prod_1zero", ember.prod, np.prod, ZERO_FORMS, make=with_zeros(1)),
    *reductions("prod_2zeros", ember.prod, np.prod, ZERO_FORMS, make=with_zeros(2)),
    *reductions("prod_2zeros_apart", ember.prod, np.prod, ZERO_FORMS, make=with_zeros(2, False)),
    *reductions("prod_3zeros", ember.prod, np.prod, ZERO_FORMS, make=with_zeros(3)),
    *reductions("amax", ember.amax, np.max, make=ties),
    *reductions("amin", ember.amin, np.min, make=ties),
    *reductions("max", ember.max, np.max, forms("all"), make=ties),
    *reductions("min", ember.min, np.min, forms("all"), make=ties),
    *reductions("max_dim", lambda x, **k: ember.max(x, **k).values, np.max, SINGLE_DIM, make=ties),
    *reductions("min_dim", lambda x, **k: ember.min(x, **k).values, np.min, SINGLE_DIM, make=ties),
    *reductions("logsumexp", ember.logsumexp, np_logsumexp, [*DIM_FORMS, *forms("empty")]),
    *reductions("var", ember.var, lambda a, **k: np.var(a, ddof=1, **k), SPREAD),
    *reductions("var_biased", lambda x, **k: ember.var(x, unbiased=False, **k), np.var),
    *reductions(
        "var_correction2",
        lambda x, **k: ember.var(x, correction=2, **k),
        lambda a, **k: np.var(a, ddof=2, **k),
        forms("dims_keep"),
    ),
    *reductions("std", ember.std, lambda a, **k: np.std(a, ddof=1, **k), SPREAD),
    *reductions("std_biased", lambda x, **k: ember.std(x, correction=0, **k), np.std),
    OpSpec(
        "sum_to_size_rows",
        lambda x: x.sum_to_size(1, 4),
        lambda a: a.sum(0, keepdims=True),
        [((3, 4),), ((1, 4),)],
    ),
    OpSpec(
        "sum_to_size_leading",
        lambda x: x.sum_to_size((3, 1)),
        lambda a: a.sum((0, 2))[:, None],
        [((2, 3, 4),), ((2, 3, 1),)],
    ),
    OpSpec("sum_to_size_0d", lambda x: x.sum_to_size(()), np.sum, [((2, 3),), ((),)]),
]
