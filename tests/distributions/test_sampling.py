"""Samples: shapes (sample_shape + batch_shape + event_shape), dtypes, reproducibility under
ember.manual_seed, and moments of many samples against the closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions as ed

from .cases import BY_NAME, CASES, build, tensor_of

IDS = [c.name for c in CASES]
N = 4000  # samples per batch entry; means are checked to 5 standard errors, variances to 6


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sample_shapes_and_reproducibility(case):
    dist = build(case, ed, case.params(np.random.default_rng(0)))
    for sample_shape in [(), (5,), (2, 3)]:
        ember.manual_seed(7)
        x = dist.sample(sample_shape)
        assert x.shape == (*sample_shape, *case.shape)
        assert not x.requires_grad
        ember.manual_seed(7)
        np.testing.assert_array_equal(dist.sample(sample_shape).numpy(), x.numpy())
    assert dist.support.check(dist.sample((10,))).all()


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if "variance" in c.stats or c.name.startswith("Categorical")],
    ids=lambda c: c.name,
)
def test_sample_moments(case):
    dist = build(case, ed, case.params(np.random.default_rng(0)))
    x = dist.sample((N,)).double().numpy()
    if case.name.startswith("Categorical"):  # moments of the one-hot encoding
        x = np.eye(dist.probs.shape[-1])[x.astype(int)]
        mean, var = dist.probs.numpy(), (dist.probs * (1 - dist.probs)).numpy()
    else:
        mean, var = dist.mean.detach().numpy(), dist.variance.detach().numpy()
    se = np.sqrt(var / N)
    assert np.all(np.abs(x.mean(0) - mean) < 5 * se + 1e-12)
    # the standard error of the sample variance, from the sample's fourth central moment
    s2 = x.var(0)
    m4 = ((x - x.mean(0)) ** 4).mean(0)
    se_var = np.sqrt(np.maximum(m4 - s2**2, 0) / N)
    assert np.all(np.abs(s2 - var) < 6 * se_var + 1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if c.name in ("Normal", "Laplace", "Uniform")])
def test_rsample_carries_the_graph_and_sample_does_not(case):
    dist = build(case, ed, case.params(np.random.default_rng(0)), requires_grad=True)
    assert dist.has_rsample
    assert dist.rsample((2,)).requires_grad
    assert not dist.sample((2,)).requires_grad


def test_float32_parameters_give_float32_samples():
    for dist in (ed.Normal(0.0, 1.0), ed.Uniform(0.0, 1.0), ed.Bernoulli(0.3)):
        assert dist.sample((3,)).dtype == ember.float32
        assert dist.log_prob(dist.sample((3,))).dtype == ember.float32
    assert ed.Categorical(logits=ember.zeros(3)).sample((2,)).dtype == ember.int64


def test_categorical_frequencies_follow_probs():
    probs = ember.tensor([0.1, 0.0, 0.6, 0.3], dtype=ember.float64)
    x = ed.Categorical(probs).sample((20000,)).numpy()
    freq = np.bincount(x, minlength=4) / x.size
    assert freq[1] == 0
    np.testing.assert_allclose(freq, probs.numpy(), atol=0.015)


def test_no_rsample_where_not_reparameterizable():
    with pytest.raises(NotImplementedError):
        ed.Bernoulli(0.5).rsample()
    with pytest.raises(NotImplementedError):
        ed.Categorical(logits=ember.zeros(3)).rsample()


def test_sample_n_warns_and_samples():
    with pytest.warns(FutureWarning, match="sample_n"):
        assert ed.Normal(0.0, 1.0).sample_n(4).shape == (4,)


def test_straight_through_one_hot_passes_gradients_to_probs():
    probs = ember.tensor([0.2, 0.3, 0.5], dtype=ember.float64, requires_grad=True)
    x = ed.OneHotCategoricalStraightThrough(probs=probs).rsample((6,))
    assert sorted(np.unique(x.detach().numpy())) == [0.0, 1.0]
    (x * ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)).sum().backward()
    assert probs.grad is not None and np.any(probs.grad.numpy() != 0)


@pytest.mark.parametrize("name", ["Gamma", "Beta", "Dirichlet", "Exponential", "Normal"])
def test_rsample_gradient_is_unbiased(name):
    """The average gradient of rsample's values is the gradient of the mean (8,000 draws;
    for the gamma family this checks the implicit reparameterisation end to end)."""
    case = BY_NAME[name]
    params = case.params(np.random.default_rng(0))
    leaves = {n: tensor_of(ed, params[n], requires_grad=True) for n in case.grad}
    weights = tensor_of(ed, np.random.default_rng(1).uniform(0.5, 1.5, case.shape))
    draws = case.build(ed, {**params, **leaves}).rsample((8000,))
    estimated = ember.autograd.grad((draws.mean(0) * weights).sum(), list(leaves.values()))
    mean = case.build(ed, {**params, **leaves}).mean
    exact = ember.autograd.grad((mean * weights).sum(), list(leaves.values()), allow_unused=True)
    for got, want in zip(estimated, exact):
        want = np.zeros(got.shape) if want is None else want.numpy()
        np.testing.assert_allclose(got.numpy(), want, rtol=0.1, atol=0.04)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float32_stays_float32(case):
    params = {
        k: v
        if np.isscalar(v)
        else ember.tensor(v, dtype=ember.float32 if v.dtype.kind == "f" else None)
        for k, v in case.params(np.random.default_rng(0)).items()
    }
    dist = case.build(ed, params)
    x = dist.sample((2,))
    assert x.dtype == (ember.int64 if case.name.startswith("Categorical") else ember.float32)
    assert dist.log_prob(x).dtype == ember.float32
    for name in case.stats:
        stat = getattr(dist, name)
        stat = stat() if callable(stat) else stat
        if name != "mode" or not case.name.startswith("Categorical"):
            assert stat.dtype == ember.float32, name
    if dist.has_rsample:
        assert dist.rsample().dtype == ember.float32
