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
IDS_OF = lambda c: c.name  # noqa: E731


@pytest.fixture(autouse=True)
def _no_validation():
    """Finite differences step off the support of some parameters (the upper triangle of a
    scale_tril), which validation would reject."""
    ed.Distribution.set_default_validate_args(False)
    yield
    ed.Distribution.set_default_validate_args(True)


def _inputs(case, names=None):
    params = case.params(np.random.default_rng(0))
    names = list(case.grad if names is None else names)
    leaves = [tensor_of(ed, np.asarray(params[n]), requires_grad=True) for n in names]
    # keep the Jacobians small: one batch entry (parameters without batch dims stay whole)
    small = [x[:1] if x.ndim > len(case.event_shape) else x for x in leaves]

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
    make, inputs = _inputs(case, case.cdf_grad)
    x = tensor_of(ed, case.value(np.random.default_rng(1), (2,)), requires_grad=True)
    assert gradcheck(lambda v, *ps: make(*ps).cdf(v.reshape(-1, 1, 1)), [x, *inputs])
    if case.icdf:
        q = tensor_of(ed, np.array([0.2, 0.7]), requires_grad=True)
        assert gradcheck(lambda v, *ps: make(*ps).icdf(v.reshape(-1, 1, 1)), [q, *inputs])


# rsample of the gamma family draws through standard_gamma, whose gradient is the implicit one
# (checked in tests/ops/test_random.py and by test_rsample_gradient_is_unbiased)
IMPLICIT = ("Gamma", "Chi2", "Beta", "Dirichlet")


@pytest.mark.parametrize("case", [c for c in CASES if c.name not in IMPLICIT], ids=IDS_OF)
def test_rsample_gradcheck(case):
    make, inputs = _inputs(case)
    if not make(*inputs).has_rsample:
        pytest.skip("not reparameterizable")

    def draw(*ps):
        ember.manual_seed(3)  # the same noise at every evaluation
        return make(*ps).rsample((3,))

    assert gradcheck(draw, inputs)
