"""Property tests: for random broadcastable shapes, every binary op's gradients have the input
shapes and equal the gradient computed on explicitly broadcast copies."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember

OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: ember.maximum(a, b),
    "pow": lambda a, b: a**b,
    "where": lambda a, b: ember.where(a > b, a, b * 2),
}


@st.composite
def broadcast_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4))
    return shapes.input_shapes


@settings(max_examples=60, deadline=None)
@given(shapes=broadcast_pair(), op=st.sampled_from(sorted(OPS)), seed=st.integers(0, 2**16))
def test_broadcast_gradients_reduce_to_input_shapes(shapes, op, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes
    a0, b0 = rng.uniform(0.5, 2.0, sa), rng.uniform(0.5, 2.0, sb)
    out_shape = np.broadcast_shapes(sa, sb)
    w = rng.standard_normal(out_shape)

    a = ember.tensor(a0, dtype=ember.float64, requires_grad=True)
    b = ember.tensor(b0, dtype=ember.float64, requires_grad=True)
    (OPS[op](a, b) * ember.tensor(w)).sum().backward()

    # the same computation on materialised broadcast copies, reduced by hand
    A = ember.tensor(np.broadcast_to(a0, out_shape).copy(), dtype=ember.float64, requires_grad=True)
    B = ember.tensor(np.broadcast_to(b0, out_shape).copy(), dtype=ember.float64, requires_grad=True)
    (OPS[op](A, B) * ember.tensor(w)).sum().backward()

    assert a.grad.shape == sa and b.grad.shape == sb
    lead_a, lead_b = len(out_shape) - len(sa), len(out_shape) - len(sb)
    ga = A.grad.numpy().sum(axis=tuple(range(lead_a)))
    gb = B.grad.numpy().sum(axis=tuple(range(lead_b)))
    ga = ga.sum(axis=tuple(i for i, s in enumerate(sa) if s == 1), keepdims=True).reshape(sa)
    gb = gb.sum(axis=tuple(i for i, s in enumerate(sb) if s == 1), keepdims=True).reshape(sb)
    np.testing.assert_allclose(a.grad.numpy(), ga, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), gb, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
def test_float32_in_float32_out_with_python_scalars(shape):
    x = ember.ones(shape, requires_grad=True)
    y = ((x * 2.5 + 1) / 3 - 0.5) ** 2 + x.exp() * 0.1
    assert y.dtype == ember.float32
    y.sum().backward()
    assert x.grad.dtype == ember.float32 and x.grad.shape == tuple(shape)
