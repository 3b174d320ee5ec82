"""Reductions: results PyTorch users rely on beyond the op-spec table (namedtuples, ties, zeros,
stability, errors), and a comparison with PyTorch when it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd.gradcheck import gradgradcheck


def t64(data, requires_grad=False):
    return ember.tensor(data, dtype=ember.float64, requires_grad=requires_grad)


def grad_of(fn, data):
    x = t64(data, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


# ---------------------------------------------------------------------------- max and min
@pytest.mark.parametrize(("op", "pick"), [(ember.max, np.argmax), (ember.min, np.argmin)])
def test_max_min_with_dim_return_values_and_indices(op, pick):
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    result = op(t64(a), 1)
    assert isinstance(result, tuple) and type(result).__name__ == op.__name__
    values, indices = result
    assert values is result.values and indices is result.indices
    np.testing.assert_array_equal(indices.numpy(), pick(a, axis=1))
    assert indices.dtype == ember.int64 and not indices.requires_grad
    np.testing.assert_array_equal(
        values.numpy(), np.take_along_axis(a, indices.numpy()[:, None], 1)[:, 0]
    )
    kept = op(t64(a), dim=0, keepdim=True)
    assert kept.values.shape == (1, 3) and kept.indices.shape == (1, 3)


def test_max_without_dim_is_a_0d_tensor():
    out = ember.max(t64([[1.0, 4.0], [2.0, 3.0]]))
    assert out.shape == () and out.item() == 4.0
    assert t64([[1.0, 4.0]]).min().item() == 1.0


def test_max_with_dim_sends_the_gradient_to_the_returned_index_among_ties():
    assert grad_of(lambda x: x.max(0).values, [1.0, 3.0, 3.0]).tolist() == [0.0, 1.0, 0.0]
    assert grad_of(lambda x: x.min(1).values, [[2.0, 1.0, 1.0]]).tolist() == [[0.0, 1.0, 0.0]]
    assert ember.argmax(t64([1.0, 3.0, 3.0])).item() == 1


@pytest.mark.parametrize(
    "fn", [ember.amax, ember.max, lambda x: ember.amax(x, 0)], ids=["amax", "max", "amax_dim"]
)
def test_ties_share_the_gradient_evenly(fn):
    assert grad_of(fn, [1.0, 3.0, 3.0]).tolist() == [0.0, 0.5, 0.5]
    assert grad_of(lambda x: ember.amin(x, 1), [[2.0, 2.0, 2.0, 5.0]]).tolist() == [
        [1 / 3, 1 / 3, 1 / 3, 0.0]
    ]


def test_max_of_two_tensors_is_the_elementwise_maximum():
    a, b = t64([1.0, 5.0, -2.0]), t64([3.0, 4.0, -1.0])
    if not hasattr(ember, "maximum"):
        with pytest.raises(TypeError, match="maximum"):
            ember.max(a, b)
        return
    np.testing.assert_array_equal(ember.max(a, b).numpy(), [3.0, 5.0, -1.0])
    np.testing.assert_array_equal(ember.min(a, b).numpy(), [1.0, 4.0, -2.0])


@pytest.mark.parametrize("op", [ember.argmax, ember.argmin])
def test_argmax_argmin_are_int64_and_flatten_without_dim(op):
    a = np.array([[1.0, 9.0], [-4.0, 2.0]])
    x = t64(a, requires_grad=True)
    pick = np.argmax if op is ember.argmax else np.argmin
    flat = op(x)
    assert flat.dtype == ember.int64 and flat.shape == () and not flat.requires_grad
    assert flat.item() == pick(a)
    assert op(x, keepdim=True).shape == (1, 1)
    np.testing.assert_array_equal(op(x, dim=-1).numpy(), pick(a, axis=-1))
    assert op(x, dim=0, keepdim=True).shape == (1, 2)


# ---------------------------------------------------------------------------- prod
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]),  # one zero: only it gets a gradient
        ([2.0, 0.0, 0.0, 3.0], [0.0, 0.0, 0.0, 0.0]),  # several zeros: none does
        ([2.0, -4.0, 3.0], [-12.0, 6.0, -8.0]),
    ],
)
def test_prod_gradient_with_zeros(data, expected):
    np.testing.assert_allclose(grad_of(ember.prod, data), expected)
    assert gradgradcheck(ember.prod, [t64(data, requires_grad=True)])


def test_prod_gradient_with_zeros_along_a_dim():
    data = [[0.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]]
    expected = [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]]
    np.testing.assert_allclose(grad_of(lambda x: x.prod(1), data), expected)


def test_integer_sum_and_prod_are_int64():
    assert ember.tensor([1, 2, 3], dtype=ember.int32).sum().dtype == ember.int64
    assert ember.tensor([True, True, False]).sum().item() == 2
    assert ember.tensor([2, 3], dtype=ember.int32).prod().dtype == ember.int64
    assert ember.tensor([1, 2]).sum(dtype=ember.float64).dtype == ember.float64


# ---------------------------------------------------------------------------- mean, var, std
def test_mean_refuses_integers_but_takes_a_dtype():
    with pytest.raises(TypeError, match="int64"):
        ember.tensor([1, 2]).mean()
    assert ember.tensor([1, 2]).mean(dtype=ember.float64).item() == 1.5


def test_var_std_defaults_and_corrections_follow_pytorch():
    a = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 9.0]])
    x = t64(a)
    assert np.isclose(x.var().item(), np.var(a, ddof=1))
    assert np.isclose(x.var(unbiased=False).item(), np.var(a))
    assert np.isclose(x.var(False).item(), np.var(a))
    assert np.isclose(x.std(correction=0).item(), np.std(a))
    np.testing.assert_allclose(x.var(0, False).numpy(), np.var(a, axis=0))
    np.testing.assert_allclose(x.std(1, keepdim=True).numpy(), np.std(a, 1, ddof=1, keepdims=True))
    assert np.isnan(t64([2.0]).var().item())
    with pytest.raises(TypeError, match="either unbiased or correction"):
        x.var(unbiased=True, correction=1)
    with pytest.raises(TypeError, match="int64"):
        ember.tensor([1, 2]).std()


def test_std_of_constant_rows_has_zero_gradient():
    assert grad_of(lambda x: x.std(1), [[2.0, 2.0, 2.0]]).tolist() == [[0.0, 0.0, 0.0]]


# ---------------------------------------------------------------------------- logsumexp, norm
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_logsumexp_is_stable_at_1e4(dtype, sign):
    x = ember.tensor([[sign * 1e4, sign * 1e4], [sign * 1e4, 0.0]], dtype=dtype, requires_grad=True)
    out = x.logsumexp(1)
    assert out.dtype == dtype
    big = sign * 1e4
    expected = [big + np.log(2.0), max(big, 0.0) + np.log1p(np.exp(-abs(big)))]
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    out.sum().backward()
    grad = x.grad.numpy()
    assert np.all(np.isfinite(grad))
    # exp(x - out) with out rounded to the dtype: float32 loses ~1e-4 here, as in PyTorch
    np.testing.assert_allclose(grad[0], [0.5, 0.5], rtol=1e-3 if dtype == ember.float32 else 1e-9)
    assert np.isclose(ember.tensor([-np.inf, -np.inf]).logsumexp(0).item(), -np.inf)


def test_norm_at_zero_has_zero_gradient():
    assert grad_of(ember.norm, [0.0, 0.0, 0.0]).tolist() == [0.0, 0.0, 0.0]
    rows = grad_of(lambda x: x.norm(dim=1), [[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(rows, [[0.0, 0.0], [0.6, 0.8]])
    assert grad_of(lambda x: x.norm(1), [0.0, -2.0]).tolist() == [0.0, -1.0]


def test_norm_orders():
    a = np.array([[3.0, -4.0], [0.0, 1.0]])
    x = t64(a)
    assert np.isclose(x.norm().item(), np.sqrt(26.0))
    assert np.isclose(x.norm("fro").item(), np.sqrt(26.0))
    assert np.isclose(x.norm(1).item(), 8.0)
    assert np.isclose(x.norm(float("inf")).item(), 4.0)
    assert np.isclose(x.norm(float("-inf")).item(), 0.0)
    assert np.isclose(x.norm(0).item(), 3.0)
    np.testing.assert_allclose(x.norm(3, dim=1).numpy(), np.cbrt([91.0, 1.0]))
    assert x.norm(dim=(0, 1), keepdim=True).shape == (1, 1)
    with pytest.raises(ValueError, match="nuc"):
        x.norm("nuc")
    with pytest.raises(TypeError, match="int64"):
        ember.tensor([1, 2]).norm()


# ---------------------------------------------------------------------------- all, any, dims
def test_all_any_give_bools():
    x = ember.tensor([[1, 0, 2], [3, 4, 5]])
    assert x.all().dtype == ember.bool and x.all().item() is False
    assert x.any().item() is True
    assert x.all(1).tolist() == [False, True]
    assert x.any(0, keepdim=True).shape == (1, 3)
    assert ember.tensor(np.zeros((0, 2))).all().item() is True
    assert ember.tensor(np.zeros((0, 2))).any().item() is False


def test_dim_forms():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = t64(a)
    np.testing.assert_array_equal(x.sum(dim=(-1, 0)).numpy(), a.sum(axis=(0, 2)))
    assert x.sum(dim=()).item() == a.sum()
    assert x.amax(dim=[0, 1], keepdim=True).shape == (1, 1, 4)
    assert t64(5.0).sum(0).item() == 5.0 and t64(5.0).max(-1).indices.item() == 0


@pytest.mark.parametrize(
    ("fn", "error", "match"),
    [
        (lambda x: x.sum(3), IndexError, "sum: dim 3 is out of range"),
        (lambda x: x.mean(-4), IndexError, "mean: dim -4"),
        (lambda x: x.sum((0, -2)), ValueError, "repeats"),
        (lambda x: x.max((0, 1)), TypeError, "max: dim must be an int"),
        (lambda x: x.argmax((0, 1)), TypeError, "argmax: dim must be an int or None"),
        (lambda x: x[:0].max(), IndexError, "max: the tensor is empty"),
        (lambda x: x[:0].amax(0), IndexError, r"amax: .*empty dim .*\(0, 3\)"),
        (lambda x: x[:0].argmin(), IndexError, "argmin"),
        (lambda x: x[:0].min(0), IndexError, "min"),
    ],
)
def test_bad_arguments_raise_clear_errors(fn, error, match):
    with pytest.raises(error, match=match):
        fn(t64(np.ones((2, 3))))


def test_empty_reductions_follow_pytorch():
    empty = t64(np.zeros((0, 3)))
    assert empty.sum().item() == 0.0 and empty.prod().item() == 1.0
    assert np.isnan(empty.mean().item())
    assert empty.logsumexp(0).tolist() == [-np.inf] * 3
    assert empty.max(1).values.shape == (0,)


# ---------------------------------------------------------------------------- against PyTorch
CASES = [
    ("sum", lambda m, x: m.sum(x, dim=(0, 2), keepdim=True)),
    ("mean", lambda m, x: m.mean(x, 1)),
    ("prod", lambda m, x: m.prod(x, -1)),
    ("amax", lambda m, x: m.amax(x, (1, 2))),
    ("amin", lambda m, x: m.amin(x)),
    ("max", lambda m, x: m.max(x, 1)[0]),
    ("min", lambda m, x: m.min(x, 2, keepdim=True)[0]),
    ("max_all", lambda m, x: m.max(x)),
    ("var", lambda m, x: m.var(x, 1)),
    ("var_correction", lambda m, x: m.var(x, (0, 1), correction=0)),
    ("std", lambda m, x: m.std(x, -1, keepdim=True)),
    ("logsumexp", lambda m, x: m.logsumexp(x, 1)),
    ("norm", lambda m, x: m.norm(x, dim=1)),
    ("norm_p3", lambda m, x: m.norm(x, 3, dim=(0, 2))),
    ("norm_inf", lambda m, x: m.norm(x, float("inf"), dim=2)),
    ("norm_0", lambda m, x: m.norm(x, 0)),
]


@pytest.mark.parametrize("with_ties", [False, True], ids=["distinct", "ties_and_zeros"])
@pytest.mark.parametrize(("name", "fn"), CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, with_ties):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    data = rng.standard_normal((2, 3, 4))
    if with_ties:
        data = np.round(data)  # repeated values and zeros (ties in max, zeros in prod and norm)
    x = t64(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out, tout = fn(ember, x), fn(torch, tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = rng.standard_normal(tout.shape)
    out.backward(t64(seed))
    tout.backward(torch.tensor(seed))
    expected = np.zeros(data.shape) if tx.grad is None else tx.grad.numpy()  # torch: None for p=0
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dim", [None, 0, (0, 2), -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_array_rule_equals_the_tensor_rule(dim, keepdim):
    """Sum's array rule (a broadcast view of the gradient) gives the tensor rule's gradient, and
    the leaf's ``.grad`` is its own writable array."""
    values = np.random.default_rng(6).standard_normal((2, 3, 4)).astype(np.float32)
    grads = []
    for create_graph in (False, True):
        x = ember.tensor(values, requires_grad=True)
        out = x.sum() if dim is None else x.sum(dim, keepdim=keepdim)
        (out * ember.arange(out.numel()).reshape(out.shape)).sum().backward(
            create_graph=create_graph
        )
        grads.append(x.grad.detach().numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    x = ember.tensor(values, requires_grad=True)
    x.sum().backward()
    x.grad += 1.0
    np.testing.assert_array_equal(x.grad.numpy(), np.full_like(values, 2.0))


# ------------------------------------------------------------------------------- aminmax
def test_aminmax_over_all_elements_or_one_dim_as_torch():
    a = np.array([[1.0, 5.0], [3.0, 2.0]])
    low, high = ember.aminmax(t64(a))
    assert low.shape == high.shape == () and (low.item(), high.item()) == (1.0, 5.0)
    low, high = ember.aminmax(input=t64(a), dim=1)
    np.testing.assert_array_equal(low.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(high.numpy(), [5.0, 3.0])
    low, high = ember.aminmax(t64(a), dim=0, keepdim=True)
    assert low.shape == high.shape == (1, 2)
    np.testing.assert_array_equal(high.numpy(), [[3.0, 5.0]])
    with pytest.raises(TypeError):
        ember.aminmax(t64(a), 1)  # dim is keyword-only, as in torch


def test_aminmax_of_an_empty_tensor():
    with pytest.raises(RuntimeError, match="aminmax"):
        ember.aminmax(ember.zeros(0))
    low, high = ember.aminmax(ember.zeros(0, 3), dim=1)  # empty rows: nothing to reduce
    assert low.shape == high.shape == (0,)


@pytest.mark.parametrize("op", [ember.argmax, ember.argmin])
def test_index_of_a_0d_tensor_takes_dim_0_or_minus_1_and_names_its_0_dims(op):
    x = t64(3.0)
    assert op(x, dim=0).item() == op(x, dim=-1).item() == 0
    with pytest.raises(IndexError, match="with 0 dims"):
        op(x, dim=1)
