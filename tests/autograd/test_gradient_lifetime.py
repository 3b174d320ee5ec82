"""A backward frees each gradient once it is used: the engine holds no gradient of the node it
ran last while the next rule runs, and a compiled replay drops its output's gradient after the
first recorded op has used it (so a compiled step peaks no higher than an eager one)."""

from __future__ import annotations

import weakref

import numpy as np

import ember
from ember.autograd.function import Op

made: list[weakref.ref] = []  # gradients made by the rules below
seen_alive: list[int] = []  # per check: how many of them were still alive


class Twice(Op):
    """f(a, b) = a + b, its input used twice by the caller; fresh gradients for both."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward_arrays(ctx, grad_out):
        grads = (grad_out * 1.0, grad_out * 1.0)
        made.extend(weakref.ref(g) for g in grads)
        return grads


class Fresh(Op):
    """The identity whose backward makes a new gradient (and remembers it)."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward_arrays(ctx, grad_out):
        g = grad_out * 1.0
        made.append(weakref.ref(g))
        return g


class Check(Op):
    """The identity whose backward counts the gradients made so far that are still alive."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward_arrays(ctx, grad_out):
        seen_alive.append(sum(r() is not None for r in made))
        return grad_out * 1.0


def setup_function():
    made.clear()
    seen_alive.clear()


def test_the_engine_drops_the_last_nodes_gradients_and_partial_sums():
    x = ember.ones(1000, requires_grad=True)
    y = Check.apply(x)
    Twice.apply(y, y).sum().backward()
    # y's adjoint is the sum of Twice's two gradients: neither part is alive in y's rule
    assert seen_alive == [0]
    assert len(made) == 2


def test_a_compiled_replay_drops_its_outputs_gradient_after_first_use():
    x = ember.ones(1000, requires_grad=True)
    f = ember.compile(lambda t: Fresh.apply(Check.apply(t)))
    for _ in range(3):  # the first call records (eager), the others replay
        made.clear()
        Fresh.apply(f(x)).sum().backward()
    # made[0]: the gradient of f's output (outside f), made[1]: Fresh's inside f, read by Check
    assert seen_alive == [1, 1, 1]
    np.testing.assert_array_equal(x.grad.numpy(), np.full(1000, 3.0, np.float32))
