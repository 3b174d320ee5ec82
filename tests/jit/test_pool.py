"""A replay's large intermediates in pooled buffers: the same bits as eager, never overwritten while
something still holds them, one pool per thread, bounded."""

from __future__ import annotations

import numpy as np

import ember
from ember import nn
from ember.jit.pool import LARGE, Pool

from .helpers import replayed_in_two_threads, replays, same

ROWS, WIDTH = 256, 128  # float32 activations of 128 and 256 KiB: pooled


def _model() -> nn.Module:
    ember.manual_seed(0)
    return nn.Sequential(
        nn.Linear(WIDTH, 2 * WIDTH), nn.ReLU(), nn.Linear(2 * WIDTH, WIDTH), nn.Tanh()
    )


def _inputs(n: int) -> list:
    rng = np.random.default_rng(1)
    shape = (ROWS, WIDTH)
    return [ember.tensor(rng.standard_normal(shape), dtype=ember.float32) for _ in range(n)]


def _forward(model: nn.Module, x: ember.Tensor) -> tuple:
    """Output, residual, product (large; the output's gradient is a sum of two) and a loss."""
    y = model(x)
    r = y + x
    p = r * y
    return y, r, p, nn.functional.cross_entropy(p, ember.arange(ROWS) % WIDTH)


def _address(t: ember.Tensor) -> int:
    return t._data.ctypes.data


def test_pooled_replays_match_eager_bit_for_bit():
    eager, model = _model(), _model()
    compiled = ember.compile(lambda x: _forward(model, x), mode="reduce-overhead")
    for x in _inputs(4):
        results = []
        for m, fn in ((eager, lambda x: _forward(eager, x)), (model, compiled)):
            x = x.detach().requires_grad_()
            m.zero_grad()
            outs = fn(x)
            outs[3].backward()
            grads = [x.grad] + [q.grad for q in m.parameters()]
            results.append([t._data for t in (*outs, *grads)])
        assert all(same(a, b) for a, b in zip(*results))
    assert replays(compiled)


def test_outputs_and_saved_values_survive_later_calls():
    eager, model = _model(), _model()
    compiled = ember.compile(model, mode="reduce-overhead")
    x1, x2 = _inputs(2)
    kept = compiled(x1)  # its graph keeps the saved values of call 1
    row = kept[3]  # a view of the output is kept too
    values = row._data.copy()
    compiled(x1)
    compiled(x2).sum().backward()
    kept.sum().backward()
    eager(x2).sum().backward()
    expected = eager(x1)
    expected.sum().backward()
    assert same(kept._data, expected._data)
    assert same(row._data, values)
    for a, b in zip(eager.parameters(), model.parameters()):
        assert same(a.grad._data, b.grad._data)


def test_a_dropped_output_lends_its_memory_to_the_next_call():
    compiled = ember.compile(_model(), mode="reduce-overhead")
    x1, x2 = _inputs(2)
    with ember.no_grad():
        compiled(x1)
        first = compiled(x1)
        address = _address(first)
        del first
        second = compiled(x1)
        assert _address(second) == address
        view = second.numpy()[1:]
        values = view.copy()
        del second
        assert _address(compiled(x2)) != address  # the NumPy view holds it
        assert same(view, values)


def test_each_thread_replays_with_its_own_pool():
    eager, model = _model(), _model()
    compiled = ember.compile(model, mode="reduce-overhead")
    xs = _inputs(4)
    expected = [eager(x)._data for x in xs]
    compiled(xs[0])
    got = replayed_in_two_threads(compiled, xs, 10)
    assert all(same(v, expected[i]) for (_, i), v in got.items())


def test_the_pool_keeps_what_the_last_call_took():
    model = _model()
    compiled = ember.compile(model, mode="reduce-overhead")
    (x,) = _inputs(1)
    compiled(x)
    held = []
    for _ in range(5):
        model.zero_grad()
        compiled(x).sum().backward()
        (program,) = compiled.forward._cache.values()
        held.append(program.plan._pools.pool.held())
    assert held[0] > 0 and len(set(held)) == 1

    pool = Pool()
    key = (LARGE,), np.dtype(np.uint8)
    a = pool.take(*key)
    assert pool.take(*key) is not a  # ``a`` is still held
    del a
    assert pool.held() == 2
    pool.start()
    pool.start()
    assert pool.held() == 0  # not taken in the last call


def _peak(step) -> int:
    """tracemalloc's peak over the second and third calls (the first records)."""
    import tracemalloc

    step()
    tracemalloc.start()
    step()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_only_the_reduce_overhead_modes_keep_buffers():
    (x,) = _inputs(1)
    peaks = {}
    for mode in (None, "default", "reduce-overhead", "max-autotune", "eager"):
        model = _model()
        fn = model if mode == "eager" else ember.compile(model, mode=mode)

        def step(fn=fn, model=model):
            model.zero_grad()
            fn(x).sum().backward()

        peaks[mode] = _peak(step)
        if mode != "eager":
            (program,) = fn.forward._cache.values()
            assert program.plan._pooled == (mode in ("reduce-overhead", "max-autotune"))
    # the default replay holds no more memory than eager execution; the pooled ones hold buffers
    assert peaks[None] <= peaks["eager"] and peaks["default"] <= peaks["eager"]
    assert peaks["reduce-overhead"] > peaks["eager"]
