"""Linear algebra: shape and dtype errors, einsum's equation forms, the fused linear op, and a
comparison with PyTorch when it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(0)


def t64(*shape, requires_grad=False):
    return ember.tensor(
        RNG.standard_normal(shape), dtype=ember.float64, requires_grad=requires_grad
    )


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("fn", "shapes", "match"),
    [
        (ember.matmul, [(2, 3), (4, 5)], r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned"),
        (ember.matmul, [(3,), (4,)], r"matmul: shapes \(3,\) and \(4,\) are not aligned"),
        (ember.matmul, [(2, 3), (4,)], r"matmul: shapes \(2, 3\) and \(4,\)"),
        (ember.matmul, [(), (3,)], r"matmul: both operands need at least 1 dim"),
        (ember.matmul, [(2, 2, 3), (3, 3, 4)], r"matmul: the batch dims of shapes \(2, 2, 3\)"),
        (ember.mm, [(2, 3, 4), (4, 5)], r"mm: expected 2-D tensors, got shapes \(2, 3, 4\)"),
        (ember.mm, [(2, 3), (4, 5)], r"mm: shapes \(2, 3\) and \(4, 5\) are not aligned"),
        (ember.bmm, [(2, 3), (3, 4)], r"bmm: expected 3-D tensors"),
        (ember.bmm, [(2, 3, 4), (3, 4, 5)], r"bmm: batch sizes differ: shapes \(2, 3, 4\)"),
        (ember.dot, [(3,), (4,)], r"dot: shapes \(3,\) and \(4,\) are not aligned"),
        (ember.dot, [(3, 1), (3,)], r"dot: expected 1-D tensors"),
        (ember.outer, [(3, 1), (3,)], r"outer: expected 1-D tensors"),
        (ember.linear, [(5, 3), (4, 2)], r"linear: input shape \(5, 3\) and weight shape \(4, 2\)"),
        (ember.linear, [(5, 3), (4, 3), (3,)], r"linear: bias shape \(3,\)"),
        (ember.addmm, [(3, 4), (3, 2), (3, 4)], r"mm: shapes \(3, 2\) and \(3, 4\)"),
    ],
)
def test_shape_errors_name_the_op_and_both_shapes(fn, shapes, match):
    with pytest.raises(ValueError, match=match):
        fn(*[t64(*s) for s in shapes])


def test_dtype_errors():
    a32 = ember.tensor(np.ones((2, 2)), dtype=ember.float32)
    with pytest.raises(TypeError, match="float32 and float64"):
        a32 @ t64(2, 2)
    with pytest.raises(TypeError, match="bool"):
        ember.tensor([True]) @ ember.tensor([True])
    with pytest.raises(TypeError, match=r"linear.*float32 and float64"):
        ember.linear(a32, t64(3, 2))


def test_integer_matmul_forward():
    a = ember.tensor([[1, 2], [3, 4]])
    out = a @ ember.tensor([5, 6])
    assert out.dtype == ember.int64 and out.tolist() == [17, 39]
    assert ember.mm(a, a).tolist() == [[7, 10], [15, 22]]


# ---------------------------------------------------------------------------- einsum
def test_einsum_forms():
    a, b = t64(3, 4), t64(4, 5)
    np.testing.assert_allclose(ember.einsum("ij,jk", a, b).numpy(), a.numpy() @ b.numpy())
    np.testing.assert_allclose(ember.einsum("ij,jk->ik", [a, b]).numpy(), a.numpy() @ b.numpy())
    np.testing.assert_allclose(ember.einsum(" i j -> j i ", a).numpy(), a.numpy().T)
    assert ember.einsum("ba", a).shape == (4, 3)  # implicit output: alphabetical order
    square = t64(3, 3)
    assert np.isclose(ember.einsum("ii", square).item(), np.trace(square.numpy()))


def test_einsum_result_does_not_alias_its_input():
    a = t64(2, 3)
    out = ember.einsum("ij->ji", a)
    out._data[0, 0] = 100.0
    assert a.numpy()[0, 0] != 100.0


@pytest.mark.parametrize(
    ("equation", "shapes", "match"),
    [
        ("ij,jk->ik", [(2, 3)], "names 2 operands, but 1 were given"),
        ("ij->ik", [(2, 3)], "output subscripts"),
        ("ii->ii", [(2, 2)], "output subscripts"),
        ("ijk->i", [(2, 3)], r"operand 0 has shape \(2, 3\), but its subscripts 'ijk' name 3"),
        ("i1->i", [(2, 3)], "not a list of letters"),
        ("ij,jk->ik", [(2, 3), (4, 5)], r"einsum: operands of shapes \(2, 3\), \(4, 5\)"),
    ],
)
def test_einsum_errors(equation, shapes, match):
    with pytest.raises(ValueError, match=match):
        ember.einsum(equation, *[t64(*s) for s in shapes])


# ---------------------------------------------------------------------------- linear, addmm
def test_linear_is_one_op_with_bias_gradient_summed_over_leading_dims():
    x, w, b = t64(2, 5, 3, requires_grad=True), t64(4, 3, requires_grad=True), t64(4)
    b.requires_grad_()
    out = ember.linear(x, w, b)
    assert out.grad_fn.name() == "LinearBackward0"
    assert all(e is None or isinstance(e, ember.Tensor) for e in out.grad_fn.next)  # leaves only
    out.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 10.0))
    np.testing.assert_allclose(
        x.grad.numpy(), np.broadcast_to(w.detach().numpy().sum(0), (2, 5, 3))
    )
    np.testing.assert_allclose(
        w.grad.numpy(), np.broadcast_to(x.detach().numpy().sum((0, 1)), (4, 3))
    )


def test_addmm_with_beta_zero_ignores_the_input():
    nan = ember.tensor(np.full((2, 2), np.nan), dtype=ember.float64)
    a, b = t64(2, 3), t64(3, 2)
    out = ember.addmm(nan, a, b, beta=0, alpha=2.0)
    np.testing.assert_allclose(out.numpy(), 2.0 * a.numpy() @ b.numpy())


# ---------------------------------------------------------------------------- against PyTorch
LINEAR = [(2, 5, 3), (4, 3), (4,)]
CASES = [
    ("matmul_2d", lambda m, a, b: m.matmul(a, b), [(3, 4), (4, 5)]),
    ("matmul_dot", lambda m, a, b: m.matmul(a, b), [(4,), (4,)]),
    ("matmul_vec_mat", lambda m, a, b: m.matmul(a, b), [(4,), (2, 4, 5)]),
    ("matmul_mat_vec", lambda m, a, b: m.matmul(a, b), [(2, 3, 4), (4,)]),
    ("matmul_broadcast", lambda m, a, b: m.matmul(a, b), [(2, 1, 3, 4), (5, 4, 2)]),
    ("bmm", lambda m, a, b: m.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    ("outer", lambda m, a, b: m.outer(a, b), [(3,), (4,)]),
    ("einsum_batch", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)]),
    ("einsum_diag", lambda m, a: m.einsum("ii->i", a), [(3, 3)]),
    ("einsum_implicit", lambda m, a, b: m.einsum("Ab,cA", a, b), [(2, 3), (4, 2)]),
    ("einsum_ellipsis", lambda m, a, b: m.einsum("...i,...i", a, b), [(2, 3), (3,)]),
    ("linear", lambda m, *xs: (m.linear if m is ember else m.nn.functional.linear)(*xs), LINEAR),
    ("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0), [(4,), (3, 2), (2, 4)]),
]


@pytest.mark.parametrize(("name", "fn", "shapes"), CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, shapes):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(s) for s in shapes]
    xs = [ember.tensor(a, dtype=ember.float64, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(ember, *xs), fn(torch, *txs)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = RNG.standard_normal(tout.shape)
    out.backward(ember.tensor(seed, dtype=ember.float64))
    tout.backward(torch.tensor(seed))
    for x, tx in zip(xs, txs):
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
