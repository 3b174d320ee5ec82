"""Layer-wise pre-training throughput, in samples per second (higher is better), for one hidden
layer 784 -> 1000 at batch 128 with plain SGD (lr 0.1):

- autoencoder: sigmoid code, tied weights (the decoder is the encoder's weight transposed),
  sigmoid reconstruction scored by binary cross-entropy (summed over pixels, batch mean);
- RBM: Bernoulli units trained by CD-1, with the reconstruction error of each batch (the value
  ember's trainer returns) computed too.

ember runs ``ember.pretrain``'s ``AutoencoderTrainer`` and ``ContrastiveDivergence`` steps (what
``greedy_layerwise`` runs per batch); PyTorch and NumPy are written here by hand (PyTorch's
autoencoder through autograd, both RBMs with explicit statistics).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..harness import Measurement, interleave
from . import common
from .numpy_mlp import sigmoid_

VISIBLE, HIDDEN, BATCH, LR = 784, 1000, 128, 0.1
AE = f"pretrain autoencoder {VISIBLE}-{HIDDEN} b{BATCH}"
RBM = f"pretrain rbm cd-1 {VISIBLE}-{HIDDEN} b{BATCH}"

Step = Callable[[Any], float]


def _ember_steps() -> tuple[Step, Step, Callable[[np.ndarray], Any]]:
    import ember
    from ember import nn, optim
    from ember.pretrain import (
        AutoencoderLayer,
        AutoencoderTrainer,
        BernoulliRBM,
        ContrastiveDivergence,
    )

    ember.manual_seed(0)
    ae = AutoencoderLayer(nn.Linear(VISIBLE, HIDDEN), nn.Sigmoid(), tied=True)
    ae_trainer = AutoencoderTrainer(ae, optim.SGD(ae.parameters(), lr=LR))
    rbm = BernoulliRBM(VISIBLE, HIDDEN)
    cd = ContrastiveDivergence(rbm, optim.SGD(rbm.parameters(), lr=LR), k=1)
    return ae_trainer.step, cd.step, ember.tensor


def _torch_steps(torch: Any) -> tuple[Step, Step, Callable[[np.ndarray], Any]]:
    F = torch.nn.functional
    torch.manual_seed(0)

    def params() -> list[Any]:
        w = torch.randn(HIDDEN, VISIBLE) * 0.01
        return [w, torch.zeros(HIDDEN), torch.zeros(VISIBLE)]

    w, b, c = (p.requires_grad_() for p in params())
    opt = torch.optim.SGD([w, b, c], lr=LR)

    def ae_step(x: Any) -> float:
        opt.zero_grad()
        logits = F.linear(torch.sigmoid(F.linear(x, w, b)), w.t(), c)
        loss = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1).mean()
        loss.backward()
        opt.step()
        return loss.item()

    rw, rc, rb = params()  # weight, hidden bias, visible bias

    @torch.no_grad()
    def rbm_step(v: Any) -> float:
        ph0 = torch.sigmoid(F.linear(v, rw, rc))
        error = ((torch.sigmoid(F.linear(ph0, rw.t(), rb)) - v) ** 2).mean().item()
        h0 = torch.bernoulli(ph0)
        v1 = torch.bernoulli(torch.sigmoid(F.linear(h0, rw.t(), rb)))
        ph1 = torch.sigmoid(F.linear(v1, rw, rc))
        rw.add_(ph0.t() @ v - ph1.t() @ v1, alpha=LR / len(v))
        rc.add_((ph0 - ph1).mean(0), alpha=LR)
        rb.add_((v - v1).mean(0), alpha=LR)
        return error

    return ae_step, rbm_step, torch.from_numpy


def _numpy_steps() -> tuple[Step, Step, Callable[[np.ndarray], Any]]:
    rng = np.random.default_rng(0)

    def params() -> list[np.ndarray]:
        w = (rng.standard_normal((HIDDEN, VISIBLE)) * 0.01).astype(np.float32)
        return [w, np.zeros(HIDDEN, np.float32), np.zeros(VISIBLE, np.float32)]

    w, b, c = params()  # updated in place ([...] keeps the closures' names bound)

    def ae_step(x: np.ndarray) -> float:
        h = sigmoid_(x @ w.T + b)
        logits = h @ w + c
        loss = float((np.logaddexp(0, logits) - x * logits).sum()) / len(x)
        d = sigmoid_(logits)  # dloss/dlogits = (sigmoid(logits) - x) / batch
        d -= x
        d /= len(x)
        dz = d @ w.T
        dz *= h
        dz *= 1 - h
        grad_w = h.T @ d
        grad_w += dz.T @ x
        w[...] -= LR * grad_w
        b[...] -= LR * dz.sum(0)
        c[...] -= LR * d.sum(0)
        return loss

    rw, rc, rb = params()

    def bernoulli(p: np.ndarray) -> np.ndarray:
        return (rng.random(p.shape, dtype=np.float32) < p).astype(np.float32)

    def rbm_step(v: np.ndarray) -> float:
        ph0 = sigmoid_(v @ rw.T + rc)
        error = float(((sigmoid_(ph0 @ rw + rb) - v) ** 2).mean())
        v1 = bernoulli(sigmoid_(bernoulli(ph0) @ rw + rb))
        ph1 = sigmoid_(v1 @ rw.T + rc)
        stats = ph0.T @ v
        stats -= ph1.T @ v1
        rw[...] += (LR / len(v)) * stats
        rc[...] += LR * (ph0 - ph1).mean(0)
        rb[...] += LR * (v - v1).mean(0)
        return error

    return ae_step, rbm_step, lambda x: x


def _timer(ae_step: Step, rbm_step: Step, batches: list[Any]) -> Callable[[], dict]:
    def rate(step: Step) -> float:
        start = time.perf_counter()
        for x in batches:
            step(x)
        return len(batches) * BATCH / (time.perf_counter() - start)

    return lambda: {AE: rate(ae_step), RBM: rate(rbm_step)}


def run(quick: bool) -> list[Measurement]:
    n_batches = 2 if quick else 8
    data = np.random.default_rng(1).random((n_batches, BATCH, VISIBLE), dtype=np.float32)
    builders = {"ember": _ember_steps, "numpy": _numpy_steps}
    torch = common.torch_or_none()
    if torch is not None:
        builders["torch"] = lambda: _torch_steps(torch)
    impls = {}
    for lib in common.libraries():
        ae_step, rbm_step, convert = builders[lib]()
        impls[lib] = _timer(ae_step, rbm_step, [convert(x) for x in data])
    return interleave("samples/s", impls, repeats=1 if quick else 7)
