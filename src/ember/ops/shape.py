"""Shape operations. Those PyTorch returns as views (reshape, permute, squeeze, expand, ...) share
the input's memory and version counter, so an in-place write through either is seen by both; the
others (repeat, cat, flip, roll, tril) return new memory, as in PyTorch. Slicing views (narrow,
split, unbind) and pad live with indexing in index.py."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..autograd import function
from ..autograd.function import Op
from ..autograd.grad_mode import state
from ..backend import is_floating, result_type, xp
from .args import dim_alias, write_out
from .reduce import normalize_dims

__all__ = [
    "broadcast_to",
    "cast",
    "cat",
    "clone",
    "concat",
    "expand",
    "flatten",
    "flip",
    "movedim",
    "permute",
    "repeat",
    "reshape",
    "roll",
    "squeeze",
    "stack",
    "tile",
    "transpose",
    "tril",
    "triu",
    "unflatten",
    "unsqueeze",
]


def as_view(out: Any, base: Any) -> Any:
    """Mark ``out`` as a view of tensor ``base`` when their arrays share memory."""
    if isinstance(base, type(out)) and xp.may_share_memory(out._data, base._data):
        out._vc = base._vc
        out._base = base if base._base is None else base._base
    return out


def wrap_dim(dim: int, ndim: int, op: str, extra: int = 0) -> int:
    """``dim`` as a non-negative axis of a tensor with ``ndim + extra`` dims (a 0-d tensor accepts
    0 and -1, as in PyTorch); IndexError when out of range."""
    rank = max(ndim + extra, 1)
    if not -rank <= dim < rank:
        raise IndexError(
            f"{op}: dim {dim} is out of range (expected to be in [{-rank}, {rank - 1}])"
        )
    return dim % rank


def sized_dim(input: Any, dim: int, op: str) -> int:
    """A dim of ``a`` that has a size (0-d tensors have none)."""
    if input.ndim == 0:
        raise IndexError(f"{op}: cannot be applied to a 0-d tensor")
    return wrap_dim(dim, input.ndim, op)


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and not isinstance(shape[0], int):
        return tuple(shape[0])
    return tuple(shape)


class Reshape(Op):
    """reshape(a, shape);  da = g reshaped back."""

    @staticmethod
    def forward(ctx, a, shape):
        try:
            out = a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: shape {tuple(shape)} is invalid for input of shape {a.shape} "
                f"({a.size} elements)"
            ) from None
        ctx.shape = out.shape
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.reshape(ctx.shapes[0]), None

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, ta, _shape):
        return ta.reshape(ctx.shape)


class Expand(Op):
    """broadcast_to(a, shape);  da = g summed back to a's shape."""

    @staticmethod
    def forward(ctx, a, shape):
        shape = tuple(
            a.shape[i - len(shape) + a.ndim] if s == -1 else s for i, s in enumerate(shape)
        )
        ctx.shape = shape
        try:
            return xp.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"expand: shape {a.shape} cannot be broadcast to {shape}") from None

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.sum_to_size(ctx.shapes[0]), None

    @staticmethod
    def jvp(ctx, ta, _shape):
        return ta.expand(ctx.shape)


class Permute(Op):
    """permute(a, dims);  da = g permuted by the inverse permutation."""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = tuple(wrap_dim(d, a.ndim, "permute") for d in dims)
        if sorted(ctx.dims) != list(range(a.ndim)):
            raise ValueError(f"permute: dims {tuple(dims)} are not a permutation of {a.ndim} dims")
        return a.transpose(ctx.dims)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.permute(tuple(xp.argsort(ctx.dims).tolist())), None

    @staticmethod
    def jvp(ctx, ta, _dims):
        return ta.permute(ctx.dims)


class Cast(Op):
    """a converted to ``dtype``;  da = g converted back (by the engine)."""

    @staticmethod
    def forward(ctx, a, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, None

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, ta, _dtype):
        return ta


class Clone(Op):
    """A copy of a;  da = g."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, ta):
        return ta


class Repeat(Op):
    """a tiled ``sizes`` times per dim;  da = g split into the tiles and summed."""

    @staticmethod
    def forward(ctx, a, sizes):
        if len(sizes) < a.ndim:
            raise ValueError(
                f"repeat: {len(sizes)} repeat sizes given for a tensor with {a.ndim} dims; "
                "give at least one per dim"
            )
        if any(s < 0 for s in sizes):
            raise ValueError(f"repeat: sizes {tuple(sizes)} must be non-negative")
        ctx.sizes = tuple(sizes)
        return xp.tile(a, ctx.sizes)

    @staticmethod
    def backward(ctx, grad_out):
        sizes = ctx.sizes
        shape = (1,) * (len(sizes) - len(ctx.shapes[0])) + ctx.shapes[0]
        tiles = tuple(x for pair in zip(sizes, shape) for x in pair)
        g = grad_out.reshape(tiles).sum(tuple(range(0, len(tiles), 2)))
        return g.reshape(ctx.shapes[0]), None

    @staticmethod
    def jvp(ctx, ta, _sizes):
        return ta.repeat(ctx.sizes)


class Cat(Op):
    """cat(arrays, dim);  d arrays[i] = the i-th slab of g along dim."""

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        dtype = result_type(*arrays)
        return xp.concatenate([a.astype(dtype, copy=False) for a in arrays], axis=dim)

    @staticmethod
    def backward(ctx, grad_out):
        grads: list = [None]
        start = 0
        for need, size in zip(ctx.needs_input_grad[1:], ctx.sizes):
            grads.append(grad_out.narrow(ctx.dim, start, size) if need else None)
            start += size
        return tuple(grads)

    @staticmethod
    def jvp(ctx, _dim, *tangents):
        dtype = next(t.dtype for t in tangents if t is not None)
        filled = [
            xp.zeros(shape, dtype) if t is None else t for t, shape in zip(tangents, ctx.shapes[1:])
        ]
        return Cat.apply(ctx.dim, *filled)


class Flip(Op):
    """a reversed along ``dims``;  da = g reversed along the same dims."""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = normalize_dims(dims, a.ndim, "flip")
        return xp.flip(a, ctx.dims).copy()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.flip(ctx.dims), None

    @staticmethod
    def jvp(ctx, ta, _dims):
        return ta.flip(ctx.dims)


class Roll(Op):
    """a shifted cyclically by ``shifts`` along ``dims``;  da = g shifted back."""

    @staticmethod
    def forward(ctx, a, shifts, dims):
        if dims is None:
            ctx.shifts, ctx.dims = shifts, None
            return xp.roll(a.reshape(-1), shifts).reshape(a.shape)
        shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(shifts) != len(dims):
            raise ValueError(f"roll: {len(shifts)} shifts given for {len(dims)} dims")
        ctx.shifts, ctx.dims = shifts, tuple(wrap_dim(d, a.ndim, "roll") for d in dims)
        return xp.roll(a, shifts, ctx.dims)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.roll(_negate(ctx.shifts), ctx.dims), None, None

    @staticmethod
    def jvp(ctx, ta, _shifts, _dims):
        return ta.roll(ctx.shifts, ctx.dims)


def _negate(shifts: Any) -> Any:
    return -shifts if isinstance(shifts, int) else tuple(-s for s in shifts)


class Tril(Op):
    """a with the entries above diagonal k zeroed;  da = tril(g, k)."""

    @staticmethod
    def forward(ctx, a, diagonal):
        _check_matrix(a, "tril")
        ctx.k = diagonal
        return xp.tril(a, diagonal)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.tril(ctx.k), None

    @staticmethod
    def jvp(ctx, ta, _diagonal):
        return ta.tril(ctx.k)


class Triu(Op):
    """a with the entries below diagonal k zeroed;  da = triu(g, k)."""

    @staticmethod
    def forward(ctx, a, diagonal):
        _check_matrix(a, "triu")
        ctx.k = diagonal
        return xp.triu(a, diagonal)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.triu(ctx.k), None

    @staticmethod
    def jvp(ctx, ta, _diagonal):
        return ta.triu(ctx.k)


def _check_matrix(a: Any, op: str) -> None:
    if a.ndim < 2:
        raise ValueError(f"{op}: input must have at least 2 dims, got shape {a.shape}")


def reshape(input: Any, *shape: Any) -> Any:
    """The same elements in a new shape (one dim may be -1); a view when possible."""
    return as_view(Reshape.apply(input, _shape_arg(shape)), input)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Dims ``start_dim..end_dim`` merged into one (a 0-d tensor becomes shape (1,))."""
    if input.ndim == 0:
        return reshape(input, (1,))
    start, end = (
        wrap_dim(start_dim, input.ndim, "flatten"),
        wrap_dim(end_dim, input.ndim, "flatten"),
    )
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = math.prod(input.shape[start : end + 1])
    return reshape(input, (*input.shape[:start], merged, *input.shape[end + 1 :]))


def unflatten(input: Any, dim: int, sizes: Sequence[int]) -> Any:
    """Dim ``dim`` split into ``sizes`` (one may be -1)."""
    d = sized_dim(input, dim, "unflatten")
    sizes = list(sizes)
    if sizes.count(-1) == 1:
        known = math.prod(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = input.shape[d] // known if known else 0
    if math.prod(sizes) != input.shape[d]:
        raise ValueError(f"unflatten: sizes {tuple(sizes)} don't multiply to {input.shape[d]}")
    return reshape(input, (*input.shape[:d], *sizes, *input.shape[d + 1 :]))


def squeeze(input: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """``a`` without its size-1 dims (only those in ``dim`` when given); a view."""
    dims = normalize_dims(dim_alias("squeeze", dim, axis), input.ndim, "squeeze")
    return reshape(input, tuple(n for i, n in enumerate(input.shape) if n != 1 or i not in dims))


def unsqueeze(input: Any, dim: int | None = None, *, axis: int | None = None) -> Any:
    """``a`` with a new size-1 dim at ``dim``; a view."""
    dim = dim_alias("unsqueeze", dim, axis)
    if dim is None:
        raise TypeError("unsqueeze() missing 1 required positional argument: 'dim'")
    d = wrap_dim(dim, input.ndim, "unsqueeze", extra=1)
    return reshape(input, (*input.shape[:d], 1, *input.shape[d:]))


def expand(input: Any, *shape: Any) -> Any:
    """Broadcast ``a`` to ``shape`` without copying (-1 keeps a dim)."""
    return as_view(Expand.apply(input, _shape_arg(shape)), input)


def broadcast_to(input: Any, shape: Any) -> Any:
    """Broadcast ``a`` to ``shape`` without copying."""
    return expand(input, tuple(shape))


def permute(input: Any, *dims: Any) -> Any:
    """Reorder the dims of ``a``; a view."""
    return as_view(Permute.apply(input, _shape_arg(dims)), input)


def transpose(input: Any, dim0: int, dim1: int) -> Any:
    """Swap two dims; a view."""
    d0, d1 = wrap_dim(dim0, input.ndim, "transpose"), wrap_dim(dim1, input.ndim, "transpose")
    order = list(range(input.ndim))
    if order:
        order[d0], order[d1] = order[d1], order[d0]
    return permute(input, tuple(order))


def movedim(input: Any, source: Any, destination: Any) -> Any:
    """Dims ``source`` moved to positions ``destination`` (ints or tuples); a view."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ValueError(f"movedim: {len(src)} source dims but {len(dst)} destination dims")
    src = [wrap_dim(d, input.ndim, "movedim") for d in src]
    dst = [wrap_dim(d, input.ndim, "movedim") for d in dst]
    rest = iter(d for d in range(input.ndim) if d not in src)
    placed = dict(zip(dst, src))
    return permute(
        input, tuple(placed[i] if i in placed else next(rest) for i in range(input.ndim))
    )


def cast(input: Any, dtype: Any) -> Any:
    """``a`` converted to ``dtype`` (differentiable between floating dtypes)."""
    return Cast.apply(input, dtype)


def autocast_operands(*operands: Any) -> tuple:
    """The operands of a lower-precision op (matmul, linear, conv) under CPU autocast: floating
    tensors in the autocast dtype, differentiably; outside autocast, the operands as they are."""
    dtype = state.autocast
    if dtype is None:
        return operands
    T = function._Tensor
    return tuple(
        Cast.apply(x, dtype)
        if isinstance(x, T) and is_floating(x._data.dtype) and x._data.dtype != dtype
        else x
        for x in operands
    )


def clone(input: Any) -> Any:
    """A copy of ``a`` that stays in the graph."""
    return Clone.apply(input)


def repeat(input: Any, *sizes: Any) -> Any:
    """``a`` tiled ``sizes[i]`` times along dim i (``numpy.tile``); extra sizes add leading dims."""
    return Repeat.apply(input, _shape_arg(sizes))


def tile(input: Any, dims: Sequence[int]) -> Any:
    """Like ``repeat``, but fewer ``dims`` than ``a.ndim`` are padded with leading 1s."""
    dims = tuple(dims)
    return Repeat.apply(input, (1,) * (input.ndim - len(dims)) + dims)


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None, out: Any = None) -> Any:
    """Tensors joined along an existing dim; shapes must agree elsewhere (dtypes promote)."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    first = tensors[0].shape
    if not first:
        raise ValueError("cat: 0-d tensors cannot be concatenated; use stack")
    d = wrap_dim(dim_alias("cat", dim, axis, 0), len(first), "cat")
    for t in tensors[1:]:
        if len(t.shape) != len(first) or any(
            m != n for i, (m, n) in enumerate(zip(first, t.shape)) if i != d
        ):
            raise ValueError(
                f"cat: tensors must have the same shape except in dim {d}, got shapes "
                f"{tuple(first)} and {tuple(t.shape)}"
            )
    return write_out("cat", Cat.apply(d, *tensors), out)


concat = cat


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None, out: Any = None) -> Any:
    """Tensors of one shape joined along a new dim ``dim``."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ValueError(
                f"stack: tensors must have the same shape, got shapes {tuple(tensors[0].shape)} "
                f"and {tuple(t.shape)}"
            )
    d = wrap_dim(dim_alias("stack", dim, axis, 0), tensors[0].ndim, "stack", extra=1)
    return write_out("stack", Cat.apply(d, *(unsqueeze(t, d) for t in tensors)), out)


def flip(input: Any, dims: Any) -> Any:
    """``a`` reversed along ``dims`` (a copy, as in PyTorch)."""
    return Flip.apply(input, dims)


def roll(input: Any, shifts: Any, dims: Any = None) -> Any:
    """``a`` shifted cyclically along ``dims`` (the flattened tensor when None)."""
    return Roll.apply(input, shifts, dims)


def tril(input: Any, diagonal: int = 0) -> Any:
    """The lower triangle of the last two dims (entries above diagonal ``diagonal`` zeroed)."""
    return Tril.apply(input, diagonal)


def triu(input: Any, diagonal: int = 0) -> Any:
    """The upper triangle of the last two dims (entries below diagonal ``diagonal`` zeroed)."""
    return Triu.apply(input, diagonal)
