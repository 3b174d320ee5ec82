"""Grad mode is per thread and a backward changes nothing another thread sees (as in PyTorch)."""

from __future__ import annotations

import threading

import numpy as np

import ember
from ember import nn


def _run(*targets) -> list:
    """Run the callables in threads at once; return their results (re-raising their errors)."""
    results: list = [None] * len(targets)
    errors: list = []

    def wrap(i, fn):
        try:
            results[i] = fn()
        except BaseException as e:  # handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def _model(seed: int) -> nn.Module:
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 3))


def _data(seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    x = ember.tensor(rng.normal(size=(40, 6)).astype(np.float32))
    y = ember.tensor(rng.integers(0, 3, size=40))
    return x, y


def _train(model: nn.Module, data: tuple, steps: int = 12) -> list:
    x, y = data
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(steps):
        rows = slice(step % 4 * 10, step % 4 * 10 + 10)
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_two_threads_training_end_bit_identical_to_training_one_after_the_other():
    data = [_data(1), _data(2)]
    expected = [_train(_model(10 + i), data[i]) for i in range(2)]
    for _ in range(15):
        a, b = _model(10), _model(11)
        got = _run(lambda a=a: _train(a, data[0]), lambda b=b: _train(b, data[1]))
        for params, want in zip(got, expected):
            for p, w in zip(params, want):
                np.testing.assert_array_equal(p, w)


def test_a_no_grad_evaluation_thread_beside_a_training_thread():
    data = _data(3)
    expected = _train(_model(20), data, steps=40)
    model, other = _model(20), _model(21)
    stop = threading.Event()

    def evaluate():
        seen = 0
        while not stop.is_set() or seen < 5:
            with ember.no_grad():
                out = other(data[0])
                assert out.grad_fn is None and not ember.is_grad_enabled()
            seen += 1
        return seen

    def train():
        try:
            return _train(model, data, steps=40)
        finally:
            stop.set()

    got, seen = _run(train, evaluate)
    assert seen >= 5
    for p, w in zip(got, expected):
        np.testing.assert_array_equal(p, w)


def test_interleaved_no_grad_in_two_threads_leaves_grad_on():
    # A enters, B enters, A leaves, B leaves: with one process-wide switch B would restore the
    # "off" it saw on entering; per thread, every thread ends as it began.
    steps = [threading.Event() for _ in range(4)]

    def a():
        with ember.no_grad():
            steps[0].set()
            steps[1].wait(5)
        steps[2].set()
        return ember.is_grad_enabled()

    def b():
        steps[0].wait(5)
        with ember.no_grad():
            steps[1].set()
            steps[2].wait(5)
        return ember.is_grad_enabled()

    for _ in range(10):
        for s in steps:
            s.clear()
        assert _run(a, b) == [True, True]
        assert ember.is_grad_enabled()


def test_grad_mode_is_per_thread():
    with ember.no_grad():
        inside = _run(ember.is_grad_enabled, lambda: ember.is_inference_mode_enabled())
        assert not ember.is_grad_enabled()
    assert inside == [True, False]


def test_backward_in_two_threads_on_separate_graphs():
    def grads(seed: int):
        rng = np.random.default_rng(seed)
        w = ember.tensor(rng.normal(size=(5, 5)), requires_grad=True)
        x = ember.tensor(rng.normal(size=(8, 5)))
        for _ in range(30):
            w.grad = None
            y = (x @ w).tanh()
            (y * y).sum().backward()
            g1 = w.grad.numpy().copy()
            (gw,) = ember.autograd.grad((x @ w).exp().sum(), w, create_graph=True)
            (gg,) = ember.autograd.grad(gw.sum(), w)
        return g1, gg.numpy()

    expected = [grads(0), grads(1)]
    for _ in range(5):
        got = _run(lambda: grads(0), lambda: grads(1))
        for (g1, gg), (w1, wg) in zip(got, expected):
            np.testing.assert_array_equal(g1, w1)
            np.testing.assert_array_equal(gg, wg)
