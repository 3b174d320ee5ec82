"""Large parameters are updated in cache-sized blocks: bit for bit what one pass over the whole
arrays gives, for every option of the rules that do it (Adam, AdamW, SGD)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.optim import optimizer

SHAPES = [(300, 700), (5,), (3, 70001)]  # two larger than a block, and not multiples of one

CASES = [
    (ember.optim.Adam, {}),
    (ember.optim.Adam, {"amsgrad": True, "weight_decay": 0.01}),
    (ember.optim.Adam, {"maximize": True, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    (ember.optim.AdamW, {"weight_decay": 0.1}),
    (ember.optim.SGD, {"momentum": 0.9}),
    (ember.optim.SGD, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (ember.optim.SGD, {"momentum": 0.9, "dampening": 0.2, "maximize": True}),
]


def _train(cls, options, fused, dtype):
    rng = np.random.default_rng(0)
    params = [ember.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in SHAPES]
    opt = cls(params, lr=1e-2, fused=fused, **options)
    for step in range(4):
        for p in params:
            g = rng.standard_normal(p.shape) if step != 2 else np.zeros(p.shape)  # zeros: m decays
            p.grad = ember.tensor(g, dtype=dtype)
        opt.step()
    state = [v.numpy() for s in opt.state.values() for _, v in sorted(s.items())]
    return [p.detach().numpy() for p in params] + state


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize(("cls", "options"), CASES)
def test_blocks_give_the_whole_arrays_bits(cls, options, fused, dtype, monkeypatch):
    blocked = _train(cls, options, fused, dtype)
    monkeypatch.setattr(optimizer, "_CHUNK", 10**9)  # one block: the whole arrays
    whole = _train(cls, options, fused, dtype)
    assert len(blocked) == len(whole)
    for a, b in zip(blocked, whole):
        assert a.tobytes() == b.tobytes()


def test_blocks_are_aligned_pieces_or_the_arrays_whole():
    a, b = np.arange(10.0), np.arange(10.0) * 2
    assert [x is a for x in next(optimizer.blocks(a, b))] == [True, False]  # small: whole
    big = np.zeros(optimizer._CHUNK * 2 + 3)
    pieces = list(optimizer.blocks(big, big + 1))
    assert [p[0].size for p in pieces] == [optimizer._CHUNK, optimizer._CHUNK, 3]
    assert all(np.shares_memory(p[0], big) for p in pieces)
    strided = np.zeros((optimizer._CHUNK, 4))[:, ::2]
    assert next(optimizer.blocks(strided, strided.copy()))[0] is strided  # not contiguous
