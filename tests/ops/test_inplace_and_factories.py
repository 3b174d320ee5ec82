"""In-place methods (values, version counters, PyTorch's refusals), ``inplace=True`` in
nn.functional and the activation modules, ``Tensor.new_*``, and the index writes against torch."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F  # noqa: N812 - PyTorch's spelling

torch = pytest.importorskip("torch")

X = np.random.default_rng(1).uniform(0.2, 2.0, (3, 4)) * np.array([1, -1, 1, -1])

INPLACE = {
    "add_": lambda t: t.add_(t * 2, alpha=0.5),
    "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(3.0),
    "div_": lambda t: t.div_(2.0),
    "div_floor": lambda t: t.div_(0.3, rounding_mode="floor"),
    "pow_": lambda t: t.abs_().pow_(1.5),
    "clamp_": lambda t: t.clamp_(-0.5, 0.5),
    "clamp_min_": lambda t: t.clamp_min_(0.3),
    "exp_": lambda t: t.exp_(),
    "log_": lambda t: t.abs_().log_(),
    "sqrt_": lambda t: t.abs_().sqrt_(),
    "tanh_": lambda t: t.tanh_(),
    "sigmoid_": lambda t: t.sigmoid_(),
    "relu_": lambda t: t.relu_(),
    "neg_": lambda t: t.neg_(),
    "floor_": lambda t: t.floor_(),
    "round_": lambda t: t.round_(),
    "sign_": lambda t: t.sign_(),
    "remainder_": lambda t: t.remainder_(0.7),
    "lerp_": lambda t: t.lerp_(t * 0 + 1, 0.25),
    "addcmul_": lambda t: t.addcmul_(t, t, value=0.5),
    "masked_fill_": lambda t: t.masked_fill_(t > 0, 0.0),
    "index_fill_": lambda t: t.index_fill_(1, ember_or_torch(t).tensor([0, 3]), -2.0),
    "index_add_": lambda t: t.index_add_(
        0, ember_or_torch(t).tensor([2, 0]), t[:2].clone(), alpha=2
    ),
    "scatter_": lambda t: t.scatter_(1, ember_or_torch(t).tensor([[1], [0], [3]]), 9.0),
    "scatter_add_": lambda t: t.scatter_add_(
        0, ember_or_torch(t).tensor([[2, 1, 0, 0]]), t[:1].clone()
    ),
    "cumsum_": lambda t: t.cumsum_(1),
    "t_": lambda t: t.t_(),
    "transpose_": lambda t: t.transpose_(0, 1),
    "unsqueeze_": lambda t: t.unsqueeze_(1),
    "copy_": lambda t: t.copy_(t.flip(0)),
    "fill_": lambda t: t.fill_(2.5),
    "zero_": lambda t: t.zero_(),
}


def ember_or_torch(t):
    return torch if isinstance(t, torch.Tensor) else ember


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_methods_match_torch(name):
    ours, theirs = ember.tensor(X, dtype=ember.float64), torch.tensor(X)
    version = ours._version
    result = INPLACE[name](ours)
    INPLACE[name](theirs)
    assert result is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert ours.shape == tuple(theirs.shape)
    if not name.endswith(("t_", "transpose_", "unsqueeze_")):
        assert ours._version > version


@pytest.mark.parametrize("name", ["add_", "relu_", "t_", "index_fill_"])
def test_inplace_on_a_leaf_that_requires_grad_is_refused(name):
    leaf = ember.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        INPLACE[name](leaf)
    with ember.no_grad():
        INPLACE[name](leaf)


def test_inplace_rebases_history_and_guards_saved_values():
    x = ember.tensor(X, requires_grad=True)
    y = x * 2
    y.relu_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * (X > 0))
    z = x.exp()
    z.mul_(2)  # exp saved its output: backward must refuse
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        z.sum().backward()


@pytest.mark.parametrize(
    "make",
    [
        lambda m, x: m.nn.functional.relu(x, inplace=True),
        lambda m, x: m.nn.functional.leaky_relu(x, 0.2, inplace=True),
        lambda m, x: m.nn.functional.elu(x, inplace=True),
        lambda m, x: m.nn.functional.silu(x, inplace=True),
        lambda m, x: m.nn.ReLU(inplace=True)(x),
        lambda m, x: m.nn.LeakyReLU(0.1, inplace=True)(x),
        lambda m, x: m.nn.ELU(inplace=True)(x),
    ],
)
def test_inplace_activations_write_into_their_input(make):
    ours, theirs = ember.tensor(X, dtype=ember.float64), torch.tensor(X)
    assert make(ember, ours) is ours
    make(torch, theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_inplace_relu_in_a_network_gives_torchs_gradient():
    ours = ember.tensor(X, dtype=ember.float64, requires_grad=True)
    theirs = torch.tensor(X, requires_grad=True)
    (F.relu(ours * 3, inplace=True) ** 2).sum().backward()
    (torch.nn.functional.relu(theirs * 3, inplace=True) ** 2).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_inplace_dropout_writes_into_its_input():
    x = ember.ones(1000)
    assert F.dropout(x, 0.5, inplace=True) is x
    assert set(np.unique(x.numpy())) == {0.0, 2.0}


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.new_zeros(2, 3),
        lambda x: x.new_ones((2,)),
        lambda x: x.new_full((2, 2), 7),
        lambda x: x.new_tensor([[1, 2]]),
        lambda x: x.new_zeros(3, dtype=ember_or_torch(x).int64),
        lambda x: x.new_empty(0),
    ],
)
def test_new_factories_match_torch(make):
    ours, theirs = make(ember.tensor(X, dtype=ember.float64)), make(torch.tensor(X))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.shape == tuple(theirs.shape)
    if ours.numel():
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_random_fills_use_the_given_generator():
    draws = []
    for _ in range(2):
        g = ember.Generator().manual_seed(3)
        t = ember.empty(50)
        draws.append(
            [
                t.uniform_(-1, 1, generator=g).tolist(),
                t.normal_(2.0, 0.5, generator=g).tolist(),
                t.exponential_(2.0, generator=g).tolist(),
                t.random_(5, generator=g).tolist(),
                t.bernoulli_(0.3, generator=g).tolist(),
            ]
        )
    assert draws[0] == draws[1]
    uniform, _, exponential, integers, coins = draws[0]
    assert all(-1 <= v < 1 for v in uniform) and all(v >= 0 for v in exponential)
    assert set(integers) <= {0.0, 1.0, 2.0, 3.0, 4.0} and set(coins) <= {0.0, 1.0}


INDEX_CASES = {
    "scatter": lambda m, x: m.scatter(x, 0, m.tensor([[1, 0, 2, 0]]), x[:1] * 10),
    "scatter_reduce_amax": lambda m, x: m.scatter_reduce(
        x, 0, m.tensor([[1, 0, 2, 0], [1, 1, 1, 1]]), x[:2] * 3, "amax", include_self=False
    ),
    "scatter_reduce_mean": lambda m, x: x.scatter_reduce(
        1, m.tensor([[0, 0], [1, 1], [3, 0]]), x[:, :2], "mean"
    ),
    "index_add": lambda m, x: m.index_add(x, 1, m.tensor([0, 0, 3]), x[:, :3], alpha=-1),
    "index_copy": lambda m, x: x.index_copy(0, m.tensor([2, 0]), x[:2] * 0),
    "masked_select": lambda m, x: m.masked_select(x, x > 0),
    "masked_scatter": lambda m, x: x.masked_scatter(x < 0, x * 100),
    "take": lambda m, x: m.take(x, m.tensor([[0, -1], [5, 5]])),
    "diag": lambda m, x: m.diag(x, 1),
    "diag_embed": lambda m, x: m.diag_embed(x, -1),
    "trace": lambda m, x: m.trace(x),
    "rot90": lambda m, x: m.rot90(x, 3, (1, 0)),
    "repeat_interleave": lambda m, x: x.repeat_interleave(m.tensor([1, 0, 2]), dim=0),
    "meshgrid_xy": lambda m, x: m.meshgrid(x[0], x[1, :2], indexing="xy"),
    "atleast_3d": lambda m, x: m.atleast_3d(x[0]),
    "hstack": lambda m, x: m.hstack([x, x]),
    "column_stack": lambda m, x: m.column_stack([x[0], x[1]]),
    "view_dtype": lambda m, x: x.view(m.int64),
    "swapaxes": lambda m, x: x.swapaxes(0, 1),
    "broadcast_tensors": lambda m, x: m.broadcast_tensors(x, x[:1]),
}


@pytest.mark.parametrize("name", sorted(INDEX_CASES))
def test_index_and_layout_ops_match_torch(name):
    ours = INDEX_CASES[name](ember, ember.tensor(X, dtype=ember.float64))
    theirs = INDEX_CASES[name](torch, torch.tensor(X))
    pairs = zip(ours, theirs) if isinstance(theirs, tuple) else [(ours, theirs)]
    for o, t in pairs:
        np.testing.assert_array_equal(o.detach().numpy(), t.numpy())
        assert o.shape == tuple(t.shape)


def test_bad_index_writes_name_the_op():
    x = ember.zeros(2, 3)
    with pytest.raises(IndexError, match="index_fill"):
        x.index_fill(1, ember.tensor([3]), 1.0)
    with pytest.raises(RuntimeError, match="scatter_reduce: reduce"):
        x.scatter_reduce(0, ember.tensor([[0]]), x, "max")
    with pytest.raises(RuntimeError, match="masked_select: expected a bool mask"):
        ember.masked_select(x, ember.tensor([1, 0, 1]))


@pytest.mark.parametrize("op", ["__iadd__", "__isub__", "__imul__"])
@pytest.mark.parametrize("other", [0.25, 3, "0-d", "same"])
def test_inplace_operator_without_recording_matches_the_out_of_place_op(op, other):
    """``a -= lr * a.grad`` under no_grad (and friends) writes into ``a`` directly: the values of
    the out-of-place op, one more version, the graph fields left as they were, views see it."""
    values = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    operand = {"0-d": ember.tensor(0.5), "same": ember.tensor(values[::-1].copy())}.get(
        other, other
    )
    expected = getattr(ember.tensor(values), op.replace("__i", "__"))(operand).numpy()
    base = ember.tensor(values, requires_grad=True)
    view = base[1]
    with ember.no_grad():
        result = getattr(base, op)(operand)
    assert result is base and base._version == 1 and base.is_leaf and base.requires_grad
    assert base.detach().numpy().tobytes() == expected.tobytes()
    assert view.detach().numpy().tobytes() == expected[1].tobytes()


def test_inplace_operator_keeps_its_refusals_and_promotion():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w -= 1.0
    x = ember.tensor([1, 2])  # an int tensor: float results cannot be written into it
    with pytest.raises(TypeError, match="can't be cast"):
        x -= ember.tensor([0.5, 0.5])
    y = ember.tensor([1.0, 2.0], dtype=ember.float16)
    y += ember.tensor([0.5, 0.25], dtype=ember.float64)  # float64 result cast back, as in torch
    assert y.dtype == ember.float16 and y.tolist() == [1.5, 2.25]
    ro = ember.tensor([1.0]).expand(3)
    with pytest.raises(RuntimeError, match="read-only"):
        ro *= 2.0
