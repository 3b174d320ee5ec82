"""Indexing beyond the op-spec table: accumulation, views, masks, setitem in graphs, errors."""

import numpy as np
import pytest

import ember


def _t(shape, dtype=ember.float64, requires_grad=False):
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    return ember.tensor(data, dtype=dtype, requires_grad=requires_grad)


# ---------------------------------------------------------------------------- accumulation
@pytest.mark.parametrize(
    "pick",
    [
        lambda a: a[[0, 0, 3, 0, 3]],
        lambda a: a[ember.tensor([0, 0, 3, 0, 3])],
        lambda a: a[np.array([0, 0, 3, 0, 3])],
        lambda a: a.index_select(0, ember.tensor([0, 0, 3, 0, 3])),
        lambda a: a.gather(0, ember.tensor([0, 0, 3, 0, 3])),
        lambda a: a.take_along_dim(ember.tensor([0, -4, 3, 0, -1]), 0),
    ],
)
def test_repeated_indices_accumulate(pick):
    a = _t((4,), requires_grad=True)
    pick(a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3, 0, 0, 2])


def test_embedding_style_backward_matches_bincount():
    rng = np.random.default_rng(0)
    table = ember.tensor(rng.standard_normal((50, 8)), dtype=ember.float64, requires_grad=True)
    ids = rng.integers(0, 50, size=(6, 7))
    g = rng.standard_normal((6, 7, 8))
    table[ember.tensor(ids)].backward(ember.tensor(g, dtype=ember.float64))
    expected = np.stack(
        [np.bincount(ids.ravel(), g.reshape(-1, 8)[:, j], minlength=50) for j in range(8)], 1
    )
    np.testing.assert_allclose(table.grad.numpy(), expected)


def test_scatter_add_accumulates_repeated_positions():
    out = ember.scatter_add(ember.zeros(2, 3), 1, ember.tensor([[0, 0, 2]]), ember.ones(1, 3))
    np.testing.assert_array_equal(out.numpy(), [[2, 0, 1], [0, 0, 0]])


def test_index_put_accumulate_counts_repeats():
    out = ember.zeros(3).index_put((ember.tensor([1, 1, 1]),), ember.tensor(2.0), accumulate=True)
    np.testing.assert_array_equal(out.numpy(), [0, 6, 0])


# ---------------------------------------------------------------------------- views
@pytest.mark.parametrize(
    "index",
    [0, (1, 2), slice(1, None), (Ellipsis, 1), (None, 0), np.int64(1), ember.tensor(1)],
)
def test_basic_indexing_is_a_view(index):
    a = _t((3, 4))
    v = a[index]
    assert np.shares_memory(v.numpy(), a.numpy())
    v.fill_(-1.0)
    assert (a.numpy() == -1).sum() == v.numel()
    assert a._version == v._version == 1
    a.zero_()
    assert np.all(v.numpy() == 0) and v._version == 2


@pytest.mark.parametrize(
    "index", [[0, 1], (slice(None), [1]), ember.tensor([True, False, True]), np.array([2])]
)
def test_advanced_indexing_copies(index):
    a = _t((3, 4))
    out = a[index]
    out.fill_(-1.0)
    assert not np.shares_memory(out.numpy(), a.numpy())
    assert a.numpy().min() == 0 and a._version == 0


def test_slicing_ops_are_views():
    a = _t((4, 3))
    parts = [a.narrow(0, 1, 2), a.select(1, -1), *a.split(2), *a.chunk(3, 1), *a.unbind(1)]
    for p in parts:
        assert np.shares_memory(p.numpy(), a.numpy()) and p._base is a and p._vc is a._vc


def test_chained_setitem_writes_into_the_base():
    a = ember.zeros(3, 4)
    a[1][2] = 5.0
    a[:, 0][[0, 2]] = 7.0
    np.testing.assert_array_equal(a.numpy()[:, :3], [[7, 0, 0], [0, 0, 5], [7, 0, 0]])
    assert a._version == 2


# ---------------------------------------------------------------------------- masks
def test_bool_mask_selects_and_writes():
    a = _t((2, 3))
    mask = ember.tensor(np.array([[True, False, True], [False, False, True]]))
    np.testing.assert_array_equal(a[mask].numpy(), [0, 2, 5])
    a[mask] = 0.0
    np.testing.assert_array_equal(a.numpy(), [[0, 1, 0], [3, 4, 0]])
    assert a[ember.tensor(np.zeros((2, 3), bool))].shape == (0,)


def test_bool_mask_with_a_slice_and_gradient():
    a = _t((2, 3), requires_grad=True)
    a[:, ember.tensor([True, False, True])].sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1, 0, 1], [1, 0, 1]])


def test_bool_mask_of_the_wrong_shape_raises():
    with pytest.raises(IndexError, match="getitem"):
        _t((2, 3))[ember.tensor([True, False, True])]


def test_masked_fill_value_gradient_sums_the_masked_positions():
    a = _t((2, 3), requires_grad=True)
    v = ember.tensor(3.0, dtype=ember.float64, requires_grad=True)
    mask = ember.tensor(np.array([True, False, True]))
    out = a.masked_fill(mask, v)
    np.testing.assert_array_equal(out.detach().numpy(), [[3, 1, 3], [3, 4, 3]])
    out.sum().backward()
    assert v.grad.item() == 4
    np.testing.assert_array_equal(a.grad.numpy(), [[0, 1, 0], [0, 1, 0]])


def test_masked_fill_in_place():
    a = _t((3,))
    a.masked_fill_(ember.tensor(np.array([True, False, False])), -1.0)
    np.testing.assert_array_equal(a.numpy(), [-1, 1, 2])


# ---------------------------------------------------------------------------- setitem in graphs
def test_setitem_in_a_graph_routes_gradients():
    a = _t((3, 2), requires_grad=True)
    v = ember.tensor([10.0, 20.0], dtype=ember.float64, requires_grad=True)
    y = a * 2.0
    y[[0, 2]] = v
    np.testing.assert_array_equal(y.detach().numpy(), [[10, 20], [4, 6], [10, 20]])
    (y * ember.tensor([[1.0, 2.0]], dtype=ember.float64)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0, 0], [2, 4], [0, 0]])
    np.testing.assert_array_equal(v.grad.numpy(), [2, 4])


def test_setitem_casts_value_and_returns_gradient_in_its_dtype():
    a = _t((3,), dtype=ember.float32, requires_grad=True)
    v = ember.tensor(2.5, dtype=ember.float64, requires_grad=True)
    y = a.clone()
    y[1:] = v
    assert y.dtype == ember.float32
    y.sum().backward()
    assert v.grad.dtype == ember.float64 and v.grad.item() == 2
    ints = ember.tensor([1, 2, 3])
    ints[0] = 7.9
    assert ints.dtype == ember.int64 and ints.tolist() == [7, 2, 3]


def test_setitem_on_a_saved_tensor_breaks_backward():
    a = _t((3,), requires_grad=True)
    y = a * 2.0
    z = y * y
    y[0] = 1.0
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        z.sum().backward()


def test_setitem_on_a_leaf_that_requires_grad():
    a = _t((3,), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        a[0] = 1.0
    with ember.no_grad():
        a[0] = 5.0
    assert a.detach().numpy()[0] == 5 and a.grad_fn is None


def test_setitem_forward_mode():
    from ember.autograd.forward_ad import jvp_call

    def f(x):
        y = x * 3.0
        y[0] = 0.0
        return y

    _, tangent = jvp_call(f, (_t((3,)),), (ember.ones(3, dtype=ember.float64),))
    np.testing.assert_array_equal(tangent.numpy(), [0, 3, 3])


def test_index_put_and_scatter_add_in_place_methods():
    a = ember.zeros(2, 3)
    a.index_put_((ember.tensor([1]),), ember.tensor(4.0))
    a.scatter_add_(1, ember.tensor([[0, 0]]), ember.ones(1, 2))
    np.testing.assert_array_equal(a.numpy(), [[2, 0, 0], [4, 4, 4]])
    assert a._version == 2


# ---------------------------------------------------------------------------- one_hot
def test_one_hot():
    out = ember.one_hot(ember.tensor([[0, 2], [1, 0]]))
    assert out.dtype == ember.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[0], [[1, 0, 0], [0, 0, 1]])
    assert ember.one_hot(ember.tensor([], dtype=ember.int64), 4).shape == (0, 4)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "index",
    [
        ember.tensor([0.0, 1.0]),
        1.0,
        (0, ember.tensor([1.5])),
        np.array([0.5]),
        [[0.5]],
    ],
)
def test_float_indices_raise_type_error(index):
    with pytest.raises(TypeError, match="getitem"):
        _t((3, 3))[index]
    with pytest.raises(TypeError, match="index_put"):
        _t((3, 3)).index_put(index, 0.0)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda a: a[3], "getitem"),
        (lambda a: a[0, -5], "getitem"),
        (lambda a: a[[0, 3]], "getitem"),
        (lambda a: a[:, ember.tensor([4])], "getitem"),
        (lambda a: a.index_put(([5],), 1.0), "index_put"),
        (lambda a: a.gather(1, ember.tensor([[4]])), "gather"),
        (lambda a: a.gather(1, ember.tensor([[-1]])), "gather"),
        (lambda a: a.gather(2, ember.tensor([[0]])), "gather"),
        (lambda a: a.scatter_add(0, ember.tensor([[3]]), _t((1, 1))), "scatter_add"),
        (lambda a: a.index_select(0, ember.tensor([3])), "index_select"),
        (lambda a: a.index_select(0, ember.tensor([-1])), "index_select"),
        (lambda a: a.take_along_dim(ember.tensor([[-5]]), 1), "take_along_dim"),
        (lambda a: a.narrow(1, 2, 3), "narrow"),
        (lambda a: a.narrow(1, 5, 0), "narrow"),
        (lambda a: a.select(0, 3), "select"),
        (lambda a: a.unbind(2), "unbind"),
        (lambda a: a[0, 0].unbind(), "unbind"),
        (lambda a: a.split(1, -3), "split"),
        (lambda a: ember.one_hot(ember.tensor([0, 3]), 3), "one_hot"),
        (lambda a: ember.one_hot(ember.tensor([-1])), "one_hot"),
    ],
)
def test_out_of_range_raises_index_error(call, name):
    with pytest.raises(IndexError, match=name):
        call(_t((3, 4)))


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda a: a.gather(1, ember.tensor([[0.0]])), TypeError, "gather"),
        (lambda a: a.index_select(0, [0.5]), TypeError, "index_select"),
        (lambda a: ember.one_hot(ember.tensor([1.0])), TypeError, "one_hot"),
        (lambda a: a.masked_fill(ember.tensor([1, 0, 1, 0]), 0.0), TypeError, "masked_fill"),
        (lambda a: a.gather(1, ember.tensor([0])), ValueError, "gather"),
        (lambda a: a.gather(1, ember.tensor([[0]] * 4)), ValueError, "gather"),
        (lambda a: a.scatter_add(1, ember.tensor([[0, 1]]), _t((1, 1))), ValueError, "scatter"),
        (lambda a: a.index_select(0, ember.tensor([[0]])), ValueError, "index_select"),
        (lambda a: a.take_along_dim(ember.tensor([0]), 1), ValueError, "take_along_dim"),
        (lambda a: a.take_along_dim(ember.tensor([[0]] * 2), 1), ValueError, "take_along_dim"),
        (lambda a: a.masked_fill(ember.tensor([True, False]), 0.0), ValueError, "masked_fill"),
        (lambda a: a.masked_fill(ember.tensor([True] * 4), _t((1,))), ValueError, "masked_fill"),
        (lambda a: a.index_put((0,), _t((2,))), ValueError, "index_put"),
        (lambda a: a.split([1, 1]), ValueError, "split"),
        (lambda a: a.split(0), ValueError, "split"),
        (lambda a: a.chunk(0), ValueError, "chunk"),
        (lambda a: ember.one_hot(ember.tensor([], dtype=ember.int64)), ValueError, "one_hot"),
    ],
)
def test_bad_arguments(call, error, name):
    with pytest.raises(error, match=name):
        call(_t((3, 4)))


# ---------------------------------------------------------------------------- PyTorch agreement
TORCH_CASES = [
    lambda m, a: a[1:, [0, 2, 2]],
    lambda m, a: a[[[0, 1], [1, 1]], :, [3, 0]],
    lambda m, a: a[..., None, 1],
    lambda m, a: a[m.tensor([True, False]), 1:, -1],
    lambda m, a: a.gather(2, m.tensor([[[0, 3], [3, 3], [1, 0]]] * 2)),
    lambda m, a: a.index_select(1, m.tensor([2, 0, 2])),
    lambda m, a: a.take_along_dim(m.tensor([[[-1]], [[0]]]), 2),
    lambda m, a: a.masked_fill(m.tensor([True, False, False, True]), 0.5),
    lambda m, a: m.scatter_add(a, 1, m.tensor([[[0, 0, 2, 1]]]), a[:1, :1] * 3),
    lambda m, a: a.index_put((m.tensor([1, 0]), m.tensor([2, 2])), a[0, 0] * 2),
    lambda m, a: m.cat([p * (i + 1) for i, p in enumerate(a.split([1, 0, 2], 1))], 1),
    lambda m, a: m.stack(a.unbind(-1), 0),
]


@pytest.mark.parametrize("fn", TORCH_CASES)
def test_matches_torch(fn):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal((2, 3, 4))
    t = torch.tensor(data, requires_grad=True)
    e = ember.tensor(data, dtype=ember.float64, requires_grad=True)
    out_t, out_e = fn(torch, t), fn(ember, e)
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy())
    w = np.random.default_rng(1).standard_normal(tuple(out_t.shape))
    (out_t * torch.tensor(w)).sum().backward()
    (out_e * ember.tensor(w, dtype=ember.float64)).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_chunk_and_split_sizes_match_torch():
    torch = pytest.importorskip("torch")
    for n in (0, 1, 5, 6, 7):
        for k in (1, 2, 3, 4):
            sizes_t = [len(p) for p in torch.zeros(n).chunk(k)]
            assert [len(p) for p in ember.zeros(n).chunk(k)] == sizes_t, (n, k)
            sizes_t = [len(p) for p in torch.zeros(n).split(k)]
            assert [len(p) for p in ember.zeros(n).split(k)] == sizes_t, (n, k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("n", "rows", "width"),
    [
        (2048, 65, 16),
        (700, 1000, 4),
        (300, 5, 3),
        (256, 3, 2),
        (512, 64, 0),
        (96, 27, 10),
        (5, 4, 1),
    ],
)
def test_row_gradients_add_as_add_at_does(n, rows, width, dtype):
    """Gradients of picked rows (an embedding's) are summed in add.at's order, bit for bit,
    negative indices, heavy repeats and -0.0 included."""
    rng = np.random.default_rng(n)
    idx = rng.integers(-rows, rows, n)
    g = rng.standard_normal((n, width)).astype(dtype)
    g[::7] = -0.0
    weight = ember.tensor(np.zeros((rows, width)), dtype=dtype, requires_grad=True)
    weight[ember.tensor(idx)].backward(ember.tensor(g, dtype=dtype))
    want = np.zeros((rows, width), dtype)
    np.add.at(want, idx, g)
    assert weight.grad.numpy().tobytes() == want.tobytes()


@pytest.mark.parametrize("index_dtype", [np.int8, np.int16, np.uint8])
def test_row_gradients_of_a_narrow_index(index_dtype):
    """Rows of an int8 index times the row width do not overflow (row 20 of width 10 stays
    row 20), and a negative row counts from the end of a table longer than int8 reaches."""
    idx = np.array([20, 127, 20, 0], dtype=index_dtype)
    if np.issubdtype(index_dtype, np.signedinteger):
        idx[3] = -1
    weight = ember.zeros(200, 10, requires_grad=True)
    weight[ember.tensor(idx)].sum().backward()
    want = np.zeros((200, 10), np.float32)
    np.add.at(want, idx.astype(np.intp), 1.0)
    assert weight.grad.numpy().tobytes() == want.tobytes()


def test_row_accumulation_out_of_range_still_raises():
    values = ember.zeros(400, 2)
    with pytest.raises(IndexError, match="out of bounds"):
        ember.zeros(5, 2).index_put_((ember.tensor([0, 7] * 200),), values, accumulate=True)
