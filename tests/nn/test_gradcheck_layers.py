"""gradcheck (float64, reverse and forward mode) through every layer, with respect to its input
and its parameters."""

from contextlib import contextmanager

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck


def t64(*shape, seed=0, requires_grad=True):
    data = np.random.default_rng(seed).normal(size=shape)
    return ember.tensor(data, dtype=ember.float64, requires_grad=requires_grad)


@contextmanager
def swapped(module, names, values):
    """Call ``module`` with ``values`` in place of its parameters ``names`` (forward mode hands
    gradcheck's function new dual tensors, not the parameters themselves)."""
    slots = []
    for name, value in zip(names, values):
        owner, _, leaf = name.rpartition(".")
        store = module.get_submodule(owner)._parameters
        slots.append((store, leaf, store[leaf]))
        store[leaf] = value
    try:
        yield
    finally:
        for store, leaf, old in slots:
            store[leaf] = old


def check(layer, *inputs):
    """gradcheck of ``layer(*inputs)`` with respect to the inputs and all parameters."""
    layer.double()
    names, params = zip(*layer.named_parameters()) if list(layer.parameters()) else ((), ())
    n = len(inputs)

    def call(*args):
        with swapped(layer, names, args[n:]):
            return layer(*args[:n])

    assert gradcheck(call, inputs + tuple(params), check_forward_ad=True)


CASES = [
    ("Linear", lambda: nn.Linear(3, 2), [(4, 3)]),
    ("Bilinear", lambda: nn.Bilinear(2, 3, 2), [(2, 2), (2, 3)]),
    ("Conv2d", lambda: nn.Conv2d(2, 2, 2, stride=1, padding=1), [(1, 2, 3, 3)]),
    ("Conv2d-groups", lambda: nn.Conv2d(2, 4, 2, groups=2, dilation=(1, 2)), [(1, 2, 3, 4)]),
    ("Conv2d-same", lambda: nn.Conv2d(1, 2, 2, padding="same"), [(1, 1, 3, 3)]),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(2, 1, 2, stride=2), [(1, 2, 2, 2)]),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), [(1, 2, 4, 4)]),
    ("AvgPool2d", lambda: nn.AvgPool2d(2, 1, 1), [(1, 1, 3, 3)]),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 1)), [(1, 2, 3, 3)]),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(2), [(4, 2)]),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(2), [(2, 2, 2, 2)]),
    ("LayerNorm", lambda: nn.LayerNorm(3), [(2, 3)]),
    ("Flatten", lambda: nn.Flatten(), [(2, 2, 2)]),
    ("Unflatten", lambda: nn.Unflatten(1, (2, 2)), [(2, 4)]),
    ("Sigmoid", nn.Sigmoid, [(2, 3)]),
    ("Tanh", nn.Tanh, [(2, 3)]),
    ("ReLU", nn.ReLU, [(2, 3)]),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.1), [(2, 3)]),
    ("ELU", nn.ELU, [(2, 3)]),
    ("GELU", nn.GELU, [(2, 3)]),
    ("Softplus", nn.Softplus, [(2, 3)]),
    ("Softmax", lambda: nn.Softmax(1), [(2, 3)]),
    ("LogSoftmax", lambda: nn.LogSoftmax(0), [(2, 3)]),
    ("Sequential", lambda: nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)), [(2, 3)]),
]


@pytest.mark.parametrize(("name", "make", "shapes"), CASES, ids=[c[0] for c in CASES])
def test_gradcheck_through_layer(name, make, shapes):
    check(make(), *[t64(*s, seed=i) for i, s in enumerate(shapes)])


def test_gradcheck_batchnorm_in_eval_mode():
    bn = nn.BatchNorm2d(2)
    bn(t64(3, 2, 2, 2, requires_grad=False).float())
    check(bn.eval(), t64(2, 2, 2, 2))


def test_gradcheck_dropout_with_a_fixed_mask():
    drop = nn.Dropout(0.4)

    def fn(x):
        ember.manual_seed(3)
        return drop(x)

    assert gradcheck(fn, (t64(3, 4),), check_forward_ad=True)


def test_gradcheck_embedding_weight():
    check(nn.Embedding(5, 2), ember.tensor([[0, 1], [3, 0]]))
