"""Sorting, counting, sampling and PyTorch's argument conventions (aliases, keywords, out=),
checked against torch in float64."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def same(ours, theirs):
    """An ember result equals a torch result (tensors, named tuples, tuples, Python values)."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            same(o, t)
        return
    if isinstance(theirs, torch.Tensor):
        expected = theirs.detach().numpy()
        np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
        assert ours.shape == expected.shape
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        return
    assert ours == theirs


def both(array):
    """The same data as an ember and a torch tensor (floats as float64)."""
    array = np.asarray(array)
    dtype = ember.float64 if array.dtype.kind == "f" else None
    return ember.tensor(array, dtype=dtype), torch.tensor(array)


RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 5))
TIES = np.array([[3.0, 1.0, 3.0, np.nan, 1.0], [2.0, 2.0, 0.0, -1.0, 2.0]])
INTS = np.array([[3, 1, 3, 2, 1], [0, 0, 5, 5, 1]])

CASES = {
    "sort": lambda m, x: m.sort(x),
    "sort_desc_stable": lambda m, x: m.sort(x, dim=0, descending=True, stable=True),
    "sort_axis": lambda m, x: m.sort(x, axis=0),
    "argsort_desc": lambda m, x: m.argsort(x, dim=1, descending=True, stable=True),
    "topk": lambda m, x: m.topk(x, 3),
    "topk_dim0_smallest": lambda m, x: m.topk(x, 2, dim=0, largest=False),
    "kthvalue": lambda m, x: m.kthvalue(x, 2, 1, True),
    "median": lambda m, x: m.median(x),
    "median_dim": lambda m, x: m.median(x, 1),
    "nanmedian_dim": lambda m, x: m.nanmedian(x, 1),
    "mode": lambda m, x: m.mode(x, 1),
    "cumsum": lambda m, x: m.cumsum(x, 1),
    "cumprod_axis": lambda m, x: m.cumprod(x, axis=0),
    "cummax": lambda m, x: m.cummax(x, 1),
    "cummin": lambda m, x: m.cummin(x, 0),
    "logcumsumexp": lambda m, x: m.logcumsumexp(x, 1),
    "diff": lambda m, x: m.diff(x, dim=0),
    "unique": lambda m, x: m.unique(x, return_inverse=True, return_counts=True),
    "unique_dim": lambda m, x: m.unique(x, dim=1, return_inverse=True, return_counts=True),
    "unique_consecutive": lambda m, x: m.unique_consecutive(
        x, return_inverse=True, return_counts=True
    ),
    "isclose": lambda m, x: m.isclose(x, x + 1e-9),
    "isclose_nan": lambda m, x: m.isclose(x, x, equal_nan=True),
    "allclose": lambda m, x: m.allclose(x, x * (1 + 1e-7)),
    "equal": lambda m, x: m.equal(x, x.clone()),
    "log2": lambda m, x: m.log2(x.abs()),
    "log10": lambda m, x: m.log10(x.abs()),
    "sum_axis_keepdims": lambda m, x: m.sum(x, axis=1, keepdims=True),
    "sum_tuple": lambda m, x: x.sum((0, 1)),
    "mean_axis": lambda m, x: x.mean(axis=0, keepdims=True),
    "amax_axis": lambda m, x: m.amax(x, axis=1),
    "max_axis": lambda m, x: x.max(axis=1, keepdims=True),
    "std_axis": lambda m, x: x.std(axis=0),
    "var_mean": lambda m, x: m.var_mean(x, 1, correction=0),
    "nonzero": lambda m, x: m.nonzero(x > 0),
    "nonzero_tuple": lambda m, x: m.nonzero(x > 0, as_tuple=True),
    "where_single": lambda m, x: m.where(x > 0),
    "count_nonzero": lambda m, x: m.count_nonzero(x > 0, dim=1),
    "floor_divide": lambda m, x: m.floor_divide(x, 0.3),
    "div_trunc": lambda m, x: m.div(x, 0.3, rounding_mode="trunc"),
    "remainder": lambda m, x: m.remainder(x, 0.7),
    "fmod": lambda m, x: m.fmod(x, 0.7),
    "matmul_keywords": lambda m, x: m.matmul(input=x, other=x.T),
    "add_keywords": lambda m, x: m.add(input=x, other=x, alpha=2),
}
# PyTorch leaves the order of tied elements in topk unspecified: only values are compared there.
TIE_ORDER_UNSPECIFIED = {"topk", "topk_dim0_smallest"}
NAN_FREE = {"topk", "topk_dim0_smallest", "kthvalue", "mode", "unique_dim", "cummax", "cummin"}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("data", [X, TIES], ids=["distinct", "ties_nan"])
def test_matches_torch(name, data):
    tied = data is TIES
    if name in NAN_FREE and np.isnan(data).any():
        data = np.nan_to_num(data, nan=7.0)
    ours, theirs = both(data)
    result, expected = CASES[name](ember, ours), CASES[name](torch, theirs)
    if name in TIE_ORDER_UNSPECIFIED and tied:
        result, expected = result.values, expected.values
    same(result, expected)


@pytest.mark.parametrize(
    "name", ["unique", "unique_dim", "unique_consecutive", "mode", "sort", "cumsum"]
)
def test_integer_inputs_match_torch(name):
    ours, theirs = both(INTS)
    same(CASES[name](ember, ours), CASES[name](torch, theirs))


def test_bincount_histc_searchsorted_match_torch():
    ours, theirs = both(np.array([4, 1, 1, 0, 4, 4]))
    w_ours, w_theirs = both(np.array([0.5, 1.0, 2.0, 0.25, 1.0, 1.0]))
    same(ember.bincount(ours), torch.bincount(theirs))
    same(ember.bincount(ours, w_ours, minlength=8), torch.bincount(theirs, w_theirs, 8))
    x_ours, x_theirs = both(X)
    same(ember.histc(x_ours, bins=4), torch.histc(x_theirs, bins=4))
    same(ember.histc(x_ours, 3, -1, 1), torch.histc(x_theirs, 3, -1, 1))
    b_ours, b_theirs = both(np.array([-1.0, 0.0, 0.5, 2.0]))
    same(ember.bucketize(x_ours, b_ours), torch.bucketize(x_theirs, b_theirs))
    same(
        ember.searchsorted(b_ours, x_ours, right=True),
        torch.searchsorted(b_theirs, x_theirs, right=True),
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.bincount(m.tensor([-1])), "non-negative"),
        (lambda m: m.topk(m.ones(3), 4), "k out of range"),
        (lambda m: m.kthvalue(m.ones(3), 4), "out of range"),
        (lambda m: m.multinomial(m.tensor([0.0, 1.0]), 3), "without replacement"),
        (lambda m: m.multinomial(m.tensor([-1.0, 1.0]), 1), "element < 0"),
        (lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1), "sum of probabilities <= 0"),
        (lambda m: m.multinomial(m.ones(2, 2, 2), 1), "1 or 2 dim"),
        (lambda m: m.multinomial(m.ones(2), 0), "n_sample <= 0"),
    ],
)
def test_errors_match_torch(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(torch)
    with pytest.raises(RuntimeError, match=message):
        call(ember)


def test_multinomial_samples_follow_the_weights():
    g = ember.Generator().manual_seed(1)
    weights = ember.tensor([[1.0, 0.0, 3.0], [0.0, 2.0, 2.0]])
    draws = ember.multinomial(weights, 4000, replacement=True, generator=g)
    assert draws.shape == (2, 4000) and draws.dtype == ember.int64
    freq = [np.bincount(row, minlength=3) / 4000 for row in draws.numpy()]
    np.testing.assert_allclose(freq, [[0.25, 0, 0.75], [0, 0.5, 0.5]], atol=0.03)
    again = ember.multinomial(weights, 4000, True, generator=ember.Generator().manual_seed(1))
    assert ember.equal(draws, again)


def test_multinomial_without_replacement_draws_distinct_categories():
    ember.manual_seed(0)
    draws = ember.multinomial(ember.tensor([1.0, 5.0, 0.0, 2.0]), 4)
    assert sorted(draws.tolist()) == [0, 1, 2, 3]
    assert draws.tolist()[-1] == 2  # a zero weight comes last
    firsts = [int(ember.multinomial(ember.tensor([1.0, 3.0]), 1)) for _ in range(2000)]
    assert abs(np.mean(firsts) - 0.75) < 0.04


def test_sort_values_are_differentiable():
    x = ember.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, _ = ember.sort(x, descending=True)
    (values * ember.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 100.0, 10.0]


def test_out_writes_into_the_given_tensor():
    out = ember.empty(3)
    result = ember.add(ember.ones(3), ember.ones(3), out=out)
    assert result is out and out.tolist() == [2.0, 2.0, 2.0]
    values, indices = ember.empty(0), ember.empty(0, dtype=ember.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # empty outputs are resized without a warning
        ember.sort(ember.tensor([2.0, 1.0]), out=(values, indices))
    assert values.tolist() == [1.0, 2.0] and indices.tolist() == [1, 0]
    with pytest.warns(UserWarning, match="resized"):
        ember.cumsum(ember.ones(3), 0, out=out[:2].clone())
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        ember.exp(ember.ones(2, requires_grad=True), out=ember.empty(2))


def test_axis_and_dim_together_are_refused():
    with pytest.raises(TypeError, match="dim and its alias axis"):
        ember.sum(ember.ones(2, 2), dim=0, axis=1)
