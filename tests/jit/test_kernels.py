"""The kernels of common elementwise ops in a replay: the same bits as eager (and so as the op's
own path), where they apply and where the op's own path must run instead; registers reused by
liveness never clobber an output or a value kept for the backward."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import ember
from ember.jit.kernels import make

from .helpers import same, tensors_of

FLOATS = [ember.float16, ember.float32, ember.float64]


def _kernels(compiled) -> list[tuple[str, bool]]:
    """Each recorded op of the (one) recording and whether a kernel replays it."""
    (program,) = compiled._cache.values()
    return [(s.cls.__name__, make(s) is not None) for s in program.rec.steps if hasattr(s, "cls")]


def _run(fn, arrays: list, dtype, seed_dtype=None, retain: bool = False) -> tuple[list, list]:
    """Outputs and input gradients of one call of ``fn`` on fresh tensors of ``arrays``."""
    xs = [ember.tensor(a, dtype=dtype, requires_grad=a.dtype.kind == "f") for a in arrays]
    outs = tensors_of(fn(*xs))
    rng = np.random.default_rng(1)
    for o in outs:
        if o.requires_grad:
            seed = ember.tensor(rng.standard_normal(o.shape), dtype=seed_dtype or o.dtype)
            o.backward(seed, retain_graph=True)
            if retain:
                o.backward(seed, retain_graph=True)
    grads = [x.grad for x in xs if x.requires_grad]
    return [o._data for o in outs], [None if g is None else g._data for g in grads]


def _check(fn, shapes: list, dtype, seed_dtype=None, retain: bool = False):
    """Three compiled calls (the recording, then two replays) against eager, bit for bit, with
    warnings as errors; returns the compiled callable."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) * 2 for s in shapes]
    eager = _run(fn, arrays, dtype, seed_dtype, retain)
    compiled = ember.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            got = _run(compiled, arrays, dtype, seed_dtype, retain)
            for a, b in zip(eager[0] + eager[1], got[0] + got[1]):
                assert (a is None and b is None) or same(a, b)
    assert compiled._cache and not compiled._eager
    return compiled


def _every_kernel(x, y):
    a = x * 1.0001 + 0.5  # constants after
    b = 2 * a - 3  # constants first, Python ints
    c = 1.5 / (b * b + 1) - x / 3  # a constant over an array, an array over a constant
    d = -(c.tanh() * y).exp()  # same-dtype arrays
    e = (d.sigmoid() + y.relu()) / (x * x + 1)
    return e - y


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_every_kernel_matches_eager(dtype):
    compiled = _check(_every_kernel, [(3, 4), (3, 4)], dtype)
    assert all(k for _, k in _kernels(compiled))


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_broadcasting_reduces_gradients_as_eager(dtype):
    def fn(x, y, z):
        return ((x + y) * z - y / z).tanh() - (z - x)

    compiled = _check(fn, [(3, 4), (4,), (2, 1, 1)], dtype)
    assert all(k for _, k in _kernels(compiled))


def test_zero_dim_outputs_take_the_ops_path():
    def fn(x, y):
        return (x * 2.0 + y).tanh() * 3, y * 2

    compiled = _check(fn, [(), (5,)], ember.float32)
    assert _kernels(compiled) == [
        ("Mul", False),
        ("Add", True),
        ("Tanh", True),
        ("Mul", True),
        ("Mul", True),
    ]


def test_promotion_takes_the_ops_path():
    def fn(x, n):
        return (n * 0.5 + x) * True, n + 1, x.double() * x.float()

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(4), rng.integers(0, 5, 4)]
    compiled = ember.compile(fn)
    for _ in range(3):
        eager_out = tensors_of(fn(*[ember.tensor(a) for a in arrays]))
        got = tensors_of(compiled(*[ember.tensor(a) for a in arrays]))
        assert all(same(a._data, b._data) for a, b in zip(eager_out, got))
    assert _kernels(compiled) == [
        ("Mul", False),  # an int tensor times a float: promoted
        ("Add", True),  # float32 + float32
        ("Mul", False),  # times a bool
        ("Add", False),  # int + int: not floating
        ("Cast", False),
        ("Mul", False),  # float64 times float32: promoted
    ]


def test_constants_that_are_not_a_plain_cast_take_the_ops_path():
    def fn(x):
        return x * 1e300, x + 2**60, x * np.float32(2), x - float("inf")

    x = ember.ones(3, dtype=ember.float32, requires_grad=True)
    compiled = ember.compile(fn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        eager = fn(x)
        compiled(x)
        del caught[:]
        outs = compiled(x)
    assert all(same(a._data, b._data) for a, b in zip(eager, outs))
    assert [str(w.message) for w in caught] == ["overflow encountered in cast"]  # as eager
    assert _kernels(compiled) == [("Mul", False), ("Add", False), ("Mul", False), ("Sub", True)]


def test_quiet_ops_stay_quiet():
    def fn(x):
        return (x * 100).exp() + 1 / x + (x / 0.0)

    x = ember.tensor(np.array([0.0, 1.0, -1.0], np.float32), requires_grad=True)
    compiled = ember.compile(fn)
    with warnings.catch_warnings(), np.errstate(divide="raise", over="raise", invalid="raise"):
        warnings.simplefilter("error")
        for _ in range(3):
            out = compiled(x)
            assert same(out._data, fn(x)._data)
            out.sum().backward()
    assert all(k for _, k in _kernels(compiled))


def test_a_seed_of_another_dtype_takes_the_checked_path():
    def fn(x):
        return (x * 3.0).tanh() * 0.5

    _check(fn, [(4,)], ember.float32, seed_dtype=ember.float64)


def test_retain_graph_backward_twice_through_kernels():
    def fn(x, y):
        return (x * y).tanh() + x.sigmoid() * 2

    _check(fn, [(5,), (5,)], ember.float32, retain=True)


def test_reused_registers_never_clobber_outputs_or_saved_values():
    def fn(x):
        a = x.tanh()  # kept for tanh's backward, then its register is free
        b = a * 2.0
        c = b + 1.0  # returned
        d = c.relu() * c  # c read again after being returned
        e = d.exp()  # kept
        return c, e * 0.1, a

    compiled = _check(fn, [(6,)], ember.float64)
    x = ember.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    outs = compiled(x)
    assert len({id(o._data) for o in outs}) == 3
    assert same(outs[0]._data, np.tanh(x._data) * 2.0 + 1.0)


def test_in_place_write_into_a_kernels_output():
    def fn(x):
        y = x * 2.0
        y.mul_(3.0)  # Mul's ctx must keep y's old values: this op takes the op's path
        y += 1.0
        return y.tanh()

    _check(fn, [(4,)], ember.float32)


ROWS = ember.tensor(np.array([3, 0, 5, 3, 5, 3, 0, 1]))  # with repeats


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_embedding_view_and_linear_kernels_match_eager(dtype):
    def fn(table, w1, b1, w2):
        e = ember.nn.functional.embedding(ROWS.view(2, 4), table)  # index_select, reshape
        h = ember.nn.functional.linear(e.view(2, 4 * 3), w1, b1).tanh()  # 2-d input, bias
        return ember.nn.functional.linear(h.view(2, 1, 5), w2)  # 3-d input, no bias

    compiled = _check(fn, [(6, 3), (5, 12), (5,), (4, 5)], dtype)
    kernels = _kernels(compiled)
    assert all(k for name, k in kernels if name in ("Getitem", "Reshape", "Linear", "Tanh"))
    assert {name for name, _ in kernels} >= {"Getitem", "Reshape", "Linear"}


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_getitem_kernel_with_other_indices_matches_eager(dtype):
    grid = ember.tensor(np.array([[0, -3], [2, 2], [-1, 0]]))  # a 2-d index, negative rows

    def fn(x):
        return x[grid] * 2.0, x[1:, ::2], x[grid, 1], x[:, grid[0]]

    compiled = _check(fn, [(3, 4)], dtype)
    picks = [k for name, k in _kernels(compiled) if name == "Getitem"]
    assert picks.count(True) == 4  # grid[0] picks integers: the op's path


def test_getitem_kernel_with_a_narrow_index_matches_eager():
    rows = ember.tensor(np.array([20, 127, 20, -1], dtype=np.int8))  # rows x 10 beyond int8

    def fn(table):
        return table[rows] * 2.0

    compiled = _check(fn, [(200, 10)], ember.float32)
    assert ("Getitem", True) in _kernels(compiled)


def test_linear_kernel_for_inputs_without_gradients():
    x = ember.tensor(np.random.default_rng(2).standard_normal((3, 4)), dtype=ember.float64)

    def fn(w, b):
        return ember.nn.functional.linear(x, w, b)

    compiled = _check(fn, [(2, 4), (2,)], ember.float64)
    assert _kernels(compiled) == [("Linear", True)]


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize(
    ("shape", "targets", "options", "kernel"),
    [
        ((5, 4), [1, 0, 3, 3, 2], {}, True),
        ((5, 4), [1, -100, 3, -100, 2], {"weight": [0.5, 1.0, 2.0, 0.0]}, True),
        ((2, 3, 4), [[0, 2, 1, 1], [2, -100, 0, 1]], {}, True),  # class dim 1 of 3: a stride
        ((5, 4), [-100] * 5, {}, True),  # every target ignored: NaN, as eager
        ((5, 4), [1, 0, 3, 3, 2], {"label_smoothing": 0.1}, False),
        ((5, 4), [1, 0, 3, 3, 2], {"reduction": "sum"}, False),
        ((5, 4), [1, 0, 3, 3, 2], {"reduction": "none"}, False),
    ],
)
def test_cross_entropy_kernel_matches_eager(dtype, shape, targets, options, kernel):
    target = ember.tensor(np.array(targets))
    options = dict(options)
    weight = options.pop("weight", None)
    weight = None if weight is None else ember.tensor(weight, dtype=dtype)

    def fn(x):
        return ember.nn.functional.cross_entropy(x, target, weight, **options)

    compiled = _check(fn, [shape], dtype)
    assert ("CrossEntropy", kernel) in _kernels(compiled)


def test_an_index_rebuilt_from_its_array_skips_the_unread_reshape():
    def fn(table, idx):
        return ember.nn.functional.embedding(idx, table)  # the index is idx.reshape(-1)

    table = ember.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    compiled = ember.compile(fn)
    for rows in ([[0, 3, 3], [1, 0, 2]], [[2, 2, 1], [3, 0, 0]], [[1, 1, 1], [0, 3, 2]]):
        idx = ember.tensor(np.array(rows))
        out = compiled(table, idx)
        out.sum().backward()
        got = table.grad
        table.grad = None
        want = fn(table, idx)
        want.sum().backward()
        assert same(out._data, want._data) and same(got._data, table.grad._data)
        table.grad = None
    (program,) = compiled._cache.values()
    steps = [s for s in program.rec.steps if hasattr(s, "cls")]
    runs = [r for r in program.plan.program if not isinstance(r, functools.partial)]
    assert [s.cls.__name__ for s in steps][:2] == ["Reshape", "Derived"]
    assert len(runs) == len(steps) - 1
