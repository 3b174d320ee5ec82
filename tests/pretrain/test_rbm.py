"""RBMs against exact enumeration: free energy, log-likelihood and its gradient, CD/PCD,
pseudo-likelihood; the Gaussian-Bernoulli free energy against its closed-form partition function."""

import itertools

import numpy as np
import pytest

import ember
from ember import nn, optim
from ember.pretrain import BernoulliRBM, ContrastiveDivergence, GaussianBernoulliRBM


def _t(data, **kwargs):
    return ember.tensor(data, dtype=ember.float64, **kwargs)


def _states(n):
    return _t(list(itertools.product([0.0, 1.0], repeat=n)))


def _tiny(cls=BernoulliRBM, n_visible=4, n_hidden=3, seed=0, scale=1.0):
    """An RBM in float64 with parameters large enough to make the distribution far from uniform."""
    rbm = cls(n_visible, n_hidden, dtype=ember.float64)
    rng = np.random.default_rng(seed)
    with ember.no_grad():
        rbm.weight.copy_(rng.normal(0, scale, (n_hidden, n_visible)))
        rbm.h_bias.copy_(rng.normal(0, scale, n_hidden))
        rbm.v_bias.copy_(rng.normal(0, scale, n_visible))
    return rbm


DATA = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1]], dtype=np.float64)


def _log_z(rbm):
    """log Z = logsumexp over all visible states of -F(v) (differentiable)."""
    return ember.logsumexp(-rbm.free_energy(_states(rbm.n_visible)), dim=0)


def _stats(rbm, v, weights=None):
    """<p(h|v) v^T>, <p(h|v)>, <v> under the empirical (or given) distribution of rows v."""
    v = np.asarray(v, dtype=np.float64)
    w = np.full(len(v), 1 / len(v)) if weights is None else weights
    p = 1 / (1 + np.exp(-(v @ rbm.weight._data.T + rbm.h_bias._data)))
    return np.einsum("n,nj,ni->ji", w, p, v), w @ p, w @ v


def test_free_energy_sums_out_the_hidden_units():
    rbm = _tiny()
    v, h = _states(4), _states(3)
    energy = rbm.energy(v[:, None, :], h[None, :, :])._data  # (16, 8)
    minus_f = np.logaddexp.reduce(-energy, axis=1)
    np.testing.assert_allclose(-rbm.free_energy(v)._data, minus_f, rtol=1e-12)
    log_z = np.logaddexp.reduce(-energy.ravel())
    np.testing.assert_allclose(_log_z(rbm).item(), log_z, rtol=1e-12)
    log_p = -rbm.free_energy(v)._data - log_z
    np.testing.assert_allclose(np.exp(log_p).sum(), 1.0, rtol=1e-12)


def test_exact_likelihood_gradient_is_data_minus_model_statistics():
    rbm = _tiny()
    nll = rbm.free_energy(_t(DATA)).mean() + _log_z(rbm)
    nll.backward()
    states = _states(4)._data
    p_model = np.exp(-rbm.free_energy(_states(4))._data - _log_z(rbm).item())
    data_w, data_h, data_v = _stats(rbm, DATA)
    model_w, model_h, model_v = _stats(rbm, states, p_model)
    np.testing.assert_allclose(rbm.weight.grad._data, -(data_w - model_w), atol=1e-12)
    np.testing.assert_allclose(rbm.h_bias.grad._data, -(data_h - model_h), atol=1e-12)
    np.testing.assert_allclose(rbm.v_bias.grad._data, -(data_v - model_v), atol=1e-12)


@pytest.mark.parametrize("cls", [BernoulliRBM, GaussianBernoulliRBM])
def test_cd_loss_gradient_is_the_difference_of_statistics(cls):
    rbm = _tiny(cls)
    rng = np.random.default_rng(1)
    v_pos = rng.integers(0, 2, (5, 4)).astype(np.float64)
    v_neg = _t(rng.normal(0.5, 1, (7, 4)), requires_grad=True)
    rbm.contrastive_divergence_loss(_t(v_pos), v_neg).backward()
    pos_w, pos_h, pos_v = _stats(rbm, v_pos)
    neg_w, neg_h, neg_v = _stats(rbm, v_neg._data)
    np.testing.assert_allclose(rbm.weight.grad._data, -(pos_w - neg_w), atol=1e-12)
    np.testing.assert_allclose(rbm.h_bias.grad._data, -(pos_h - neg_h), atol=1e-12)
    # dF/db is -v (Bernoulli) or b - v (Gaussian): b cancels in the difference
    np.testing.assert_allclose(rbm.v_bias.grad._data, -(pos_v - neg_v), atol=1e-12)
    assert v_neg.grad is None  # the negative samples are constants


def _flat_grads(rbm):
    return np.concatenate([p.grad._data.ravel() for p in (rbm.weight, rbm.h_bias, rbm.v_bias)])


def _cd_relative_error(rbm, exact, k):
    rbm.zero_grad()
    v = _t(np.repeat(DATA, 400, axis=0))  # 1200 chains started at the data
    negative = rbm.gibbs(v, k=k, generator=ember.Generator().manual_seed(k))
    rbm.contrastive_divergence_loss(v, negative).backward()
    estimate = _flat_grads(rbm)
    cosine = exact @ estimate / (np.linalg.norm(exact) * np.linalg.norm(estimate))
    return cosine, np.linalg.norm(estimate - exact) / np.linalg.norm(exact)


def test_cd_with_long_chains_approaches_the_exact_gradient():
    rbm = _tiny(scale=2.0)  # strong weights: one Gibbs step is far from equilibrium
    nll = rbm.free_energy(_t(DATA)).mean() + _log_z(rbm)
    nll.backward()
    exact = _flat_grads(rbm)
    cosine, error = _cd_relative_error(rbm, exact, k=50)
    assert cosine > 0.99 and error < 0.08
    _, error_cd1 = _cd_relative_error(rbm, exact, k=1)
    assert error_cd1 > 2 * error  # CD-1's bias, which the long chains remove


def test_sampling_is_reproducible_and_matches_the_conditionals():
    rbm = _tiny()
    v = _t(np.repeat(DATA[:1], 20000, axis=0))
    prob, h = rbm.sample_h(v, generator=ember.Generator().manual_seed(3))
    _, h_again = rbm.sample_h(v, generator=ember.Generator().manual_seed(3))
    np.testing.assert_array_equal(h._data, h_again._data)
    assert set(np.unique(h._data)) <= {0.0, 1.0} and h.dtype == ember.float64
    np.testing.assert_allclose(h._data.mean(0), prob._data[0], atol=0.02)
    mean, v_sample = rbm.sample_v(h, generator=ember.Generator().manual_seed(4))
    np.testing.assert_allclose(v_sample._data.mean(0), mean._data.mean(0), atol=0.02)
    with pytest.raises(ValueError, match="k must be at least 1"):
        rbm.gibbs(v, k=0)


def test_gaussian_visible_samples_have_unit_variance():
    rbm = _tiny(GaussianBernoulliRBM)
    h = _t(np.tile([[1.0, 0.0, 1.0]], (40000, 1)))
    mean, v = rbm.sample_v(h, generator=ember.Generator().manual_seed(0))
    np.testing.assert_allclose(mean._data[0], rbm.v_bias._data + rbm.weight._data.T @ h._data[0])
    np.testing.assert_allclose(v._data.std(0), 1.0, atol=0.02)
    np.testing.assert_allclose(v._data.mean(0), mean._data[0], atol=0.03)


def test_gaussian_bernoulli_free_energy_integrates_to_the_closed_form_partition_function():
    rbm = _tiny(GaussianBernoulliRBM, n_visible=2, n_hidden=2, scale=0.7)
    grid = np.linspace(-12, 12, 801)
    v1, v2 = np.meshgrid(grid, grid, indexing="ij")
    points = _t(np.stack([v1.ravel(), v2.ravel()], axis=1))
    density = np.exp(-rbm.free_energy(points)._data).reshape(v1.shape)
    z_numeric = np.trapezoid(np.trapezoid(density, grid, axis=1), grid)
    # Z = sum_h exp(c.h) integral exp(-||v - b||^2 / 2 + (W^T h).v) dv
    #   = sum_h exp(c.h) (2 pi)^(n/2) exp(a.b + ||a||^2 / 2),  a = W^T h
    w, b, c = rbm.weight._data, rbm.v_bias._data, rbm.h_bias._data
    z_closed = sum(
        np.exp(c @ h + (w.T @ h) @ b + (w.T @ h) @ (w.T @ h) / 2) * 2 * np.pi
        for h in _states(2)._data
    )
    np.testing.assert_allclose(z_numeric, z_closed, rtol=1e-6)
    # and exp(-F(v)) is the sum over h of exp(-E(v, h)) at any point
    v = points[::997]
    energy = rbm.energy(v[:, None, :], _states(2)[None, :, :])._data
    np.testing.assert_allclose(
        -rbm.free_energy(v)._data, np.logaddexp.reduce(-energy, axis=1), rtol=1e-12
    )


def test_pseudo_likelihood_estimates_the_exact_pseudo_likelihood():
    rbm = _tiny()
    v = _t(DATA[:1])
    f = rbm.free_energy(v).item()
    exact = 0.0
    for i in range(4):
        flipped = DATA[:1].copy()
        flipped[0, i] = 1 - flipped[0, i]
        f_flip = rbm.free_energy(_t(flipped)).item()
        exact += -f - np.logaddexp(-f, -f_flip)  # log p(v_i | v_-i)
    many = _t(np.repeat(DATA[:1], 20000, axis=0))
    estimate = rbm.pseudo_likelihood(many, generator=ember.Generator().manual_seed(0))
    assert estimate.shape == (20000,) and estimate.grad_fn is None
    np.testing.assert_allclose(estimate._data.mean(), exact, rtol=0.03)


def _exact_mean_log_likelihood(rbm, data):
    with ember.no_grad():
        return -(rbm.free_energy(_t(data)).mean() + _log_z(rbm)).item()


@pytest.mark.parametrize("persistent", [False, True])
def test_training_raises_the_exact_likelihood(persistent):
    rbm = BernoulliRBM(4, 3, dtype=ember.float64)
    data = np.repeat(DATA, 10, axis=0)
    before = _exact_mean_log_likelihood(rbm, data)
    opt = optim.SGD(rbm.parameters(), lr=0.1, momentum=0.5)
    cd = ContrastiveDivergence(rbm, opt, k=1, persistent=persistent, generator=ember.Generator())
    errors = [cd.step(_t(data)) for _ in range(300)]
    after = _exact_mean_log_likelihood(rbm, data)
    assert after > before + 0.5
    assert np.mean(errors[-20:]) < np.mean(errors[:20])
    if persistent:
        assert cd.particles is not None and cd.particles.shape == data.shape


def test_persistent_chains_carry_over_between_updates():
    rbm = _tiny()
    opt = optim.SGD(rbm.parameters(), lr=0.0)
    cd = ContrastiveDivergence(rbm, opt, k=2, persistent=True, generator=ember.Generator())
    batch = _t(DATA)
    cd.step(batch)
    first = cd.particles
    state = cd.generator.get_state()
    second = cd.negative(_t(1 - DATA))  # the data does not restart the chains
    replay = ember.Generator()
    replay.set_state(state)
    np.testing.assert_array_equal(second._data, rbm.gibbs(first, 2, generator=replay)._data)


def test_weights_and_hidden_bias_seed_a_linear_layer():
    rbm = BernoulliRBM(6, 5)
    assert rbm.weight.dtype == ember.float32 and rbm.weight.std().item() < 0.05
    assert [name for name, _ in rbm.named_parameters()] == ["weight", "h_bias", "v_bias"]
    layer = nn.Linear(6, 5)
    with ember.no_grad():
        layer.weight.copy_(rbm.weight)
        layer.bias.copy_(rbm.h_bias)
    v = ember.rand(3, 6)
    np.testing.assert_allclose(nn.Sigmoid()(layer(v))._data, rbm(v)._data, rtol=1e-6)
    assert repr(rbm) == "BernoulliRBM(n_visible=6, n_hidden=5)"
