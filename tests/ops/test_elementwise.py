"""Elementwise ops beyond the generic spec tests: stability, kink conventions, erf accuracy, dtypes,
comparisons, where, copy_from and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
from ember.ops.transcendental import _erf


def grad_of(fn, *values, dtype=ember.float64):
    """fn's output and the gradient of its sum with respect to each input."""
    xs = [ember.tensor(v, dtype=dtype, requires_grad=True) for v in values]
    out = fn(*xs)
    grads = ember.autograd.grad(out.sum(), xs, allow_unused=True)
    return out.detach(), grads


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.usefixtures("no_warnings")
def test_sigmoid_is_finite_and_exact_far_out(dtype):
    out, (g,) = grad_of(lambda x: x.sigmoid(), [-1e4, -50.0, 0.0, 1e4], dtype=dtype)
    assert out.dtype == dtype and g.dtype == dtype
    np.testing.assert_allclose(out.numpy(), [0, 1 / (1 + math.exp(50)), 0.5, 1], rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), [0, math.exp(-50), 0.25, 0], rtol=1e-5)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("beta", [1.0, 1e-3])
@pytest.mark.usefixtures("no_warnings")
def test_softplus_is_finite_and_exact_far_out(dtype, beta):
    x = np.array([-1e4, 0.0, 1e4])
    out, (g,) = grad_of(lambda t: ember.softplus(t, beta=beta), x, dtype=dtype)
    bx = beta * x
    e = np.exp(-np.abs(bx))
    expected = (np.maximum(bx, 0) + np.log1p(e)) / beta
    expected_grad = np.where(bx >= 0, 1, e) / (1 + e)
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(g.numpy()))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), expected_grad, rtol=1e-5, atol=1e-30)


def test_softplus_is_linear_above_threshold():
    out, (g,) = grad_of(lambda t: ember.softplus(t, beta=2.0, threshold=1.0), [0.6, 0.4])
    np.testing.assert_allclose(out.numpy(), [0.6, math.log1p(math.exp(0.8)) / 2])
    np.testing.assert_allclose(g.numpy(), [1.0, 1 / (1 + math.exp(-0.8))])


def test_log1p_and_expm1_are_precise_near_zero():
    x = np.array([1e-12, -1e-12, 1e-300, 3e-9])
    t = ember.tensor(x, dtype=ember.float64)
    np.testing.assert_allclose(t.log1p().numpy(), x - x * x / 2, rtol=1e-15)
    np.testing.assert_allclose(t.expm1().numpy(), x + x * x / 2, rtol=1e-15)
    small = ember.tensor([1e-7], dtype=ember.float32)
    assert abs(small.log1p().item() - 1e-7) < 1e-13
    assert abs(small.expm1().item() - 1e-7) < 1e-13


@pytest.mark.usefixtures("no_warnings")
def test_domain_edges_give_inf_and_nan_quietly():
    x = ember.tensor([0.0, -1.0])
    assert x.log().tolist()[0] == -math.inf and math.isnan(x.log().tolist()[1])
    assert x.reciprocal().tolist() == [math.inf, -1.0]
    assert math.isnan(x.sqrt().tolist()[1]) and x.rsqrt().tolist()[0] == math.inf
    assert (ember.tensor([1.0]) / 0).item() == math.inf
    assert ember.tensor([1000.0]).exp().item() == math.inf
    assert (x**-1).tolist()[0] == math.inf


# ---------------------------------------------------------------------------- kink conventions
def test_relu_abs_sign_gradients_at_zero():
    x = [-1.0, 0.0, 2.0]
    _, (g,) = grad_of(lambda t: t.relu(), x)
    assert g.tolist() == [0.0, 0.0, 1.0]
    _, (g,) = grad_of(lambda t: t.abs(), x)
    assert g.tolist() == [-1.0, 0.0, 1.0]
    _, (g,) = grad_of(lambda t: t.sign(), x)
    assert g.tolist() == [0.0, 0.0, 0.0]
    _, (g,) = grad_of(lambda t: ember.leaky_relu(t, 0.1), x)
    np.testing.assert_allclose(g.numpy(), [0.1, 0.1, 1.0])
    _, (g,) = grad_of(lambda t: ember.elu(t, alpha=2.0), x)
    np.testing.assert_allclose(g.numpy(), [2 * math.exp(-1), 2.0, 1.0])


def test_clamp_passes_gradient_at_its_bounds():
    out, (g,) = grad_of(lambda t: t.clamp(-1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    assert out.tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
    assert g.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    _, (g,) = grad_of(lambda t: t.clamp(min=0.0), [-1.0, 0.0, 1.0])
    assert g.tolist() == [0.0, 1.0, 1.0]


def test_clamp_tensor_bounds_route_the_gradient():
    x, lo, hi = [-2.0, 0.0, 2.0, 0.0], [-1.0, -1.0, -1.0, 1.0], [1.0, 1.0, 1.0, -1.0]
    out, (gx, glo, ghi) = grad_of(lambda a, b, c: ember.clamp(a, b, c), x, lo, hi)
    assert out.tolist() == [-1.0, 0.0, 1.0, -1.0]  # min > max: every element is max
    assert gx.tolist() == [0.0, 1.0, 0.0, 0.0]
    assert glo.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert ghi.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_one_tensor_bound_takes_the_gradient_only_beyond_it_ties_going_to_the_input():
    """PyTorch's rule: the bound gets g where a < min (a > max), the input where it is inside,
    the tie included."""
    x, bound = [-2.0, 0.0, 2.0], [0.0, 0.0, 0.0]
    _, (gx, glo) = grad_of(lambda a, b: ember.clamp(a, min=b), x, bound)
    assert gx.tolist() == [0.0, 1.0, 1.0] and glo.tolist() == [1.0, 0.0, 0.0]
    _, (gx, ghi) = grad_of(lambda a, c: ember.clamp(a, max=c), x, bound)
    assert gx.tolist() == [1.0, 1.0, 0.0] and ghi.tolist() == [0.0, 0.0, 1.0]
    _, (gx, glo, ghi) = grad_of(lambda a, b, c: ember.clamp(a, b, c), x, [0.0] * 3, [2.0] * 3)
    assert gx.tolist() == [0.0, 1.0, 1.0]  # both ties go to the input
    assert glo.tolist() == [1.0, 0.0, 0.0] and ghi.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_split_ties(name):
    fn = getattr(ember, name)
    out, (ga, gb) = grad_of(fn, [1.0, 2.0, 3.0], [1.0, 1.0, 4.0])
    a_wins = [2.0, 3.0] if name == "maximum" else [1.0, 2.0]
    assert out.tolist()[1:] == [max(a_wins), max(a_wins) + 1] or out.tolist()[0] == 1.0
    first = 1.0 if name == "maximum" else 0.0
    assert ga.tolist() == [0.5, first, 1.0 - first]
    assert gb.tolist() == [0.5, 1.0 - first, first]


def test_pow_conventions_at_zero():
    _, (g,) = grad_of(lambda t: t**0, [0.0, 2.0])
    assert g.tolist() == [0.0, 0.0]
    _, (ga, gb) = grad_of(lambda a, b: a**b, [0.0, 0.0, 2.0], [0.0, 2.0, 3.0])
    assert ga.tolist() == [0.0, 0.0, 12.0]
    np.testing.assert_allclose(gb.numpy(), [0.0, 0.0, 8 * math.log(2)])
    _, (gb,) = grad_of(lambda b: 0.0**b, [0.0, 1.0])
    assert gb.tolist() == [0.0, 0.0]
    _, (gb,) = grad_of(lambda b: 3.0**b, [2.0])
    np.testing.assert_allclose(gb.numpy(), [9 * math.log(3)])


def test_sigmoid_and_tanh_backward_use_the_saved_output():
    x = ember.tensor([0.3, -1.2], dtype=ember.float64, requires_grad=True)
    y = x.tanh()
    assert any(v is not None for v in y.grad_fn._saved)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh([0.3, -1.2]) ** 2)


# ---------------------------------------------------------------------------- erf and gelu
def test_erf_matches_math_erf_on_a_dense_grid():
    x = np.concatenate(
        [np.linspace(-8, 8, 200_001), np.geomspace(1e-300, 1, 1001), [0.46875, 4.0, 26.6, 1e300]]
    )
    x = np.concatenate([x, -x])
    expected = np.array([math.erf(v) for v in x])
    got = ember.erf(ember.tensor(x, dtype=ember.float64)).numpy()
    assert np.max(np.abs(got - expected)) <= 4.5e-16
    assert np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)) <= 1e-15


def test_erf_special_values_and_float32():
    out = _erf(np.array([0.0, -0.0, np.inf, -np.inf, np.nan]))
    assert out[:4].tolist() == [0.0, 0.0, 1.0, -1.0] and np.signbit(out[1]) and np.isnan(out[4])
    x = np.linspace(-5, 5, 1001, dtype=np.float32)
    got = ember.erf(ember.tensor(x)).numpy()
    assert got.dtype == np.float32
    assert np.max(np.abs(got - [math.erf(v) for v in x.astype(float)])) < 3e-7


def test_gelu_exact_and_tanh_forms():
    x = np.linspace(-6, 6, 121)
    phi = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    exact = ember.gelu(ember.tensor(x, dtype=ember.float64)).numpy()
    np.testing.assert_allclose(exact, x * phi, rtol=1e-14, atol=1e-15)
    approx = ember.gelu(ember.tensor(x, dtype=ember.float64), approximate="tanh").numpy()
    np.testing.assert_allclose(approx, exact, atol=5e-4)
    with pytest.raises(ValueError, match="gelu"):
        ember.gelu(ember.tensor(x), approximate="fast")


# ---------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x * 2.5,
        lambda x: 2.5 * x,
        lambda x: x + 1,
        lambda x: 1.5 - x,
        lambda x: x / 3,
        lambda x: 2 / x,
        lambda x: x**2,
        lambda x: x**0.5,
        lambda x: 2.0**x,
        lambda x: x.clamp(0.1, 0.9),
        lambda x: ember.maximum(x, ember.tensor(0.5, dtype=ember.float64)),
        lambda x: ember.where(x > 0.5, x, 0.0),
        lambda x: ember.leaky_relu(x, 0.2),
        lambda x: ember.softplus(x, beta=2.0),
        lambda x: ember.elu(x, alpha=0.5),
        lambda x: x * np.float64(2.5),
        lambda x: np.float64(2.5) * x,
        lambda x: x ** np.float64(2.0),
        lambda x: x.clamp(np.float64(0.5)),
    ],
)
def test_python_and_numpy_scalars_keep_float32(fn):
    out = fn(ember.tensor([0.25, 0.75]))
    assert out.dtype == ember.float32


def test_integer_promotion_follows_pytorch():
    i = ember.tensor([1, 2, 3])
    assert (i * 2.5).dtype == ember.float32
    assert (i / i).dtype == ember.float32
    assert (i**2).dtype == ember.int64 and (i**2).tolist() == [1, 4, 9]
    assert (i + 1).dtype == ember.int64
    assert (ember.tensor([1, 2], dtype=ember.int32) * 2).dtype == ember.int32
    assert (ember.tensor([True, False]) + 1).dtype == ember.int64
    assert i.exp().dtype == ember.float32 and i.sqrt().dtype == ember.float32
    assert ember.sigmoid(i).dtype == ember.float32 and i.reciprocal().dtype == ember.float32
    assert i.abs().dtype == ember.int64 and i.relu().dtype == ember.int64
    assert i.clamp(1.5).dtype == ember.float32 and i.clamp(2).tolist() == [2, 2, 3]


def test_comparisons_and_logical_ops_give_bool_without_grad():
    a = ember.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    b = ember.tensor([[2.0], [1.0]])
    results = {
        "eq": (a == b, [[False, True, False], [True, False, False]]),
        "ne": (a.ne(b), [[True, False, True], [False, True, True]]),
        "lt": (a < b, [[True, False, False], [False, False, False]]),
        "le": (ember.le(a, b), [[True, True, False], [True, False, False]]),
        "gt": (a > 2, [[False, False, True]]),
        "ge": (2 <= a, [[False, True, True]]),  # noqa: SIM300 (the reflected operator)
        "and": ((a > 1) & (a < 3), [[False, True, False]]),
        "or": (ember.logical_or(a < 2, a > 2), [[True, False, True]]),
        "not": (~(a > 1), [[True, False, False]]),
        "and_float": (ember.logical_and(a - 1, 1.0), [[False, True, True]]),
    }
    for name, (out, expected) in results.items():
        assert out.dtype == ember.bool, name
        assert out.tolist() == expected, name
        assert not out.requires_grad and out.grad_fn is None, name


def test_comparison_promotes_like_pytorch():
    x = ember.tensor([0.1], dtype=ember.float32)
    assert (x == 0.1).item()  # the weak scalar compares as float32
    # an int tensor meets a Python float in float32, as in PyTorch: 2**24 + 1 rounds to 2**24
    assert not (ember.tensor([2**24 + 1]) > 2.0**24).item()


# ---------------------------------------------------------------------------- where, copy_from
def test_where_broadcasts_and_routes_gradients():
    cond = ember.tensor([[True], [False], [True]])
    a = ember.tensor([[1.0, 2.0, 3.0, 4.0]], requires_grad=True)
    b = ember.tensor(-1.0, requires_grad=True)
    out = ember.where(cond, a, b)
    assert out.shape == (3, 4)
    assert out.tolist()[1] == [-1.0] * 4 and out.tolist()[2] == [1.0, 2.0, 3.0, 4.0]
    out.sum().backward()
    assert a.grad.tolist() == [[2.0] * 4] and b.grad.item() == 4.0
    assert a.where(cond, 0.0).shape == (3, 4)
    with pytest.raises(TypeError, match="float32"):
        ember.where(ember.tensor([1.0]), a, b)


def test_copy_fill_zero_write_src_and_send_its_gradient():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    src = ember.tensor([5.0], dtype=ember.float64, requires_grad=True)
    y = x * 2
    y.copy_(src)
    assert y.tolist() == [5.0, 5.0, 5.0] and y.dtype == ember.float32
    (y * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert src.grad.tolist() == [6.0] and src.grad.dtype == ember.float64
    assert x.grad is None
    i = ember.tensor([1, 2])
    assert i.fill_(2.7).tolist() == [2, 2] and i.zero_().tolist() == [0, 0]
    with pytest.raises(ValueError, match=r"copy_from.*\(3,\).*\(2,\)"):
        i.copy_(ember.tensor([1, 2, 3]))


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("pow", lambda a, b: a**b),
        ("maximum", ember.maximum),
        ("minimum", ember.minimum),
        ("eq", lambda a, b: a == b),
        ("lt", lambda a, b: a < b),
        ("logical_and", ember.logical_and),
        ("clamp", lambda a, b: a.clamp(b)),
        ("where", lambda a, b: ember.where(a > 0, a, b)),
    ],
)
def test_shape_mismatch_names_op_and_shapes(name, fn):
    a, b = ember.tensor(np.ones((2, 3))), ember.tensor(np.ones(4))
    with pytest.raises(ValueError, match=rf"^{name}: .*\(2, 3\).*\(4,\)"):
        fn(a, b)


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp"):
        ember.tensor([1.0]).clamp()


# ---------------------------------------------------------------------------- against PyTorch
def _torch_cases(torch):
    F = torch.nn.functional
    return {
        "relu": (lambda x: x.relu(), lambda x: x.relu()),
        "leaky_relu": (lambda x: ember.leaky_relu(x), F.leaky_relu),
        "elu": (lambda x: ember.elu(x, 0.7), lambda x: F.elu(x, 0.7)),
        "gelu": (ember.gelu, F.gelu),
        "gelu_tanh": (
            lambda x: ember.gelu(x, approximate="tanh"),
            lambda x: F.gelu(x, approximate="tanh"),
        ),
        "softplus": (lambda x: ember.softplus(x, 2, 1), lambda x: F.softplus(x, 2, 1)),
        "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid()),
        "erf": (lambda x: x.erf(), lambda x: x.erf()),
        "clamp": (lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5)),
        "maximum": (lambda x: ember.maximum(x, x * 0), lambda x: torch.maximum(x, x * 0)),
        "pow": (lambda x: x.abs() ** x, lambda x: x.abs() ** x),
        "rpow": (lambda x: 0.0**x, lambda x: 0.0**x),
        "abs": (lambda x: x.abs(), lambda x: x.abs()),
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_gradients_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    x = np.array([-25.0, -2.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.0, 25.0])
    tol = {"rtol": 2e-6, "atol": 1e-7} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-14}
    for name, (ours, theirs) in _torch_cases(torch).items():
        xe = ember.tensor(x, dtype=dtype, requires_grad=True)
        xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
        ye, yt = ours(xe), theirs(xt)
        ye.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), err_msg=name, **tol)
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), err_msg=name, **tol)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("exponent", [2, 3, 2.0, 3.0, 4, -1, 2.5])
def test_pow_by_a_number_is_torchs_bit_for_bit(dtype, exponent):
    """PyTorch computes x**2 and x**3 as products (not pow), and the gradient b * x**(b-1) from
    them; ember gives the same bits, forward and backward (the array rule of a plain backward)."""
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(3).uniform(-3, 3, 257)
    x = ember.tensor(values, dtype=dtype, requires_grad=True)
    t = torch.tensor(values, dtype=getattr(torch, str(dtype).split(".")[1]), requires_grad=True)
    (x**exponent).sum().backward()
    (t**exponent).sum().backward()
    if exponent in (2, 3):
        assert (x**exponent).detach().numpy().tobytes() == (t**exponent).detach().numpy().tobytes()
    if exponent in (2, 3, 4):  # 4: the gradient's x**3
        assert x.grad.numpy().tobytes() == t.grad.numpy().tobytes()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 2.5, -2])
def test_pow_array_rule_equals_the_tensor_rule(exponent):
    """A plain backward runs Pow's array rule; under create_graph the tensor rule runs: the two
    give identical gradients."""
    values = np.random.default_rng(4).uniform(0.5, 2.0, (3, 5)).astype(np.float32)
    grads = []
    for create_graph in (False, True):
        x = ember.tensor(values, requires_grad=True)
        (x.pow(exponent) * 1.5).sum().backward(create_graph=create_graph)
        grads.append(x.grad.detach().numpy().tobytes())
    assert grads[0] == grads[1]


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_pow_1_is_a_copy_of_every_value(dtype):
    """x**1 (also the power in the rule of x**2) gives every value back bit for bit, in an
    array of its own."""
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -3.5, 7e30]
    values = np.concatenate([specials, np.random.default_rng(5).standard_normal(64)])
    x = ember.tensor(values, dtype=dtype)
    y = x**1
    assert y.numpy().tobytes() == x.numpy().tobytes()
    assert not np.shares_memory(y.numpy(), x.numpy())


@pytest.mark.parametrize("exponent", [2, 3])
def test_pow_overflow_is_silent_and_gives_inf(exponent):
    """As in PyTorch: float32 x**2 and x**3 past the largest float are inf, without a warning."""
    x = ember.tensor([1e30, 3e30, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x**exponent
        y.sum().backward()
    assert np.isinf(y.detach().numpy()[:2]).all() and y[2].item() == 2.0**exponent
    v = x.detach().numpy()
    with np.errstate(over="ignore"):
        expected = exponent * (v if exponent == 2 else v * v)  # inf for 3 x**2
    np.testing.assert_array_equal(x.grad.numpy(), expected)
