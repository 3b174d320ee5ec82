"""Every distribution against torch.distributions in float64 on random parameters: log_prob,
cdf, icdf, mean, mode, variance, stddev, entropy, enumerate_support."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions as ed

from .cases import CASES, build, tensor_of

torch = pytest.importorskip("torch")
td = torch.distributions

IDS = [c.name for c in CASES]


def _pair(case, seed=0):
    params = case.params(np.random.default_rng(seed))
    return build(case, ed, params), build(case, td, params)


def _assert_close(ours, theirs, rtol=1e-10, atol=1e-12):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_prob(case):
    ours, theirs = _pair(case)
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    value = case.value(np.random.default_rng(1), (5, *case.shape))
    _assert_close(ours.log_prob(tensor_of(ed, value)), theirs.log_prob(tensor_of(td, value)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_statistics(case):
    ours, theirs = _pair(case)
    for name in case.stats:
        stat = getattr(ours, name)
        stat = stat() if callable(stat) else stat
        expected = getattr(theirs, name)
        expected = expected() if callable(expected) else expected
        _assert_close(stat, expected)
    if "entropy" in case.stats:
        _assert_close(ours.perplexity(), theirs.perplexity())


@pytest.mark.parametrize("case", [c for c in CASES if c.cdf], ids=lambda c: c.name)
def test_cdf_and_icdf(case):
    ours, theirs = _pair(case)
    value = case.value(np.random.default_rng(1), (5, *case.batch))
    _assert_close(ours.cdf(tensor_of(ed, value)), theirs.cdf(tensor_of(td, value)))
    if not case.icdf:
        with pytest.raises(NotImplementedError):
            ours.icdf(tensor_of(ed, value))
        return
    q = np.random.default_rng(2).uniform(0.01, 0.99, (5, *case.batch))
    _assert_close(ours.icdf(tensor_of(ed, q)), theirs.icdf(tensor_of(td, q)), rtol=1e-9)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.name not in ("Normal", "Laplace", "Uniform")],
    ids=lambda c: c.name,
)
@pytest.mark.parametrize("expand", [True, False])
def test_enumerate_support(case, expand):
    ours, theirs = _pair(case)
    if not theirs.has_enumerate_support:
        pytest.skip("no finite support")
    if case.name == "Binomial_logits":
        with pytest.raises(NotImplementedError, match="Inhomogeneous"):
            ours.enumerate_support(expand)
        return
    _assert_close(ours.enumerate_support(expand), theirs.enumerate_support(expand))


def test_numbers_give_a_scalar_batch_and_the_default_dtype():
    n = ed.Normal(0.0, 1.0)
    assert n.batch_shape == () and n.loc.dtype == ember.float32
    lp = n.log_prob(ember.tensor([0.0, 1.0]))
    assert lp.dtype == ember.float32
    np.testing.assert_allclose(lp.numpy(), td.Normal(0.0, 1.0).log_prob(torch.tensor([0.0, 1.0])))
    mixed = ed.Normal(ember.zeros(3, dtype=ember.float64), 2)
    assert mixed.scale.dtype == ember.float64 and mixed.scale.shape == (3,)


def test_categorical_normalises_and_exposes_both_parameterisations():
    probs = ember.tensor([[1.0, 3.0], [2.0, 2.0]], dtype=ember.float64)
    c = ed.Categorical(probs=probs)
    np.testing.assert_allclose(c.probs.numpy(), [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(c.logits.numpy(), np.log([[0.25, 0.75], [0.5, 0.5]]))
    logits = ember.tensor([0.0, 1.0, 2.0], dtype=ember.float64)
    c = ed.Categorical(logits=logits)
    t = td.Categorical(logits=torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64))
    np.testing.assert_allclose(c.logits.numpy(), t.logits.numpy())
    np.testing.assert_allclose(c.probs.numpy(), t.probs.numpy())
    assert c.param_shape == (3,) and c.batch_shape == ()


def test_log_prob_broadcasts_values_against_the_batch():
    c = ed.Categorical(logits=ember.zeros(3, 4, dtype=ember.float64))
    out = c.log_prob(ember.tensor([[1], [2]]).unsqueeze(-1))
    assert out.shape == (2, 1, 3)
    np.testing.assert_allclose(out.numpy(), np.log(0.25))


def test_dirichlet_mode_below_one_follows_pytorch():
    c = np.array([[0.5, 0.7, 0.9], [2.0, 3.0, 0.5], [0.2, 3.0, 0.1]])
    ours = ed.Dirichlet(tensor_of(ed, c)).mode.numpy()
    np.testing.assert_array_equal(ours, td.Dirichlet(torch.tensor(c)).mode.numpy())
