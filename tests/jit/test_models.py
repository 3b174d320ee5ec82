"""100 training steps of whole models, compiled against eager: bit-identical weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from benchmarks.cases import sequence

import ember
from ember import models, nn

from .helpers import replays, same

STEPS = 100


def _train(build: Callable, batches: Callable, optim: Callable, compiled: bool) -> tuple:
    ember.manual_seed(0)
    model = build()
    run = ember.compile(model) if compiled else model
    opt = optim(model.parameters())
    rng = np.random.default_rng(0)
    state: dict = {}
    for _ in range(STEPS):
        opt.zero_grad()
        loss = batches(run, rng, state)
        loss.backward()
        opt.step()
    return model, run


def _check(build: Callable, batches: Callable, optim: Callable) -> None:
    eager, _ = _train(build, batches, optim, False)
    model, run = _train(build, batches, optim, True)
    assert replays(run)
    for (name, a), b in zip(eager.state_dict().items(), model.state_dict().values()):
        assert same(a._data, b._data), name


def _classify(shape: tuple, classes: int) -> Callable:
    def batches(run: Any, rng: np.random.Generator, state: dict) -> Any:
        x = ember.tensor(rng.standard_normal(shape), dtype=ember.float32)
        y = ember.tensor(rng.integers(0, classes, shape[0]))
        return nn.functional.cross_entropy(run(x), y)

    return batches


@pytest.mark.slow
def test_mlp():
    _check(
        lambda: models.mlp(20, [32, 32], 5, "relu"),
        _classify((16, 20), 5),
        lambda ps: ember.optim.Adam(ps, lr=1e-2),
    )


@pytest.mark.slow
def test_cnn():
    _check(
        lambda: models.cnn(),
        _classify((4, 1, 28, 28), 10),
        lambda ps: ember.optim.SGD(ps, lr=0.05, momentum=0.9),
    )


class CharMLP(nn.Module):
    """Embedding 27x10, block 3, hidden 200 tanh, the loss inside."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(27, 10)
        self.hidden = nn.Linear(30, 200)
        self.out = nn.Linear(200, 27)

    def forward(self, x: Any, y: Any) -> Any:
        h = self.hidden(self.emb(x).view(x.shape[0], -1)).tanh()
        return nn.functional.cross_entropy(self.out(h), y)


@pytest.mark.slow
def test_char_mlp():
    def batches(run: Any, rng: np.random.Generator, state: dict) -> Any:
        return run(
            ember.tensor(rng.integers(0, 27, (32, 3))), ember.tensor(rng.integers(0, 27, 32))
        )

    _check(CharMLP, batches, lambda ps: ember.optim.SGD(ps, lr=0.1))


class LSTMModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(50, 16)
        self.rnn = nn.LSTM(16, 16, 2, dropout=0.2)
        self.decoder = nn.Linear(16, 50)

    def forward(self, data: Any, hidden: Any) -> Any:
        output, hidden = self.rnn(self.drop(self.encoder(data)), hidden)
        return self.decoder(self.drop(output)).view(-1, 50), hidden


@pytest.mark.slow
def test_lstm_with_dropout_and_carried_state():
    def batches(run: Any, rng: np.random.Generator, state: dict) -> Any:
        zeros = ember.zeros(2, 4, 16)
        h = tuple(s.detach() for s in state.get("h", (zeros, zeros)))
        out, state["h"] = run(ember.tensor(rng.integers(0, 50, (7, 4))), h)
        return nn.functional.cross_entropy(out, ember.tensor(rng.integers(0, 50, 28)))

    _check(LSTMModel, batches, lambda ps: ember.optim.SGD(ps, lr=0.5))


@pytest.mark.slow
def test_char_gpt(monkeypatch):
    small = {"vocab": 20, "block": 8, "width": 16, "heads": 2, "layers": 2, "batch": 4}
    monkeypatch.setattr(sequence, "GPT", small)

    def batches(run: Any, rng: np.random.Generator, state: dict) -> Any:
        idx = ember.tensor(rng.integers(0, 20, (4, 8)))
        return run(idx, ember.tensor(rng.integers(0, 20, (4, 8))))

    _check(lambda: sequence.gpt_model(ember), batches, lambda ps: ember.optim.AdamW(ps, lr=3e-3))
