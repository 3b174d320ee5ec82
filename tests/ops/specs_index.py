"""Op specs: index family (see harness.py)."""

import numpy as np

import ember

from .harness import OpSpec


def _mask(shape):
    """A fixed boolean mask: every other element True."""
    return np.arange(int(np.prod(shape))).reshape(shape) % 2 == 0


def _with_index(dim, negative=False, src=False):
    """``make`` for (input, index[, src]) cases: index entries valid along ``dim`` of the input."""

    def make(rng, shapes):
        a = rng.uniform(-2, 2, size=shapes[0])
        n = shapes[0][dim] if shapes[0] else 1
        idx = rng.integers(-n if negative else 0, n, size=shapes[1])
        return [a, idx] + ([rng.uniform(-2, 2, size=shapes[2])] if src else [])

    return make


def _with_mask(rng, shapes):
    return [rng.uniform(-2, 2, size=shapes[0]), rng.random(shapes[1]) < 0.5]


def _with_labels(rng, shapes):
    return [rng.integers(0, 4, size=shapes[0])]


def _gather_ref(dim):
    def ref(a, idx):
        if a.ndim == 0:
            return a.reshape(1)[idx]
        inner = tuple(slice(0, m) if i != dim else slice(None) for i, m in enumerate(idx.shape))
        return np.take_along_axis(a[inner], idx, dim)

    return ref


def _scatter_add_ref(a, idx, src):
    out = a.copy()
    grid = list(np.indices(idx.shape, sparse=True))
    grid[1] = idx
    np.add.at(out, tuple(grid), src[tuple(slice(0, m) for m in idx.shape)])
    return out


def _put_ref(index, accumulate=False):
    def ref(a, v):
        out = a.copy()
        if accumulate:
            np.add.at(out, index, v)
        else:
            out[index] = v
        return out

    return ref


def _setitem(a, v):
    out = a.clone()
    out[1:, [0, 2]] = v
    return out


def _masked_fill_ref(a, mask, value=0.5):
    return np.where(mask, value, a)


def _weighted_cat(parts, dim):
    """Parts scaled 1, 2, 3, ... then joined, so each part's gradient is told apart."""
    return [p * (i + 1) for i, p in enumerate(parts)], dim


def _split_fn(split_arg, dim):
    return lambda a: ember.cat(*_weighted_cat(a.split(split_arg, dim), dim))


def _split_ref(points, dim):
    return lambda a: np.concatenate(*_weighted_cat(np.split(a, points, dim), dim))


ANY = [((3, 4),), ((1,),), ((2, 0),), ((2, 1, 3),)]
SCALAR = [((),)]

SPECS: list[OpSpec] = [
    OpSpec("getitem_int", lambda a: a[1], lambda a: a[1], [((3, 4),), ((2,),), ((2, 0),)]),
    OpSpec("getitem_neg_int", lambda a: a[-1, 0], lambda a: a[-1, 0], [((3, 4),), ((1, 1, 2),)]),
    OpSpec(
        "getitem_slices",
        lambda a: a[1:, ::2],
        lambda a: a[1:, ::2],
        [((3, 4),), ((1, 5),), ((2, 0),), ((3, 1, 2),)],
    ),
    OpSpec(
        "getitem_none_ellipsis",
        lambda a: a[None, ..., 0],
        lambda a: a[None, ..., 0],
        [((3, 4),), ((2,),), ((0, 2),)],
    ),
    OpSpec("getitem_scalar", lambda a: a[()], lambda a: a[()], SCALAR),
    OpSpec("getitem_scalar_none", lambda a: a[None], lambda a: a[None], SCALAR),
    OpSpec(
        "getitem_repeated",
        lambda a: a[[0, 2, 0, 0]],
        lambda a: a[[0, 2, 0, 0]],
        [((3,),), ((3, 4),), ((3, 0),)],
    ),
    OpSpec(
        "getitem_tensor_2d",
        lambda a: a[ember.tensor([[0, 1], [1, 1]])],
        lambda a: a[np.array([[0, 1], [1, 1]])],
        [((2,),), ((3, 2),)],
    ),
    OpSpec(
        "getitem_mixed",
        lambda a: a[:, [1, 1, -1]],
        lambda a: a[:, [1, 1, -1]],
        [((2, 3),), ((0, 3),), ((1, 2, 2),)],
    ),
    OpSpec(
        "getitem_pairs",
        lambda a: a[[0, 1, 0], [2, 2, 2]],
        lambda a: a[[0, 1, 0], [2, 2, 2]],
        [((2, 3),), ((3, 3, 2),)],
    ),
    OpSpec("getitem_empty_list", lambda a: a[[]], lambda a: a[np.array([], int)], ANY[:2]),
    OpSpec(
        "getitem_mask",
        lambda a: a[ember.tensor(_mask(a.shape))],
        lambda a: a[_mask(a.shape)],
        [((3, 4),), ((),), ((1,),), ((2, 0),)],
    ),
    OpSpec(
        "getitem_mask_rows",
        lambda a: a[:, ember.tensor([True, False, True])],
        lambda a: a[:, [True, False, True]],
        [((2, 3),), ((0, 3),), ((2, 3, 1),)],
    ),
    OpSpec(
        "index_put",
        lambda a, v: ember.index_put(a, ([2, 0],), v),
        _put_ref(([2, 0],)),
        [((3, 4), (2, 4)), ((3, 4), (4,)), ((3,), ()), ((3, 0), (0,))],
    ),
    OpSpec(
        "index_put_accumulate",
        lambda a, v: ember.index_put(a, ([2, 0, 2],), v, accumulate=True),
        _put_ref(([2, 0, 2],), accumulate=True),
        [((3, 4), (3, 4)), ((3, 2), (2,)), ((3,), ())],
    ),
    OpSpec(
        "setitem_in_graph",
        _setitem,
        _put_ref((slice(1, None), [0, 2])),
        [((3, 4), ()), ((2, 3), (1, 2)), ((3, 3, 2), (2,))],
    ),
    OpSpec(
        "gather",
        lambda a, idx: ember.gather(a, 1, idx),
        _gather_ref(1),
        [((3, 4), (3, 5)), ((2, 3), (1, 2)), ((0, 3), (0, 2)), ((2, 3, 2), (2, 2, 1))],
        make=_with_index(1),
    ),
    OpSpec(
        "gather_dim0",
        lambda a, idx: a.gather(0, idx),
        _gather_ref(0),
        [((4,), (6,)), ((), ()), ((3, 2), (2, 2))],
        make=_with_index(0),
    ),
    OpSpec(
        "scatter_add",
        lambda a, idx, src: ember.scatter_add(a, 1, idx, src),
        _scatter_add_ref,
        [((3, 4), (3, 6), (3, 6)), ((3, 4), (2, 2), (3, 3)), ((0, 2), (0, 1), (0, 1))],
        make=_with_index(1, src=True),
    ),
    OpSpec(
        "index_select",
        lambda a, idx: ember.index_select(a, -1, idx),
        lambda a, idx: np.take(a, idx, -1),
        [((3, 4), (6,)), ((2,), (3,)), ((2, 3), (0,))],
        make=_with_index(-1),
    ),
    OpSpec(
        "index_select_dim0",
        lambda a, idx: a.index_select(0, idx),
        lambda a, idx: a[idx],
        [((3, 4), (5,)), ((1, 2, 2), (2,))],
        make=_with_index(0),
    ),
    OpSpec(
        "take_along_dim",
        lambda a, idx: ember.take_along_dim(a, idx, 1),
        lambda a, idx: np.take_along_axis(a, idx, 1),
        [((3, 4), (3, 2)), ((1, 4), (3, 5)), ((3, 2), (1, 3)), ((2, 0), (2, 0))],
        make=_with_index(1, negative=True),
    ),
    OpSpec(
        "take_along_dim_flat",
        lambda a, idx: a.take_along_dim(idx),
        lambda a, idx: a.reshape(-1)[idx.reshape(-1)],
        [((3, 4), (5,)), ((2,), (2, 2))],
        make=_with_index(0),
    ),
    OpSpec(
        "masked_fill",
        lambda a, mask: a.masked_fill(mask, 0.5),
        _masked_fill_ref,
        [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((), ()), ((2, 0), (2, 0))],
        make=_with_mask,
    ),
    OpSpec(
        "masked_fill_tensor_value",
        lambda a, v: a.masked_fill(ember.tensor(_mask(a.shape)), v),
        lambda a, v: np.where(_mask(a.shape), v, a),
        [((3, 4), ()), ((1,), ()), ((2, 0), ())],
    ),
    OpSpec(
        "one_hot",
        lambda idx: ember.one_hot(idx, 5),
        lambda idx: np.eye(5)[idx],
        [((6,),), ((),), ((2, 3),), ((0,),)],
        make=_with_labels,
        differentiable=False,
    ),
    OpSpec("narrow", lambda a: a.narrow(-1, 1, 2), lambda a: a[..., 1:3], [((3, 4),), ((3,),)]),
    OpSpec("select", lambda a: a.select(0, -1), lambda a: a[-1], ANY),
    OpSpec("split_size", _split_fn(2, 1), _split_ref([2, 4], 1), [((3, 5),), ((2, 4, 1),)]),
    OpSpec(
        "split_sections",
        _split_fn([1, 0, 2], 0),
        _split_ref([1, 1], 0),
        [((3,),), ((3, 2),), ((3, 0),)],
    ),
    OpSpec(
        "chunk", lambda a: ember.cat(*_weighted_cat(a.chunk(2), 0)), _split_ref([2], 0), ANY[:1]
    ),
    OpSpec(
        "unbind", lambda a: ember.stack(a.unbind(1), 0), lambda a: np.moveaxis(a, 1, 0), ANY[:1]
    ),
    OpSpec("iter", lambda a: ember.stack(list(a)), lambda a: a, [((3, 4),), ((2,),)]),
]
