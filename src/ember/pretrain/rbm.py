"""Restricted Boltzmann machines and their training by contrastive divergence (CD-k, PCD-k).

An RBM has visible units v, hidden units h, weights W of shape (n_hidden, n_visible), hidden
biases c and visible biases b. Summing out h gives the free energy F(v), with
p(v) = exp(-F(v)) / Z. The log-likelihood gradient of a parameter theta is

    d log p(v) / d theta = -dF(v)/d theta + E_model[dF(v')/d theta],

so training minimises ``F(v_data).mean() - F(v_model).mean()`` with the model samples v_model
held constant (drawn by k Gibbs steps: from the data for CD-k, from persistent fantasy
particles for PCD-k). Its gradient is the expected-statistics rule, e.g. for W:
-(<p(h|v) v^T>_data - <p(h|v) v^T>_model); any ember optimizer then applies the update.

>>> rbm = BernoulliRBM(784, 500)
>>> nn.Linear(784, 500).weight.shape == rbm.weight.shape
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, creation, nn
from ..autograd.grad_mode import no_grad
from ..backend import Generator
from ..nn import functional as F  # noqa: N812 - PyTorch's spelling
from ..tensor import Tensor

__all__ = ["BernoulliRBM", "ContrastiveDivergence", "GaussianBernoulliRBM", "RBM"]


def _random_like(t: Tensor, generator: Generator | None, normal: bool = False) -> np.ndarray:
    """Uniform [0, 1) (or standard normal) samples with the shape and float dtype of ``t``."""
    rng = backend.rng(generator)
    if normal:
        return rng.standard_normal(t.shape, dtype=t.dtype)
    return rng.random(t.shape, dtype=t.dtype)


def _bernoulli(p: Tensor, generator: Generator | None) -> Tensor:
    """0/1 samples with P(1) = ``p``, as a constant tensor of ``p``'s dtype."""
    return Tensor(_random_like(p, generator) < p._data, dtype=p.dtype)


class RBM(nn.Module):
    """What Bernoulli and Gaussian-Bernoulli RBMs share: binary hidden units with
    p(h_j = 1 | v) = sigmoid(c_j + W_j v), parameters ``weight`` (n_hidden, n_visible),
    ``h_bias`` (n_hidden) and ``v_bias`` (n_visible). ``weight`` ~ N(0, 0.01^2), biases zero.

    Subclasses define ``visible_mean(h)``, ``_sample_visible(mean)`` and ``_visible_term(v)``
    (the part of the free energy that does not involve h).
    """

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        dtype: Any = None,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        self.weight = nn.Parameter(creation.empty(n_hidden, n_visible, dtype=dtype))
        self.h_bias = nn.Parameter(creation.zeros(n_hidden, dtype=dtype))
        self.v_bias = nn.Parameter(creation.zeros(n_visible, dtype=dtype))
        nn.init.normal_(self.weight, 0.0, 0.01, generator=generator)

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"

    # ------------------------------------------------------------------ conditionals
    def hidden_logits(self, v: Tensor) -> Tensor:
        """c + W v, shape (*, n_visible) -> (*, n_hidden)."""
        return F.linear(v, self.weight, self.h_bias)

    def forward(self, v: Tensor) -> Tensor:
        """p(h = 1 | v): the code an ``nn.Linear`` + ``nn.Sigmoid`` seeded from this RBM gives."""
        return F.sigmoid(self.hidden_logits(v))

    def sample_h(self, v: Tensor, generator: Generator | None = None) -> tuple[Tensor, Tensor]:
        """(p(h = 1 | v), a binary sample of h), shape (*, n_hidden)."""
        prob = self.forward(v)
        return prob, _bernoulli(prob, generator)

    def visible_logits(self, h: Tensor) -> Tensor:
        """b + W^T h, shape (*, n_hidden) -> (*, n_visible)."""
        return F.linear(h, self.weight.T, self.v_bias)

    def visible_mean(self, h: Tensor) -> Tensor:
        """E[v | h], shape (*, n_hidden) -> (*, n_visible)."""
        raise NotImplementedError

    def _sample_visible(self, mean: Tensor, generator: Generator | None) -> Tensor:
        raise NotImplementedError

    def sample_v(self, h: Tensor, generator: Generator | None = None) -> tuple[Tensor, Tensor]:
        """(E[v | h], a sample of v given h), shape (*, n_visible)."""
        mean = self.visible_mean(h)
        return mean, self._sample_visible(mean, generator)

    def gibbs(self, v: Tensor, k: int = 1, generator: Generator | None = None) -> Tensor:
        """The visible sample after ``k`` steps v -> h -> v of block Gibbs sampling (no graph)."""
        if k < 1:
            raise ValueError(f"gibbs: k must be at least 1, got {k}")
        with no_grad():
            for _ in range(k):
                _, h = self.sample_h(v, generator)
                _, v = self.sample_v(h, generator)
        return v

    # ------------------------------------------------------------------ energies
    def _visible_term(self, v: Tensor) -> Tensor:
        raise NotImplementedError

    def free_energy(self, v: Tensor) -> Tensor:
        """F(v) = -log sum_h exp(-E(v, h)), shape (*, n_visible) -> (*)."""
        return self._visible_term(v) - F.softplus(self.hidden_logits(v)).sum(-1)

    def energy(self, v: Tensor, h: Tensor) -> Tensor:
        """E(v, h) of joint configurations, shape (*, n_visible), (*, n_hidden) -> (*)."""
        interaction = (F.linear(v, self.weight) * h).sum(-1)
        return self._visible_term(v) - (h * self.h_bias).sum(-1) - interaction

    # ------------------------------------------------------------------ monitoring
    def reconstruct(self, v: Tensor) -> Tensor:
        """E[v | h = p(h | v)]: one deterministic (mean-field) pass up and down."""
        return self.visible_mean(self.forward(v))

    def reconstruction_error(self, v: Tensor) -> float:
        """Mean squared error per unit between ``v`` and ``reconstruct(v)`` (no graph)."""
        with no_grad():
            return float(((self.reconstruct(v) - v) ** 2).mean().item())

    def contrastive_divergence_loss(self, v_data: Tensor, v_model: Tensor) -> Tensor:
        """F(v_data).mean() - F(v_model).mean() with ``v_model`` detached: its gradient is minus
        the (CD/PCD estimate of the) mean log-likelihood gradient."""
        return self.free_energy(v_data).mean() - self.free_energy(v_model.detach()).mean()


class BernoulliRBM(RBM):
    """Binary visible and hidden units: E(v, h) = -b.v - c.h - h^T W v, so
    F(v) = -b.v - sum_j softplus(c_j + W_j v) and p(v_i = 1 | h) = sigmoid(b_i + W_i^T h).

    Visible values in [0, 1] (grey levels read as probabilities) are accepted as usual.
    """

    def visible_mean(self, h: Tensor) -> Tensor:
        return F.sigmoid(self.visible_logits(h))

    def _sample_visible(self, mean: Tensor, generator: Generator | None) -> Tensor:
        return _bernoulli(mean, generator)

    def _visible_term(self, v: Tensor) -> Tensor:
        return -(v * self.v_bias).sum(-1)

    def pseudo_likelihood(self, v: Tensor, generator: Generator | None = None) -> Tensor:
        """Stochastic pseudo-log-likelihood per sample: n_visible * log p(v_i | v_-i) for one
        random unit i per sample, log p(v_i | v_-i) = log sigmoid(F(v with v_i flipped) - F(v)).
        Its expectation over i is the pseudo-log-likelihood sum_i log p(v_i | v_-i).

        Shape: (N, n_visible) -> (N,), binary ``v``; no graph is recorded.
        """
        with no_grad():
            data = np.array(v._data, copy=True)
            rows = np.arange(data.shape[0])
            cols = backend.rng(generator).integers(0, self.n_visible, data.shape[0])
            data[rows, cols] = 1 - data[rows, cols]
            gap = self.free_energy(v) - self.free_energy(Tensor(data, dtype=v.dtype))
            return -F.softplus(gap) * self.n_visible


class GaussianBernoulliRBM(RBM):
    """Real-valued visible units with unit variance (for standardised inputs) and binary hidden
    units: E(v, h) = ||v - b||^2 / 2 - c.h - h^T W v, so F(v) = ||v - b||^2 / 2
    - sum_j softplus(c_j + W_j v) and v | h ~ N(b + W^T h, I)."""

    def visible_mean(self, h: Tensor) -> Tensor:
        return self.visible_logits(h)

    def _sample_visible(self, mean: Tensor, generator: Generator | None) -> Tensor:
        return Tensor(mean._data + _random_like(mean, generator, normal=True), dtype=mean.dtype)

    def _visible_term(self, v: Tensor) -> Tensor:
        return 0.5 * ((v - self.v_bias) ** 2).sum(-1)


class ContrastiveDivergence:
    """CD-k (``persistent=False``) or PCD-k updates of ``rbm`` by ``optimizer``.

    ``step(v)`` draws the negative samples with ``k`` Gibbs steps, started from the batch ``v``
    (CD) or from persistent fantasy particles that carry over between updates (PCD; as many
    particles as the first batch has rows, started from it), then takes one optimizer step on
    ``rbm.contrastive_divergence_loss``. It returns the batch's reconstruction error before the
    step.
    """

    def __init__(
        self,
        rbm: RBM,
        optimizer: Any,
        k: int = 1,
        persistent: bool = False,
        generator: Generator | None = None,
    ) -> None:
        if k < 1:
            raise ValueError(f"ContrastiveDivergence: k must be at least 1, got {k}")
        self.rbm = rbm
        self.optimizer = optimizer
        self.k = k
        self.persistent = persistent
        self.generator = generator
        self.particles: Tensor | None = None

    def negative(self, v: Tensor) -> Tensor:
        """The negative-phase samples for the data batch ``v`` (advances PCD's particles)."""
        if not self.persistent:
            return self.rbm.gibbs(v, self.k, self.generator)
        start = self.particles if self.particles is not None else v
        self.particles = self.rbm.gibbs(start, self.k, self.generator)
        return self.particles

    def step(self, v: Tensor) -> float:
        error = self.rbm.reconstruction_error(v)
        v_model = self.negative(v)
        self.optimizer.zero_grad()
        self.rbm.contrastive_divergence_loss(v, v_model).backward()
        self.optimizer.step()
        return error
