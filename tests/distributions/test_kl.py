"""kl_divergence against torch for every registered pair, dispatch and register_kl."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions as ed
from ember.distributions.exp_family import kl_exponential_family

from .cases import BATCH, BY_NAME, Case, build

# a Uniform inside [0, 1], where the KLs to Beta, Exponential and Gamma are finite
CASES = {
    **BY_NAME,
    "Uniform01": Case(
        "Uniform01",
        lambda rng: {"low": rng.uniform(0.05, 0.4, BATCH), "high": rng.uniform(0.6, 0.95, BATCH)},
        lambda D, p: D.Uniform(p["low"], p["high"]),
        lambda rng, s: rng.uniform(0.45, 0.55, s),
    ),
}

torch = pytest.importorskip("torch")
td = torch.distributions

# (p case, q case): every pair ember registers whose closed form is finite on these parameters
PAIRS = [
    ("Normal", "Normal"),
    ("Laplace", "Laplace"),
    ("Uniform", "Uniform"),
    ("Bernoulli_probs", "Bernoulli_logits"),
    ("Binomial", "Binomial"),
    ("Categorical_probs", "Categorical_logits"),
    ("OneHotCategorical", "OneHotCategorical"),
    ("Laplace", "Normal"),
    ("Normal", "Laplace"),
    ("Uniform", "Normal"),
    ("Normal", "Uniform"),
    ("Laplace", "Uniform"),
    ("Beta", "Beta"),
    ("Dirichlet", "Dirichlet"),
    ("Exponential", "Exponential"),
    ("Gamma", "Gamma"),
    ("Poisson", "Poisson"),
    ("Bernoulli_probs", "Poisson"),
    ("Beta", "Exponential"),
    ("Beta", "Gamma"),
    ("Beta", "Normal"),
    ("Beta", "Uniform"),
    ("Exponential", "Gamma"),
    ("Exponential", "Normal"),
    ("Exponential", "Uniform"),
    ("Exponential", "Beta"),
    ("Gamma", "Exponential"),
    ("Gamma", "Normal"),
    ("Gamma", "Beta"),
    ("Gamma", "Uniform"),
    ("Laplace", "Beta"),
    ("Laplace", "Exponential"),
    ("Laplace", "Gamma"),
    ("Normal", "Beta"),
    ("Normal", "Exponential"),
    ("Normal", "Gamma"),
    ("Poisson", "Bernoulli_probs"),
    ("Poisson", "Binomial"),
    ("Uniform", "Beta"),
    ("Uniform", "Exponential"),
    ("Uniform", "Gamma"),
    ("Uniform01", "Beta"),
    ("Uniform01", "Exponential"),
    ("Uniform01", "Gamma"),
    ("Independent", "Independent"),
    ("LogNormal", "LogNormal"),
    ("HalfNormal", "HalfNormal"),
    ("Chi2", "Gamma"),
    ("Chi2", "Chi2"),
    ("MultivariateNormal_covariance", "MultivariateNormal_scale_tril"),
    ("MultivariateNormal_scale_tril", "MultivariateNormal_precision"),
]


@pytest.mark.parametrize(("p_name", "q_name"), PAIRS, ids=["-".join(p) for p in PAIRS])
def test_kl_matches_torch(p_name, q_name):
    p_case, q_case = CASES[p_name], CASES[q_name]
    p_params = p_case.params(np.random.default_rng(0))
    q_params = q_case.params(np.random.default_rng(1))
    ours = ed.kl_divergence(build(p_case, ed, p_params), build(q_case, ed, q_params))
    theirs = td.kl_divergence(build(p_case, td, p_params), build(q_case, td, q_params))
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_kl_gives_inf_where_the_support_is_not_covered():
    p = ed.Uniform(ember.tensor([0.0, 0.0]), ember.tensor([1.0, 1.0]))
    q = ed.Uniform(ember.tensor([-1.0, 0.5]), ember.tensor([2.0, 2.0]))
    kl = ed.kl_divergence(p, q).numpy()
    assert np.isfinite(kl[0]) and kl[1] == np.inf
    probs = ember.tensor([0.0, 1.0, 0.5])
    kl = ed.kl_divergence(ed.Bernoulli(probs), ed.Bernoulli(ember.tensor([0.5, 0.0, 0.5])))
    expected = td.kl_divergence(
        td.Bernoulli(torch.tensor([0.0, 1.0, 0.5])), td.Bernoulli(torch.tensor([0.5, 0.0, 0.5]))
    )
    np.testing.assert_allclose(kl.numpy(), expected.numpy())


def test_kl_of_an_unregistered_pair_raises():
    with pytest.raises(NotImplementedError, match="p type Categorical and q type Normal"):
        ed.kl_divergence(ed.Categorical(logits=ember.zeros(2)), ed.Normal(0.0, 1.0))
    # two exponential families reach the Bregman fallback, which refuses different families
    with pytest.raises(NotImplementedError, match="different exponential families"):
        ed.kl_divergence(ed.Bernoulli(0.5), ed.Normal(0.0, 1.0))


EXP_FAMILY = ["Bernoulli_probs", "Beta", "Dirichlet", "Exponential", "Gamma", "Normal", "Poisson"]


@pytest.mark.parametrize("name", EXP_FAMILY)
def test_exponential_family_bregman_forms_match_the_closed_forms(name):
    """The generic entropy and KL from the log-normaliser equal the closed forms (and torch's)."""
    case = BY_NAME[name]
    p_params = case.params(np.random.default_rng(0))
    q_params = case.params(np.random.default_rng(1))
    p, q = build(case, ed, p_params), build(case, ed, q_params)
    assert isinstance(p, ed.ExponentialFamily)
    bregman = kl_exponential_family(p, q).detach().numpy()
    np.testing.assert_allclose(bregman, ed.kl_divergence(p, q).numpy(), rtol=1e-9)
    tp = build(case, td, p_params)
    if name in ("Poisson", "Beta", "Dirichlet"):  # no carrier measure, as in torch
        with pytest.raises(NotImplementedError):
            ed.ExponentialFamily.entropy(p)
        with pytest.raises(NotImplementedError):
            td.ExponentialFamily.entropy(tp)
        return
    generic = ed.ExponentialFamily.entropy(p).detach().numpy()
    np.testing.assert_allclose(generic, p.entropy().numpy(), rtol=1e-9)
    np.testing.assert_allclose(
        generic, td.ExponentialFamily.entropy(tp).detach().numpy(), rtol=1e-9
    )


def test_register_kl_picks_the_most_specific_pair():
    class MyNormal(ed.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), ed.Normal(1.0, 1.0)
    np.testing.assert_allclose(ed.kl_divergence(p, q).item(), 0.5)

    @ed.register_kl(MyNormal, ed.Normal)
    def _kl(p, q):
        return ember.tensor(-1.0)

    assert ed.kl_divergence(p, q).item() == -1.0
    assert ed.kl_divergence(q, q).item() == 0.0
    with pytest.raises(TypeError, match="Distribution subclass"):
        ed.register_kl(int, ed.Normal)


def test_kl_gradients_flow_to_both_sides():
    loc = ember.tensor([0.3], dtype=ember.float64, requires_grad=True)
    scale = ember.tensor([1.5], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda a, b: ed.kl_divergence(ed.Normal(a, b), ed.Laplace(b, a + 2)), (loc, scale)
    )
