"""Gradients reach the parameters through log_prob, entropy, cdf/icdf and rsample (float64
gradcheck, reverse and forward mode)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions as ed
from ember.autograd.gradcheck import gradcheck

from .cases import CASES, tensor_of

IDS = [c.name for c in CASES]


def _inputs(case):
    params = case.params(np.random.default_rng(0))
    names = list(case.grad)
    leaves = [tensor_of(ed, np.asarray(params[n]), requires_grad=True) for n in names]
    small = [x[:1] for x in leaves]  # keep the Jacobians small

    fixed = {k: v if np.isscalar(v) else tensor_of(ed, v) for k, v in params.items()}

    def make(*values):
        p = dict(fixed)
        p.update(zip(names, values))
        return case.build(ed, p)

    return make, [
        ember.tensor(x.detach().numpy(), dtype=x.dtype, requires_grad=True) for x in small
    ]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_prob_gradcheck(case):
    make, inputs = _inputs(case)
    shape = (2, *inputs[0].shape[: inputs[0].ndim - len(case.event_shape or ())])
    if case.name.startswith("Categorical"):
        shape = (2, *inputs[0].shape[:-1])
    value = tensor_of(ed, case.value(np.random.default_rng(1), (*shape, *case.event_shape)))
    assert gradcheck(lambda *ps: make(*ps).log_prob(value), inputs)


@pytest.mark.parametrize("case", [c for c in CASES if "entropy" in c.stats], ids=lambda c: c.name)
def test_entropy_gradcheck(case):
    make, inputs = _inputs(case)
    assert gradcheck(lambda *ps: make(*ps).entropy(), inputs)


@pytest.mark.parametrize("case", [c for c in CASES if c.cdf], ids=lambda c: c.name)
def test_cdf_icdf_gradcheck(case):
    make, inputs = _inputs(case)
    x = tensor_of(ed, case.value(np.random.default_rng(1), (2,)), requires_grad=True)
    q = tensor_of(ed, np.array([0.2, 0.7]), requires_grad=True)
    assert gradcheck(lambda v, *ps: make(*ps).cdf(v.unsqueeze(-1)), [x, *inputs])
    assert gradcheck(lambda v, *ps: make(*ps).icdf(v.unsqueeze(-1)), [q, *inputs])


@pytest.mark.parametrize("case", [c for c in CASES if c.cdf], ids=lambda c: c.name)
def test_rsample_gradcheck(case):
    make, inputs = _inputs(case)

    def draw(*ps):
        ember.manual_seed(3)  # the same noise at every evaluation
        return make(*ps).rsample((3,))

    assert gradcheck(draw, inputs)
