"""Shape ops beyond the op-spec table: views and versions, dtypes, errors, PyTorch agreement."""

import numpy as np
import pytest

import ember


def _t(shape, dtype=ember.float32, requires_grad=False):
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    return ember.tensor(data, dtype=dtype, requires_grad=requires_grad)


# ---------------------------------------------------------------------------- views
VIEWS = [
    lambda a: a.reshape(4, 3),
    lambda a: a.view(-1),
    lambda a: a.flatten(),
    lambda a: a.unflatten(1, (2, 2)),
    lambda a: a.permute(1, 0),
    lambda a: a.transpose(0, 1),
    lambda a: a.T,
    lambda a: a.movedim(0, 1),
    lambda a: a.unsqueeze(1),
    lambda a: a.unsqueeze(0).squeeze(0),
]


@pytest.mark.parametrize("make_view", VIEWS)
def test_views_share_memory_and_version(make_view):
    a = _t((3, 4))
    v = make_view(a)
    v.mul_(0.0)
    assert np.all(a.numpy() == 0), "writing through the view must change the base"
    assert a._version == v._version == 1
    a.add_(1.0)
    assert np.all(v.numpy() == 1), "writing the base must show through the view"
    assert v._version == 2


def test_expand_is_a_read_only_view():
    a = _t((3, 1))
    e = a.expand(3, 4)
    assert np.shares_memory(e.numpy(), a.numpy())
    with pytest.raises(RuntimeError, match="read-only"):
        e.add_(1.0)


@pytest.mark.parametrize(
    "op",
    [
        lambda a: a.flip(0),
        lambda a: a.roll(1, 0),
        lambda a: a.repeat(1, 1),
        lambda a: a.tile((1,)),
        lambda a: ember.cat([a]),
        lambda a: ember.stack([a]),
        lambda a: ember.pad(a, (0, 0)),
        lambda a: a.tril(5),
        lambda a: a.clone(),
    ],
)
def test_copying_ops_do_not_alias(op):
    a = _t((3, 4))
    out = op(a)
    out.mul_(0.0)
    assert a.numpy().sum() == 66 and a._version == 0


def test_view_of_view_keeps_the_root_base():
    a = _t((2, 3))
    v = a.reshape(6).reshape(3, 2)
    assert v._base is a


# ---------------------------------------------------------------------------- dtypes
def test_cat_promotes_and_returns_gradients_in_each_dtype():
    a = _t((2,), ember.float32, requires_grad=True)
    b = _t((3,), ember.float64, requires_grad=True)
    out = ember.cat([a, b])
    assert out.dtype == ember.float64
    (out * ember.tensor([1.0, 2, 3, 4, 5], dtype=ember.float64)).sum().backward()
    assert a.grad.dtype == ember.float32 and b.grad.dtype == ember.float64
    np.testing.assert_array_equal(a.grad.numpy(), [1, 2])
    np.testing.assert_array_equal(b.grad.numpy(), [3, 4, 5])


def test_cat_with_an_integer_tensor():
    a = ember.tensor([1, 2])
    b = _t((2,), requires_grad=True)
    out = ember.cat([a, b])
    assert out.dtype == ember.float32
    out.sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1])


@pytest.mark.parametrize(
    "op",
    [
        lambda a: a.reshape(-1),
        lambda a: a.flip(1),
        lambda a: a.roll(1),
        lambda a: a.repeat(2, 1),
        lambda a: ember.pad(a, (1, 1), value=7),
        lambda a: ember.pad(a, (1, 1), mode="reflect"),
        lambda a: a.triu(),
        lambda a: ember.stack([a, a]),
    ],
)
def test_integer_tensors_keep_their_dtype(op):
    assert op(ember.tensor([[1, 2, 3], [4, 5, 6]])).dtype == ember.int64


def test_pad_value_does_not_upcast_float32():
    out = ember.pad(_t((2, 2)), (1, 1), value=0.1)
    assert out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy()[0], [0.1, 0, 1, 0.1], rtol=1e-6)


def test_cat_forward_mode_with_a_constant_integer_input():
    from ember.autograd.forward_ad import jvp_call

    b = _t((2,), ember.float64)
    c = ember.tensor([5, 6])
    _, tangent = jvp_call(lambda x: ember.cat([c, x]), (b,), (ember.ones(2, dtype=ember.float64),))
    np.testing.assert_array_equal(tangent.numpy(), [0, 0, 1, 1])


# ---------------------------------------------------------------------------- semantics
def test_squeeze_leaves_dims_that_are_not_size_one():
    assert _t((2, 1, 3)).squeeze(0).shape == (2, 1, 3)
    assert _t((2, 1, 3)).squeeze((0, 1)).shape == (2, 3)


def test_flatten_of_a_scalar_is_one_dimensional():
    assert ember.tensor(3.0).flatten().shape == (1,)


def test_expand_with_minus_one_keeps_the_dim():
    assert _t((3, 1)).expand(2, -1, 4).shape == (2, 3, 4)


def test_tile_pads_dims_while_repeat_requires_them():
    a = _t((2, 3))
    assert a.tile((2,)).shape == (2, 6)
    assert a.repeat(2, 1, 1).shape == (2, 2, 3)
    with pytest.raises(ValueError, match="repeat"):
        a.repeat(2)


def test_iterating_a_tensor_yields_rows_with_gradients():
    a = _t((3, 2), ember.float64, requires_grad=True)
    total = sum((row * (i + 1)).sum() for i, row in enumerate(a))
    total.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1, 1], [2, 2], [3, 3]])
    with pytest.raises(TypeError):
        iter(ember.tensor(1.0))


# ---------------------------------------------------------------------------- errors
def test_cat_shape_mismatch_names_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"cat: .*\(2, 3\) and \(3, 2\)"):
        ember.cat([_t((2, 3)), _t((3, 2))], dim=1)
    with pytest.raises(ValueError, match=r"cat: .*\(2, 3\) and \(2, 3, 1\)"):
        ember.cat([_t((2, 3)), _t((2, 3, 1))])
    with pytest.raises(ValueError, match="cat"):
        ember.cat([])
    with pytest.raises(ValueError, match="0-d"):
        ember.cat([ember.tensor(1.0), ember.tensor(2.0)])


def test_stack_shape_mismatch_names_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"stack: .*\(2, 3\) and \(2, 2\)"):
        ember.stack([_t((2, 3)), _t((2, 2))])
    with pytest.raises(ValueError, match="stack"):
        ember.stack([])


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda a: a.transpose(0, 2), "transpose"),
        (lambda a: a.permute(0, 5), "permute"),
        (lambda a: a.squeeze(2), "squeeze"),
        (lambda a: a.unsqueeze(3), "unsqueeze"),
        (lambda a: a.unsqueeze(-4), "unsqueeze"),
        (lambda a: a.flatten(0, 2), "flatten"),
        (lambda a: a.unflatten(-3, (1, 2)), "unflatten"),
        (lambda a: a.movedim(0, 2), "movedim"),
        (lambda a: ember.cat([a, a], 2), "cat"),
        (lambda a: ember.stack([a, a], 3), "stack"),
        (lambda a: a.flip(2), "flip"),
        (lambda a: a.roll(1, -3), "roll"),
    ],
)
def test_out_of_range_dims_raise_index_error(call, name):
    with pytest.raises(IndexError, match=name):
        call(_t((2, 3)))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda a: a.permute(0, 0), "permute"),
        (lambda a: a.permute(0), "permute"),
        (lambda a: a.reshape(4, 2), "reshape"),
        (lambda a: a.expand(4, 3), "expand"),
        (lambda a: a.unflatten(1, (2, 2)), "unflatten"),
        (lambda a: a.flatten(1, 0), "flatten"),
        (lambda a: a.movedim((0, 1), 0), "movedim"),
        (lambda a: a.roll((1, 2), 0), "roll"),
        (lambda a: a.repeat(-1, 1), "repeat"),
        (lambda a: a[0].tril(), "tril"),
        (lambda a: a[0].triu(), "triu"),
        (lambda a: ember.pad(a, (1,)), "pad"),
        (lambda a: ember.pad(a, (1, 1) * 3), "pad"),
        (lambda a: ember.pad(a, (3, 0), mode="reflect"), "reflect"),
        (lambda a: ember.pad(a, (4, 0), mode="circular"), "circular"),
        (lambda a: ember.pad(a, (1, 0), mode="wrap"), "mode"),
    ],
)
def test_bad_shapes_raise_value_error(call, name):
    with pytest.raises(ValueError, match=name):
        call(_t((2, 3)))


# ---------------------------------------------------------------------------- PyTorch agreement
TORCH_CASES = [
    lambda m, a: m.cat([a, a * 2], -1),
    lambda m, a: m.stack([a, a * 2], 1),
    lambda m, a: a.flatten(1),
    lambda m, a: a.unflatten(2, (2, -1)),
    lambda m, a: a.squeeze(),
    lambda m, a: a.squeeze((0, 1)),
    lambda m, a: a.unsqueeze(-2),
    lambda m, a: a.movedim((0, 2), (2, 0)),
    lambda m, a: a.repeat(2, 1, 3, 1),
    lambda m, a: a.tile((2, 1)),
    lambda m, a: a.flip((0, 2)),
    lambda m, a: a.roll(3),
    lambda m, a: a.roll((1, -1), (1, 2)),
    lambda m, a: a.tril(-1),
    lambda m, a: a.triu(1),
    lambda m, a: m.cat([p * (i + 1) for i, p in enumerate(a.chunk(3, -1))], -1),
]
PADS = [
    ((1, 2), "constant"),
    ((1, -1, 0, 2), "constant"),
    ((1, 2, 1, 0), "reflect"),
    ((2, 1, 0, 1), "replicate"),
    ((1, 3, 1, 0), "circular"),
]


def _torch_and_ember(fn_torch, fn_ember, shape=(1, 2, 4)):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal(shape)
    t = torch.tensor(data, requires_grad=True)
    e = ember.tensor(data, dtype=ember.float64, requires_grad=True)
    out_t, out_e = fn_torch(t), fn_ember(e)
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy())
    weights = np.random.default_rng(1).standard_normal(tuple(out_t.shape))
    (out_t * torch.tensor(weights)).sum().backward()
    (out_e * ember.tensor(weights, dtype=ember.float64)).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("fn", TORCH_CASES)
def test_matches_torch(fn):
    torch = pytest.importorskip("torch")
    _torch_and_ember(lambda t: fn(torch, t), lambda e: fn(ember, e))


@pytest.mark.parametrize(("widths", "mode"), PADS)
def test_pad_matches_torch(widths, mode):
    torch = pytest.importorskip("torch")
    _torch_and_ember(
        lambda t: torch.nn.functional.pad(t, widths, mode=mode),
        lambda e: ember.pad(e, widths, mode=mode),
        shape=(1, 3, 4),
    )
