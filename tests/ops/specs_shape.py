"""Op specs: shape family (see harness.py)."""

import numpy as np

import ember

from .harness import OpSpec

ANY = [((3, 4),), ((),), ((1,),), ((2, 0),), ((2, 1, 3),)]
MATRIX = [((3, 4),), ((2, 3, 3),), ((1, 1),), ((0, 2),), ((4, 2),)]
AT_LEAST_2D = [((3, 4),), ((1, 5),), ((2, 0),), ((2, 1, 3),)]


def _scalar_safe(f, *args):
    """``f(a, *args)``, with a 0-d array returned as is (its dims 0 and -1 are itself)."""
    return lambda a: f(a, *args) if a.ndim else a


def _tile_sizes(a):
    return (2, *([3] * a.ndim))


def _pad_ref(widths, **kwargs):
    """NumPy's pad with PyTorch's pad tuple (last dim first) turned into per-dim widths."""

    def ref(a):
        pairs = [(0, 0)] * (a.ndim - len(widths) // 2)
        pairs += [(widths[i], widths[i + 1]) for i in reversed(range(0, len(widths), 2))]
        return np.pad(a, pairs, **kwargs)

    return ref


def _crop_pad(a):
    """pad (-1, 2, 1, 0): last dim loses one on the left and gains two zeros on the right."""
    return np.pad(a[..., 1:], [(0, 0)] * (a.ndim - 2) + [(1, 0), (0, 2)])


def _cast_roundtrip(a):
    """``a`` through the other floating dtype and back: both directions of Cast, dtype kept."""
    other = ember.float32 if a.dtype == ember.float64 else ember.float64
    return a.to(other).to(a.dtype)


def _cat_ref(dim):
    return lambda *xs: np.concatenate(xs, axis=dim)


def _stack_ref(dim):
    return lambda *xs: np.stack(xs, axis=dim)


SPECS: list[OpSpec] = [
    OpSpec("reshape_flat", lambda a: a.reshape(-1), lambda a: a.reshape(-1), ANY),
    OpSpec(
        "reshape_reverse",
        lambda a: a.reshape(a.shape[::-1]),
        lambda a: a.reshape(a.shape[::-1]),
        ANY,
    ),
    OpSpec("view_split", lambda a: a.view(-1, 1), lambda a: a.reshape(-1, 1), ANY),
    OpSpec("flatten", lambda a: a.flatten(), lambda a: a.reshape(-1), ANY),
    OpSpec(
        "flatten_tail",
        lambda a: a.flatten(-2),
        lambda a: a.reshape(*a.shape[:-2], -1),
        AT_LEAST_2D,
    ),
    OpSpec(
        "unflatten",
        lambda a: a.unflatten(0, (-1, 1)),
        lambda a: a.reshape(a.shape[0], 1, *a.shape[1:]),
        [((3, 4),), ((1,),), ((0, 2),)],
    ),
    OpSpec(
        "squeeze_all",
        lambda a: a.squeeze(),
        np.squeeze,
        [((1, 3, 1),), ((),), ((1,),), ((2, 0, 1),), ((3, 4),)],
    ),
    OpSpec(
        "squeeze_dims",
        lambda a: a.squeeze((0, -1)),
        lambda a: a.reshape(
            [n for i, n in enumerate(a.shape) if n != 1 or i not in (0, a.ndim - 1)]
        ),
        [((1, 3, 1),), ((2, 1, 2),), ((1, 1),), ((1, 0, 1),)],
    ),
    OpSpec("unsqueeze_0", lambda a: a.unsqueeze(0), lambda a: a[None], ANY),
    OpSpec("unsqueeze_last", lambda a: a.unsqueeze(-1), lambda a: a[..., None], ANY),
    OpSpec("transpose", lambda a: a.transpose(0, -1), _scalar_safe(np.swapaxes, 0, -1), ANY),
    OpSpec("permute_reverse", lambda a: a.permute(*range(a.ndim - 1, -1, -1)), np.transpose, ANY),
    OpSpec("T", lambda a: a.T, np.transpose, ANY),
    OpSpec("mT", lambda a: a.mT, lambda a: np.swapaxes(a, -1, -2), AT_LEAST_2D),
    OpSpec("movedim", lambda a: a.movedim(0, -1), _scalar_safe(np.moveaxis, 0, -1), ANY),
    OpSpec(
        "movedim_pair",
        lambda a: ember.movedim(a, (0, 1), (2, 0)),
        lambda a: np.moveaxis(a, (0, 1), (2, 0)),
        [((2, 3, 4),), ((1, 0, 2),)],
    ),
    OpSpec(
        "expand",
        lambda a: a.expand(2, *a.shape),
        lambda a: np.broadcast_to(a, (2, *a.shape)),
        ANY,
    ),
    OpSpec(
        "expand_size1",
        lambda a: a.expand(-1, 3),
        lambda a: np.broadcast_to(a, (a.shape[0], 3)),
        [((2, 1),), ((0, 1),), ((1, 3),)],
    ),
    OpSpec(
        "broadcast_to",
        lambda a: ember.broadcast_to(a, (2, 3, 4)),
        lambda a: np.broadcast_to(a, (2, 3, 4)),
        [((3, 4),), ((),), ((1, 4),), ((3, 1),)],
    ),
    OpSpec("repeat", lambda a: a.repeat(_tile_sizes(a)), lambda a: np.tile(a, _tile_sizes(a)), ANY),
    OpSpec("repeat_ones", lambda a: a.repeat(1, 1), lambda a: np.tile(a, (1, 1)), ANY[:3]),
    OpSpec("tile", lambda a: a.tile((2,)), lambda a: np.tile(a, 2), ANY),
    OpSpec(
        "cat_dim1",
        lambda *xs: ember.cat(xs, 1),
        _cat_ref(1),
        [((2, 3), (2, 1), (2, 0)), ((1, 2, 3), (1, 4, 3)), ((0, 1), (0, 2))],
    ),
    OpSpec(
        "cat_neg_dim",
        lambda *xs: ember.cat(xs, dim=-1),
        _cat_ref(-1),
        [((3,), (1,)), ((2, 2), (2, 3), (2, 1)), ((4,),)],
    ),
    OpSpec(
        "stack",
        lambda *xs: ember.stack(xs),
        _stack_ref(0),
        [((3,), (3,), (3,)), ((), ()), ((2, 0), (2, 0)), ((1, 2),)],
    ),
    OpSpec(
        "stack_last",
        lambda *xs: ember.stack(xs, dim=-1),
        _stack_ref(-1),
        [((2, 3), (2, 3)), ((), ())],
    ),
    OpSpec("flip", lambda a: a.flip(0), _scalar_safe(np.flip, 0), ANY),
    OpSpec("flip_dims", lambda a: a.flip((0, -1)), lambda a: np.flip(a, (0, -1)), AT_LEAST_2D),
    OpSpec("roll_flat", lambda a: a.roll(2), lambda a: np.roll(a, 2), ANY),
    OpSpec(
        "roll_dims",
        lambda a: a.roll((1, -3), (0, -1)),
        lambda a: np.roll(a, (1, -3), (0, -1)),
        AT_LEAST_2D,
    ),
    OpSpec("tril", lambda a: a.tril(), np.tril, MATRIX),
    OpSpec("tril_k", lambda a: ember.tril(a, -1), lambda a: np.tril(a, -1), MATRIX),
    OpSpec("triu", lambda a: a.triu(), np.triu, MATRIX),
    OpSpec("triu_k", lambda a: ember.triu(a, diagonal=1), lambda a: np.triu(a, 1), MATRIX),
    OpSpec(
        "pad_constant",
        lambda a: ember.pad(a, (1, 2), value=0.5),
        _pad_ref((1, 2), constant_values=0.5),
        [((3, 4),), ((1,),), ((2, 0),), ((2, 1, 3),)],
    ),
    OpSpec("pad_crop", lambda a: ember.pad(a, (-1, 2, 1, 0)), _crop_pad, AT_LEAST_2D[:2]),
    OpSpec(
        "pad_reflect",
        lambda a: ember.pad(a, (1, 2, 2, 1), mode="reflect"),
        _pad_ref((1, 2, 2, 1), mode="reflect"),
        [((3, 4),), ((2, 3, 3),)],
    ),
    OpSpec(
        "pad_replicate",
        lambda a: ember.pad(a, (2, 1), mode="replicate"),
        _pad_ref((2, 1), mode="edge"),
        [((3, 4),), ((1,),), ((2, 1, 3),)],
    ),
    OpSpec(
        "pad_circular",
        lambda a: ember.pad(a, (1, 3, 1, 0), mode="circular"),
        _pad_ref((1, 3, 1, 0), mode="wrap"),
        [((3, 4),), ((2, 3, 4),)],
    ),
    OpSpec("clone", lambda a: a.clone(), np.copy, ANY),
    # float32 rounding: a step of 1e-3 keeps the difference quotients within the tolerance
    OpSpec(
        "cast_roundtrip",
        _cast_roundtrip,
        lambda a: a.astype(np.float32).astype(np.float64),
        ANY,
        eps=1e-3,
    ),
]
