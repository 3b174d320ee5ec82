"""The op-spec table machinery: one ``OpSpec`` per op drives every generic op test.

Each family lists its specs in ``specs_<family>.py``; ``test_opspecs.py`` derives from them:
forward against the NumPy reference, gradcheck (reverse and forward mode, float64),
gradgradcheck, no graph under ``no_grad``, and float32 in -> float32 out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import ember

Shapes = tuple[tuple[int, ...], ...]


@dataclass
class OpSpec:
    """How to test one op.

    ``fn`` takes ember tensors (one per shape in a case) and returns a tensor; ``ref`` takes NumPy
    float64 arrays and returns the expected array. ``cases`` are tuples of input shapes. ``domain``
    bounds the random inputs; ``make(rng, shapes)`` replaces the default input generator (arrays of
    a floating dtype become differentiable inputs, others are passed as they are). ``eps`` is the
    finite-difference step (larger for ops that round through a narrower dtype).
    """

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    cases: Sequence[Shapes]
    domain: tuple[float, float] = (-2.0, 2.0)
    make: Callable[[np.random.Generator, Shapes], list[np.ndarray]] | None = None
    gradgrad: bool = True
    jvp: bool = True
    differentiable: bool = True
    atol: float = 1e-5
    rtol: float = 1e-3
    eps: float = 1e-6
    marks: list = field(default_factory=list)

    def arrays(self, case: Shapes, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        if self.make is not None:
            return self.make(rng, case)
        lo, hi = self.domain
        return [rng.uniform(lo, hi, size=s) for s in case]

    def tensors(self, case: Shapes, dtype: Any, requires_grad: bool) -> list[ember.Tensor]:
        out = []
        for a in self.arrays(case):
            if a.dtype.kind == "f":
                out.append(ember.tensor(a, dtype=dtype, requires_grad=requires_grad))
            else:
                out.append(ember.tensor(a))
        return out


def ids(specs: Sequence[OpSpec]) -> list[tuple[OpSpec, Shapes]]:
    return [(s, c) for s in specs for c in s.cases]


def case_id(value: Any) -> str:
    if isinstance(value, OpSpec):
        return value.name
    return "x".join(str(list(s)).replace(" ", "") for s in value)
